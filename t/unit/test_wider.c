/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the pure parts behind subject revocation, address-bound
 * tokens and wildcard issuable scopes: cidr.c, subject.c, the version 2
 * entry (entry.c), the cut-off record (fleet_record.c) and the scope
 * patterns (scope.c).
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "bearer_cidr.h"
#include "bearer_entry.h"
#include "bearer_fleet_record.h"
#include "bearer_scope.h"
#include "bearer_subject.h"

/* ---- cidr.c ------------------------------------------------------------- */

static void expect_cidr(const char *in, const char *normalised)
{
    bearer_cidr_t c;
    char text[BEARER_CIDR_FORMAT_MAX];

    ck_assert_msg(bearer_cidr_parse(in, strlen(in), &c) == BEARER_CIDR_OK,
                  "%s refused", in);
    ck_assert_msg(bearer_cidr_format(&c, text, sizeof(text)) > 0, "%s", in);
    ck_assert_msg(strcmp(text, normalised) == 0, "%s gave %s, not %s", in,
                  text, normalised);
}

static void expect_bad(const char *in, bearer_cidr_status want)
{
    bearer_cidr_t c;

    memset(&c, 0x5A, sizeof(c));
    ck_assert_msg(bearer_cidr_parse(in, strlen(in), &c) == want,
                  "%s: wanted status %d", in, (int)want);
    ck_assert_msg(c.family == 0x5A, "%s: output written", in);
}

START_TEST(test_cidr_accepts_and_normalises)
{
    expect_cidr("203.0.113.0/24", "203.0.113.0/24");
    expect_cidr("198.51.100.7", "198.51.100.7/32");
    expect_cidr("10.1.2.3/8", "10.0.0.0/8");
    expect_cidr("127.0.0.1/32", "127.0.0.1/32");
    expect_cidr("0.0.0.0/0", "0.0.0.0/0");
    expect_cidr("2001:db8::/32", "2001:db8::/32");
    expect_cidr("2001:DB8:0:0:0:0:0:1", "2001:db8::1/128");
    expect_cidr("2001:db8:0:1:0:0:0:1/128", "2001:db8:0:1::1/128");
    expect_cidr("2001:db8::1/33", "2001:db8::/33");
    expect_cidr("::1", "::1/128");
    expect_cidr("::/0", "::/0");
    expect_cidr("::ffff:10.0.0.1/128", "::ffff:10.0.0.1/128");
}
END_TEST

START_TEST(test_cidr_refuses)
{
    expect_bad("10.0.0.0/33", BEARER_CIDR_PREFIX);
    expect_bad("2001:db8::/129", BEARER_CIDR_PREFIX);
    expect_bad("10.0.0.0/", BEARER_CIDR_PREFIX);
    expect_bad("10.0.0.0/08", BEARER_CIDR_PREFIX);
    expect_bad("10.0.0.0/-1", BEARER_CIDR_PREFIX);
    expect_bad("10.0.0.0/+8", BEARER_CIDR_PREFIX);
    expect_bad("10.0.0.0/8/8", BEARER_CIDR_PREFIX);
    expect_bad("10.0.0.0/ 8", BEARER_CIDR_PREFIX);
    expect_bad("fe80::1%eth0", BEARER_CIDR_ZONE);
    expect_bad("fe80::1%25eth0/64", BEARER_CIDR_ZONE);
    expect_bad("10.1", BEARER_CIDR_MALFORMED);
    expect_bad("10.1/16", BEARER_CIDR_MALFORMED);
    expect_bad("10", BEARER_CIDR_MALFORMED);
    expect_bad("010.0.0.1", BEARER_CIDR_MALFORMED);
    expect_bad("256.0.0.1", BEARER_CIDR_MALFORMED);
    expect_bad("10.0.0.1.", BEARER_CIDR_MALFORMED);
    expect_bad("0x0a.0.0.1", BEARER_CIDR_MALFORMED);
    expect_bad(" 10.0.0.1", BEARER_CIDR_MALFORMED);
    expect_bad("10.0.0.1 ", BEARER_CIDR_MALFORMED);
    expect_bad("example.com", BEARER_CIDR_MALFORMED);
    expect_bad("localhost", BEARER_CIDR_MALFORMED);
    expect_bad("2001:db8:::1", BEARER_CIDR_MALFORMED);
    expect_bad("2001:db8::g", BEARER_CIDR_MALFORMED);
    expect_bad("/24", BEARER_CIDR_MALFORMED);
    expect_bad("", BEARER_CIDR_MALFORMED);
    expect_bad("*", BEARER_CIDR_MALFORMED);
    {
        /* a NUL inside is not the end of the text */
        bearer_cidr_t c;

        ck_assert_int_eq(bearer_cidr_parse("10.0.0.1\0/8", 11, &c),
                         BEARER_CIDR_MALFORMED);
    }
}
END_TEST

START_TEST(test_cidr_pack_round_trip)
{
    static const char *const blocks[] = {
        "10.0.0.0/8", "2001:db8::/32", "::/0", "192.0.2.1", NULL
    };
    unsigned char packed[BEARER_CIDR_BYTES];
    bearer_cidr_t c, d;
    int i;

    for (i = 0; blocks[i]; i++) {
        ck_assert_int_eq(bearer_cidr_parse(blocks[i], strlen(blocks[i]), &c),
                         BEARER_CIDR_OK);
        bearer_cidr_pack(&c, packed);
        ck_assert_int_eq(bearer_cidr_unpack(packed, &d), 0);
        ck_assert(memcmp(&c, &d, sizeof(c)) == 0);
    }
    /* not canonical: host bits set, bad family, prefix out of range,
     * IPv4 with bytes past the fourth */
    ck_assert_int_eq(bearer_cidr_parse("10.0.0.0/8", 10, &c), BEARER_CIDR_OK);
    bearer_cidr_pack(&c, packed);
    packed[5] = 1;
    ck_assert_int_eq(bearer_cidr_unpack(packed, &d), -1);
    packed[5] = 0;
    packed[0] = 5;
    ck_assert_int_eq(bearer_cidr_unpack(packed, &d), -1);
    packed[0] = 4;
    packed[1] = 33;
    ck_assert_int_eq(bearer_cidr_unpack(packed, &d), -1);
    packed[1] = 8;
    packed[17] = 1;
    ck_assert_int_eq(bearer_cidr_unpack(packed, &d), -1);
    ck_assert_int_eq(bearer_cidr_list_valid(packed, 0), 0);
    ck_assert_int_eq(bearer_cidr_list_valid(packed, 17), 0);
}
END_TEST

/* ---- entry.c, version 2 --------------------------------------------------- */

static bearer_entry_t v1_entry(void)
{
    bearer_entry_t e;

    memset(&e, 0, sizeof(e));
    e.issued_at = 1700000000;
    e.expires_at = 1700003600;
    e.has_subject = 1;
    e.subject = "alice";
    e.subject_len = 5;
    e.scope = "a";
    e.scope_len = 1;
    return e;
}

START_TEST(test_entry_versions)
{
    unsigned char buf[BEARER_ENTRY_MAX], packed[2 * BEARER_CIDR_BYTES];
    bearer_entry_t e = v1_entry(), d;
    bearer_cidr_t c;
    size_t n;

    /* nothing new: version 1, as before */
    n = bearer_entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_eq(n, BEARER_ENTRY_HEADER + 6);
    ck_assert_int_eq(buf[0], 1);

    /* microseconds alone make it version 2 */
    e.issued_usec = 17;
    n = bearer_entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_eq(n, BEARER_ENTRY_HEADER_V2 + 6);
    ck_assert_int_eq(buf[0], 2);
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), 0);
    ck_assert_uint_eq(d.issued_usec, 17);
    ck_assert(d.issued_at == 1700000000);

    /* a version 2 encoding of a version 1 entry is not canonical */
    buf[28] = buf[29] = buf[30] = buf[31] = 0;
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), -1);
    e.issued_usec = 1000000;
    ck_assert_uint_eq(bearer_entry_encode(&e, buf, sizeof(buf)), 0);

    /* subject key and blocks */
    e = v1_entry();
    e.has_subject_key = 1;
    memset(e.subject_key, 0xAB, sizeof(e.subject_key));
    ck_assert_int_eq(bearer_cidr_parse("10.0.0.0/8", 10, &c), BEARER_CIDR_OK);
    bearer_cidr_pack(&c, packed);
    ck_assert_int_eq(bearer_cidr_parse("::1", 3, &c), BEARER_CIDR_OK);
    bearer_cidr_pack(&c, packed + BEARER_CIDR_BYTES);
    e.cidrs = packed;
    e.cidr_count = 2;
    n = bearer_entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_eq(n, BEARER_ENTRY_HEADER_V2 + 16 + 6
                         + 2 * BEARER_CIDR_BYTES);
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), 0);
    ck_assert_int_eq(d.has_subject_key, 1);
    ck_assert(memcmp(d.subject_key, e.subject_key, 16) == 0);
    ck_assert_uint_eq(d.cidr_count, 2);
    ck_assert(memcmp(d.cidrs, packed, sizeof(packed)) == 0);
    ck_assert_ptr_eq(d.cidrs, buf + n - 2 * BEARER_CIDR_BYTES);

    /* a damaged block, a count without its flag, a reserved byte */
    buf[n - 1] = 1;                       /* ::1/128 becomes ::1:...: fine */
    buf[n - BEARER_CIDR_BYTES + 1] = 129; /* prefix 129 */
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), -1);
    buf[n - BEARER_CIDR_BYTES + 1] = 128;
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), 0);
    buf[1] &= (unsigned char)~0x04;
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), -1);
    buf[1] |= 0x04;
    buf[33] = 1;
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), -1);
    buf[33] = 0;
    buf[32] = 17;
    ck_assert_int_eq(bearer_entry_decode(buf, n, &d), -1);

    /* a subject key needs a subject; 17 blocks do not encode */
    e = v1_entry();
    e.has_subject = 0;
    e.subject = NULL;
    e.subject_len = 0;
    e.has_subject_key = 1;
    ck_assert_uint_eq(bearer_entry_encoded_len(&e), 0);
    e = v1_entry();
    e.cidrs = packed;
    e.cidr_count = 17;
    ck_assert_uint_eq(bearer_entry_encoded_len(&e), 0);
}
END_TEST

/* ---- subject.c ------------------------------------------------------------ */

static bearer_subject_query_status q(const char *query, char *out,
                                     size_t *len)
{
    return bearer_subject_query_parse(query, out, len, NULL, NULL);
}

START_TEST(test_subject_query)
{
    char out[BEARER_SUBJECT_MAX], big[1024];
    size_t len = 0, bad_len = 0;
    const char *bad = NULL;

    ck_assert_int_eq(q("subject=alice", out, &len), BEARER_SUBJECT_Q_OK);
    ck_assert_uint_eq(len, 5);
    ck_assert(memcmp(out, "alice", 5) == 0);
    ck_assert_int_eq(q("subject=a%2Fb+c%25", out, &len), BEARER_SUBJECT_Q_OK);
    ck_assert_uint_eq(len, 6);
    ck_assert(memcmp(out, "a/b c%", 6) == 0);
    ck_assert_int_eq(q("&subject=x&", out, &len), BEARER_SUBJECT_Q_OK);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(q("subject=%e2%82%ac", out, &len), BEARER_SUBJECT_Q_OK);
    ck_assert_uint_eq(len, 3);

    ck_assert_int_eq(q(NULL, out, &len), BEARER_SUBJECT_Q_MISSING);
    ck_assert_int_eq(q("", out, &len), BEARER_SUBJECT_Q_MISSING);
    ck_assert_int_eq(q("&&", out, &len), BEARER_SUBJECT_Q_MISSING);
    ck_assert_int_eq(q("subject=", out, &len), BEARER_SUBJECT_Q_EMPTY);
    ck_assert_int_eq(q("subject", out, &len), BEARER_SUBJECT_Q_EMPTY);
    ck_assert_int_eq(q("subject=%", out, &len), BEARER_SUBJECT_Q_BAD_ESCAPE);
    ck_assert_int_eq(q("subject=%4", out, &len), BEARER_SUBJECT_Q_BAD_ESCAPE);
    ck_assert_int_eq(q("subject=%zz", out, &len),
                     BEARER_SUBJECT_Q_BAD_ESCAPE);
    ck_assert_int_eq(q("subject=a&subject=b", out, &len),
                     BEARER_SUBJECT_Q_DUPLICATE);
    ck_assert_int_eq(bearer_subject_query_parse("subject=a&x=1", out, &len,
                                                &bad, &bad_len),
                     BEARER_SUBJECT_Q_UNKNOWN);
    ck_assert_uint_eq(bad_len, 1);
    ck_assert(*bad == 'x');
    ck_assert_int_eq(q("Subject=a", out, &len), BEARER_SUBJECT_Q_UNKNOWN);

    /* 256 bytes decoded pass, 257 do not, also when percent-encoded */
    memcpy(big, "subject=", 8);
    memset(big + 8, 'a', 256);
    big[8 + 256] = '\0';
    ck_assert_int_eq(q(big, out, &len), BEARER_SUBJECT_Q_OK);
    ck_assert_uint_eq(len, 256);
    big[8 + 256] = 'a';
    big[8 + 257] = '\0';
    ck_assert_int_eq(q(big, out, &len), BEARER_SUBJECT_Q_TOO_LONG);
    memcpy(big + 8 + 256, "%41", 4);
    ck_assert_int_eq(q(big, out, &len), BEARER_SUBJECT_Q_TOO_LONG);
}
END_TEST

START_TEST(test_subject_key_and_cut_off)
{
    const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
    unsigned char k1[16], k2[16], k3[16], rec[8];
    bearer_entry_t e = v1_entry();
    int64_t at;

    ck_assert_int_eq(bearer_subject_key(secret, 32, "alice", 5, k1), 0);
    ck_assert_int_eq(bearer_subject_key(secret, 32, "alice", 5, k2), 0);
    ck_assert_int_eq(bearer_subject_key(secret, 32, "alicf", 5, k3), 0);
    ck_assert(memcmp(k1, k2, 16) == 0);
    ck_assert(memcmp(k1, k3, 16) != 0);
    ck_assert_int_eq(bearer_subject_key(secret, 31, "alice", 5, k3), 0);
    ck_assert(memcmp(k1, k3, 16) != 0);
    ck_assert_int_eq(bearer_subject_key(secret, 32, "", 0, k3), -1);

    /* minted at or before the cut-off: cut off; after: not */
    e.issued_usec = 500;
    at = bearer_subject_usec(e.issued_at, 500);
    ck_assert_int_eq(bearer_subject_is_cut_off(&e, at), 1);
    ck_assert_int_eq(bearer_subject_is_cut_off(&e, at + 1), 1);
    ck_assert_int_eq(bearer_subject_is_cut_off(&e, at - 1), 0);
    /* same second, later microsecond: not cut off */
    ck_assert_int_eq(bearer_subject_is_cut_off(
                         &e, bearer_subject_usec(e.issued_at, 499)), 0);
    e.has_subject = 0;
    ck_assert_int_eq(bearer_subject_is_cut_off(&e, at), 0);
    ck_assert(bearer_subject_usec(INT64_MAX, 0) == INT64_MAX);

    bearer_cutoff_encode(at, rec);
    ck_assert(bearer_cutoff_decode(rec) == at);
    bearer_cutoff_encode(-2, rec);
    ck_assert(bearer_cutoff_decode(rec) == -2);
}
END_TEST

START_TEST(test_cutoff_record)
{
    const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
    const char *key = "bearer:subject:abc";
    unsigned char buf[BEARER_RECORD_MAX];
    bearer_entry_t e;
    int64_t v = 0;
    size_t n;

    n = bearer_record_seal_cutoff(secret, 32, key, strlen(key),
                                  1700000000123456LL, buf, sizeof(buf));
    ck_assert_uint_eq(n, 1 + 8 + 32);
    ck_assert_int_eq(bearer_record_open(secret, 32, key, strlen(key), buf, n,
                                        &e, &v), BEARER_RECORD_CUTOFF);
    ck_assert(v == 1700000000123456LL);
    /* under another key (a token's tombstone key, say): does not open */
    ck_assert_int_eq(bearer_record_open(secret, 32, "bearer:abc", 10, buf, n,
                                        &e, &v), 0);
    buf[3] ^= 1;
    ck_assert_int_eq(bearer_record_open(secret, 32, key, strlen(key), buf, n,
                                        &e, &v), 0);
}
END_TEST

/* ---- scope.c: wildcard patterns ------------------------------------------ */

START_TEST(test_scope_patterns)
{
#define VALID(s) bearer_scope_pattern_valid(s, strlen(s))
#define MATCH(p, s) bearer_scope_pattern_match(p, strlen(p), s, strlen(s))
    ck_assert_int_eq(VALID("stream:start:*"), 1);
    ck_assert_int_eq(VALID("a*"), 1);
    ck_assert_int_eq(VALID("stream:view"), 1);
    ck_assert_int_eq(VALID("*"), 0);
    ck_assert_int_eq(VALID("**"), 0);
    ck_assert_int_eq(VALID("*a"), 0);
    ck_assert_int_eq(VALID("a*b"), 0);
    ck_assert_int_eq(VALID("a*b*"), 0);
    ck_assert_int_eq(VALID(""), 0);
    ck_assert_int_eq(VALID("a b*"), 0);

    ck_assert_int_eq(MATCH("stream:start:*", "stream:start:42"), 1);
    ck_assert_int_eq(MATCH("stream:start:*", "stream:start:x:y"), 1);
    ck_assert_int_eq(MATCH("stream:start:*", "stream:start:"), 0);
    ck_assert_int_eq(MATCH("stream:start:*", "stream:start"), 0);
    ck_assert_int_eq(MATCH("stream:start:*", "stream:stop:1"), 0);
    /* a '*' requested is a character: allowed only as any other one */
    ck_assert_int_eq(MATCH("stream:start:*", "stream:start:*"), 1);
    ck_assert_int_eq(MATCH("stream:start:1", "stream:start:*"), 0);
    ck_assert_int_eq(MATCH("stream:view", "stream:view"), 1);
    ck_assert_int_eq(MATCH("stream:view", "stream:views"), 0);
    ck_assert_int_eq(MATCH("stream:view", "stream:vie"), 0);
#undef VALID
#undef MATCH
}
END_TEST

Suite *wider_suite(void)
{
    Suite *s = suite_create("wider");
    TCase *tc = tcase_create("wider");

    tcase_add_test(tc, test_cidr_accepts_and_normalises);
    tcase_add_test(tc, test_cidr_refuses);
    tcase_add_test(tc, test_cidr_pack_round_trip);
    tcase_add_test(tc, test_entry_versions);
    tcase_add_test(tc, test_subject_query);
    tcase_add_test(tc, test_subject_key_and_cut_off);
    tcase_add_test(tc, test_cutoff_record);
    tcase_add_test(tc, test_scope_patterns);
    suite_add_tcase(s, tc);
    return s;
}
