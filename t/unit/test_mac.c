/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of mac.c: the per-thread cached contexts must give exactly
 * what the one-shot OpenSSL functions give, for every key, in every thread,
 * also when a key changes in place (a secret reloaded at the same address).
 */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bearer_mac.h"
#include "bearer_token.h"

static void reference_mac(const unsigned char *key, size_t key_len,
                          const char *msg, unsigned char out[32])
{
    unsigned int len = 0;

    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)key_len,
                               (const unsigned char *)msg, strlen(msg), out,
                               &len));
    ck_assert_uint_eq(len, 32);
}

static void check_mac(const unsigned char *key, size_t key_len,
                      const char *msg)
{
    unsigned char want[32], got[32];

    reference_mac(key, key_len, msg, want);
    ck_assert_int_eq(bearer_mac(key, key_len, msg, strlen(msg), got), 0);
    ck_assert(memcmp(want, got, 32) == 0);
}

/* More keys than a thread caches, visited twice in turn: every answer
 * stays right while contexts are replaced. */
START_TEST(many_keys_in_turn)
{
    unsigned char keys[7][40];
    int round, k;

    for (k = 0; k < 7; k++) {
        memset(keys[k], 'a' + k, sizeof(keys[k]));
    }
    for (round = 0; round < 3; round++) {
        for (k = 0; k < 7; k++) {
            check_mac(keys[k], sizeof(keys[k]), "bt_message");
            check_mac(keys[k], sizeof(keys[k]), "");
        }
    }
}
END_TEST

/* A new secret at the old one's address must not reuse the old context. */
START_TEST(key_changed_in_place)
{
    unsigned char key[32];

    memset(key, 1, sizeof(key));
    check_mac(key, sizeof(key), "token");
    key[31] ^= 0x80;
    check_mac(key, sizeof(key), "token");
    check_mac(key, 16, "token");            /* same bytes, shorter key */
}
END_TEST

/* Keys too long to cache take the one-shot path, with the same answers. */
START_TEST(long_and_empty_keys)
{
    unsigned char key[300];

    memset(key, 7, sizeof(key));
    check_mac(key, sizeof(key), "token");
    check_mac(key, 129, "token");
    check_mac(key, 128, "token");
    ck_assert_int_eq(bearer_mac(NULL, 0, "x", 1, key), 0);
}
END_TEST

START_TEST(sha256_matches_openssl)
{
    unsigned char want[32], got[32];
    unsigned int len = 0;
    const char *msg = "bt_9V7mzQ0XNtGKgVa9oT8xoYeB5VafEsWMIkNc4k9R";

    ck_assert_int_eq(EVP_Digest(msg, strlen(msg), want, &len, EVP_sha256(),
                                NULL), 1);
    ck_assert_int_eq(bearer_sha256(msg, strlen(msg), got), 0);
    ck_assert(memcmp(want, got, 32) == 0);
    ck_assert_int_eq(bearer_sha256(msg, 0, got), 0);
    ck_assert_int_eq(EVP_Digest(msg, 0, want, &len, EVP_sha256(), NULL), 1);
    ck_assert(memcmp(want, got, 32) == 0);
}
END_TEST

static void *thread_body(void *arg)
{
    unsigned char key[32], want[32], got[32];
    int i, bad = 0;

    memset(key, (int)(size_t)arg, sizeof(key));
    for (i = 0; i < 2000; i++) {
        char msg[32];
        unsigned int len = 0;

        snprintf(msg, sizeof(msg), "token-%d", i);
        HMAC(EVP_sha256(), key, 32, (unsigned char *)msg, strlen(msg), want,
             &len);
        if (bearer_mac(key, 32, msg, strlen(msg), got) != 0
            || memcmp(want, got, 32) != 0) {
            bad++;
        }
    }
    return (void *)(size_t)bad;
}

/* Threads with their own keys at once: no context is shared. */
START_TEST(threads_keep_their_own)
{
    pthread_t t[6];
    void *bad;
    int i;

    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_body,
                                        (void *)(size_t)(i + 1)), 0);
    }
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(pthread_join(t[i], &bad), 0);
        ck_assert_ptr_null(bad);
    }
}
END_TEST

Suite *mac_suite(void)
{
    Suite *s = suite_create("mac");
    TCase *tc = tcase_create("cached_contexts");

    tcase_add_test(tc, many_keys_in_turn);
    tcase_add_test(tc, key_changed_in_place);
    tcase_add_test(tc, long_and_empty_keys);
    tcase_add_test(tc, sha256_matches_openssl);
    tcase_add_test(tc, threads_keep_their_own);
    suite_add_tcase(s, tc);
    return s;
}
