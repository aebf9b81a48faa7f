/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of fleet_record.c: the sealed values kept in memcached.
 */
#include <check.h>
#include <string.h>

#include "bearer_fleet_record.h"

static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_secret[] = "fedcba9876543210fedcba9876543210";
#define SECRET_LEN 32
#define KEY "bearer:AqdBWqtXER5NvTj5u8BJmQ"
#define OTHER_KEY "bearer:9mLJerLdylE9TOYkK6sW3g"

static bearer_entry_t sample_entry(void)
{
    bearer_entry_t e;

    memset(&e, 0, sizeof(e));
    e.issued_at = 1795856028;
    e.expires_at = 1795859628;
    e.max_uses = 3;
    e.has_subject = 1;
    e.subject = "alice";
    e.subject_len = 5;
    e.scope = "stream:view chat:write";
    e.scope_len = strlen(e.scope);
    e.has_metadata = 1;
    e.metadata = "{\"room\":\"r1\"}";
    e.metadata_len = strlen(e.metadata);
    return e;
}

START_TEST(token_round_trip)
{
    bearer_entry_t in = sample_entry(), out;
    unsigned char buf[BEARER_RECORD_MAX];
    int64_t expires = 0;
    size_t len = bearer_record_seal_token(secret, SECRET_LEN, KEY,
                                          strlen(KEY), &in, buf, sizeof(buf));

    ck_assert_uint_eq(len, 1 + BEARER_ENTRY_HEADER + 5 + in.scope_len
                           + in.metadata_len + BEARER_ENTRY_MAC_BYTES);
    ck_assert_int_eq(bearer_record_open(secret, SECRET_LEN, KEY, strlen(KEY),
                                        buf, len, &out, &expires),
                     BEARER_RECORD_TOKEN);
    ck_assert_int_eq(out.expires_at, in.expires_at);
    ck_assert_uint_eq(out.max_uses, 3);
    ck_assert_uint_eq(out.scope_len, in.scope_len);
    ck_assert(memcmp(out.scope, in.scope, in.scope_len) == 0);
    ck_assert(memcmp(out.subject, "alice", 5) == 0);
}
END_TEST

START_TEST(tombstone_round_trip)
{
    unsigned char buf[BEARER_RECORD_MAX];
    bearer_entry_t out;
    int64_t expires = 0;
    size_t len = bearer_record_seal_tombstone(secret, SECRET_LEN, KEY,
                                              strlen(KEY), 1795859628, buf,
                                              sizeof(buf));

    ck_assert_uint_eq(len, 1 + 8 + BEARER_ENTRY_MAC_BYTES);
    ck_assert_int_eq(bearer_record_open(secret, SECRET_LEN, KEY, strlen(KEY),
                                        buf, len, &out, &expires),
                     BEARER_RECORD_TOMBSTONE);
    ck_assert_int_eq(expires, 1795859628);
}
END_TEST

/* Whatever a writer without the secret does, nothing opens. */
START_TEST(tampering_never_opens)
{
    bearer_entry_t in = sample_entry(), out;
    unsigned char buf[BEARER_RECORD_MAX], copy[BEARER_RECORD_MAX];
    int64_t expires = 0;
    size_t len = bearer_record_seal_token(secret, SECRET_LEN, KEY,
                                          strlen(KEY), &in, buf, sizeof(buf));
    size_t i;

    /* copied to another key */
    ck_assert_int_eq(bearer_record_open(secret, SECRET_LEN, OTHER_KEY,
                                        strlen(OTHER_KEY), buf, len, &out,
                                        &expires), 0);
    /* another fleet's secret */
    ck_assert_int_eq(bearer_record_open(other_secret, SECRET_LEN, KEY,
                                        strlen(KEY), buf, len, &out,
                                        &expires), 0);
    /* every single flipped bit, every truncation */
    for (i = 0; i < len * 8; i++) {
        memcpy(copy, buf, len);
        copy[i / 8] ^= (unsigned char)(1u << (i % 8));
        ck_assert_int_eq(bearer_record_open(secret, SECRET_LEN, KEY,
                                            strlen(KEY), copy, len, &out,
                                            &expires), 0);
    }
    for (i = 0; i < len; i++) {
        ck_assert_int_eq(bearer_record_open(secret, SECRET_LEN, KEY,
                                            strlen(KEY), buf, i, &out,
                                            &expires), 0);
    }
    /* a tombstone cannot be turned into a token by changing its kind */
    len = bearer_record_seal_tombstone(secret, SECRET_LEN, KEY, strlen(KEY),
                                       1795859628, buf, sizeof(buf));
    buf[0] = BEARER_RECORD_TOKEN;
    ck_assert_int_eq(bearer_record_open(secret, SECRET_LEN, KEY, strlen(KEY),
                                        buf, len, &out, &expires), 0);
}
END_TEST

START_TEST(too_small_buffers_refused)
{
    bearer_entry_t in = sample_entry();
    unsigned char buf[BEARER_RECORD_MAX];

    ck_assert_uint_eq(bearer_record_seal_token(secret, SECRET_LEN, KEY,
                                               strlen(KEY), &in, buf, 40), 0);
    ck_assert_uint_eq(bearer_record_seal_tombstone(secret, SECRET_LEN, KEY,
                                                   strlen(KEY), 1, buf, 40),
                      0);
}
END_TEST

Suite *fleet_record_suite(void)
{
    Suite *s = suite_create("fleet_record");
    TCase *tc = tcase_create("seal_open");

    tcase_add_test(tc, token_round_trip);
    tcase_add_test(tc, tombstone_round_trip);
    tcase_add_test(tc, tampering_never_opens);
    tcase_add_test(tc, too_small_buffers_refused);
    suite_add_tcase(s, tc);
    return s;
}
