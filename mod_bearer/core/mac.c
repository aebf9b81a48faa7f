/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mac.c - SHA-256 and HMAC-SHA256 with per-thread reusable OpenSSL
 * contexts (why: include/bearer_mac.h).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bearer_mac.h"
#include "bearer_token.h"

/* Keys longer than this take the one-shot path (a secret is 32-4096 bytes;
 * generated ones are 32, `openssl rand -base64 48` gives 64 or 65). */
#define CACHED_KEY_MAX 128
/* Distinct keys a thread keeps contexts for: one per secret in use, and a
 * thread serves every virtual host. Beyond this, the oldest is replaced. */
#define CACHED_KEYS 4

typedef struct {
    EVP_MAC_CTX *ctx;
    size_t key_len;
    unsigned char key[CACHED_KEY_MAX];
} keyed_mac;

typedef struct {
    keyed_mac macs[CACHED_KEYS];
    unsigned next_victim;
    EVP_MD_CTX *sha256;
} thread_contexts;

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_key_t contexts_key;
static int setup_ok;
static EVP_MAC *hmac_algorithm;
static EVP_MD *sha256_algorithm;

static void forget_mac(keyed_mac *m)
{
    EVP_MAC_CTX_free(m->ctx);
    OPENSSL_cleanse(m->key, sizeof(m->key));    /* it was a secret */
    m->ctx = NULL;
    m->key_len = 0;
}

static void free_thread_contexts(void *data)
{
    thread_contexts *tc = data;
    int i;

    for (i = 0; i < CACHED_KEYS; i++) {
        forget_mac(&tc->macs[i]);
    }
    EVP_MD_CTX_free(tc->sha256);
    free(tc);
}

static void setup(void)
{
    hmac_algorithm = EVP_MAC_fetch(NULL, "HMAC", NULL);
    sha256_algorithm = EVP_MD_fetch(NULL, "SHA256", NULL);
    setup_ok = hmac_algorithm && sha256_algorithm
               && pthread_key_create(&contexts_key,
                                     free_thread_contexts) == 0;
}

/* This thread's contexts, created on its first call; NULL if that fails
 * (callers then use the one-shot functions). */
static thread_contexts *contexts(void)
{
    thread_contexts *tc;

    if (pthread_once(&setup_once, setup) != 0 || !setup_ok) {
        return NULL;
    }
    tc = pthread_getspecific(contexts_key);
    if (!tc) {
        tc = calloc(1, sizeof(*tc));
        if (!tc) {
            return NULL;
        }
        tc->sha256 = EVP_MD_CTX_new();
        if (!tc->sha256 || pthread_setspecific(contexts_key, tc) != 0) {
            EVP_MD_CTX_free(tc->sha256);
            free(tc);
            return NULL;
        }
    }
    return tc;
}

int bearer_sha256(const void *msg, size_t msg_len,
                  unsigned char digest[BEARER_SHA256_BYTES])
{
    thread_contexts *tc = contexts();
    unsigned int len = 0;

    if (!tc) {
        return EVP_Digest(msg, msg_len, digest, &len, EVP_sha256(), NULL) == 1
               && len == BEARER_SHA256_BYTES ? 0 : -1;
    }
    if (EVP_DigestInit_ex(tc->sha256, sha256_algorithm, NULL) != 1
        || EVP_DigestUpdate(tc->sha256, msg, msg_len) != 1
        || EVP_DigestFinal_ex(tc->sha256, digest, &len) != 1
        || len != BEARER_SHA256_BYTES) {
        return -1;
    }
    return 0;
}

static int one_shot_mac(const unsigned char *key, size_t key_len,
                        const void *msg, size_t msg_len,
                        unsigned char mac[BEARER_MAC_BYTES])
{
    unsigned int mac_len = 0;

    if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, mac, &mac_len)
        == NULL || mac_len != BEARER_MAC_BYTES) {
        return -1;
    }
    return 0;
}

/* The context keyed with this key, reused; or a new one. Comparing the key
 * bytes (not its address) keeps a context from outliving its secret: after
 * a graceful restart a new secret may sit where the old one was. */
static keyed_mac *keyed_context(thread_contexts *tc, const unsigned char *key,
                                size_t key_len, int *fresh)
{
    OSSL_PARAM params[2];
    keyed_mac *m;
    int i;

    for (i = 0; i < CACHED_KEYS; i++) {
        m = &tc->macs[i];
        if (m->ctx && m->key_len == key_len
            && memcmp(m->key, key, key_len) == 0) {
            *fresh = 0;
            return m;
        }
    }
    m = &tc->macs[tc->next_victim++ % CACHED_KEYS];
    forget_mac(m);
    m->ctx = EVP_MAC_CTX_new(hmac_algorithm);
    if (!m->ctx) {
        return NULL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(m->ctx, key, key_len, params) != 1) {
        forget_mac(m);
        return NULL;
    }
    memcpy(m->key, key, key_len);
    m->key_len = key_len;
    *fresh = 1;
    return m;
}

int bearer_mac(const unsigned char *key, size_t key_len,
               const void *msg, size_t msg_len,
               unsigned char mac[BEARER_MAC_BYTES])
{
    /* OpenSSL releases differ on NULL with length 0: always pass a real
     * pointer, so an empty key or message behaves the same everywhere. */
    static const unsigned char empty = 0;
    thread_contexts *tc;
    keyed_mac *m;
    size_t mac_len = 0;
    int fresh = 0;

    if (key_len > INT_MAX || (key == NULL && key_len != 0)
        || (msg == NULL && msg_len != 0)) {
        return -1;
    }
    if (key == NULL) {
        key = &empty;
    }
    if (msg == NULL) {
        msg = &empty;
    }
    tc = key_len > 0 && key_len <= CACHED_KEY_MAX ? contexts() : NULL;
    m = tc ? keyed_context(tc, key, key_len, &fresh) : NULL;
    if (!m) {
        if (one_shot_mac(key, key_len, msg, msg_len, mac) != 0) {
            OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
            return -1;
        }
        return 0;
    }
    /* a NULL key re-initialises with the key the context already has */
    if ((!fresh && EVP_MAC_init(m->ctx, NULL, 0, NULL) != 1)
        || EVP_MAC_update(m->ctx, msg, msg_len) != 1
        || EVP_MAC_final(m->ctx, mac, &mac_len, BEARER_MAC_BYTES) != 1
        || mac_len != BEARER_MAC_BYTES) {
        forget_mac(m);
        OPENSSL_cleanse(mac, BEARER_MAC_BYTES);
        return -1;
    }
    return 0;
}
