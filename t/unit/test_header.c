/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of header.c: the Authorization header (RFC 6750 sec. 2.1).
 */
#include <check.h>
#include <string.h>

#include "bearer_header.h"

/* Parses value and, when a token is expected, checks it is exactly want. */
static void expect_token(const char *value, const char *want)
{
    const char *token = NULL;
    size_t len = 0;

    ck_assert_msg(bearer_header_parse(value, &token, &len)
                  == BEARER_CRED_PRESENT, "not PRESENT: [%s]", value);
    ck_assert_ptr_nonnull(token);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_msg(memcmp(token, want, len) == 0, "token of [%s]", value);
    /* The token points into the caller's buffer, not a copy. */
    ck_assert(token >= value && token + len <= value + strlen(value));
}

static void expect_status(const char *value, bearer_cred_status want)
{
    const char *token = NULL;
    size_t len = 12345;

    ck_assert_msg(bearer_header_parse(value, &token, &len) == want,
                  "status of [%s]", value ? value : "(null)");
    if (want != BEARER_CRED_PRESENT) {
        /* Outputs are only set on success. */
        ck_assert_ptr_null(token);
        ck_assert_uint_eq(len, 12345);
    }
}

START_TEST(test_plain_token)
{
    expect_token("Bearer abc", "abc");
    expect_token("Bearer bt_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8jWdNYQ",
                 "bt_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8jWdNYQ");
}
END_TEST

START_TEST(test_scheme_any_case)
{
    expect_token("bearer abc", "abc");
    expect_token("BEARER abc", "abc");
    expect_token("BeArEr abc", "abc");
}
END_TEST

START_TEST(test_every_b64token_char)
{
    expect_token("Bearer AZaz09-._~+/", "AZaz09-._~+/");
    expect_token("Bearer -", "-");
    expect_token("Bearer ~", "~");
}
END_TEST

START_TEST(test_trailing_equals)
{
    expect_token("Bearer abc=", "abc=");
    expect_token("Bearer abc==", "abc==");
    expect_token("Bearer abc===", "abc===");
    /* '=' only at the end, and not alone. */
    expect_status("Bearer ab=c", BEARER_CRED_MALFORMED);
    expect_status("Bearer =", BEARER_CRED_MALFORMED);
    expect_status("Bearer ==abc", BEARER_CRED_MALFORMED);
}
END_TEST

START_TEST(test_ows)
{
    expect_token("Bearer\tabc", "abc");
    expect_token("Bearer \t  abc", "abc");
    expect_token("  Bearer abc", "abc");
    expect_token("\tBearer abc", "abc");
    expect_token("Bearer abc ", "abc");
    expect_token("Bearer abc\t \t", "abc");
    expect_token(" \t Bearer \t abc== \t ", "abc==");
}
END_TEST

START_TEST(test_none)
{
    expect_status(NULL, BEARER_CRED_NONE);
    expect_status("", BEARER_CRED_NONE);
    expect_status("   ", BEARER_CRED_NONE);
    expect_status("Basic xyz", BEARER_CRED_NONE);
    expect_status("Basic", BEARER_CRED_NONE);
    expect_status("Digest username=\"x\"", BEARER_CRED_NONE);
    /* A longer or shorter word is another scheme. */
    expect_status("Bearerx abc", BEARER_CRED_NONE);
    expect_status("Beare abc", BEARER_CRED_NONE);
    expect_status("XBearer abc", BEARER_CRED_NONE);
    expect_status("Bearer_ abc", BEARER_CRED_NONE);
    /* No scheme at all. */
    expect_status(",Bearer abc", BEARER_CRED_NONE);
}
END_TEST

START_TEST(test_malformed_empty)
{
    expect_status("Bearer", BEARER_CRED_MALFORMED);
    expect_status("Bearer ", BEARER_CRED_MALFORMED);
    expect_status("bearer\t\t", BEARER_CRED_MALFORMED);
    expect_status("  BEARER  ", BEARER_CRED_MALFORMED);
}
END_TEST

START_TEST(test_malformed_two_tokens)
{
    expect_status("Bearer a b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a\tb", BEARER_CRED_MALFORMED);
    expect_status("Bearer a,Bearer b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a, Bearer b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a,", BEARER_CRED_MALFORMED);
    expect_status("Bearer abc= x", BEARER_CRED_MALFORMED);
    expect_status("Bearer realm=\"x\"", BEARER_CRED_MALFORMED);
}
END_TEST

START_TEST(test_malformed_chars)
{
    expect_status("Bearer a\"b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a*b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a:b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a%b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a\x01" "b", BEARER_CRED_MALFORMED);
    expect_status("Bearer a\rb", BEARER_CRED_MALFORMED);
    expect_status("Bearer a\nb", BEARER_CRED_MALFORMED);
    expect_status("Bearer a\x7f", BEARER_CRED_MALFORMED);
    expect_status("Bearer \xc3\xa9t\xc3\xa9", BEARER_CRED_MALFORMED);
    expect_status("Bearer ,", BEARER_CRED_MALFORMED);
}
END_TEST

START_TEST(test_malformed_after_scheme)
{
    /* Our scheme, glued to something that is neither space nor token. */
    expect_status("Bearer,abc", BEARER_CRED_MALFORMED);
    expect_status("Bearer=abc", BEARER_CRED_MALFORMED);
    expect_status("Bearer\"abc\"", BEARER_CRED_MALFORMED);
    /* '/' may start a b64token but cannot end a scheme: no separator. */
    expect_status("Bearer/abc", BEARER_CRED_MALFORMED);
    expect_status("Bearer/", BEARER_CRED_MALFORMED);
}
END_TEST

START_TEST(test_null_outputs)
{
    /* The caller may ask only for the status. */
    ck_assert_int_eq(bearer_header_parse("Bearer abc", NULL, NULL),
                     BEARER_CRED_PRESENT);
}
END_TEST

START_TEST(test_b64token_char)
{
    int c, count = 0;

    for (c = 0; c < 256; c++) {
        int want = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                   || (c >= '0' && c <= '9') || c == '-' || c == '.'
                   || c == '_' || c == '~' || c == '+' || c == '/';
        ck_assert_msg(bearer_b64token_char((unsigned char)c) == want,
                      "char %d", c);
        count += want;
    }
    ck_assert_int_eq(count, 68);
    ck_assert_int_eq(bearer_b64token_char('='), 0);
}
END_TEST

START_TEST(test_is_b64token)
{
    ck_assert_int_eq(bearer_is_b64token("abc", 3), 1);
    ck_assert_int_eq(bearer_is_b64token("abc==", 5), 1);
    ck_assert_int_eq(bearer_is_b64token("a", 1), 1);
    ck_assert_int_eq(bearer_is_b64token("", 0), 0);
    ck_assert_int_eq(bearer_is_b64token("=", 1), 0);
    ck_assert_int_eq(bearer_is_b64token("==", 2), 0);
    ck_assert_int_eq(bearer_is_b64token("a=b", 3), 0);
    ck_assert_int_eq(bearer_is_b64token("a b", 3), 0);
    ck_assert_int_eq(bearer_is_b64token("ab ", 3), 0);
    /* Only len bytes count: the rest of the buffer is not looked at. */
    ck_assert_int_eq(bearer_is_b64token("ab cd", 2), 1);
    ck_assert_int_eq(bearer_is_b64token("a\0b", 3), 0);
}
END_TEST

Suite *header_suite(void)
{
    Suite *s = suite_create("header");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, test_plain_token);
    tcase_add_test(tc, test_scheme_any_case);
    tcase_add_test(tc, test_every_b64token_char);
    tcase_add_test(tc, test_trailing_equals);
    tcase_add_test(tc, test_ows);
    tcase_add_test(tc, test_none);
    tcase_add_test(tc, test_malformed_empty);
    tcase_add_test(tc, test_malformed_two_tokens);
    tcase_add_test(tc, test_malformed_chars);
    tcase_add_test(tc, test_malformed_after_scheme);
    tcase_add_test(tc, test_null_outputs);
    tcase_add_test(tc, test_b64token_char);
    tcase_add_test(tc, test_is_b64token);
    suite_add_tcase(s, tc);
    return s;
}
