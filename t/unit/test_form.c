/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of form.c: application/x-www-form-urlencoded bodies for the
 * introspection and revocation endpoints.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "bearer_form.h"

/* Parses a copy of body (the parser writes into its buffer). */
static bearer_form_status parse(const char *body, bearer_form_t *form,
                                char *buf, size_t cap)
{
    size_t n = strlen(body);

    ck_assert_uint_lt(n, cap);
    memcpy(buf, body, n + 1);
    return bearer_form_parse(buf, n, form);
}

static void expect_value(const bearer_form_t *form, const char *name,
                         const char *want, size_t want_len)
{
    const bearer_form_param_t *p = bearer_form_get(form, name);

    ck_assert_msg(p != NULL, "no parameter %s", name);
    ck_assert_uint_eq(p->value_len, want_len);
    ck_assert_msg(memcmp(p->value, want, want_len) == 0, "value of %s", name);
}

START_TEST(test_simple)
{
    char buf[256];
    bearer_form_t form;

    ck_assert_int_eq(parse("token=abc&token_type_hint=access_token", &form,
                           buf, sizeof(buf)), BEARER_FORM_OK);
    ck_assert_uint_eq(form.count, 2);
    expect_value(&form, "token", "abc", 3);
    expect_value(&form, "token_type_hint", "access_token", 12);
    ck_assert_ptr_null(bearer_form_get(&form, "client_id"));
    ck_assert_ptr_null(bearer_form_get(&form, "tok"));
    ck_assert_ptr_null(bearer_form_get(&form, "tokens"));
}
END_TEST

START_TEST(test_decoding)
{
    char buf[256];
    bearer_form_t form;

    /* '+' is a space, %XY in either case a byte, %00 a NUL inside */
    ck_assert_int_eq(parse("a=x+y%2Bz%2fw&b=%41%62%00c&c%3D=1", &form, buf,
                           sizeof(buf)), BEARER_FORM_OK);
    expect_value(&form, "a", "x y+z/w", 7);
    expect_value(&form, "b", "Ab\0c", 4);
    expect_value(&form, "c=", "1", 1);
}
END_TEST

START_TEST(test_empty_pairs_and_values)
{
    char buf[256];
    bearer_form_t form;
    const bearer_form_param_t *p;

    ck_assert_int_eq(parse("", &form, buf, sizeof(buf)), BEARER_FORM_OK);
    ck_assert_uint_eq(form.count, 0);
    ck_assert_int_eq(parse("&&&", &form, buf, sizeof(buf)), BEARER_FORM_OK);
    ck_assert_uint_eq(form.count, 0);
    ck_assert_int_eq(parse("&token=&&flag&=v&", &form, buf, sizeof(buf)),
                     BEARER_FORM_OK);
    ck_assert_uint_eq(form.count, 3);
    p = bearer_form_get(&form, "token");
    ck_assert(p && p->has_value && p->value_len == 0);
    p = bearer_form_get(&form, "flag");
    ck_assert(p && !p->has_value && p->value_len == 0);
    p = bearer_form_get(&form, "");
    ck_assert(p && p->has_value && p->value_len == 1 && p->value[0] == 'v');
}
END_TEST

START_TEST(test_duplicates)
{
    char buf[256];
    bearer_form_t form;

    ck_assert_int_eq(parse("token=a&token=b", &form, buf, sizeof(buf)),
                     BEARER_FORM_DUPLICATE);
    ck_assert_uint_eq(form.fault.name_len, 5);
    ck_assert(memcmp(form.fault.name, "token", 5) == 0);
    /* same value, or no value at all, is still twice */
    ck_assert_int_eq(parse("x=1&x=1", &form, buf, sizeof(buf)),
                     BEARER_FORM_DUPLICATE);
    ck_assert_int_eq(parse("x&x", &form, buf, sizeof(buf)),
                     BEARER_FORM_DUPLICATE);
    /* names are compared decoded */
    ck_assert_int_eq(parse("token=a&tok%65n=b", &form, buf, sizeof(buf)),
                     BEARER_FORM_DUPLICATE);
    ck_assert_int_eq(parse("a+b=1&a%20b=2", &form, buf, sizeof(buf)),
                     BEARER_FORM_DUPLICATE);
    /* different names differing only in case are different */
    ck_assert_int_eq(parse("token=a&Token=b", &form, buf, sizeof(buf)),
                     BEARER_FORM_OK);
}
END_TEST

START_TEST(test_bad_escapes)
{
    static const char *bad[] = {
        "token=%", "token=%4", "token=%G1", "token=%1G", "token=ab%",
        "to%zzken=1", "a=1&b=%%41", "token=%+1", "%=1",
    };
    char buf[256];
    bearer_form_t form;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(bad[i], &form, buf, sizeof(buf))
                      == BEARER_FORM_BAD_ESCAPE, "[%s]", bad[i]);
    }
}
END_TEST

START_TEST(test_too_many)
{
    char body[2048], buf[2048];
    bearer_form_t form;
    size_t n = 0;
    int i;

    for (i = 0; i < BEARER_FORM_MAX_PARAMS; i++) {
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%sp%d=1",
                              i ? "&" : "", i);
    }
    ck_assert_int_eq(parse(body, &form, buf, sizeof(buf)), BEARER_FORM_OK);
    ck_assert_uint_eq(form.count, BEARER_FORM_MAX_PARAMS);
    snprintf(body + n, sizeof(body) - n, "&one=more");
    ck_assert_int_eq(parse(body, &form, buf, sizeof(buf)),
                     BEARER_FORM_TOO_MANY);
}
END_TEST

START_TEST(test_decode_alone)
{
    char s[32];

    strcpy(s, "a%2B+b");
    ck_assert_uint_eq(bearer_form_decode(s, 6), 4);
    ck_assert(memcmp(s, "a+ b", 4) == 0);
    strcpy(s, "plain");
    ck_assert_uint_eq(bearer_form_decode(s, 5), 5);
    strcpy(s, "x%4");
    ck_assert_uint_eq(bearer_form_decode(s, 3), (size_t)-1);
    /* the length is obeyed: a '%' cut off by it is broken */
    strcpy(s, "%41");
    ck_assert_uint_eq(bearer_form_decode(s, 2), (size_t)-1);
}
END_TEST

START_TEST(test_content_type)
{
    ck_assert(bearer_content_type_is_form(
        "application/x-www-form-urlencoded"));
    ck_assert(bearer_content_type_is_form(
        "Application/X-WWW-Form-URLEncoded"));
    ck_assert(bearer_content_type_is_form(
        "application/x-www-form-urlencoded; charset=UTF-8"));
    ck_assert(bearer_content_type_is_form(
        " application/x-www-form-urlencoded ;charset=utf-8"));
    ck_assert(!bearer_content_type_is_form(NULL));
    ck_assert(!bearer_content_type_is_form(""));
    ck_assert(!bearer_content_type_is_form("application/json"));
    ck_assert(!bearer_content_type_is_form("multipart/form-data"));
    ck_assert(!bearer_content_type_is_form(
        "application/x-www-form-urlencodedx"));
    ck_assert(!bearer_content_type_is_form("application/x-www-form"));
}
END_TEST

Suite *form_suite(void)
{
    Suite *s = suite_create("form");
    TCase *tc = tcase_create("form");

    tcase_add_test(tc, test_simple);
    tcase_add_test(tc, test_decoding);
    tcase_add_test(tc, test_empty_pairs_and_values);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_bad_escapes);
    tcase_add_test(tc, test_too_many);
    tcase_add_test(tc, test_decode_alone);
    tcase_add_test(tc, test_content_type);
    suite_add_tcase(s, tc);
    return s;
}
