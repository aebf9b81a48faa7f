/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subject.c - the pure parts of revoking a subject's tokens (see
 * include/bearer_subject.h): its query string, its keyed hash, its cut-off.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bearer_form.h"
#include "bearer_subject.h"
#include "bearer_token.h"

#define PARAM_NAME "subject"

static const char key_label[] = "mod_bearer subject v1";

/* The parameter's value decoded into out ('+' is a space, %XX an octet:
 * the form decoder), stopping with TOO_LONG past cap bytes. */
static bearer_subject_query_status decode(const char *s, size_t len,
                                          char *out, size_t cap,
                                          size_t *out_len)
{
    size_t n = bearer_form_decode_to(s, len, out, cap);

    if (n == BEARER_FORM_DECODE_BAD) {
        return BEARER_SUBJECT_Q_BAD_ESCAPE;
    }
    if (n == BEARER_FORM_DECODE_TOO_LONG) {
        return BEARER_SUBJECT_Q_TOO_LONG;
    }
    *out_len = n;
    return BEARER_SUBJECT_Q_OK;
}

bearer_subject_query_status
bearer_subject_query_parse(const char *query, char *out, size_t *out_len,
                           const char **bad, size_t *bad_len)
{
    const char *p = query;
    int seen = 0;
    bearer_subject_query_status st = BEARER_SUBJECT_Q_MISSING;

    if (query == NULL || out == NULL || out_len == NULL) {
        return BEARER_SUBJECT_Q_MISSING;
    }
    while (*p) {
        const char *end = strchr(p, '&');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;

        if (plen > 0) {
            if (nlen != sizeof(PARAM_NAME) - 1
                || memcmp(p, PARAM_NAME, nlen) != 0) {
                if (bad) {
                    *bad = p;
                }
                if (bad_len) {
                    *bad_len = nlen;
                }
                return BEARER_SUBJECT_Q_UNKNOWN;
            }
            if (seen++) {
                return BEARER_SUBJECT_Q_DUPLICATE;
            }
            if (!eq) {
                st = BEARER_SUBJECT_Q_EMPTY;
            }
            else {
                st = decode(eq + 1, plen - nlen - 1, out, BEARER_SUBJECT_MAX,
                            out_len);
                if (st == BEARER_SUBJECT_Q_OK && *out_len == 0) {
                    st = BEARER_SUBJECT_Q_EMPTY;
                }
            }
            if (st != BEARER_SUBJECT_Q_OK) {
                return st;
            }
        }
        p += plen;
        if (*p == '&') {
            p++;
        }
    }
    return st;
}

int bearer_subject_key(const unsigned char *secret, size_t secret_len,
                       const char *subject, size_t subject_len,
                       unsigned char key[BEARER_SUBJECT_KEY_BYTES])
{
    unsigned char msg[sizeof(key_label) + BEARER_SUBJECT_MAX];
    unsigned char mac[BEARER_MAC_BYTES];
    int rc;

    if (subject == NULL || subject_len == 0
        || subject_len > BEARER_SUBJECT_MAX) {
        return -1;
    }
    /* The label and its NUL keep this hash apart from token ids, which
     * are HMACs under the same secret. */
    memcpy(msg, key_label, sizeof(key_label));
    memcpy(msg + sizeof(key_label), subject, subject_len);
    rc = bearer_mac(secret, secret_len, msg, sizeof(key_label) + subject_len,
                    mac);
    if (rc == 0) {
        memcpy(key, mac, BEARER_SUBJECT_KEY_BYTES);
    }
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc == 0 ? 0 : -1;
}

int64_t bearer_subject_usec(int64_t sec, uint32_t usec)
{
    const int64_t limit = INT64_MAX / 1000000 - 1;

    if (sec > limit) {
        return INT64_MAX;
    }
    if (sec < -limit) {
        return INT64_MIN;
    }
    return sec * 1000000 + (int64_t)usec;
}

int bearer_subject_is_cut_off(const bearer_entry_t *e, int64_t cut_off_usec)
{
    return e != NULL && e->has_subject
           && bearer_subject_usec(e->issued_at, e->issued_usec)
              <= cut_off_usec;
}

void bearer_cutoff_encode(int64_t usec, unsigned char out[BEARER_CUTOFF_BYTES])
{
    uint64_t u = (uint64_t)usec;
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (unsigned char)u;
        u >>= 8;
    }
}

int64_t bearer_cutoff_decode(const unsigned char in[BEARER_CUTOFF_BYTES])
{
    uint64_t u = 0;
    int i;

    for (i = 0; i < 8; i++) {
        u = (u << 8) | in[i];
    }
    if (u > (uint64_t)INT64_MAX) {
        return -(int64_t)(~u) - 1;
    }
    return (int64_t)u;
}
