/* SPDX-License-Identifier: Apache-2.0 */
/*
 * header.c - the Authorization header, RFC 6750 section 2.1.
 *
 * The value is read as:  OWS scheme 1*(SP / HTAB) b64token OWS
 * where scheme is an RFC 7230 token. A scheme other than "Bearer" is not
 * ours to judge (NONE); once the scheme is Bearer, anything that is not
 * exactly one b64token is MALFORMED, so the client learns what it got wrong.
 */
#include "bearer_header.h"

#include <string.h>

/* One table lookup a character instead of a chain of comparisons: the
 * header of every protected request goes through here. */
enum {
    C_OWS = 1,          /* SP / HTAB */
    C_TCHAR = 2,        /* RFC 7230 tchar: an auth-scheme's characters */
    C_B64TOKEN = 4      /* RFC 6750 b64token, less the trailing '=' */
};

static const unsigned char char_class[256] = {
    [' '] = C_OWS, ['\t'] = C_OWS,
    ['0' ... '9'] = C_TCHAR | C_B64TOKEN,
    ['A' ... 'Z'] = C_TCHAR | C_B64TOKEN,
    ['a' ... 'z'] = C_TCHAR | C_B64TOKEN,
    ['-'] = C_TCHAR | C_B64TOKEN, ['.'] = C_TCHAR | C_B64TOKEN,
    ['_'] = C_TCHAR | C_B64TOKEN, ['~'] = C_TCHAR | C_B64TOKEN,
    ['+'] = C_TCHAR | C_B64TOKEN,
    ['/'] = C_B64TOKEN,
    ['!'] = C_TCHAR, ['#'] = C_TCHAR, ['$'] = C_TCHAR, ['%'] = C_TCHAR,
    ['&'] = C_TCHAR, ['\''] = C_TCHAR, ['*'] = C_TCHAR, ['^'] = C_TCHAR,
    ['`'] = C_TCHAR, ['|'] = C_TCHAR
};

static int is_ows(char c)
{
    return char_class[(unsigned char)c] & C_OWS;
}

static int is_tchar(unsigned char c)
{
    return char_class[c] & C_TCHAR;
}

static int is_bearer_scheme(const char *s, size_t len)
{
    static const char scheme[] = "bearer";
    size_t i;

    if (len != sizeof(scheme) - 1) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != scheme[i]) {
            return 0;
        }
    }
    return 1;
}

/* Inlined where it runs per character: the exported one below is a call
 * the compiler may not inline into a shared object (interposition). */
static int is_b64token_char(unsigned char c)
{
    return (char_class[c] & C_B64TOKEN) != 0;
}

int bearer_b64token_char(unsigned char c)
{
    return is_b64token_char(c);
}

int bearer_is_b64token(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && is_b64token_char((unsigned char)s[i])) {
        i++;
    }
    if (i == 0) {
        return 0;
    }
    while (i < len && s[i] == '=') {
        i++;
    }
    return i == len;
}

bearer_cred_status bearer_header_parse(const char *value,
                                       const char **token, size_t *token_len)
{
    const char *p, *end, *scheme, *tok;

    if (value == NULL) {
        return BEARER_CRED_NONE;
    }

    /* Trim OWS around the whole value once, so later steps see only
     * the scheme, the separator and the token. */
    p = value;
    while (is_ows(*p)) {
        p++;
    }
    end = p + strlen(p);        /* libc's, a word or a vector a step */
    while (end > p && is_ows(end[-1])) {
        end--;
    }

    scheme = p;
    while (p < end && is_tchar((unsigned char)*p)) {
        p++;
    }
    if (!is_bearer_scheme(scheme, (size_t)(p - scheme))) {
        return BEARER_CRED_NONE;
    }

    /* "Bearer" alone, or followed by something other than white space
     * (e.g. "Bearer,x"), is our scheme with unusable credentials. */
    if (p == end || !is_ows(*p)) {
        return BEARER_CRED_MALFORMED;
    }
    while (p < end && is_ows(*p)) {
        p++;
    }

    tok = p;
    while (p < end && is_b64token_char((unsigned char)*p)) {
        p++;
    }
    if (p == tok) {
        return BEARER_CRED_MALFORMED;
    }
    while (p < end && *p == '=') {
        p++;
    }
    /* end has no trailing OWS, so anything left is a second token, a
     * comma, a parameter or a character outside the grammar. */
    if (p != end) {
        return BEARER_CRED_MALFORMED;
    }

    if (token != NULL) {
        *token = tok;
    }
    if (token_len != NULL) {
        *token_len = (size_t)(p - tok);
    }
    return BEARER_CRED_PRESENT;
}
