/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of scope.c: scope-token validation, normalised lists.
 */
#include <check.h>
#include <string.h>

#include "bearer_scope.h"

#define S(lit) lit, sizeof(lit) - 1

START_TEST(test_token_valid_chars)
{
    char one[1];
    int c;

    for (c = 0; c < 256; c++) {
        int want = c == 0x21 || (c >= 0x23 && c <= 0x5B)
                   || (c >= 0x5D && c <= 0x7E);
        one[0] = (char)c;
        ck_assert_msg(bearer_scope_token_valid(one, 1) == want, "char %d", c);
    }
}
END_TEST

START_TEST(test_token_valid_lengths)
{
    char buf[BEARER_SCOPE_TOKEN_MAX + 2];

    memset(buf, 'a', sizeof(buf));
    ck_assert_int_eq(bearer_scope_token_valid(buf, 0), 0);
    ck_assert_int_eq(bearer_scope_token_valid(buf, 1), 1);
    ck_assert_int_eq(bearer_scope_token_valid(buf, BEARER_SCOPE_TOKEN_MAX), 1);
    ck_assert_int_eq(bearer_scope_token_valid(buf, BEARER_SCOPE_TOKEN_MAX + 1),
                     0);
    ck_assert_int_eq(bearer_scope_token_valid(S("stream:start:42")), 1);
    ck_assert_int_eq(bearer_scope_token_valid(S("a b")), 0);
    ck_assert_int_eq(bearer_scope_token_valid(S("a\"b")), 0);
    ck_assert_int_eq(bearer_scope_token_valid(S("a\\b")), 0);
    ck_assert_int_eq(bearer_scope_token_valid(S("\xc3\xa9")), 0);
}
END_TEST

START_TEST(test_add_builds_normalised_list)
{
    char buf[64];
    size_t len = 0;

    buf[0] = '\0';
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("b")),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "b");
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("a")),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "b a");
    /* Duplicates collapse, first-seen order stays. */
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("b")),
                     BEARER_SCOPE_OK);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("a")),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "b a");
    ck_assert_uint_eq(len, 3);
    /* A prefix of an existing token is a different token. */
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("ab")),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "b a ab");
}
END_TEST

START_TEST(test_add_bad_token)
{
    char buf[64] = "x";
    size_t len = 1;

    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("")),
                     BEARER_SCOPE_BAD_TOKEN);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("a b")),
                     BEARER_SCOPE_BAD_TOKEN);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, NULL, 0),
                     BEARER_SCOPE_BAD_TOKEN);
    ck_assert_str_eq(buf, "x");
    ck_assert_uint_eq(len, 1);
}
END_TEST

START_TEST(test_add_capacity)
{
    char buf[8];
    size_t len = 0;

    /* cap 8: 7 bytes of list plus the NUL. */
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("abc")),
                     BEARER_SCOPE_OK);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("def")),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "abc def");
    ck_assert_uint_eq(len, 7);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("g")),
                     BEARER_SCOPE_TOO_LONG);
    ck_assert_str_eq(buf, "abc def");
    ck_assert_uint_eq(len, 7);
    /* A duplicate needs no room. */
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("def")),
                     BEARER_SCOPE_OK);

    len = 0;
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len,
                                           S("abcdefgh")),
                     BEARER_SCOPE_TOO_LONG);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len,
                                           S("abcdefg")),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "abcdefg");
    ck_assert_int_eq(bearer_scope_list_add(buf, 0, &len, S("a")),
                     BEARER_SCOPE_TOO_LONG);
}
END_TEST

START_TEST(test_add_full_list_max)
{
    char buf[BEARER_SCOPE_LIST_MAX + 1];
    char word[4];
    size_t len = 0;
    int i;

    /* 256 distinct 3-byte words: 256 * 4 - 1 = 1023 bytes, then one more
     * 1-byte word would need 1025. */
    for (i = 0; i < 256; i++) {
        word[0] = (char)('a' + i / 26 % 26);
        word[1] = (char)('a' + i % 26);
        word[2] = (char)('0' + i / 676);
        ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len,
                                               word, 3), BEARER_SCOPE_OK);
    }
    ck_assert_uint_eq(len, 1023);
    ck_assert_uint_eq(strlen(buf), 1023);
    ck_assert_int_eq(bearer_scope_list_add(buf, sizeof(buf), &len, S("z")),
                     BEARER_SCOPE_TOO_LONG);
}
END_TEST

START_TEST(test_parse)
{
    char buf[64];
    size_t len = 0;
    const char *bad = NULL;
    size_t bad_len = 0;

    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len,
                                             S("  read  write read  "),
                                             &bad, &bad_len),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "read write");
    ck_assert_uint_eq(len, 10);
    ck_assert_ptr_null(bad);

    /* Appends to what is already there. */
    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len,
                                             S("write admin"), NULL, NULL),
                     BEARER_SCOPE_OK);
    ck_assert_str_eq(buf, "read write admin");
}
END_TEST

START_TEST(test_parse_empty)
{
    char buf[8];
    size_t len = 0;

    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len, S(""),
                                             NULL, NULL), BEARER_SCOPE_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len, S("   "),
                                             NULL, NULL), BEARER_SCOPE_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_parse_bad_token)
{
    char buf[64];
    size_t len = 0;
    const char *bad = NULL;
    size_t bad_len = 0;
    const char *input = "good  b\"d other";

    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len,
                                             input, strlen(input),
                                             &bad, &bad_len),
                     BEARER_SCOPE_BAD_TOKEN);
    ck_assert_ptr_eq(bad, input + 6);
    ck_assert_uint_eq(bad_len, 3);
    /* Nothing of the failed string is kept. */
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(buf, "");

    /* Only SP separates: a tab is part of a (bad) token. */
    input = "a\tb";
    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len,
                                             input, strlen(input),
                                             &bad, &bad_len),
                     BEARER_SCOPE_BAD_TOKEN);
    ck_assert_ptr_eq(bad, input);
    ck_assert_uint_eq(bad_len, 3);
}
END_TEST

START_TEST(test_parse_too_long_rolls_back)
{
    char buf[8] = "xy";
    size_t len = 2;
    const char *bad = NULL;
    size_t bad_len = 0;
    const char *input = "ab cdef";

    ck_assert_int_eq(bearer_scope_list_parse(buf, sizeof(buf), &len,
                                             input, strlen(input),
                                             &bad, &bad_len),
                     BEARER_SCOPE_TOO_LONG);
    ck_assert_ptr_eq(bad, input + 3);
    ck_assert_uint_eq(bad_len, 4);
    ck_assert_uint_eq(len, 2);
    ck_assert_str_eq(buf, "xy");
}
END_TEST

START_TEST(test_has)
{
    const char *list = "read write:all a";

    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list), S("read")), 1);
    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list),
                                           S("write:all")), 1);
    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list), S("a")), 1);
    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list), S("write")), 0);
    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list), S("rea")), 0);
    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list), S("reads")), 0);
    ck_assert_int_eq(bearer_scope_list_has(list, strlen(list), S("")), 0);
    ck_assert_int_eq(bearer_scope_list_has(S(""), S("a")), 0);
    /* list_len bounds the search. */
    ck_assert_int_eq(bearer_scope_list_has(list, 4, S("read")), 1);
    ck_assert_int_eq(bearer_scope_list_has(list, 4, S("a")), 0);
    ck_assert_int_eq(bearer_scope_list_has(list, 3, S("read")), 0);
}
END_TEST

START_TEST(test_next)
{
    const char *s = "  one two   three ";
    const char *cursor = s;
    size_t remaining = strlen(s);
    const char *word;
    size_t word_len;

    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     1);
    ck_assert_ptr_eq(word, s + 2);
    ck_assert_uint_eq(word_len, 3);
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     1);
    ck_assert_ptr_eq(word, s + 6);
    ck_assert_uint_eq(word_len, 3);
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     1);
    ck_assert_ptr_eq(word, s + 12);
    ck_assert_uint_eq(word_len, 5);
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     0);
    ck_assert_uint_eq(remaining, 0);
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     0);

    cursor = "";
    remaining = 0;
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     0);
    /* remaining, not a NUL, ends the string. */
    cursor = "ab cd";
    remaining = 1;
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     1);
    ck_assert_uint_eq(word_len, 1);
    ck_assert_int_eq(bearer_scope_next(&cursor, &remaining, &word, &word_len),
                     0);
}
END_TEST

Suite *scope_suite(void)
{
    Suite *s = suite_create("scope");
    TCase *tc = tcase_create("scope");

    tcase_add_test(tc, test_token_valid_chars);
    tcase_add_test(tc, test_token_valid_lengths);
    tcase_add_test(tc, test_add_builds_normalised_list);
    tcase_add_test(tc, test_add_bad_token);
    tcase_add_test(tc, test_add_capacity);
    tcase_add_test(tc, test_add_full_list_max);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_parse_empty);
    tcase_add_test(tc, test_parse_bad_token);
    tcase_add_test(tc, test_parse_too_long_rolls_back);
    tcase_add_test(tc, test_has);
    tcase_add_test(tc, test_next);
    suite_add_tcase(s, tc);
    return s;
}
