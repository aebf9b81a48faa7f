/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/mint_request.c - the JSON body of a mint request
 * (mod_bearer/core/mint_request.c), with the contract's limits, and the
 * Content-Type check.
 *
 * Input: the body, at most 16 KiB as the endpoint allows (run with
 * -max_len=16384); the first line, if it looks like one, is also tried as
 * a Content-Type value.
 *
 * Invariants:
 *  - OK: each member within its limit: the scope list normalised and at
 *    most 1024 bytes, ttl > 0, subject 1..256 bytes without control
 *    characters, metadata a JSON object of at most 4096 bytes compact,
 *    max_uses 1..2^31-1; strings NUL-terminated at their lengths; the
 *    parse is deterministic (a second parse gives the same result).
 *  - Not OK: a description that is valid UTF-8 and printable (it goes
 *    into a JSON error body), at most a sentence long, and a zeroed
 *    result.
 *  - Nothing leaks (jansson's tree is freed on every path: LeakSanitizer).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE            /* strcasestr */
#endif
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>

#include "bearer_mint_request.h"
#include "bearer_scope.h"
#include "fuzz.h"

static apr_pool_t *root;

static int all_zero(const bearer_mint_request_t *r)
{
    static const bearer_mint_request_t zero;

    return memcmp(r, &zero, sizeof(zero)) == 0;
}

static void check_ok(const bearer_mint_request_t *r)
{
    size_t i;

    if (r->has_scope) {
        char again[BEARER_SCOPE_LIST_MAX + 1];
        size_t len = 0;

        FUZZ_CHECK(r->scope != NULL && r->scope_len <= BEARER_SCOPE_LIST_MAX);
        FUZZ_CHECK(strlen(r->scope) == r->scope_len);
        again[0] = '\0';
        FUZZ_CHECK(bearer_scope_list_parse(again, sizeof(again), &len,
                                           r->scope, r->scope_len, NULL, NULL)
                   == BEARER_SCOPE_OK);
        FUZZ_CHECK(len == r->scope_len && memcmp(again, r->scope, len) == 0);
    }
    else {
        FUZZ_CHECK(r->scope == NULL && r->scope_len == 0);
    }
    FUZZ_CHECK(r->has_ttl ? r->ttl > 0 : r->ttl == 0);
    if (r->subject) {
        FUZZ_CHECK(r->subject_len >= 1 && r->subject_len <= 256);
        FUZZ_CHECK(strlen(r->subject) == r->subject_len);
        for (i = 0; i < r->subject_len; i++) {
            unsigned char c = (unsigned char)r->subject[i];
            FUZZ_CHECK(c >= 0x20 && c != 0x7f);
        }
    }
    else {
        FUZZ_CHECK(r->subject_len == 0);
    }
    if (r->metadata) {
        json_t *m;

        FUZZ_CHECK(r->metadata_len >= 2 && r->metadata_len <= 4096);
        FUZZ_CHECK(strlen(r->metadata) == r->metadata_len);
        m = json_loadb(r->metadata, r->metadata_len, JSON_REJECT_DUPLICATES,
                       NULL);
        FUZZ_CHECK(m != NULL && json_is_object(m));
        json_decref(m);
    }
    else {
        FUZZ_CHECK(r->metadata_len == 0);
    }
    FUZZ_CHECK(r->max_uses <= 2147483647u);
}

static void check_description(const char *d)
{
    json_t *s;
    size_t i, n;

    FUZZ_CHECK(d != NULL);
    n = strlen(d);
    FUZZ_CHECK(n > 0 && n < 256);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    }
    /* jansson refuses invalid UTF-8: the error body would be lost */
    s = json_string(d);
    FUZZ_CHECK(s != NULL);
    json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool;
    bearer_mint_request_t req, req2;
    const char *desc = NULL, *desc2 = NULL;
    bearer_req_status st, st2;
    const char *nl;

    if (size > BEARER_BODY_MAX) {
        return 0;      /* the endpoint answers 413 before parsing */
    }
    if (root == NULL) {
        FUZZ_CHECK(apr_initialize() == APR_SUCCESS);
        FUZZ_CHECK(apr_pool_create(&root, NULL) == APR_SUCCESS);
    }
    FUZZ_CHECK(apr_pool_create(&pool, root) == APR_SUCCESS);

    memset(&req, 0x5a, sizeof(req));
    st = bearer_mint_request_parse(pool, (const char *)data, size, &req,
                                   &desc);
    FUZZ_CHECK(st == BEARER_REQ_OK || st == BEARER_REQ_INVALID_REQUEST
               || st == BEARER_REQ_INVALID_SCOPE);
    if (st == BEARER_REQ_OK) {
        FUZZ_CHECK(desc == NULL);
        check_ok(&req);
    }
    else {
        check_description(desc);
        FUZZ_CHECK(all_zero(&req));
    }

    /* deterministic */
    st2 = bearer_mint_request_parse(pool, (const char *)data, size, &req2,
                                    &desc2);
    FUZZ_CHECK(st2 == st);
    if (st == BEARER_REQ_OK) {
        FUZZ_CHECK(req2.has_scope == req.has_scope
                   && req2.scope_len == req.scope_len
                   && req2.ttl == req.ttl && req2.max_uses == req.max_uses
                   && req2.subject_len == req.subject_len
                   && req2.metadata_len == req.metadata_len);
    }
    else {
        FUZZ_CHECK(strcmp(desc, desc2) == 0);
    }

    /* the first line as a Content-Type value: no crash, 0 or 1 */
    nl = memchr(data, '\n', size);
    if (nl != NULL) {
        char *ct = apr_pstrmemdup(pool, (const char *)data,
                                  (apr_size_t)(nl - (const char *)data));
        int j = bearer_content_type_is_json(ct);

        FUZZ_CHECK(j == 0 || j == 1);
        if (j) {
            FUZZ_CHECK(strcasestr(ct, "json") != NULL);
        }
    }
    apr_pool_destroy(pool);
    return 0;
}
