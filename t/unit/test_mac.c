/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of mac.c: HMAC-SHA256 from keyed states made once must be bit
 * for bit OpenSSL's HMAC(), for random keys of every length around the
 * block size and random messages of every length around one and two
 * blocks, from many threads sharing one key at once.
 */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "bearer_mac.h"
#include "bearer_token.h"

static void reference_mac(const unsigned char *key, size_t key_len,
                          const unsigned char *msg, size_t msg_len,
                          unsigned char out[32])
{
    static const unsigned char empty = 0;
    unsigned int len = 0;

    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key_len ? key : &empty,
                               (int)key_len, msg_len ? msg : &empty, msg_len,
                               out, &len));
    ck_assert_uint_eq(len, 32);
}

/* Keys of 0..200 bytes (a block is 64; longer keys are hashed first) and
 * messages of 0..200 bytes, all random: keyed, one-shot and OpenSSL agree. */
START_TEST(random_keys_and_messages)
{
    unsigned char key[200], msg[200], want[32], got[32], again[32];
    size_t key_len, msg_len;

    for (key_len = 0; key_len <= sizeof(key); key_len += 7) {
        bearer_mac_key k;

        ck_assert_int_eq(RAND_bytes(key, sizeof(key)), 1);
        ck_assert_int_eq(bearer_mac_key_init(&k, key, key_len), 0);
        for (msg_len = 0; msg_len <= sizeof(msg); msg_len += 5) {
            ck_assert_int_eq(RAND_bytes(msg, sizeof(msg)), 1);
            reference_mac(key, key_len, msg, msg_len, want);
            ck_assert_int_eq(bearer_mac_keyed(&k, msg, msg_len, got), 0);
            ck_assert_msg(memcmp(want, got, 32) == 0, "key %zu msg %zu",
                          key_len, msg_len);
            ck_assert_int_eq(bearer_mac(key, key_len, msg, msg_len, again),
                             0);
            ck_assert(memcmp(want, again, 32) == 0);
        }
        bearer_mac_key_wipe(&k);
    }
}
END_TEST

/* The block boundaries themselves: keys of 63, 64, 65 bytes and messages
 * of 55 and 56 bytes (where SHA-256 padding spills into a second block). */
START_TEST(block_boundaries)
{
    static const size_t key_lens[] = { 1, 32, 63, 64, 65, 128 };
    static const size_t msg_lens[] = { 0, 1, 52, 55, 56, 63, 64, 65, 119 };
    unsigned char key[128], msg[128], want[32], got[32];
    size_t i, j;

    memset(key, 0x0b, sizeof(key));
    memset(msg, 'm', sizeof(msg));
    for (i = 0; i < sizeof(key_lens) / sizeof(key_lens[0]); i++) {
        bearer_mac_key k;

        ck_assert_int_eq(bearer_mac_key_init(&k, key, key_lens[i]), 0);
        for (j = 0; j < sizeof(msg_lens) / sizeof(msg_lens[0]); j++) {
            reference_mac(key, key_lens[i], msg, msg_lens[j], want);
            ck_assert_int_eq(bearer_mac_keyed(&k, msg, msg_lens[j], got), 0);
            ck_assert(memcmp(want, got, 32) == 0);
        }
    }
}
END_TEST

/* A message in pieces (bearer_mac_pieces): random messages cut at random
 * places into up to 5 pieces, empty ones and NULL empty ones among them,
 * give OpenSSL's HMAC of the whole; a NULL piece with a length is
 * refused with a zeroed MAC. */
START_TEST(pieces_are_the_whole)
{
    unsigned char key[80], msg[300], want[32], got[32], zero[32];
    int round;

    memset(zero, 0, sizeof(zero));
    for (round = 0; round < 400; round++) {
        bearer_mac_piece pieces[5];
        unsigned char r[8];
        size_t key_len, msg_len, at = 0;
        int n, i;

        ck_assert_int_eq(RAND_bytes(r, sizeof(r)), 1);
        ck_assert_int_eq(RAND_bytes(key, sizeof(key)), 1);
        ck_assert_int_eq(RAND_bytes(msg, sizeof(msg)), 1);
        key_len = 1 + r[0] % sizeof(key);
        msg_len = ((size_t)r[1] << 8 | r[2]) % (sizeof(msg) + 1);
        n = 1 + r[3] % 5;
        for (i = 0; i < n; i++) {
            size_t left = msg_len - at;
            size_t len = i == n - 1 ? left : (left ? r[4 + i % 4] % (left + 1) : 0);

            pieces[i].data = len || (r[7] & (1u << i)) ? msg + at : NULL;
            pieces[i].len = len;
            at += len;
        }
        reference_mac(key, key_len, msg, msg_len, want);
        ck_assert_int_eq(bearer_mac_pieces(key, key_len, pieces, n, got), 0);
        ck_assert_msg(memcmp(want, got, 32) == 0, "round %d: %d pieces, "
                      "msg %zu", round, n, msg_len);
    }
    {
        bearer_mac_piece bad[2] = { { msg, 3 }, { NULL, 1 } };

        memset(got, 0xaa, sizeof(got));
        ck_assert_int_eq(bearer_mac_pieces(key, 16, bad, 2, got), -1);
        ck_assert(memcmp(got, zero, 32) == 0);
    }
}
END_TEST

/* A key that was never made, or was wiped, answers -1 and a zeroed MAC. */
START_TEST(unready_key_refused)
{
    bearer_mac_key k;
    unsigned char mac[32];

    memset(&k, 0, sizeof(k));
    memset(mac, 0xAA, sizeof(mac));
    ck_assert_int_eq(bearer_mac_keyed(&k, "x", 1, mac), -1);
    ck_assert_uint_eq(mac[0] | mac[31], 0);
    ck_assert_int_eq(bearer_mac_key_init(&k, (const unsigned char *)"k", 1),
                     0);
    ck_assert_int_eq(bearer_mac_keyed(&k, NULL, 1, mac), -1);
    bearer_mac_key_wipe(&k);
    ck_assert_int_eq(bearer_mac_keyed(&k, "x", 1, mac), -1);
    ck_assert_int_eq(bearer_mac_key_init(&k, NULL, 1), -1);
}
END_TEST

static bearer_mac_key shared_key;
static unsigned char shared_bytes[32];

static void *thread_body(void *arg)
{
    unsigned char want[32], got[32];
    int i, bad = 0;

    for (i = 0; i < 2000; i++) {
        char msg[40];
        unsigned int len = 0;

        snprintf(msg, sizeof(msg), "token-%d-%d", (int)(size_t)arg, i);
        HMAC(EVP_sha256(), shared_bytes, 32, (unsigned char *)msg,
             strlen(msg), want, &len);
        if (bearer_mac_keyed(&shared_key, msg, strlen(msg), got) != 0
            || memcmp(want, got, 32) != 0) {
            bad++;
        }
    }
    return (void *)(size_t)bad;
}

/* One key, read by six threads at once (as every thread of a child reads
 * the secret's states): the states are only read, never written. */
START_TEST(threads_share_one_key)
{
    pthread_t t[6];
    void *bad;
    int i;

    ck_assert_int_eq(RAND_bytes(shared_bytes, sizeof(shared_bytes)), 1);
    ck_assert_int_eq(bearer_mac_key_init(&shared_key, shared_bytes, 32), 0);
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_body,
                                        (void *)(size_t)i), 0);
    }
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(pthread_join(t[i], &bad), 0);
        ck_assert_ptr_null(bad);
    }
    bearer_mac_key_wipe(&shared_key);
}
END_TEST

Suite *mac_suite(void)
{
    Suite *s = suite_create("mac");
    TCase *tc = tcase_create("mac");

    tcase_add_test(tc, random_keys_and_messages);
    tcase_add_test(tc, block_boundaries);
    tcase_add_test(tc, pieces_are_the_whole);
    tcase_add_test(tc, unready_key_refused);
    tcase_add_test(tc, threads_share_one_key);
    suite_add_tcase(s, tc);
    return s;
}
