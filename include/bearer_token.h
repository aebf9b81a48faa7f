/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_token.h - the client token format, its checksum and its public id.
 *
 *   token    = prefix body
 *   body     = random checksum
 *   random   = 43 chars: base64url (no padding) of 32 bytes from RAND_bytes
 *   checksum = 6 chars: base64url of the 4 bytes, big-endian, of
 *              CRC-32(prefix || random)   (zlib's CRC-32)
 *
 * The checksum is public (secret scanners can verify it, as with GitHub's
 * tokens); it rejects typos and random guesses before any cache is
 * touched. It is no authenticator: the lookup by the keyed id is.
 *
 *   token_id = base64url (no padding) of the first 16 bytes of
 *              HMAC-SHA256(secret, token)        -> 22 chars
 *
 * The same HMAC of an operator token gives that operator token's id.
 * Pure C over OpenSSL; no httpd or APR headers, no heap allocation of ours.
 * Every OpenSSL return value is checked: functions return 0 on success and
 * -1 when OpenSSL fails (the caller logs and answers 500/503).
 */
#ifndef BEARER_TOKEN_H
#define BEARER_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "bearer_mac.h"    /* BEARER_MAC_BYTES: ids come from a MAC */

#define BEARER_RANDOM_BYTES     32
#define BEARER_RANDOM_CHARS     43
#define BEARER_CHECKSUM_CHARS   6
#define BEARER_BODY_CHARS       (BEARER_RANDOM_CHARS + BEARER_CHECKSUM_CHARS)
#define BEARER_PREFIX_MAX       16
/* Longest client token, without its terminating NUL. */
#define BEARER_TOKEN_MAX        (BEARER_PREFIX_MAX + BEARER_BODY_CHARS)

#define BEARER_ID_BYTES         16
#define BEARER_ID_CHARS         22

/* Smallest secret accepted (BearerSecretFile), in bytes. */
#define BEARER_SECRET_MIN       32

/* 1 if prefix is 1..16 characters of [A-Za-z0-9_], else 0. */
int bearer_prefix_valid(const char *prefix);

/*
 * Mints a new token: out must hold BEARER_TOKEN_MAX + 1 bytes; it receives
 * the NUL-terminated token, and *out_len its length. prefix must be valid.
 * Returns 0, or -1 if RAND_bytes failed (out is then wiped).
 */
int bearer_token_mint(const char *prefix, char *out, size_t *out_len);

/*
 * 1 if token[0..len) is prefix + 49 body characters of [A-Za-z0-9_-] whose
 * checksum matches; 0 otherwise (wrong prefix, length, characters or
 * checksum, or nonzero padding bits in the last random character, which
 * mint never writes). Never touches a cache. prefix_len = strlen(prefix).
 */
int bearer_token_well_formed(const char *prefix, size_t prefix_len,
                             const char *token, size_t len);

/* CRC-32 of data as zlib's crc32(0, data, len) gives it. */
uint32_t bearer_crc32(const void *data, size_t len);

/* The public id of a token (client or operator) from its MAC: writes
 * BEARER_ID_CHARS characters and a NUL into id. */
void bearer_token_id_from_mac(const unsigned char mac[BEARER_MAC_BYTES],
                              char id[BEARER_ID_CHARS + 1]);

/* 1 if s[0..len) has the shape of a token id (22 base64url chars whose
 * last character encodes only the 16 bytes, as _from_mac produces), else 0. */
int bearer_token_id_well_formed(const char *s, size_t len);

/* Decodes a well-formed id back to its 16 bytes. 0, or -1 if malformed. */
int bearer_token_id_decode(const char *id, size_t len,
                           unsigned char out[BEARER_ID_BYTES]);

#endif
