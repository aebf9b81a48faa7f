/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/header.c - the Authorization header parser (mod_bearer/core/header.c).
 *
 * Input: the header value, as httpd would hand it over (a NUL-terminated
 * string; httpd never passes a NUL inside a header).
 *
 * Invariants:
 *  - PRESENT: the token lies inside the value and is exactly one b64token;
 *    "Bearer <that token>" parses back to the same token.
 *  - The result agrees with a second, independent reading of RFC 6750:
 *    trim OWS; a first word "bearer" (any case) followed by SP/HTAB and a
 *    rest that is one b64token is PRESENT; "bearer" followed by anything
 *    else is MALFORMED; any other first word is NONE.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "bearer_header.h"
#include "fuzz.h"

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

static int tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~",
                                                            c) != NULL);
}

/* The model: what the contract says the answer must be. */
static bearer_cred_status model(const char *v, size_t n,
                                size_t *tok_off, size_t *tok_len)
{
    size_t b = 0, e = n, s, i;

    while (b < e && ows(v[b])) {
        b++;
    }
    while (e > b && ows(v[e - 1])) {
        e--;
    }
    s = b;
    while (s < e && tchar((unsigned char)v[s])) {
        s++;
    }
    if (s - b != 6 || strncasecmp(v + b, "bearer", 6) != 0) {
        return BEARER_CRED_NONE;
    }
    if (s == e || !ows(v[s])) {
        return BEARER_CRED_MALFORMED;
    }
    while (s < e && ows(v[s])) {
        s++;
    }
    if (!bearer_is_b64token(v + s, e - s)) {
        return BEARER_CRED_MALFORMED;
    }
    for (i = s; i < e; i++) {
        FUZZ_CHECK(!ows(v[i]));
    }
    *tok_off = s;
    *tok_len = e - s;
    return BEARER_CRED_PRESENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value, *again;
    const char *tok = NULL, *tok2 = NULL;
    size_t len = 0, len2 = 0, n, off = 0, mlen = 0;
    bearer_cred_status st, want;

    /* a header value ends at the first NUL, as in httpd */
    n = strnlen((const char *)data, size);
    value = malloc(n + 1);
    memcpy(value, data, n);
    value[n] = '\0';

    st = bearer_header_parse(value, &tok, &len);
    want = model(value, n, &off, &mlen);
    FUZZ_CHECK(st == want);
    if (st == BEARER_CRED_PRESENT) {
        FUZZ_CHECK(tok == value + off && len == mlen);
        FUZZ_CHECK(len > 0 && tok >= value && tok + len <= value + n);
        FUZZ_CHECK(bearer_is_b64token(tok, len));
        again = malloc(len + 8);
        memcpy(again, "Bearer ", 7);
        memcpy(again + 7, tok, len);
        again[len + 7] = '\0';
        FUZZ_CHECK(bearer_header_parse(again, &tok2, &len2)
                   == BEARER_CRED_PRESENT);
        FUZZ_CHECK(len2 == len && memcmp(tok2, tok, len) == 0);
        free(again);
    }
    FUZZ_CHECK(bearer_header_parse(NULL, &tok2, &len2) == BEARER_CRED_NONE);
    free(value);
    return 0;
}
