/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/scope.c - the scope parser and matcher (mod_bearer/core/scope.c).
 *
 * Input: byte 0 sets the list's capacity (so that TOO_LONG is reached
 * often), byte 1 how much of the rest is the scope string; what follows
 * is a second string, to add word by word and to look up.
 *
 * Invariants:
 *  - OK: the list is normalised (one SP between tokens, none at the ends,
 *    every token valid, no duplicates), NUL-terminated, within capacity;
 *    it holds every word of the input and nothing else; parsing the list
 *    again gives the same list (idempotent).
 *  - An error leaves the list exactly as it was, and names a word of the
 *    input that really is bad (or, for TOO_LONG, one that does not fit).
 *  - bearer_scope_list_has agrees with a plain search of the words.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_scope.h"
#include "fuzz.h"

#define CAP_MAX (BEARER_SCOPE_LIST_MAX + 1)

/* Plain search: is w one of the SP-separated words of list? */
static int model_has(const char *list, size_t n, const char *w, size_t wl)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;

        while (j < n && list[j] != ' ') {
            j++;
        }
        if (j - i == wl && wl > 0 && memcmp(list + i, w, wl) == 0) {
            return 1;
        }
        i = j + 1;
    }
    return 0;
}

static void check_normalised(const char *list, size_t len, size_t cap)
{
    const char *cur = list, *w, *w2;
    size_t rem = len, wl, wl2, words = 0, k;

    FUZZ_CHECK(len < cap);
    FUZZ_CHECK(list[len] == '\0');
    FUZZ_CHECK(strlen(list) == len);
    if (len == 0) {
        return;
    }
    FUZZ_CHECK(list[0] != ' ' && list[len - 1] != ' ');
    FUZZ_CHECK(strstr(list, "  ") == NULL);
    while (bearer_scope_next(&cur, &rem, &w, &wl)) {
        const char *cur2 = list;
        size_t rem2 = len, seen = 0;

        FUZZ_CHECK(bearer_scope_token_valid(w, wl));
        FUZZ_CHECK(bearer_scope_list_has(list, len, w, wl));
        while (bearer_scope_next(&cur2, &rem2, &w2, &wl2)) {
            seen += wl2 == wl && memcmp(w, w2, wl) == 0;
        }
        FUZZ_CHECK(seen == 1);
        words++;
    }
    for (k = 0; k < len; k++) {
        FUZZ_CHECK(list[k] != '\0');
    }
    FUZZ_CHECK(words > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char list[CAP_MAX], before[CAP_MAX], again[CAP_MAX];
    size_t cap, split, len = 0, len_before, len_again = 0;
    const char *s, *s2, *bad = NULL, *cur, *w;
    size_t s_len, s2_len, bad_len = 0, rem, wl;
    bearer_scope_status st;

    if (size < 2) {
        return 0;
    }
    cap = 1 + (size_t)data[0] * CAP_MAX / 256;
    if (data[0] == 255) {
        cap = CAP_MAX;
    }
    split = data[1];
    s = (const char *)data + 2;
    s_len = size - 2 < split ? size - 2 : split;
    s2 = s + s_len;
    s2_len = size - 2 - s_len;

    /* start from a list made of the second string's first valid words */
    list[0] = '\0';
    cur = s2;
    rem = s2_len;
    while (bearer_scope_next(&cur, &rem, &w, &wl)) {
        if (bearer_scope_list_add(list, cap, &len, w, wl) != BEARER_SCOPE_OK) {
            break;
        }
    }
    check_normalised(list, len, cap);
    memcpy(before, list, len + 1);
    len_before = len;

    st = bearer_scope_list_parse(list, cap, &len, s, s_len, &bad, &bad_len);
    if (st == BEARER_SCOPE_OK) {
        check_normalised(list, len, cap);
        /* the old list is a prefix: nothing was lost or reordered */
        FUZZ_CHECK(len >= len_before
                   && memcmp(list, before, len_before) == 0);
        cur = s;
        rem = s_len;
        while (bearer_scope_next(&cur, &rem, &w, &wl)) {
            FUZZ_CHECK(bearer_scope_list_has(list, len, w, wl));
        }
        /* every word of the list came from the old list or the input */
        cur = list;
        rem = len;
        while (bearer_scope_next(&cur, &rem, &w, &wl)) {
            FUZZ_CHECK(model_has(before, len_before, w, wl)
                       || model_has(s, s_len, w, wl));
        }
        /* idempotent */
        again[0] = '\0';
        FUZZ_CHECK(bearer_scope_list_parse(again, cap, &len_again, list, len,
                                           NULL, NULL) == BEARER_SCOPE_OK);
        FUZZ_CHECK(len_again == len && memcmp(again, list, len + 1) == 0);
    }
    else {
        FUZZ_CHECK(st == BEARER_SCOPE_BAD_TOKEN
                   || st == BEARER_SCOPE_TOO_LONG);
        FUZZ_CHECK(len == len_before
                   && memcmp(list, before, len_before + 1) == 0);
        FUZZ_CHECK(bad >= s && bad + bad_len <= s + s_len && bad_len > 0);
        if (st == BEARER_SCOPE_BAD_TOKEN) {
            FUZZ_CHECK(!bearer_scope_token_valid(bad, bad_len));
        }
        else {
            FUZZ_CHECK(bearer_scope_token_valid(bad, bad_len));
        }
    }

    /* the matcher, for every word of the second string */
    cur = s2;
    rem = s2_len;
    while (bearer_scope_next(&cur, &rem, &w, &wl)) {
        FUZZ_CHECK(bearer_scope_list_has(list, len, w, wl)
                   == model_has(list, len, w, wl));
    }
    FUZZ_CHECK(bearer_scope_list_has(list, len, "", 0) == 0);
    return 0;
}
