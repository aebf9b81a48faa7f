/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of cors_origin.c: which origins the configuration takes and
 * how they are normalised, matching a request's Origin byte for byte, and
 * the methods and request headers a preflight may be allowed.
 */
#include <check.h>
#include <string.h>

#include "bearer_cors.h"

static bearer_cors_status parse(const char *in, char *out)
{
    size_t len = 12345;
    bearer_cors_status st = bearer_cors_origin_parse(
        in, strlen(in), out, BEARER_CORS_ORIGIN_MAX + 1, &len);

    ck_assert_uint_eq(len, strlen(out));
    if (st != BEARER_CORS_OK) {
        ck_assert_str_eq(out, "");
    }
    return st;
}

static void normal_is(const char *in, const char *want)
{
    char out[BEARER_CORS_ORIGIN_MAX + 1];

    ck_assert_msg(parse(in, out) == BEARER_CORS_OK, "'%s' refused", in);
    ck_assert_str_eq(out, want);
}

static void refused(const char *in, bearer_cors_status want)
{
    char out[BEARER_CORS_ORIGIN_MAX + 1];
    bearer_cors_status st = parse(in, out);

    ck_assert_msg(st == want, "'%s': %d, not %d", in, (int)st, (int)want);
}

START_TEST(origins_taken_and_normalised)
{
    normal_is("https://app.example.com", "https://app.example.com");
    normal_is("http://127.0.0.1:8790", "http://127.0.0.1:8790");
    normal_is("HTTPS://App.Example.COM", "https://app.example.com");
    normal_is("https://app.example.com:443", "https://app.example.com");
    normal_is("http://app.example.com:80", "http://app.example.com");
    /* only the scheme's own default port is dropped */
    normal_is("http://app.example.com:443", "http://app.example.com:443");
    normal_is("https://app.example.com:80", "https://app.example.com:80");
    normal_is("https://app.example.com:65535", "https://app.example.com:65535");
    normal_is("https://a:1", "https://a:1");
    normal_is("https://[::1]:8443", "https://[::1]:8443");
    normal_is("http://[2001:DB8::1]", "http://[2001:db8::1]");
    normal_is("capacitor://localhost", "capacitor://localhost");
    normal_is("app-x.y+z://h_1-2", "app-x.y+z://h_1-2");
}
END_TEST

START_TEST(origins_refused)
{
    char out[BEARER_CORS_ORIGIN_MAX + 1];
    char big[BEARER_CORS_ORIGIN_MAX + 20];
    size_t len;

    refused("", BEARER_CORS_EMPTY);
    refused("null", BEARER_CORS_NULL_ORIGIN);
    refused("app.example.com", BEARER_CORS_NO_SEPARATOR);
    refused("https:app.example.com", BEARER_CORS_NO_SEPARATOR);
    refused("https:/app.example.com", BEARER_CORS_NO_SEPARATOR);
    refused("1https://a", BEARER_CORS_BAD_SCHEME);
    refused("://a", BEARER_CORS_BAD_SCHEME);
    refused("ht_tp://a", BEARER_CORS_BAD_SCHEME);
    refused("https://", BEARER_CORS_BAD_HOST);
    refused("https://.a", BEARER_CORS_BAD_HOST);
    refused("https://a..b", BEARER_CORS_BAD_HOST);
    refused("https://a.", BEARER_CORS_BAD_HOST);
    refused("https://user@a", BEARER_CORS_BAD_HOST);
    refused("https://a b", BEARER_CORS_BAD_HOST);
    refused("https://[zz::1]", BEARER_CORS_BAD_HOST);
    refused("https://[::1", BEARER_CORS_BAD_HOST);
    refused("https://[1]", BEARER_CORS_BAD_HOST);
    refused("https://[]", BEARER_CORS_BAD_HOST);
    refused("https://a:", BEARER_CORS_BAD_PORT);
    refused("https://a:0", BEARER_CORS_BAD_PORT);
    refused("https://a:08", BEARER_CORS_BAD_PORT);
    refused("https://a:65536", BEARER_CORS_BAD_PORT);
    refused("https://a:99999999999999999999", BEARER_CORS_BAD_PORT);
    refused("https://a:8x", BEARER_CORS_BAD_PORT);
    refused("https://a/", BEARER_CORS_HAS_PATH);
    refused("https://a/x", BEARER_CORS_HAS_PATH);
    refused("https://a:8443/", BEARER_CORS_HAS_PATH);
    refused("https://a?x", BEARER_CORS_HAS_PATH);
    refused("https://a#x", BEARER_CORS_HAS_PATH);

    /* a NUL inside is no end: the length given counts */
    ck_assert_int_eq(bearer_cors_origin_parse("https://a\0b", 11, out,
                                              sizeof(out), &len),
                     BEARER_CORS_BAD_HOST);

    memset(big, 'a', sizeof(big));
    memcpy(big, "https://", 8);
    ck_assert_int_eq(bearer_cors_origin_parse(big, BEARER_CORS_ORIGIN_MAX,
                                              out, sizeof(out), &len),
                     BEARER_CORS_OK);
    ck_assert_uint_eq(len, BEARER_CORS_ORIGIN_MAX);
    ck_assert_int_eq(bearer_cors_origin_parse(big, BEARER_CORS_ORIGIN_MAX + 1,
                                              out, sizeof(out), &len),
                     BEARER_CORS_TOO_LONG);
    /* a buffer too small is refused, never overrun */
    ck_assert_int_eq(bearer_cors_origin_parse("https://a", 9, out, 9, &len),
                     BEARER_CORS_TOO_LONG);
    ck_assert_ptr_nonnull(strstr(bearer_cors_status_text(BEARER_CORS_HAS_PATH),
                                 "path"));
}
END_TEST

START_TEST(matching_is_byte_for_byte)
{
    const char *origins[] = { "https://app.example.com",
                              "http://127.0.0.1:8790" };
    bearer_cors_list list = { 0, 2, origins };
    bearer_cors_list any = { 1, 0, NULL };
    bearer_cors_list none = { 0, 0, NULL };

    ck_assert_ptr_eq(bearer_cors_list_match(&list, "https://app.example.com"),
                     origins[0]);
    ck_assert_ptr_eq(bearer_cors_list_match(&list, "http://127.0.0.1:8790"),
                     origins[1]);
    ck_assert_ptr_null(bearer_cors_list_match(&list, "http://127.0.0.1:8791"));
    ck_assert_ptr_null(bearer_cors_list_match(&list, "https://APP.example.com"));
    ck_assert_ptr_null(bearer_cors_list_match(&list, "https://app.example.com/"));
    ck_assert_ptr_null(bearer_cors_list_match(&list, "https://app.example.co"));
    ck_assert_ptr_null(bearer_cors_list_match(&list,
                                              "https://app.example.com, x"));
    ck_assert_ptr_null(bearer_cors_list_match(&list, ""));
    ck_assert_ptr_null(bearer_cors_list_match(&list, NULL));
    ck_assert_ptr_null(bearer_cors_list_match(NULL, "https://app.example.com"));
    ck_assert_ptr_null(bearer_cors_list_match(&none, "https://app.example.com"));
    ck_assert_str_eq(bearer_cors_list_match(&any, "https://x.example"), "*");
    ck_assert_str_eq(bearer_cors_list_match(&any, "null"), "*");
    ck_assert_ptr_null(bearer_cors_list_match(&any, ""));
}
END_TEST

START_TEST(methods)
{
    const char *names[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE" };
    unsigned int all = 0;
    size_t i;

    for (i = 0; i < 6; i++) {
        unsigned int bit = bearer_cors_method(names[i]);

        ck_assert_uint_ne(bit, 0);
        ck_assert_str_eq(bearer_cors_method_name(bit), names[i]);
        all |= bit;
    }
    ck_assert_uint_eq(all, BEARER_CORS_ALL_METHODS);
    ck_assert_uint_eq(bearer_cors_method("patch"), 0);
    ck_assert_uint_eq(bearer_cors_method("get"), 0);
    ck_assert_uint_eq(bearer_cors_method("OPTIONS"), 0);
    ck_assert_uint_eq(bearer_cors_method("GET "), 0);
    ck_assert_uint_eq(bearer_cors_method("GET, POST"), 0);
    ck_assert_uint_eq(bearer_cors_method(""), 0);
    ck_assert_uint_eq(bearer_cors_method(NULL), 0);
    ck_assert_ptr_null(bearer_cors_method_name(0));
    ck_assert_ptr_null(bearer_cors_method_name(BEARER_CORS_GET
                                               | BEARER_CORS_POST));
}
END_TEST

START_TEST(request_headers)
{
    int others = -1;

    ck_assert_uint_eq(bearer_cors_request_headers("authorization", &others),
                      BEARER_CORS_H_AUTHORIZATION);
    ck_assert_int_eq(others, 0);
    ck_assert_uint_eq(bearer_cors_request_headers("authorization,content-type",
                                                  &others),
                      BEARER_CORS_H_AUTHORIZATION | BEARER_CORS_H_CONTENT_TYPE);
    ck_assert_uint_eq(bearer_cors_request_headers(" Content-Type ,\tAUTHORIZATION ",
                                                  &others),
                      BEARER_CORS_H_AUTHORIZATION | BEARER_CORS_H_CONTENT_TYPE);
    ck_assert_int_eq(others, 0);
    ck_assert_uint_eq(bearer_cors_request_headers("x-custom,authorization",
                                                  &others),
                      BEARER_CORS_H_AUTHORIZATION);
    ck_assert_int_eq(others, 1);
    ck_assert_uint_eq(bearer_cors_request_headers("authorizationx,content",
                                                  &others), 0);
    ck_assert_int_eq(others, 1);
    ck_assert_uint_eq(bearer_cors_request_headers(",,, ,", &others), 0);
    ck_assert_int_eq(others, 0);
    ck_assert_uint_eq(bearer_cors_request_headers("", NULL), 0);
    ck_assert_uint_eq(bearer_cors_request_headers(NULL, &others), 0);
    ck_assert_uint_eq(bearer_cors_request_headers("content type", &others), 0);
    ck_assert_int_eq(others, 1);

    ck_assert_str_eq(bearer_cors_allow_headers(BEARER_CORS_H_AUTHORIZATION),
                     "Authorization");
    ck_assert_str_eq(bearer_cors_allow_headers(BEARER_CORS_H_CONTENT_TYPE),
                     "Content-Type");
    ck_assert_str_eq(bearer_cors_allow_headers(BEARER_CORS_H_AUTHORIZATION
                                               | BEARER_CORS_H_CONTENT_TYPE),
                     "Authorization, Content-Type");
    ck_assert_ptr_null(bearer_cors_allow_headers(0));
}
END_TEST

Suite *cors_origin_suite(void)
{
    Suite *s = suite_create("cors_origin");
    TCase *tc = tcase_create("cors");

    tcase_add_test(tc, origins_taken_and_normalised);
    tcase_add_test(tc, origins_refused);
    tcase_add_test(tc, matching_is_byte_for_byte);
    tcase_add_test(tc, methods);
    tcase_add_test(tc, request_headers);
    suite_add_tcase(s, tc);
    return s;
}
