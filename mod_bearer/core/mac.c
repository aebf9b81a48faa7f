/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mac.c - HMAC-SHA256 from keyed states made once per key (why:
 * include/bearer_mac.h).
 *
 * Why OpenSSL's SHA256_Init/Update/Final, which OpenSSL 3.0 deprecates:
 * they are the only public way to copy a SHA-256 state by value (a
 * SHA256_CTX is a plain struct) and finish it with no allocation, provider
 * dispatch or parameter array around the compression. The EVP way
 * (EVP_MD_CTX_copy_ex of a keyed context, or EVP_MAC_init re-keying one)
 * cost 1,800 of 6,400 instructions of an HMAC in callgrind and most of
 * libcrypto's samples under perf on a CPU with SHA extensions. The
 * functions are still present and still use the same assembler (SHA-NI
 * where the CPU has it); OPENSSL_SUPPRESS_DEPRECATED, confined to this
 * file, keeps the build free of warnings.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "bearer_mac.h"
#include "bearer_token.h"

_Static_assert(sizeof(SHA256_CTX) <= BEARER_MAC_STATE_WORDS * 8,
               "bearer_mac_key has no room for a SHA256_CTX");

void bearer_mac_key_wipe(bearer_mac_key *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}

/* state = SHA-256 state after one block of key ^ pad */
static int keyed_state(SHA256_CTX *state, const unsigned char *key,
                       size_t key_len, unsigned char pad)
{
    unsigned char block[SHA256_CBLOCK];
    size_t i;
    int ok;

    memset(block, pad, sizeof(block));
    for (i = 0; i < key_len; i++) {
        block[i] ^= key[i];
    }
    ok = SHA256_Init(state) == 1
         && SHA256_Update(state, block, sizeof(block)) == 1;
    OPENSSL_cleanse(block, sizeof(block));
    return ok ? 0 : -1;
}

int bearer_mac_key_init(bearer_mac_key *k, const unsigned char *key,
                        size_t key_len)
{
    /* OpenSSL releases differ on NULL with length 0: always pass a real
     * pointer, so an empty key behaves the same everywhere. */
    static const unsigned char empty = 0;
    unsigned char hashed[SHA256_DIGEST_LENGTH];
    SHA256_CTX inner, outer;
    int ok;

    memset(k, 0, sizeof(*k));
    if (key == NULL) {
        if (key_len != 0) {
            return -1;
        }
        key = &empty;
    }
    if (key_len > SHA256_CBLOCK) {
        /* RFC 2104: a key longer than a block is replaced by its hash */
        if (SHA256(key, key_len, hashed) == NULL) {
            return -1;
        }
        key = hashed;
        key_len = sizeof(hashed);
    }
    ok = keyed_state(&inner, key, key_len, 0x36) == 0
         && keyed_state(&outer, key, key_len, 0x5c) == 0;
    OPENSSL_cleanse(hashed, sizeof(hashed));
    if (ok) {
        memcpy(k->inner, &inner, sizeof(inner));
        memcpy(k->outer, &outer, sizeof(outer));
        k->ready = 1;
    }
    OPENSSL_cleanse(&inner, sizeof(inner));
    OPENSSL_cleanse(&outer, sizeof(outer));
    return ok ? 0 : -1;
}

/* The MAC of the concatenation of pieces under k. */
static int keyed_pieces(const bearer_mac_key *k, const bearer_mac_piece *pieces,
                        int npieces, unsigned char mac[BEARER_MAC_BYTES])
{
    unsigned char inner_hash[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx;
    int ok, i;

    if (k == NULL || !k->ready || npieces < 0) {
        OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
        return -1;
    }
    for (i = 0; i < npieces; i++) {
        if (pieces[i].data == NULL && pieces[i].len != 0) {
            OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
            return -1;
        }
    }
    /* SHA256_Final wipes the block buffer; the chaining value left in ctx
     * is a function of the key and the message, wiped below */
    memcpy(&ctx, k->inner, sizeof(ctx));
    ok = 1;
    for (i = 0; ok && i < npieces; i++) {
        /* an empty piece adds nothing: never hand OpenSSL a NULL */
        ok = pieces[i].len == 0
             || SHA256_Update(&ctx, pieces[i].data, pieces[i].len) == 1;
    }
    ok = ok && SHA256_Final(inner_hash, &ctx) == 1;
    if (ok) {
        memcpy(&ctx, k->outer, sizeof(ctx));
        ok = SHA256_Update(&ctx, inner_hash, sizeof(inner_hash)) == 1
             && SHA256_Final(mac, &ctx) == 1;
    }
    OPENSSL_cleanse(inner_hash, sizeof(inner_hash));
    OPENSSL_cleanse(&ctx, sizeof(ctx));
    if (!ok) {
        OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
        return -1;
    }
    return 0;
}

int bearer_mac_keyed(const bearer_mac_key *k, const void *msg, size_t msg_len,
                     unsigned char mac[32])
{
    bearer_mac_piece piece;

    piece.data = msg;
    piece.len = msg_len;
    return keyed_pieces(k, &piece, 1, mac);
}

int bearer_mac_pieces(const unsigned char *key, size_t key_len,
                      const bearer_mac_piece *pieces, int npieces,
                      unsigned char mac[BEARER_MAC_BYTES])
{
    bearer_mac_key k;
    int rc;

    if (key == NULL && key_len != 0) {
        OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
        return -1;
    }
    rc = bearer_mac_key_init(&k, key, key_len);
    if (rc == 0) {
        rc = keyed_pieces(&k, pieces, npieces, mac);
    }
    else {
        OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
    }
    bearer_mac_key_wipe(&k);
    return rc;
}

int bearer_mac(const unsigned char *key, size_t key_len,
               const void *msg, size_t msg_len,
               unsigned char mac[BEARER_MAC_BYTES])
{
    bearer_mac_piece piece;

    piece.data = msg;
    piece.len = msg_len;
    return bearer_mac_pieces(key, key_len, &piece, 1, mac);
}
