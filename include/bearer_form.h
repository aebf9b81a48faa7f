/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_form.h - an application/x-www-form-urlencoded body, as the
 * introspection (RFC 7662) and revocation (RFC 7009) endpoints receive it.
 *
 *   body  = [ pair *( "&" pair ) ]
 *   pair  = name [ "=" value ]        empty pairs ("a=1&&b=2") are skipped
 *
 * Names and values are decoded in place: "+" is a space and "%XY" the byte
 * 0xXY. A "%" not followed by two hex digits is an error (the body was not
 * encoded as the media type says), as is a name given twice (RFC 6749 sec.
 * 3.2 and RFC 7662 sec. 2.1: parameters MUST NOT be included more than
 * once) and more than BEARER_FORM_MAX_PARAMS pairs (no real client sends
 * that many, and it bounds the duplicate check).
 *
 * Pure C: no httpd, APR or heap. Decoded names and values may hold any
 * byte, NUL included: they are counted, not NUL-terminated.
 */
#ifndef BEARER_FORM_H
#define BEARER_FORM_H

#include <stddef.h>

#define BEARER_FORM_MAX_PARAMS 64

typedef enum {
    BEARER_FORM_OK = 0,
    BEARER_FORM_BAD_ESCAPE,     /* "%" without two hex digits */
    BEARER_FORM_DUPLICATE,      /* a name given twice */
    BEARER_FORM_TOO_MANY        /* more than BEARER_FORM_MAX_PARAMS pairs */
} bearer_form_status;

typedef struct {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    int has_value;              /* "name=..." rather than a bare "name" */
} bearer_form_param_t;

typedef struct {
    bearer_form_param_t params[BEARER_FORM_MAX_PARAMS];
    size_t count;
    /* on DUPLICATE: the second occurrence, decoded (its name is the one
     * given twice) */
    bearer_form_param_t fault;
} bearer_form_t;

/*
 * Parses buf[0..len), decoding it in place (a decoded string is never
 * longer than its encoding). On success out->params[0..count) point into
 * buf in the body's order. On error the contents of buf are unspecified,
 * out->fault names the offending pair, and out->count is what was parsed
 * before it.
 */
bearer_form_status bearer_form_parse(char *buf, size_t len,
                                     bearer_form_t *out);

/* The parameter called name (NUL-terminated), or NULL. */
const bearer_form_param_t *bearer_form_get(const bearer_form_t *form,
                                           const char *name);

/*
 * Decodes s[0..len) in place as one form-urlencoded component ("+" is a
 * space, "%XY" a byte). Returns the decoded length, or (size_t)-1 when a
 * "%" lacks two hex digits (s is then unspecified).
 */
size_t bearer_form_decode(char *s, size_t len);

/*
 * The same decoding from s[0..len) into out[0..cap); out may be s. Returns
 * the decoded length, BEARER_FORM_DECODE_BAD when a "%" lacks two hex
 * digits, or BEARER_FORM_DECODE_TOO_LONG when the decoded text would pass
 * cap bytes, whichever comes first in s (out is then unspecified).
 */
#define BEARER_FORM_DECODE_BAD      ((size_t)-1)
#define BEARER_FORM_DECODE_TOO_LONG ((size_t)-2)
size_t bearer_form_decode_to(const char *s, size_t len, char *out,
                             size_t cap);

/* 1 if a Content-Type header value is application/x-www-form-urlencoded
 * (any case), with or without parameters (";charset=UTF-8"); else 0. NULL
 * gives 0. */
int bearer_content_type_is_form(const char *content_type);

#endif
