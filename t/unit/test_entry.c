/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of entry.c: the stored record's encoding and its seal.
 *
 * The sealed known answer was computed with the openssl command line:
 *   printf 'bearer-entry-v1\x00\x16<KAT_KEY><KAT_ENCODING>'
 *     | openssl dgst -sha256 -hmac <KAT_SECRET>
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "bearer_entry.h"
#include "bearer_scope.h"

#define KAT_SECRET "0123456789abcdef0123456789abcdef"
#define KAT_KEY    "dP7IwTWGPCTMkuBnBVaVKQ"

/* issued 1700000000, expires 1700003600, max_uses 5, subject "alice",
 * scope "a b", no metadata. */
static const unsigned char kat_encoding[] = {
    0x01, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xff, 0x10,
    0x00, 0x00, 0x00, 0x05,
    0x00, 0x05, 0x00, 0x03, 0x00, 0x00,
    'a', 'l', 'i', 'c', 'e', 'a', ' ', 'b'
};

static const unsigned char kat_mac[] = {
    0x8b, 0xe0, 0xa9, 0x8b, 0x55, 0x6a, 0xb0, 0x14,
    0x26, 0x7e, 0x63, 0xaa, 0xb4, 0xa9, 0x47, 0xd2,
    0x0c, 0x3e, 0x53, 0x86, 0x55, 0x44, 0xdb, 0x16,
    0xd3, 0xef, 0x70, 0xda, 0xf7, 0xe8, 0xeb, 0x12
};

static const unsigned char *secret = (const unsigned char *)KAT_SECRET;
static const size_t secret_len = sizeof(KAT_SECRET) - 1;

static bearer_entry_t kat_entry(void)
{
    bearer_entry_t e;

    memset(&e, 0, sizeof(e));
    e.issued_at = 1700000000;
    e.expires_at = 1700003600;
    e.max_uses = 5;
    e.has_subject = 1;
    e.subject = "alice";
    e.subject_len = 5;
    e.scope = "a b";
    e.scope_len = 3;
    return e;
}

static void assert_same_entry(const bearer_entry_t *a, const bearer_entry_t *b)
{
    ck_assert(a->issued_at == b->issued_at);
    ck_assert(a->expires_at == b->expires_at);
    ck_assert_uint_eq(a->max_uses, b->max_uses);
    ck_assert_int_eq(a->has_subject, b->has_subject);
    ck_assert_uint_eq(a->subject_len, b->subject_len);
    ck_assert(a->subject_len == 0
              || memcmp(a->subject, b->subject, a->subject_len) == 0);
    ck_assert_uint_eq(a->scope_len, b->scope_len);
    ck_assert(a->scope_len == 0
              || memcmp(a->scope, b->scope, a->scope_len) == 0);
    ck_assert_uint_eq(a->issued_usec, b->issued_usec);
    ck_assert_int_eq(a->has_subject_key, b->has_subject_key);
    ck_assert(!a->has_subject_key
              || memcmp(a->subject_key, b->subject_key, 16) == 0);
    ck_assert_uint_eq(a->cidr_count, b->cidr_count);
    ck_assert(a->cidr_count == 0
              || memcmp(a->cidrs, b->cidrs, a->cidr_count * 18) == 0);
    ck_assert_int_eq(a->has_metadata, b->has_metadata);
    ck_assert_uint_eq(a->metadata_len, b->metadata_len);
    ck_assert(a->metadata_len == 0
              || memcmp(a->metadata, b->metadata, a->metadata_len) == 0);
}

START_TEST(test_encode_known_answer)
{
    bearer_entry_t e = kat_entry();
    unsigned char buf[BEARER_ENTRY_MAX];

    ck_assert_uint_eq(bearer_entry_encoded_len(&e), sizeof(kat_encoding));
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)),
                      sizeof(kat_encoding));
    ck_assert(memcmp(buf, kat_encoding, sizeof(kat_encoding)) == 0);
}
END_TEST

START_TEST(test_decode_known_answer)
{
    bearer_entry_t want = kat_entry(), got;

    ck_assert_int_eq(bearer_entry_decode(kat_encoding, sizeof(kat_encoding),
                                         &got), 0);
    assert_same_entry(&got, &want);
    /* Decoded strings point into the buffer. */
    ck_assert_ptr_eq(got.subject, (const char *)kat_encoding + 28);
    ck_assert_ptr_eq(got.scope, (const char *)kat_encoding + 33);
    ck_assert_ptr_null(got.metadata);
}
END_TEST

START_TEST(test_round_trip_full)
{
    static char subject[BEARER_SUBJECT_MAX];
    static char scope[BEARER_SCOPE_LIST_MAX];
    static char metadata[BEARER_METADATA_MAX];
    static unsigned char cidrs[16 * 18];
    unsigned char buf[BEARER_ENTRY_MAX];
    bearer_entry_t e, d;
    int i;

    memset(subject, 's', sizeof(subject));
    memset(scope, 'c', sizeof(scope));
    memset(metadata, 'm', sizeof(metadata));
    memset(&e, 0, sizeof(e));
    e.issued_at = INT64_MIN;
    e.expires_at = INT64_MAX;
    e.max_uses = UINT32_MAX;
    e.has_subject = 1;
    e.subject = subject;
    e.subject_len = sizeof(subject);
    e.scope = scope;
    e.scope_len = sizeof(scope);
    e.has_metadata = 1;
    e.metadata = metadata;
    e.metadata_len = sizeof(metadata);
    /* version 2 at its largest: subject key, 16 address blocks */
    e.issued_usec = 999999;
    e.has_subject_key = 1;
    memset(e.subject_key, 'k', sizeof(e.subject_key));
    memset(cidrs, 0, sizeof(cidrs));
    for (i = 0; i < 16; i++) {
        cidrs[i * 18] = 6;
        cidrs[i * 18 + 1] = 128;
        cidrs[i * 18 + 17] = (unsigned char)i;
    }
    e.cidrs = cidrs;
    e.cidr_count = 16;

    ck_assert_uint_eq(bearer_entry_encoded_len(&e), BEARER_ENTRY_MAX);
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)),
                      BEARER_ENTRY_MAX);
    ck_assert_int_eq(bearer_entry_decode(buf, BEARER_ENTRY_MAX, &d), 0);
    assert_same_entry(&d, &e);
    /* Too small a buffer by one byte. */
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf) - 1), 0);
}
END_TEST

START_TEST(test_round_trip_minimal)
{
    unsigned char buf[BEARER_ENTRY_HEADER];
    bearer_entry_t e, d;

    memset(&e, 0, sizeof(e));
    e.issued_at = -5;
    e.expires_at = -5;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)),
                      BEARER_ENTRY_HEADER);
    ck_assert_int_eq(bearer_entry_decode(buf, sizeof(buf), &d), 0);
    assert_same_entry(&d, &e);
    ck_assert_ptr_null(d.subject);
    ck_assert_ptr_null(d.metadata);
    ck_assert_uint_eq(d.scope_len, 0);
}
END_TEST

START_TEST(test_round_trip_metadata)
{
    unsigned char buf[BEARER_ENTRY_MAX];
    bearer_entry_t e, d;
    size_t n;

    memset(&e, 0, sizeof(e));
    e.issued_at = 10;
    e.expires_at = 20;
    e.has_metadata = 1;
    e.metadata = "{\"a\":[1,2]}";
    e.metadata_len = strlen(e.metadata);
    n = bearer_entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_eq(n, BEARER_ENTRY_HEADER + e.metadata_len);
    ck_assert_int_eq(buf[1], 0x02);
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), 0);
    assert_same_entry(&d, &e);
    ck_assert_int_eq(d.has_subject, 0);
}
END_TEST

START_TEST(test_encode_refuses_bad_fields)
{
    static char big[BEARER_METADATA_MAX + 1];
    unsigned char buf[BEARER_ENTRY_MAX + 64];
    bearer_entry_t e;

    memset(big, 'x', sizeof(big));

    e = kat_entry();
    e.subject_len = BEARER_SUBJECT_MAX + 1;
    e.subject = big;
    ck_assert_uint_eq(bearer_entry_encoded_len(&e), 0);
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    e = kat_entry();
    e.scope = big;
    e.scope_len = BEARER_SCOPE_LIST_MAX + 1;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    e = kat_entry();
    e.has_metadata = 1;
    e.metadata = big;
    e.metadata_len = BEARER_METADATA_MAX + 1;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    /* A flag and its length must agree. */
    e = kat_entry();
    e.has_subject = 0;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);
    e = kat_entry();
    e.subject_len = 0;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);
    e = kat_entry();
    e.has_metadata = 1;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    /* A length with no bytes behind it. */
    e = kat_entry();
    e.scope = NULL;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    e = kat_entry();
    e.issued_at = e.expires_at + 1;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    e = kat_entry();
    ck_assert_uint_eq(bearer_entry_encode(&e, NULL, sizeof(buf)), 0);
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(kat_encoding) - 1),
                      0);
    ck_assert_uint_eq(bearer_entry_encode(NULL, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(bearer_entry_encoded_len(NULL), 0);
}
END_TEST

/* Decodes a modified copy of the known encoding and expects failure. */
static void expect_malformed(const unsigned char *buf, size_t len,
                             const char *what)
{
    bearer_entry_t d;

    memset(&d, 0x5A, sizeof(d));
    ck_assert_msg(bearer_entry_decode(buf, len, &d) == -1, "%s", what);
    /* The output is untouched on failure. */
    ck_assert_msg(d.max_uses == 0x5A5A5A5A, "%s: output written", what);
}

START_TEST(test_decode_malformed)
{
    unsigned char buf[sizeof(kat_encoding) + 8];
    size_t n = sizeof(kat_encoding);
    size_t cut;
    bearer_entry_t d;

    memcpy(buf, kat_encoding, n);
    buf[0] = 2;
    expect_malformed(buf, n, "version 2");
    buf[0] = 0;
    expect_malformed(buf, n, "version 0");

    memcpy(buf, kat_encoding, n);
    buf[1] = 0x05;
    expect_malformed(buf, n, "unknown flag");
    buf[1] = 0x80;
    expect_malformed(buf, n, "high flag");
    buf[1] = 0x00;
    expect_malformed(buf, n, "subject without its flag");
    buf[1] = 0x03;
    expect_malformed(buf, n, "metadata flag without metadata");

    /* Lengths that don't add up, in every field. */
    memcpy(buf, kat_encoding, n);
    buf[23] = 6;
    expect_malformed(buf, n, "subject length + 1");
    buf[23] = 4;
    expect_malformed(buf, n, "subject length - 1");
    memcpy(buf, kat_encoding, n);
    buf[25] = 4;
    expect_malformed(buf, n, "scope length + 1");
    buf[25] = 0xFF;
    buf[24] = 0xFF;
    expect_malformed(buf, n, "scope length 65535");
    memcpy(buf, kat_encoding, n);
    buf[27] = 1;
    expect_malformed(buf, n, "metadata length 1 without flag");

    /* Truncated anywhere, or one byte too many. */
    for (cut = 0; cut < n; cut++) {
        expect_malformed(kat_encoding, cut, "truncated");
    }
    memcpy(buf, kat_encoding, n);
    buf[n] = 'x';
    expect_malformed(buf, n + 1, "trailing byte");

    /* issued after expires. */
    memcpy(buf, kat_encoding, n);
    buf[8] = 0xff;
    buf[9] = 0x11;
    expect_malformed(buf, n, "issued > expires");
    buf[9] = 0x10;
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), 0);

    expect_malformed(NULL, 0, "NULL");
}
END_TEST

START_TEST(test_decode_over_limits)
{
    /* Well-accounted lengths that exceed a field's limit. */
    static unsigned char buf[BEARER_ENTRY_HEADER + BEARER_METADATA_MAX + 1];
    bearer_entry_t d;

    memset(buf, 'x', sizeof(buf));
    memcpy(buf, kat_encoding, BEARER_ENTRY_HEADER);

    buf[1] = 0x01;
    buf[22] = (BEARER_SUBJECT_MAX + 1) >> 8;
    buf[23] = (BEARER_SUBJECT_MAX + 1) & 0xFF;
    buf[24] = buf[25] = buf[26] = buf[27] = 0;
    ck_assert_int_eq(bearer_entry_decode(buf, BEARER_ENTRY_HEADER
                                         + BEARER_SUBJECT_MAX + 1, &d), -1);
    buf[23] = BEARER_SUBJECT_MAX & 0xFF;
    buf[22] = BEARER_SUBJECT_MAX >> 8;
    ck_assert_int_eq(bearer_entry_decode(buf, BEARER_ENTRY_HEADER
                                         + BEARER_SUBJECT_MAX, &d), 0);

    buf[1] = 0x00;
    buf[22] = buf[23] = 0;
    buf[24] = (BEARER_SCOPE_LIST_MAX + 1) >> 8;
    buf[25] = (BEARER_SCOPE_LIST_MAX + 1) & 0xFF;
    ck_assert_int_eq(bearer_entry_decode(buf, BEARER_ENTRY_HEADER
                                         + BEARER_SCOPE_LIST_MAX + 1, &d), -1);

    buf[1] = 0x02;
    buf[24] = buf[25] = 0;
    buf[26] = (BEARER_METADATA_MAX + 1) >> 8;
    buf[27] = (BEARER_METADATA_MAX + 1) & 0xFF;
    ck_assert_int_eq(bearer_entry_decode(buf, BEARER_ENTRY_HEADER
                                         + BEARER_METADATA_MAX + 1, &d), -1);
    buf[26] = BEARER_METADATA_MAX >> 8;
    buf[27] = BEARER_METADATA_MAX & 0xFF;
    ck_assert_int_eq(bearer_entry_decode(buf, BEARER_ENTRY_HEADER
                                         + BEARER_METADATA_MAX, &d), 0);
    ck_assert_uint_eq(d.metadata_len, BEARER_METADATA_MAX);
}
END_TEST

START_TEST(test_decode_every_single_byte_change)
{
    /* Any one-byte change either fails or decodes to something whose
     * re-encoding is exactly those bytes: one encoding per entry. */
    unsigned char buf[sizeof(kat_encoding)];
    unsigned char again[BEARER_ENTRY_MAX];
    bearer_entry_t d;
    size_t i;
    int v;

    for (i = 0; i < sizeof(buf); i++) {
        for (v = 0; v < 256; v++) {
            memcpy(buf, kat_encoding, sizeof(buf));
            buf[i] = (unsigned char)v;
            if (bearer_entry_decode(buf, sizeof(buf), &d) == 0) {
                ck_assert_uint_eq(bearer_entry_encode(&d, again,
                                                      sizeof(again)),
                                  sizeof(buf));
                ck_assert(memcmp(again, buf, sizeof(buf)) == 0);
            }
        }
    }
}
END_TEST

START_TEST(test_seal_known_answer)
{
    unsigned char out[sizeof(kat_encoding) + BEARER_ENTRY_MAC_BYTES];

    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, KAT_KEY,
                                        strlen(KAT_KEY), kat_encoding,
                                        sizeof(kat_encoding), out),
                      sizeof(out));
    ck_assert(memcmp(out, kat_encoding, sizeof(kat_encoding)) == 0);
    ck_assert(memcmp(out + sizeof(kat_encoding), kat_mac,
                     sizeof(kat_mac)) == 0);
    ck_assert_int_eq(bearer_entry_open(secret, secret_len, KAT_KEY,
                                       strlen(KAT_KEY), out, sizeof(out)),
                     (long)sizeof(kat_encoding));
}
END_TEST

START_TEST(test_seal_in_place)
{
    unsigned char buf[sizeof(kat_encoding) + BEARER_ENTRY_MAC_BYTES];

    memcpy(buf, kat_encoding, sizeof(kat_encoding));
    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, KAT_KEY,
                                        strlen(KAT_KEY), buf,
                                        sizeof(kat_encoding), buf),
                      sizeof(buf));
    ck_assert(memcmp(buf + sizeof(kat_encoding), kat_mac,
                     sizeof(kat_mac)) == 0);
}
END_TEST

START_TEST(test_open_rejects)
{
    unsigned char sealed[sizeof(kat_encoding) + BEARER_ENTRY_MAC_BYTES];
    unsigned char copy[sizeof(sealed)];
    const char *other_secret = "0123456789abcdef0123456789abcdeX";
    size_t key_len = strlen(KAT_KEY);
    size_t i, cut;

    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, KAT_KEY, key_len,
                                        kat_encoding, sizeof(kat_encoding),
                                        sealed), sizeof(sealed));

    /* Wrong secret. */
    ck_assert_int_eq(bearer_entry_open((const unsigned char *)other_secret,
                                       strlen(other_secret), KAT_KEY, key_len,
                                       sealed, sizeof(sealed)), -1);
    ck_assert_int_eq(bearer_entry_open(secret, secret_len - 1, KAT_KEY,
                                       key_len, sealed, sizeof(sealed)), -1);
    /* Copied to another storage key, or a key one byte shorter. */
    ck_assert_int_eq(bearer_entry_open(secret, secret_len,
                                       "dP7IwTWGPCTMkuBnBVaVKA", key_len,
                                       sealed, sizeof(sealed)), -1);
    ck_assert_int_eq(bearer_entry_open(secret, secret_len, KAT_KEY,
                                       key_len - 1, sealed, sizeof(sealed)),
                     -1);
    ck_assert_int_eq(bearer_entry_open(secret, secret_len, "", 0,
                                       sealed, sizeof(sealed)), -1);

    /* Every bit of every byte flipped. */
    for (i = 0; i < sizeof(sealed); i++) {
        int bit;
        for (bit = 0; bit < 8; bit++) {
            memcpy(copy, sealed, sizeof(sealed));
            copy[i] ^= (unsigned char)(1 << bit);
            ck_assert_msg(bearer_entry_open(secret, secret_len, KAT_KEY,
                                            key_len, copy, sizeof(copy))
                          == -1, "flip byte %zu bit %d", i, bit);
        }
    }

    /* Truncated anywhere, including below the MAC's length. */
    for (cut = 0; cut < sizeof(sealed); cut++) {
        ck_assert_msg(bearer_entry_open(secret, secret_len, KAT_KEY, key_len,
                                        sealed, cut) == -1, "cut %zu", cut);
    }
    ck_assert_int_eq(bearer_entry_open(secret, secret_len, KAT_KEY, key_len,
                                       NULL, 0), -1);
    /* No secret. */
    ck_assert_int_eq(bearer_entry_open(NULL, 0, KAT_KEY, key_len,
                                       sealed, sizeof(sealed)), -1);
}
END_TEST

START_TEST(test_seal_empty_and_bad_args)
{
    unsigned char out[BEARER_ENTRY_MAC_BYTES];
    static char long_key[0x10000];

    /* The MAC still binds the key when there is nothing else. */
    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, "k", 1, NULL, 0,
                                        out), BEARER_ENTRY_MAC_BYTES);
    ck_assert_int_eq(bearer_entry_open(secret, secret_len, "k", 1, out,
                                       sizeof(out)), 0);
    ck_assert_int_eq(bearer_entry_open(secret, secret_len, "j", 1, out,
                                       sizeof(out)), -1);

    memset(long_key, 'k', sizeof(long_key));
    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, long_key,
                                        sizeof(long_key), NULL, 0, out), 0);
    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, long_key,
                                        sizeof(long_key) - 1, NULL, 0, out),
                      BEARER_ENTRY_MAC_BYTES);
    ck_assert_uint_eq(bearer_entry_seal(NULL, 0, "k", 1, NULL, 0, out), 0);
    ck_assert_uint_eq(bearer_entry_seal(secret, secret_len, "k", 1,
                                        kat_encoding, sizeof(kat_encoding),
                                        NULL), 0);
}
END_TEST

START_TEST(test_seal_then_decode)
{
    /* The whole path a memcached value takes. */
    bearer_entry_t e = kat_entry(), d;
    unsigned char buf[BEARER_ENTRY_SEALED_MAX];
    size_t n;
    long opened;

    n = bearer_entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_gt(n, 0);
    n = bearer_entry_seal(secret, secret_len, KAT_KEY, strlen(KAT_KEY),
                          buf, n, buf);
    ck_assert_uint_eq(n, sizeof(kat_encoding) + BEARER_ENTRY_MAC_BYTES);
    opened = bearer_entry_open(secret, secret_len, KAT_KEY, strlen(KAT_KEY),
                               buf, n);
    ck_assert_int_eq(opened, (long)sizeof(kat_encoding));
    ck_assert_int_eq(bearer_entry_decode(buf, (size_t)opened, &d), 0);
    assert_same_entry(&d, &e);
}
END_TEST

Suite *entry_suite(void)
{
    Suite *s = suite_create("entry");
    TCase *codec = tcase_create("codec");
    TCase *seal = tcase_create("seal");

    tcase_add_test(codec, test_encode_known_answer);
    tcase_add_test(codec, test_decode_known_answer);
    tcase_add_test(codec, test_round_trip_full);
    tcase_add_test(codec, test_round_trip_minimal);
    tcase_add_test(codec, test_round_trip_metadata);
    tcase_add_test(codec, test_encode_refuses_bad_fields);
    tcase_add_test(codec, test_decode_malformed);
    tcase_add_test(codec, test_decode_over_limits);
    tcase_add_test(codec, test_decode_every_single_byte_change);
    suite_add_tcase(s, codec);

    tcase_add_test(seal, test_seal_known_answer);
    tcase_add_test(seal, test_seal_in_place);
    tcase_add_test(seal, test_open_rejects);
    tcase_add_test(seal, test_seal_empty_and_bad_args);
    tcase_add_test(seal, test_seal_then_decode);
    suite_add_tcase(s, seal);
    return s;
}
