/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_record.c - seal and open the values mod_bearer keeps in memcached
 * (layout in include/bearer_fleet_record.h).
 */
#include <string.h>

#include "bearer_fleet_record.h"

size_t bearer_record_seal_token(const unsigned char *secret, size_t secret_len,
                                const char *key, size_t key_len,
                                const bearer_entry_t *entry,
                                unsigned char *out, size_t cap)
{
    size_t enc_len = bearer_entry_encoded_len(entry);

    if (enc_len == 0 || cap < 1 + enc_len + BEARER_ENTRY_MAC_BYTES) {
        return 0;
    }
    out[0] = BEARER_RECORD_TOKEN;
    if (bearer_entry_encode(entry, out + 1, cap - 1) != enc_len) {
        return 0;
    }
    return bearer_entry_seal(secret, secret_len, key, key_len, out,
                             1 + enc_len, out);
}

static size_t seal_number(const unsigned char *secret, size_t secret_len,
                          const char *key, size_t key_len, int kind,
                          int64_t number, unsigned char *out, size_t cap)
{
    uint64_t v = (uint64_t)number;
    int i;

    if (cap < 1 + 8 + BEARER_ENTRY_MAC_BYTES) {
        return 0;
    }
    out[0] = (unsigned char)kind;
    for (i = 0; i < 8; i++) {
        out[1 + i] = (unsigned char)(v >> (56 - 8 * i));
    }
    return bearer_entry_seal(secret, secret_len, key, key_len, out, 1 + 8,
                             out);
}

size_t bearer_record_seal_tombstone(const unsigned char *secret,
                                    size_t secret_len,
                                    const char *key, size_t key_len,
                                    int64_t expires_at,
                                    unsigned char *out, size_t cap)
{
    return seal_number(secret, secret_len, key, key_len,
                       BEARER_RECORD_TOMBSTONE, expires_at, out, cap);
}

size_t bearer_record_seal_cutoff(const unsigned char *secret,
                                 size_t secret_len,
                                 const char *key, size_t key_len,
                                 int64_t cut_off_usec,
                                 unsigned char *out, size_t cap)
{
    return seal_number(secret, secret_len, key, key_len,
                       BEARER_RECORD_CUTOFF, cut_off_usec, out, cap);
}

int bearer_record_open(const unsigned char *secret, size_t secret_len,
                       const char *key, size_t key_len,
                       const unsigned char *value, size_t len,
                       bearer_entry_t *entry, int64_t *expires_at)
{
    long body;
    uint64_t v = 0;
    int i;

    if (len > BEARER_RECORD_MAX) {
        return 0;
    }
    body = bearer_entry_open(secret, secret_len, key, key_len, value, len);
    if (body < 1) {
        return 0;
    }
    switch (value[0]) {
    case BEARER_RECORD_TOKEN:
        return bearer_entry_decode(value + 1, (size_t)body - 1, entry) == 0
               ? BEARER_RECORD_TOKEN : 0;
    case BEARER_RECORD_TOMBSTONE:
    case BEARER_RECORD_CUTOFF:
        if (body != 1 + 8) {
            return 0;
        }
        for (i = 0; i < 8; i++) {
            v = (v << 8) | value[1 + i];
        }
        *expires_at = (int64_t)v;
        return value[0];
    default:
        return 0;
    }
}
