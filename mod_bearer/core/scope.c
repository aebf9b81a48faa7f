/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scope.c - RFC 6749 section 3.3 scopes: validate, normalise, match.
 *
 * Lists are kept normalised (one SP between tokens, no duplicates, first
 * seen order) so that storing, comparing and echoing them needs no further
 * parsing.
 */
#include <string.h>

#include "bearer_scope.h"

/* scope-token = 1*( %x21 / %x23-5B / %x5D-7E ): printable ASCII without
 * SP, '"' and '\'. */
static int scope_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

int bearer_scope_token_valid(const char *s, size_t len)
{
    size_t i;

    if (s == NULL || len == 0 || len > BEARER_SCOPE_TOKEN_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!scope_char((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int bearer_scope_next(const char **cursor, size_t *remaining,
                      const char **word, size_t *word_len)
{
    const char *p = *cursor;
    size_t left = *remaining;
    const char *start;

    while (left > 0 && *p == ' ') {
        p++;
        left--;
    }
    if (left == 0) {
        *cursor = p;
        *remaining = 0;
        return 0;
    }
    start = p;
    while (left > 0 && *p != ' ') {
        p++;
        left--;
    }
    *word = start;
    *word_len = (size_t)(p - start);
    *cursor = p;
    *remaining = left;
    return 1;
}

int bearer_scope_list_has(const char *list, size_t list_len,
                          const char *scope, size_t scope_len)
{
    const char *cursor = list;
    size_t remaining = list_len;
    const char *word;
    size_t word_len;

    if (list == NULL || scope == NULL || scope_len == 0) {
        return 0;
    }
    while (bearer_scope_next(&cursor, &remaining, &word, &word_len)) {
        if (word_len == scope_len && memcmp(word, scope, scope_len) == 0) {
            return 1;
        }
    }
    return 0;
}

bearer_scope_status bearer_scope_list_add(char *buf, size_t cap, size_t *len,
                                          const char *scope, size_t scope_len)
{
    size_t used = *len;
    size_t needed;

    if (!bearer_scope_token_valid(scope, scope_len)) {
        return BEARER_SCOPE_BAD_TOKEN;
    }
    /* A length at or past the capacity means there is not even room for
     * the NUL: nothing can be appended. */
    if (used >= cap) {
        return BEARER_SCOPE_TOO_LONG;
    }
    if (bearer_scope_list_has(buf, used, scope, scope_len)) {
        buf[used] = '\0';
        return BEARER_SCOPE_OK;
    }
    needed = used + (used > 0 ? 1 : 0) + scope_len;
    if (needed >= cap) {
        buf[used] = '\0';
        return BEARER_SCOPE_TOO_LONG;
    }
    if (used > 0) {
        buf[used++] = ' ';
    }
    memcpy(buf + used, scope, scope_len);
    used += scope_len;
    buf[used] = '\0';
    *len = used;
    return BEARER_SCOPE_OK;
}

bearer_scope_status bearer_scope_list_parse(char *buf, size_t cap, size_t *len,
                                            const char *s, size_t s_len,
                                            const char **bad, size_t *bad_len)
{
    size_t before = *len;
    const char *cursor = s;
    size_t remaining = s_len;
    const char *word;
    size_t word_len;
    bearer_scope_status status;

    if (before >= cap) {
        return BEARER_SCOPE_TOO_LONG;
    }
    buf[before] = '\0';
    if (s == NULL) {
        return s_len == 0 ? BEARER_SCOPE_OK : BEARER_SCOPE_BAD_TOKEN;
    }
    while (bearer_scope_next(&cursor, &remaining, &word, &word_len)) {
        status = bearer_scope_list_add(buf, cap, len, word, word_len);
        if (status != BEARER_SCOPE_OK) {
            /* Leave the list as it was: a half-applied string would grant
             * part of what was asked for. */
            *len = before;
            buf[before] = '\0';
            if (bad != NULL) {
                *bad = word;
            }
            if (bad_len != NULL) {
                *bad_len = word_len;
            }
            return status;
        }
    }
    return BEARER_SCOPE_OK;
}

int bearer_scope_pattern_valid(const char *pattern, size_t len)
{
    if (!bearer_scope_token_valid(pattern, len)) {
        return 0;
    }
    /* Only the last character may be '*', and not as the whole entry
     * (leave the directive out to allow any scope). */
    if (memchr(pattern, '*', len - 1) != NULL) {
        return 0;
    }
    return !(len == 1 && pattern[0] == '*');
}

int bearer_scope_pattern_match(const char *pattern, size_t pattern_len,
                               const char *scope, size_t scope_len)
{
    if (pattern == NULL || scope == NULL || pattern_len == 0) {
        return 0;
    }
    if (pattern[pattern_len - 1] == '*' && pattern_len > 1) {
        size_t prefix = pattern_len - 1;

        if (scope_len > prefix && memcmp(pattern, scope, prefix) == 0) {
            return 1;
        }
    }
    return scope_len == pattern_len
           && memcmp(pattern, scope, scope_len) == 0;
}
