/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/cors_origin.c - origins, methods and request headers of CORS
 * (mod_bearer/core/cors_origin.c).
 *
 * Input: byte 0 says how much of the rest is a configured origin; what
 * follows (up to its first NUL) is what a client sends: an Origin, an
 * Access-Control-Request-Method and an Access-Control-Request-Headers.
 *
 * Invariants:
 *  - parse OK: the normal form is NUL-terminated, no longer than the input,
 *    made of origin characters only (no '/' after "://", no '@', '?', '#',
 *    white space or control character), scheme and host in lower case;
 *    parsing it again gives it back (idempotent). An error leaves "".
 *  - match: a listed origin is returned exactly when the client's text
 *    equals it byte for byte, and then the configured pointer, never the
 *    client's; under '*' the answer is "*" exactly when the text is not
 *    empty.
 *  - methods: a bit only for the exact names, and its name is the text.
 *  - request headers: the bits agree with a plain model (split at ',',
 *    trim SP/HTAB, compare ignoring case); Allow-Headers is one of the
 *    three constants, present exactly when a bit is.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_cors.h"
#include "fuzz.h"

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int equal_nocase(const char *a, size_t n, const char *lc)
{
    size_t i;

    if (strlen(lc) != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (lower(a[i]) != lc[i]) {
            return 0;
        }
    }
    return 1;
}

static unsigned int model_headers(const char *s, int *others)
{
    unsigned int bits = 0;

    *others = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        const char *b = s, *end = e ? e : s + strlen(s);

        while (b < end && (*b == ' ' || *b == '\t')) {
            b++;
        }
        while (end > b && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        if (end > b) {
            if (equal_nocase(b, (size_t)(end - b), "authorization")) {
                bits |= BEARER_CORS_H_AUTHORIZATION;
            }
            else if (equal_nocase(b, (size_t)(end - b), "content-type")) {
                bits |= BEARER_CORS_H_CONTENT_TYPE;
            }
            else {
                *others = 1;
            }
        }
        if (!e) {
            break;
        }
        s = e + 1;
    }
    return bits;
}

static void check_normal(const char *n, size_t len, size_t in_len)
{
    const char *sep = strstr(n, "://");
    size_t i, host_end;

    FUZZ_CHECK(strlen(n) == len && len <= in_len && len > 0);
    FUZZ_CHECK(sep != NULL && sep > n);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)n[i];

        FUZZ_CHECK(c > 0x20 && c < 0x7f);
        FUZZ_CHECK(c != '@' && c != '?' && c != '#' && c != '%');
        if (n + i > sep + 2) {
            FUZZ_CHECK(c != '/');
        }
    }
    /* scheme and host are lower case; only ":port" may follow the host */
    host_end = (size_t)(sep + 3 - n);
    if (n[host_end] == '[') {
        const char *rb = strchr(n + host_end, ']');

        FUZZ_CHECK(rb != NULL);
        host_end = (size_t)(rb - n) + 1;
    }
    else {
        while (host_end < len && n[host_end] != ':') {
            host_end++;
        }
    }
    for (i = 0; i < host_end; i++) {
        FUZZ_CHECK(!(n[i] >= 'A' && n[i] <= 'Z'));
    }
    if (host_end < len) {
        FUZZ_CHECK(n[host_end] == ':' && host_end + 1 < len
                   && n[host_end + 1] != '0');
        for (i = host_end + 1; i < len; i++) {
            FUZZ_CHECK(n[i] >= '0' && n[i] <= '9');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char normal[BEARER_CORS_ORIGIN_MAX + 1], again[BEARER_CORS_ORIGIN_MAX + 1];
    char client[4096];
    size_t split, n_len = 99, a_len = 99, c_len;
    const char *cfg;
    bearer_cors_status st;
    unsigned int bits, bit;
    int others = -1, model_others = -1;
    const char *allow;

    if (size < 1) {
        return 0;
    }
    split = data[0];
    if (split > size - 1) {
        split = size - 1;
    }
    cfg = (const char *)data + 1;
    c_len = size - 1 - split;
    if (c_len >= sizeof(client)) {
        c_len = sizeof(client) - 1;
    }
    memcpy(client, cfg + split, c_len);
    client[c_len] = '\0';

    /* the configured origin */
    st = bearer_cors_origin_parse(cfg, split, normal, sizeof(normal), &n_len);
    if (st == BEARER_CORS_OK) {
        const char *origins[1];
        bearer_cors_list list = { 0, 1, origins };
        const char *m;

        check_normal(normal, n_len, split);
        FUZZ_CHECK(bearer_cors_origin_parse(normal, n_len, again,
                                            sizeof(again), &a_len)
                   == BEARER_CORS_OK);
        FUZZ_CHECK(a_len == n_len && memcmp(again, normal, n_len + 1) == 0);

        origins[0] = normal;
        m = bearer_cors_list_match(&list, client);
        FUZZ_CHECK(strcmp(client, normal) == 0 ? m == normal : m == NULL);
        m = bearer_cors_list_match(&list, normal);
        FUZZ_CHECK(m == normal);
    }
    else {
        FUZZ_CHECK(normal[0] == '\0' && n_len == 0);
        FUZZ_CHECK(bearer_cors_status_text(st) != NULL);
    }
    {
        bearer_cors_list any = { 1, 0, NULL };
        const char *m = bearer_cors_list_match(&any, client);

        FUZZ_CHECK(client[0] ? (m && strcmp(m, "*") == 0) : m == NULL);
    }

    /* the client's method */
    bit = bearer_cors_method(client);
    FUZZ_CHECK((bit & (bit - 1)) == 0 && (bit & ~BEARER_CORS_ALL_METHODS) == 0);
    if (bit) {
        FUZZ_CHECK(strcmp(bearer_cors_method_name(bit), client) == 0);
    }

    /* the client's request headers */
    bits = bearer_cors_request_headers(client, &others);
    FUZZ_CHECK(bits == model_headers(client, &model_others));
    FUZZ_CHECK(others == model_others);
    FUZZ_CHECK(bearer_cors_request_headers(client, NULL) == bits);
    allow = bearer_cors_allow_headers(bits);
    FUZZ_CHECK(bits ? allow != NULL : allow == NULL);
    if (allow) {
        FUZZ_CHECK(strcmp(allow, "Authorization") == 0
                   || strcmp(allow, "Content-Type") == 0
                   || strcmp(allow, "Authorization, Content-Type") == 0);
    }
    return 0;
}
