/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_fleet_record.h - what mod_bearer stores in memcached.
 *
 * A value is sealed (bearer_entry_seal: HMAC-SHA256 with the secret, bound
 * to its memcached key) over one kind byte and a body:
 *
 *   kind 1  token      body = the entry encoding (bearer_entry.h)
 *   kind 2  tombstone  body = i64 big-endian: when the revoked token would
 *                      have expired (memcached keeps the tombstone as long)
 *   kind 3  cut-off    body = i64 big-endian: a subject's revocation time
 *                      in microseconds (tokens of that subject minted at or
 *                      before it are revoked)
 *
 * A value that does not open (forged, altered, copied from another key, or
 * of another secret) is rejected whole. Pure C over OpenSSL.
 */
#ifndef BEARER_FLEET_RECORD_H
#define BEARER_FLEET_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "bearer_entry.h"

#define BEARER_RECORD_TOKEN      1
#define BEARER_RECORD_TOMBSTONE  2
#define BEARER_RECORD_CUTOFF     3

/* Largest sealed value of either kind. */
#define BEARER_RECORD_MAX (1 + BEARER_ENTRY_MAX + BEARER_ENTRY_MAC_BYTES)

/* Seal a token's entry under key into out (capacity cap). Returns the
 * sealed length, or 0 if cap is too small, the entry does not encode, or
 * OpenSSL failed. */
size_t bearer_record_seal_token(const unsigned char *secret, size_t secret_len,
                                const char *key, size_t key_len,
                                const bearer_entry_t *entry,
                                unsigned char *out, size_t cap);

/* Seal a tombstone; same conventions. */
size_t bearer_record_seal_tombstone(const unsigned char *secret,
                                    size_t secret_len,
                                    const char *key, size_t key_len,
                                    int64_t expires_at,
                                    unsigned char *out, size_t cap);

/* Seal a subject's cut-off (microseconds); same conventions. */
size_t bearer_record_seal_cutoff(const unsigned char *secret,
                                 size_t secret_len,
                                 const char *key, size_t key_len,
                                 int64_t cut_off_usec,
                                 unsigned char *out, size_t cap);

/*
 * Opens a value read back from memcached. On success returns the kind and
 * fills *entry (token: strings point into value) or *expires_at
 * (tombstone; for a cut-off, the cut-off in microseconds). Returns 0 if the value does not authenticate or does not
 * decode: the caller ignores it and logs.
 */
int bearer_record_open(const unsigned char *secret, size_t secret_len,
                       const char *key, size_t key_len,
                       const unsigned char *value, size_t len,
                       bearer_entry_t *entry, int64_t *expires_at);

#endif
