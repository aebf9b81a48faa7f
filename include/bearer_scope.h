/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_scope.h - RFC 6749 scopes: validate, normalise, match.
 *
 *   scope       = scope-token *( SP scope-token )
 *   scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
 *
 * A "scope list" in this module is always the normalised form: tokens
 * separated by exactly one SP, no leading/trailing SP, no duplicates, in the
 * order first seen. Pure C, no allocation: callers pass buffers.
 */
#ifndef BEARER_SCOPE_H
#define BEARER_SCOPE_H

#include <stddef.h>

/* Longest normalised scope list a token may carry, in bytes (no NUL). */
#define BEARER_SCOPE_LIST_MAX 1024
/* Longest single scope-token, in bytes. */
#define BEARER_SCOPE_TOKEN_MAX 128

/* 1 if s[0..len) is one valid scope-token no longer than
 * BEARER_SCOPE_TOKEN_MAX, else 0. */
int bearer_scope_token_valid(const char *s, size_t len);

typedef enum {
    BEARER_SCOPE_OK = 0,
    BEARER_SCOPE_BAD_TOKEN,   /* a character outside scope-token, or too long */
    BEARER_SCOPE_TOO_LONG     /* the list would exceed the capacity given */
} bearer_scope_status;

/*
 * Appends one scope-token to the normalised list in buf (current length
 * *len, capacity cap bytes, the result always NUL-terminated so cap must
 * leave room for it). A token already present is skipped (OK).
 */
bearer_scope_status bearer_scope_list_add(char *buf, size_t cap, size_t *len,
                                          const char *scope, size_t scope_len);

/*
 * Parses a space-separated scope string (one or more SP between tokens;
 * leading/trailing SP allowed; an empty string gives an empty list) and
 * appends each token with bearer_scope_list_add. On error *bad / *bad_len
 * (if non-NULL) point at the offending token within s.
 */
bearer_scope_status bearer_scope_list_parse(char *buf, size_t cap, size_t *len,
                                            const char *s, size_t s_len,
                                            const char **bad, size_t *bad_len);

/* 1 if the normalised list holds exactly this scope-token, else 0. */
int bearer_scope_list_has(const char *list, size_t list_len,
                          const char *scope, size_t scope_len);

/*
 * Iterates the words of a space-separated string (runs of SP skipped):
 * returns 1 and sets *word / *word_len for the next word, advancing
 * *cursor; 0 at the end. *cursor points into a string of *remaining bytes.
 */
int bearer_scope_next(const char **cursor, size_t *remaining,
                      const char **word, size_t *word_len);

/*
 * BearerIssuableScopes entries: a scope-token, or a wildcard "prefix*": a
 * non-empty prefix followed by one '*', the last character. 1 if pattern
 * is one of these, 0 if not ('*' alone, '*' before the end, or not a
 * scope-token).
 */
int bearer_scope_pattern_valid(const char *pattern, size_t len);

/*
 * 1 if the requested scope-token may be issued under pattern: equal to
 * it, or, for "prefix*", starting with prefix and at least one character
 * longer. A '*' in the requested scope is an ordinary character.
 */
int bearer_scope_pattern_match(const char *pattern, size_t pattern_len,
                               const char *scope, size_t scope_len);

#endif
