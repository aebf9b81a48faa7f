/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_mac.h - HMAC-SHA256 with the keyed states computed once per key.
 *
 * HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). The two keyed prefixes
 * are one SHA-256 block each and depend only on the key, so they are hashed
 * once, when the secret is loaded (bearer_mac_key_init); a token (one block
 * with its padding) then costs two SHA-256 compressions: a copy of each
 * state, an update and a final. OpenSSL's EVP layer, measured around the
 * same two compressions, added more than the compressions themselves on a
 * CPU with SHA extensions (context copies through the provider, parameter
 * arrays, cleanses, frees), so this goes to the SHA-256 functions directly
 * (see mac.c). The answer is bit for bit HMAC-SHA256 (RFC 2104; the unit
 * tests compare it with OpenSSL's HMAC() on random keys and messages).
 *
 * A bearer_mac_key is as secret as the key itself: wipe it with
 * bearer_mac_key_wipe(). It is read-only once made, so any number of
 * threads may use one at once. Pure C over OpenSSL.
 */
#ifndef BEARER_MAC_H
#define BEARER_MAC_H

#include <stddef.h>
#include <stdint.h>

#define BEARER_SHA256_BYTES 32
#define BEARER_MAC_BYTES    32

/* Room for one OpenSSL SHA256_CTX (112 bytes in OpenSSL 1.1 and 3.x;
 * mac.c checks at compile time that it fits). */
#define BEARER_MAC_STATE_WORDS 16

/* HMAC-SHA256(key, msg) into mac, keyed states made for this one call
 * (for a key used again and again, bearer_mac_key below). 0, or -1 if
 * OpenSSL failed. */
int bearer_mac(const unsigned char *key, size_t key_len,
               const void *msg, size_t msg_len,
               unsigned char mac[BEARER_MAC_BYTES]);

typedef struct {
    uint64_t inner[BEARER_MAC_STATE_WORDS];   /* after K ^ ipad */
    uint64_t outer[BEARER_MAC_STATE_WORDS];   /* after K ^ opad */
    int ready;
} bearer_mac_key;

/* Computes the keyed states of key (any length; longer than a block is
 * hashed first, as HMAC says). 0, or -1 if OpenSSL failed (k is wiped). */
int bearer_mac_key_init(bearer_mac_key *k, const unsigned char *key,
                        size_t key_len);

/* HMAC-SHA256 of msg under the key k was made from, into mac (32 bytes).
 * 0, or -1 if k is not ready or OpenSSL failed (mac is wiped). */
int bearer_mac_keyed(const bearer_mac_key *k, const void *msg, size_t msg_len,
                     unsigned char mac[32]);

void bearer_mac_key_wipe(bearer_mac_key *k);

/* One piece of a message: the MAC of pieces is the MAC of their
 * concatenation, without copying them into one buffer. */
typedef struct {
    const void *data;           /* may be NULL when len is 0 */
    size_t len;
} bearer_mac_piece;

/* HMAC-SHA256(key, pieces[0] || ... || pieces[n - 1]) into mac, keyed
 * states made for this call, as bearer_mac. 0, or -1 (mac wiped). */
int bearer_mac_pieces(const unsigned char *key, size_t key_len,
                      const bearer_mac_piece *pieces, int npieces,
                      unsigned char mac[BEARER_MAC_BYTES]);

#endif
