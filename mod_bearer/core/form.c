/* SPDX-License-Identifier: Apache-2.0 */
/*
 * form.c - application/x-www-form-urlencoded bodies (see bearer_form.h).
 * Decoding in place keeps this free of allocation: the caller owns one
 * buffer and every name and value points into it.
 */
#include <string.h>
#include <strings.h>

#include "bearer_form.h"

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* One loop for both callers: in place (out == s is safe, as a decoded
 * byte is written no later than where its encoding began) or into a
 * bounded buffer. The checks run in the order the bytes come, so the
 * first fault in s decides what is returned. */
size_t bearer_form_decode_to(const char *s, size_t len, char *out,
                             size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        int c = (unsigned char)s[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3) {
                return BEARER_FORM_DECODE_BAD;
            }
            hi = hex_value((unsigned char)s[i + 1]);
            lo = hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                return BEARER_FORM_DECODE_BAD;
            }
            c = hi * 16 + lo;
            i += 2;
        }
        else if (c == '+') {
            c = ' ';
        }
        if (n == cap) {
            return BEARER_FORM_DECODE_TOO_LONG;
        }
        out[n++] = (char)c;
    }
    return n;
}

size_t bearer_form_decode(char *s, size_t len)
{
    /* in place, the bound never reached: n <= i < len */
    return bearer_form_decode_to(s, len, s, len);
}

static int same_name(const bearer_form_param_t *a,
                     const bearer_form_param_t *b)
{
    return a->name_len == b->name_len
           && memcmp(a->name, b->name, a->name_len) == 0;
}

bearer_form_status bearer_form_parse(char *buf, size_t len,
                                     bearer_form_t *out)
{
    size_t start = 0;

    memset(out, 0, sizeof(*out));
    while (start < len) {
        char *pair = buf + start;
        char *amp = memchr(pair, '&', len - start);
        size_t pair_len = amp ? (size_t)(amp - pair) : len - start;
        char *eq = memchr(pair, '=', pair_len);
        bearer_form_param_t p;
        size_t i;

        start += pair_len + 1;
        if (pair_len == 0) {
            continue;
        }
        memset(&p, 0, sizeof(p));
        p.name = pair;
        p.name_len = eq ? (size_t)(eq - pair) : pair_len;
        if (eq) {
            p.has_value = 1;
            p.value = eq + 1;
            p.value_len = pair_len - p.name_len - 1;
        }
        else {
            p.value = pair + pair_len;
        }
        if (out->count == BEARER_FORM_MAX_PARAMS) {
            return BEARER_FORM_TOO_MANY;
        }
        p.name_len = bearer_form_decode(pair, p.name_len);
        if (p.name_len == (size_t)-1) {
            return BEARER_FORM_BAD_ESCAPE;
        }
        if (eq) {
            p.value_len = bearer_form_decode(eq + 1, p.value_len);
            if (p.value_len == (size_t)-1) {
                return BEARER_FORM_BAD_ESCAPE;
            }
        }
        for (i = 0; i < out->count; i++) {
            if (same_name(&out->params[i], &p)) {
                out->fault = p;
                return BEARER_FORM_DUPLICATE;
            }
        }
        out->params[out->count++] = p;
    }
    memset(&out->fault, 0, sizeof(out->fault));
    return BEARER_FORM_OK;
}

const bearer_form_param_t *bearer_form_get(const bearer_form_t *form,
                                           const char *name)
{
    size_t n = strlen(name);
    size_t i;

    for (i = 0; i < form->count; i++) {
        const bearer_form_param_t *p = &form->params[i];

        if (p->name_len == n && memcmp(p->name, name, n) == 0) {
            return p;
        }
    }
    return NULL;
}

int bearer_content_type_is_form(const char *content_type)
{
    static const char type[] = "application/x-www-form-urlencoded";
    const char *p = content_type;

    if (p == NULL) {
        return 0;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (strncasecmp(p, type, sizeof(type) - 1) != 0) {
        return 0;
    }
    p += sizeof(type) - 1;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return *p == '\0' || *p == ';';
}
