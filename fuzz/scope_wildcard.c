/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/scope_wildcard.c - the wildcard entries of BearerIssuableScopes
 * (bearer_scope_pattern_valid, bearer_scope_pattern_match in
 * mod_bearer/core/scope.c).
 *
 * Input: a pattern, '\n', a requested scope (the rest).
 *
 * Invariants, against a model written out here character by character:
 *  - valid: a scope-token, with at most one '*', and that one last and
 *    not alone;
 *  - match: equal to the pattern, or (pattern "p*") at least one
 *    character longer than p and starting with p; a '*' in the request
 *    is an ordinary character (matching never treats it otherwise);
 *  - a scope always matches itself; a pattern without '*' matches only
 *    itself.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_scope.h"
#include "fuzz.h"

static int model_valid(const char *p, size_t n)
{
    size_t i, stars = 0;

    if (!bearer_scope_token_valid(p, n)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (p[i] == '*') {
            stars++;
            if (i != n - 1) {
                return 0;
            }
        }
    }
    return !(stars == 1 && n == 1);
}

static int model_match(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t i;

    if (pn == 0) {
        return 0;
    }
    if (pn == sn) {
        for (i = 0; i < pn && p[i] == s[i]; i++) {
        }
        if (i == pn) {
            return 1;
        }
    }
    if (p[pn - 1] != '*' || pn < 2 || sn < pn) {
        return 0;
    }
    for (i = 0; i + 1 < pn; i++) {
        if (p[i] != s[i]) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    const char *p = (const char *)data, *s;
    size_t pn, sn;
    int valid, match;

    if (nl == NULL) {
        return 0;
    }
    pn = (size_t)(nl - p);
    s = nl + 1;
    sn = size - pn - 1;

    valid = bearer_scope_pattern_valid(p, pn);
    FUZZ_CHECK(valid == model_valid(p, pn));
    match = bearer_scope_pattern_match(p, pn, s, sn);
    FUZZ_CHECK(match == model_match(p, pn, s, sn));
    if (sn > 0) {
        FUZZ_CHECK(bearer_scope_pattern_match(s, sn, s, sn) == 1);
    }
    if (valid && memchr(p, '*', pn) == NULL) {
        FUZZ_CHECK(match == (pn == sn && memcmp(p, s, pn) == 0));
    }
    /* a '*' requested matches only as a character: replacing it with
     * another character never turns a non-match into a match unless the
     * pattern has that character there or is a wildcard over it */
    if (!match && valid && sn > 0 && s[sn - 1] == '*') {
        FUZZ_CHECK(!(pn == sn && memcmp(p, s, sn) == 0));
    }
    return 0;
}
