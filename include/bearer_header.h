/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_header.h - parse an Authorization header value (RFC 6750 sec. 2.1).
 *
 *   credentials = "Bearer" 1*SP b64token
 *   b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * Pure C: no httpd or APR headers, no allocation. The token returned points
 * into the caller's buffer.
 */
#ifndef BEARER_HEADER_H
#define BEARER_HEADER_H

#include <stddef.h>

typedef enum {
    /* No header, or a scheme other than Bearer: answer with a bare
     * challenge (no error attribute). */
    BEARER_CRED_NONE = 0,
    /* Scheme "Bearer" (any case) but the credentials break the b64token
     * grammar: empty, two tokens, characters outside the grammar. */
    BEARER_CRED_MALFORMED,
    /* A syntactically valid b64token; *token / *token_len are set. */
    BEARER_CRED_PRESENT
} bearer_cred_status;

/*
 * value may be NULL (no header). Leading and trailing spaces/tabs around the
 * whole value are ignored (HTTP's OWS); between scheme and token one or
 * more SP or HTAB are accepted. Anything after the token other than
 * trailing OWS (a comma, a second token, a parameter) is MALFORMED.
 */
bearer_cred_status bearer_header_parse(const char *value,
                                       const char **token, size_t *token_len);

/* 1 if c may appear in a b64token (before any trailing '='), else 0. */
int bearer_b64token_char(unsigned char c);

/* 1 if s[0..len) is a whole b64token, else 0 (len 0 is not). */
int bearer_is_b64token(const char *s, size_t len);

#endif
