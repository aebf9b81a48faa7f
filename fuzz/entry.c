/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/entry.c - the decoder of stored records (mod_bearer/core/entry.c): what
 * is read back from shared memory, and, sealed with a MAC, from memcached.
 *
 * Input: byte 0 chooses the mode; the rest is the record, or the sealed
 * value, as it would come back from the store.
 *
 * Invariants:
 *  - decode succeeds only on a canonical encoding: encoding the decoded
 *    entry gives back exactly the input bytes (round trip is identity),
 *    every length is within its limit, and issued_at <= expires_at;
 *    the decoded strings lie inside the input.
 *  - open accepts a value only if its MAC is right for this secret and
 *    key: a random value never opens; seal then open gives the length
 *    back; any one bit flipped, or another key, or another secret, and it
 *    does not open.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_cidr.h"
#include "bearer_entry.h"
#include "bearer_scope.h"
#include "fuzz.h"

static const unsigned char secret[] = "fuzz secret of at least 32 bytes!!";
static const unsigned char other_secret[] = "another secret of at least 32 bytes";

static void check_decoded(const unsigned char *buf, size_t len,
                          const bearer_entry_t *e)
{
    static unsigned char again[BEARER_ENTRY_MAX];
    const unsigned char *end = buf + len;

    FUZZ_CHECK(len >= BEARER_ENTRY_HEADER && len <= BEARER_ENTRY_MAX);
    FUZZ_CHECK(e->issued_at <= e->expires_at);
    FUZZ_CHECK(e->subject_len <= BEARER_SUBJECT_MAX);
    FUZZ_CHECK(e->scope_len <= BEARER_SCOPE_LIST_MAX);
    FUZZ_CHECK(e->metadata_len <= BEARER_METADATA_MAX);
    FUZZ_CHECK(e->has_subject == (e->subject_len > 0));
    FUZZ_CHECK(e->has_metadata == (e->metadata_len > 0));
    FUZZ_CHECK(!e->has_subject
               || ((const unsigned char *)e->subject >= buf
                   && (const unsigned char *)e->subject + e->subject_len
                      <= end));
    FUZZ_CHECK(e->scope_len == 0
               || ((const unsigned char *)e->scope >= buf
                   && (const unsigned char *)e->scope + e->scope_len <= end));
    FUZZ_CHECK(!e->has_metadata
               || ((const unsigned char *)e->metadata >= buf
                   && (const unsigned char *)e->metadata + e->metadata_len
                      <= end));
    /* version 2: a subject key only with a subject, blocks inside the
     * input and canonical */
    FUZZ_CHECK(!e->has_subject_key || e->has_subject);
    FUZZ_CHECK(e->issued_usec < 1000000);
    FUZZ_CHECK(e->cidr_count == 0
               || (e->cidr_count <= 16 && e->cidrs >= buf
                   && e->cidrs + e->cidr_count * 18 <= end
                   && bearer_cidr_list_valid(e->cidrs, e->cidr_count)));
    FUZZ_CHECK(bearer_entry_encoded_len(e) == len);
    FUZZ_CHECK(bearer_entry_encode(e, again, sizeof(again)) == len);
    FUZZ_CHECK(memcmp(again, buf, len) == 0);
    /* too small a buffer is refused, not overrun */
    FUZZ_CHECK(bearer_entry_encode(e, again, len - 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char sealed[BEARER_ENTRY_SEALED_MAX + 64];
    bearer_entry_t e;
    const unsigned char *buf;
    size_t len, key_len;
    const char *key;
    long opened;

    if (size < 1 || size > BEARER_ENTRY_SEALED_MAX + 64) {
        return 0;
    }
    buf = data + 1;
    len = size - 1;

    switch (data[0] % 3) {
    case 0:
        /* a record as the table hands it back */
        memset(&e, 0x77, sizeof(e));
        if (bearer_entry_decode(buf, len, &e) == 0) {
            check_decoded(buf, len, &e);
        }
        break;

    case 1:
        /* a sealed value as memcached hands it back, under a key taken
         * from its first bytes (an attacker picks both) */
        key_len = len < 22 ? len : 22;
        key = (const char *)buf;
        opened = bearer_entry_open(secret, sizeof(secret) - 1, key, key_len,
                                   buf + key_len, len - key_len);
        /* forging a 256-bit MAC by chance does not happen */
        FUZZ_CHECK(opened == -1);
        break;

    default:
        /* seal what the input holds, then tamper with it */
        key_len = len < 22 ? len : 22;
        key = (const char *)buf;
        buf += key_len;
        len -= key_len;
        if (len > BEARER_ENTRY_MAX) {
            len = BEARER_ENTRY_MAX;
        }
        FUZZ_CHECK(bearer_entry_seal(secret, sizeof(secret) - 1, key,
                                     key_len, buf, len, sealed)
                   == len + BEARER_ENTRY_MAC_BYTES);
        FUZZ_CHECK(bearer_entry_open(secret, sizeof(secret) - 1, key,
                                     key_len, sealed,
                                     len + BEARER_ENTRY_MAC_BYTES)
                   == (long)len);
        FUZZ_CHECK(bearer_entry_open(other_secret, sizeof(other_secret) - 1,
                                     key, key_len, sealed,
                                     len + BEARER_ENTRY_MAC_BYTES) == -1);
        if (key_len > 0) {
            /* the same value under another key (copied) */
            char other_key[22];

            memcpy(other_key, key, key_len);
            other_key[key_len - 1] ^= 1;
            FUZZ_CHECK(bearer_entry_open(secret, sizeof(secret) - 1,
                                         other_key, key_len, sealed,
                                         len + BEARER_ENTRY_MAC_BYTES)
                       == -1);
        }
        {
            /* one bit flipped anywhere, the position from the input */
            size_t pos = (len > 0 ? buf[0] * 131u + buf[len - 1] : 7u)
                         % (len + BEARER_ENTRY_MAC_BYTES);

            sealed[pos] ^= (unsigned char)(1u << (pos % 8));
            FUZZ_CHECK(bearer_entry_open(secret, sizeof(secret) - 1, key,
                                         key_len, sealed,
                                         len + BEARER_ENTRY_MAC_BYTES)
                       == -1);
        }
        /* a value that decodes inside a good seal is still canonical */
        if (bearer_entry_decode(sealed, len, &e) == 0) {
            check_decoded(sealed, len, &e);
        }
        break;
    }
    return 0;
}
