/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/subject_query.c - the query string of DELETE <collection>?subject=
 * (bearer_subject_query_parse in mod_bearer/core/subject.c), as r->args
 * hands it over (NUL-terminated; the input is cut at its first NUL).
 *
 * Invariants, against a model written out here:
 *  - the status is the model's: parameters split on '&' (empty ones
 *    skipped), only "subject" allowed, once, its value non-empty, every
 *    '%' followed by two hex digits, at most 256 bytes decoded;
 *  - on OK the subject is the model's decoding ('+' a space, %XX an
 *    octet), 1..256 bytes, written only inside the 256-byte buffer;
 *  - on UNKNOWN the name reported lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bearer_subject.h"
#include "fuzz.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bearer_subject_query_status model(const char *q, char *out,
                                         size_t *out_len)
{
    bearer_subject_query_status st = BEARER_SUBJECT_Q_MISSING;
    size_t n = strlen(q), i = 0;
    int seen = 0;

    while (i <= n) {
        size_t j = i, k, len = 0;
        const char *eq;

        while (j < n && q[j] != '&') {
            j++;
        }
        if (j > i) {
            eq = memchr(q + i, '=', j - i);
            if ((size_t)((eq ? eq : q + j) - (q + i)) != 7
                || memcmp(q + i, "subject", 7) != 0) {
                return BEARER_SUBJECT_Q_UNKNOWN;
            }
            if (seen++) {
                return BEARER_SUBJECT_Q_DUPLICATE;
            }
            if (!eq || eq + 1 == q + j) {
                return BEARER_SUBJECT_Q_EMPTY;
            }
            for (k = (size_t)(eq + 1 - q); k < j; k++) {
                int c = (unsigned char)q[k];

                if (c == '%') {
                    if (k + 2 >= j || hexval(q[k + 1]) < 0
                        || hexval(q[k + 2]) < 0) {
                        return BEARER_SUBJECT_Q_BAD_ESCAPE;
                    }
                    c = hexval(q[k + 1]) * 16 + hexval(q[k + 2]);
                    k += 2;
                }
                else if (c == '+') {
                    c = ' ';
                }
                if (len == BEARER_SUBJECT_MAX) {
                    return BEARER_SUBJECT_Q_TOO_LONG;
                }
                out[len++] = (char)c;
            }
            *out_len = len;
            st = BEARER_SUBJECT_Q_OK;
        }
        i = j + 1;
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1);
    char *out = malloc(BEARER_SUBJECT_MAX);     /* exact: ASan sees overruns */
    char want[BEARER_SUBJECT_MAX];
    size_t len = 0, want_len = 0, bad_len = 0;
    const char *bad = NULL;
    bearer_subject_query_status st, m;

    FUZZ_CHECK(q != NULL && out != NULL);
    memcpy(q, data, size);
    q[size] = '\0';
    st = bearer_subject_query_parse(q, out, &len, &bad, &bad_len);
    m = model(q, want, &want_len);
    FUZZ_CHECK(st == m);
    if (st == BEARER_SUBJECT_Q_OK) {
        FUZZ_CHECK(len >= 1 && len <= BEARER_SUBJECT_MAX);
        FUZZ_CHECK(len == want_len && memcmp(out, want, len) == 0);
    }
    if (st == BEARER_SUBJECT_Q_UNKNOWN) {
        FUZZ_CHECK(bad >= q && bad + bad_len <= q + strlen(q));
    }
    free(out);
    free(q);
    return 0;
}
