/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/form.c - the form-urlencoded body parser (mod_bearer/core/form.c)
 * of the introspection and revocation endpoints.
 *
 * Input: a request body, as the endpoint reads it (any bytes, NUL
 * included, up to 16 KiB).
 *
 * Invariants:
 *  - the result agrees with a second, independent reading of the media
 *    type (split on '&', skip empty pairs, split at the first '=', decode
 *    '+' and %XY; a broken '%' anywhere, a name twice, more than 64 pairs
 *    are errors, the first error met in body order wins);
 *  - on success every name and value lies inside the buffer, and
 *    bearer_form_get finds each parameter as parsed;
 *  - encoding the parameters again and parsing that gives the same
 *    parameters (a round trip);
 *  - bearer_content_type_is_form never reads past the string.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_form.h"
#include "fuzz.h"

typedef struct {
    char *name;
    size_t name_len;
    char *value;
    size_t value_len;
} model_param;

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* decodes src[0..n) into a fresh buffer; -1 on a broken '%' */
static long model_decode(const char *src, size_t n, char **out)
{
    char *o = malloc(n + 1);
    size_t i = 0, k = 0;

    while (i < n) {
        if (src[i] == '%') {
            if (i + 2 >= n) {
                free(o);
                return -1;
            }
            if (hexval((unsigned char)src[i + 1]) < 0
                    || hexval((unsigned char)src[i + 2]) < 0) {
                free(o);
                return -1;
            }
            o[k++] = (char)(hexval((unsigned char)src[i + 1]) * 16
                            + hexval((unsigned char)src[i + 2]));
            i += 3;
        }
        else {
            o[k++] = src[i] == '+' ? ' ' : src[i];
            i++;
        }
    }
    *out = o;
    return (long)k;
}

static bearer_form_status model(const char *body, size_t len,
                                model_param *params, size_t *count)
{
    size_t start = 0, n = 0, i;

    while (start <= len) {
        size_t end = start;
        size_t eq;
        long nl, vl = 0;
        model_param p;

        while (end < len && body[end] != '&') {
            end++;
        }
        if (end == start) {
            start = end + 1;
            continue;
        }
        if (n == BEARER_FORM_MAX_PARAMS) {
            *count = n;
            return BEARER_FORM_TOO_MANY;
        }
        eq = start;
        while (eq < end && body[eq] != '=') {
            eq++;
        }
        nl = model_decode(body + start, eq - start, &p.name);
        if (nl < 0) {
            *count = n;
            return BEARER_FORM_BAD_ESCAPE;
        }
        p.name_len = (size_t)nl;
        p.value = NULL;
        if (eq < end) {
            vl = model_decode(body + eq + 1, end - eq - 1, &p.value);
            if (vl < 0) {
                free(p.name);
                *count = n;
                return BEARER_FORM_BAD_ESCAPE;
            }
        }
        p.value_len = (size_t)vl;
        for (i = 0; i < n; i++) {
            if (params[i].name_len == p.name_len
                    && memcmp(params[i].name, p.name, p.name_len) == 0) {
                free(p.name);
                free(p.value);
                *count = n;
                return BEARER_FORM_DUPLICATE;
            }
        }
        params[n++] = p;
        start = end + 1;
    }
    *count = n;
    return BEARER_FORM_OK;
}

static size_t encode(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9') || c == '-' || c == '_'
                || c == '.') {
            out[k++] = (char)c;
        }
        else if (c == ' ') {
            out[k++] = '+';
        }
        else {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *again, *ct;
    bearer_form_t *form = malloc(sizeof(*form));
    bearer_form_t *form2 = malloc(sizeof(*form2));
    model_param params[BEARER_FORM_MAX_PARAMS];
    size_t count = 0, i, n;
    bearer_form_status st, want;

    memcpy(buf, data, size);
    buf[size] = '\0';
    want = model((const char *)data, size, params, &count);
    st = bearer_form_parse(buf, size, form);
    FUZZ_CHECK(st == want);
    if (st == BEARER_FORM_OK) {
        FUZZ_CHECK(form->count == count);
        again = malloc(size * 3 + 1);
        n = 0;
        for (i = 0; i < count; i++) {
            const bearer_form_param_t *p = &form->params[i];

            FUZZ_CHECK(p->name_len == params[i].name_len
                       && memcmp(p->name, params[i].name, p->name_len) == 0);
            FUZZ_CHECK(p->value_len == params[i].value_len
                       && (p->value_len == 0
                           || memcmp(p->value, params[i].value,
                                     p->value_len) == 0));
            FUZZ_CHECK(p->has_value == (params[i].value != NULL));
            FUZZ_CHECK(p->name >= buf && p->name + p->name_len <= buf + size);
            FUZZ_CHECK(p->value >= buf
                       && p->value + p->value_len <= buf + size);
            if (memchr(p->name, '\0', p->name_len) == NULL) {
                char *name = malloc(p->name_len + 1);

                memcpy(name, p->name, p->name_len);
                name[p->name_len] = '\0';
                FUZZ_CHECK(bearer_form_get(form, name) == p);
                free(name);
            }
            if (i) {
                again[n++] = '&';
            }
            n += encode(p->name, p->name_len, again + n);
            if (p->has_value) {
                again[n++] = '=';
                n += encode(p->value, p->value_len, again + n);
            }
        }
        /* every parsed pair encodes to a non-empty one (an empty name
         * comes only with '='), so the round trip keeps them all */
        FUZZ_CHECK(bearer_form_parse(again, n, form2) == BEARER_FORM_OK);
        FUZZ_CHECK(form2->count == form->count);
        for (i = 0; i < count; i++) {
            const bearer_form_param_t *a = &form2->params[i];

            FUZZ_CHECK(a->name_len == params[i].name_len
                       && memcmp(a->name, params[i].name, a->name_len) == 0);
            FUZZ_CHECK(a->value_len == params[i].value_len
                       && (a->value_len == 0
                           || memcmp(a->value, params[i].value,
                                     a->value_len) == 0));
            FUZZ_CHECK(a->has_value == form->params[i].has_value);
        }
        free(again);
    }
    for (i = 0; i < count; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    ct = malloc(size + 1);
    memcpy(ct, data, size);
    ct[size] = '\0';
    (void)bearer_content_type_is_form(ct);
    free(ct);
    free(form2);
    free(form);
    free(buf);
    return 0;
}
