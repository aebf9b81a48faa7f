/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_mint_request.h - the JSON body of POST /auth/v1/access-tokens.
 *
 * An empty body (length 0, or only whitespace) is an empty request. Else
 * the body must be one JSON object with only these members:
 *
 *   scopes    array of scope-token strings      } not both
 *   scope     one space-separated string        }
 *   ttl       integer > 0 (seconds)
 *   subject   string, 1..256 bytes UTF-8, no control characters
 *   metadata  object, <= 4096 bytes as compact JSON
 *   max_uses  integer 1..2147483647
 *   cidrs     array of 1..16 address blocks (bearer_cidr.h)
 *
 * Duplicate keys, NUL characters, trailing garbage, wrong types, unknown
 * members: BEARER_REQ_INVALID_REQUEST. A bad scope, or a scope list over
 * BEARER_SCOPE_LIST_MAX: BEARER_REQ_INVALID_SCOPE. The description names
 * the member and what was wrong, and never echoes more than 64 bytes of
 * the input.
 *
 * APR pools only (no httpd headers). jansson values are released by a
 * cleanup on the pool, on every path.
 */
#ifndef BEARER_MINT_REQUEST_H
#define BEARER_MINT_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

#define BEARER_BODY_MAX 16384
#define BEARER_MAX_USES_MAX 2147483647L

typedef enum {
    BEARER_REQ_OK = 0,
    BEARER_REQ_INVALID_REQUEST,
    BEARER_REQ_INVALID_SCOPE
} bearer_req_status;

typedef struct {
    int has_scope;            /* "scope" or "scopes" given (maybe empty) */
    const char *scope;        /* normalised list, NUL-terminated (pool) */
    size_t scope_len;
    int has_ttl;
    int64_t ttl;              /* > 0 when has_ttl */
    const char *subject;      /* NULL if not given; NUL-terminated (pool) */
    size_t subject_len;
    const char *metadata;     /* NULL if not given; compact JSON (pool) */
    size_t metadata_len;
    uint32_t max_uses;        /* 0 if not given */
    const unsigned char *cidrs;   /* NULL if not given; packed (pool) */
    size_t cidr_count;
} bearer_mint_request_t;

bearer_req_status bearer_mint_request_parse(apr_pool_t *pool,
                                            const char *body, size_t len,
                                            bearer_mint_request_t *out,
                                            const char **description);

/* 1 if a Content-Type header value names JSON: application/json (any
 * case), optionally followed by parameters (";charset=utf-8"), or any
 * application/<x>+json. NULL gives 0. */
int bearer_content_type_is_json(const char *content_type);

#endif
