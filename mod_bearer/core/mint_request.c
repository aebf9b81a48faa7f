/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mint_request.c - read and check the JSON body of a mint request.
 *
 * Every result is copied into the caller's pool, so the parsed jansson
 * tree is released before returning; a pool cleanup does the release, so
 * no return path can forget it. Descriptions are our own words: jansson's
 * messages quote the input, and ours may echo at most 64 sanitised bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>

#include "bearer_cidr.h"
#include "bearer_entry.h"
#include "bearer_mint_request.h"
#include "bearer_scope.h"

#define ECHO_MAX 64

typedef struct {
    apr_pool_t *pool;
    bearer_mint_request_t *out;
    const char **description;
} parse_ctx;

static apr_status_t release_json(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

static bearer_req_status fail(parse_ctx *ctx, bearer_req_status status,
                              const char *description)
{
    if (ctx->description != NULL) {
        *ctx->description = description;
    }
    return status;
}

/*
 * A copy of s[0..len) fit to quote in an error: at most ECHO_MAX bytes,
 * cut on a UTF-8 character boundary (the result goes back into JSON,
 * which must stay valid UTF-8), and control bytes shown as '?'.
 */
static const char *echo_text(apr_pool_t *pool, const char *s, size_t len)
{
    char *copy;
    size_t i;

    if (len > ECHO_MAX) {
        len = ECHO_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
            len--;
        }
    }
    copy = apr_pstrmemdup(pool, s, len);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)copy[i];
        if (c < 0x20 || c == 0x7F) {
            copy[i] = '?';
        }
    }
    return copy;
}

static int body_is_blank(const char *body, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = body[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return 0;
        }
    }
    return 1;
}

static const char *load_error_description(apr_pool_t *pool,
                                          const json_error_t *err)
{
    switch (json_error_code(err)) {
    case json_error_duplicate_key:
        return "request body has a duplicate member name";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "request body must not contain NUL characters";
    case json_error_invalid_utf8:
        return "request body is not valid UTF-8";
    case json_error_end_of_input_expected:
        return "request body has data after the JSON value";
    case json_error_numeric_overflow:
        return "request body has a number out of range";
    case json_error_stack_overflow:
        return "request body is nested too deeply";
    case json_error_premature_end_of_input:
        return "request body ends inside the JSON value";
    default:
        return apr_psprintf(pool, "request body is not valid JSON "
                            "(error at byte %d)", err->position);
    }
}

/* Tells "too long" from "bad character" for a precise description. */
static int scope_chars_valid(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (!bearer_scope_token_valid(s + i, 1)) {
            return 0;
        }
    }
    return 1;
}

static bearer_req_status from_scope_status(parse_ctx *ctx,
                                          bearer_scope_status status,
                                          const char *bad, size_t bad_len)
{
    switch (status) {
    case BEARER_SCOPE_OK:
        return BEARER_REQ_OK;
    case BEARER_SCOPE_TOO_LONG:
        return fail(ctx, BEARER_REQ_INVALID_SCOPE,
                    apr_psprintf(ctx->pool, "scope list exceeds %d bytes",
                                 BEARER_SCOPE_LIST_MAX));
    default:
        if (bad_len > BEARER_SCOPE_TOKEN_MAX
            && scope_chars_valid(bad, bad_len)) {
            return fail(ctx, BEARER_REQ_INVALID_SCOPE,
                        apr_psprintf(ctx->pool, "scope '%s...' exceeds %d "
                                     "bytes",
                                     echo_text(ctx->pool, bad, bad_len),
                                     BEARER_SCOPE_TOKEN_MAX));
        }
        return fail(ctx, BEARER_REQ_INVALID_SCOPE,
                    apr_psprintf(ctx->pool, "scope '%s' is not a valid "
                                 "scope-token",
                                 echo_text(ctx->pool, bad, bad_len)));
    }
}

/* What take_strings does with each string of the array, in order. */
typedef bearer_req_status (*take_string_fn)(parse_ctx *ctx, void *state,
                                            size_t place, const char *s,
                                            size_t len);

static bearer_req_status not_string_array(parse_ctx *ctx, const char *member)
{
    return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                apr_psprintf(ctx->pool, "member '%s' must be an array of "
                             "strings", member));
}

/* The one reader of a member that holds an array of strings: its shape,
 * 1 to max entries when max > 0, then each string to take until one is
 * refused. by_place: a non-string entry is named by its place (a long
 * list), else the member's shape is what the error says. */
static bearer_req_status take_strings(parse_ctx *ctx, json_t *value,
                                      const char *member, size_t max,
                                      int by_place, take_string_fn take,
                                      void *state)
{
    size_t n, i;

    if (!json_is_array(value)) {
        return not_string_array(ctx, member);
    }
    n = json_array_size(value);
    if (max > 0 && (n == 0 || n > max)) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    apr_psprintf(ctx->pool, "member '%s' must hold 1 to "
                                 "%lu entries, not %lu", member,
                                 (unsigned long)max, (unsigned long)n));
    }
    for (i = 0; i < n; i++) {
        json_t *item = json_array_get(value, i);
        bearer_req_status status;

        if (!json_is_string(item)) {
            if (!by_place) {
                return not_string_array(ctx, member);
            }
            return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                        apr_psprintf(ctx->pool, "member '%s': entry %lu "
                                     "must be a string", member,
                                     (unsigned long)i + 1));
        }
        status = take(ctx, state, i, json_string_value(item),
                      json_string_length(item));
        if (status != BEARER_REQ_OK) {
            return status;
        }
    }
    return BEARER_REQ_OK;
}

typedef struct {
    char *list;
    size_t len;
} scope_list;

static bearer_req_status add_scope(parse_ctx *ctx, void *state, size_t place,
                                   const char *scope, size_t scope_len)
{
    scope_list *l = state;

    return from_scope_status(ctx,
                             bearer_scope_list_add(l->list,
                                                   BEARER_SCOPE_LIST_MAX + 1,
                                                   &l->len, scope,
                                                   scope_len),
                             scope, scope_len);
}

static bearer_req_status take_scopes(parse_ctx *ctx, json_t *value)
{
    scope_list l;
    bearer_req_status status;

    l.list = apr_palloc(ctx->pool, BEARER_SCOPE_LIST_MAX + 1);
    l.list[0] = '\0';
    l.len = 0;
    status = take_strings(ctx, value, "scopes", 0, 0, add_scope, &l);
    if (status != BEARER_REQ_OK) {
        return status;
    }
    ctx->out->has_scope = 1;
    ctx->out->scope = l.list;
    ctx->out->scope_len = l.len;
    return BEARER_REQ_OK;
}

static bearer_req_status take_scope(parse_ctx *ctx, json_t *value)
{
    char *list = apr_palloc(ctx->pool, BEARER_SCOPE_LIST_MAX + 1);
    size_t list_len = 0;
    const char *bad = NULL;
    size_t bad_len = 0;
    bearer_scope_status parsed;
    bearer_req_status status;

    if (!json_is_string(value)) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'scope' must be a string");
    }
    list[0] = '\0';
    parsed = bearer_scope_list_parse(list, BEARER_SCOPE_LIST_MAX + 1,
                                     &list_len, json_string_value(value),
                                     json_string_length(value),
                                     &bad, &bad_len);
    status = from_scope_status(ctx, parsed, bad, bad_len);
    if (status != BEARER_REQ_OK) {
        return status;
    }
    ctx->out->has_scope = 1;
    ctx->out->scope = list;
    ctx->out->scope_len = list_len;
    return BEARER_REQ_OK;
}

static bearer_req_status take_ttl(parse_ctx *ctx, json_t *value)
{
    json_int_t ttl;

    if (!json_is_integer(value) || (ttl = json_integer_value(value)) <= 0) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'ttl' must be a positive integer");
    }
    ctx->out->has_ttl = 1;
    ctx->out->ttl = (int64_t)ttl;
    return BEARER_REQ_OK;
}

static bearer_req_status take_max_uses(parse_ctx *ctx, json_t *value)
{
    json_int_t uses;

    if (!json_is_integer(value) || (uses = json_integer_value(value)) < 1
        || uses > BEARER_MAX_USES_MAX) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'max_uses' must be an integer from 1 to "
                    "2147483647");
    }
    ctx->out->max_uses = (uint32_t)uses;
    return BEARER_REQ_OK;
}

static bearer_req_status take_subject(parse_ctx *ctx, json_t *value)
{
    const char *subject;
    size_t len, i;

    if (!json_is_string(value)) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'subject' must be a string");
    }
    subject = json_string_value(value);
    len = json_string_length(value);
    if (len == 0 || len > BEARER_SUBJECT_MAX) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'subject' must be 1 to 256 bytes long");
    }
    /* The subject becomes REMOTE_USER and a header: no line breaks or
     * other control characters may ride along. */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)subject[i];
        if (c < 0x20 || c == 0x7F) {
            return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                        "member 'subject' must not contain control "
                        "characters");
        }
    }
    ctx->out->subject = apr_pstrmemdup(ctx->pool, subject, len);
    ctx->out->subject_len = len;
    return BEARER_REQ_OK;
}

static bearer_req_status take_metadata(parse_ctx *ctx, json_t *value)
{
    char *compact;
    size_t len;

    if (!json_is_object(value)) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'metadata' must be an object");
    }
    compact = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (compact == NULL) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'metadata' could not be serialised");
    }
    len = strlen(compact);
    if (len > BEARER_METADATA_MAX) {
        free(compact);
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "member 'metadata' exceeds 4096 bytes as compact JSON");
    }
    ctx->out->metadata = apr_pstrmemdup(ctx->pool, compact, len);
    ctx->out->metadata_len = len;
    free(compact);
    return BEARER_REQ_OK;
}

/* Each entry is named in the error by its place and (a sanitised prefix
 * of) its text, so a client can find it in a long list. */
static bearer_req_status add_cidr(parse_ctx *ctx, void *state, size_t place,
                                  const char *text, size_t len)
{
    unsigned char *packed = state;
    bearer_cidr_status st;
    bearer_cidr_t c;

    st = bearer_cidr_parse(text, len, &c);
    if (st != BEARER_CIDR_OK) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    apr_psprintf(ctx->pool, "member 'cidrs': entry %lu "
                                 "'%s': %s", (unsigned long)place + 1,
                                 echo_text(ctx->pool, text, len),
                                 bearer_cidr_reason(st)));
    }
    bearer_cidr_pack(&c, packed + place * BEARER_CIDR_BYTES);
    return BEARER_REQ_OK;
}

static bearer_req_status take_cidrs(parse_ctx *ctx, json_t *value)
{
    /* room for the most take_strings lets through */
    unsigned char *packed = apr_palloc(ctx->pool,
                                       BEARER_CIDRS_MAX * BEARER_CIDR_BYTES);
    bearer_req_status status;

    status = take_strings(ctx, value, "cidrs", BEARER_CIDRS_MAX, 1, add_cidr,
                          packed);
    if (status != BEARER_REQ_OK) {
        return status;
    }
    ctx->out->cidrs = packed;
    ctx->out->cidr_count = json_array_size(value);
    return BEARER_REQ_OK;
}

/* Check the member names first, so an unknown one is reported whatever
 * else is wrong, then read the known ones in a fixed order. */
static bearer_req_status take_members(parse_ctx *ctx, json_t *root)
{
    static const char *const known[] = {
        "scopes", "scope", "ttl", "subject", "metadata", "max_uses", "cidrs"
    };
    const char *name;
    json_t *value;
    bearer_req_status status = BEARER_REQ_OK;
    size_t i;

    json_object_foreach(root, name, value) {
        int found = 0;
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            if (strcmp(name, known[i]) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                        apr_psprintf(ctx->pool, "unknown member '%s'",
                                     echo_text(ctx->pool, name,
                                               strlen(name))));
        }
    }

    if (json_object_get(root, "scopes") != NULL
        && json_object_get(root, "scope") != NULL) {
        return fail(ctx, BEARER_REQ_INVALID_REQUEST,
                    "members 'scope' and 'scopes' must not both be given");
    }
    if ((value = json_object_get(root, "scopes")) != NULL) {
        status = take_scopes(ctx, value);
    }
    else if ((value = json_object_get(root, "scope")) != NULL) {
        status = take_scope(ctx, value);
    }
    if (status == BEARER_REQ_OK
        && (value = json_object_get(root, "ttl")) != NULL) {
        status = take_ttl(ctx, value);
    }
    if (status == BEARER_REQ_OK
        && (value = json_object_get(root, "subject")) != NULL) {
        status = take_subject(ctx, value);
    }
    if (status == BEARER_REQ_OK
        && (value = json_object_get(root, "metadata")) != NULL) {
        status = take_metadata(ctx, value);
    }
    if (status == BEARER_REQ_OK
        && (value = json_object_get(root, "max_uses")) != NULL) {
        status = take_max_uses(ctx, value);
    }
    if (status == BEARER_REQ_OK
        && (value = json_object_get(root, "cidrs")) != NULL) {
        status = take_cidrs(ctx, value);
    }
    return status;
}

bearer_req_status bearer_mint_request_parse(apr_pool_t *pool,
                                            const char *body, size_t len,
                                            bearer_mint_request_t *out,
                                            const char **description)
{
    parse_ctx ctx;
    json_error_t err;
    json_t *root;
    bearer_req_status status;

    memset(out, 0, sizeof(*out));
    if (description != NULL) {
        *description = NULL;
    }
    ctx.pool = pool;
    ctx.out = out;
    ctx.description = description;

    if (len == 0 || (body != NULL && body_is_blank(body, len))) {
        return BEARER_REQ_OK;
    }
    if (body == NULL) {
        return fail(&ctx, BEARER_REQ_INVALID_REQUEST,
                    "request body is missing");
    }

    /* DECODE_ANY so that a scalar at the top gets the precise "must be
     * an object" answer below rather than a syntax error. */
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      &err);
    if (root == NULL) {
        return fail(&ctx, BEARER_REQ_INVALID_REQUEST,
                    load_error_description(pool, &err));
    }
    apr_pool_cleanup_register(pool, root, release_json,
                              apr_pool_cleanup_null);

    if (!json_is_object(root)) {
        status = fail(&ctx, BEARER_REQ_INVALID_REQUEST,
                      "request body must be a JSON object");
    }
    else {
        status = take_members(&ctx, root);
    }

    /* Everything kept is in the pool now: free the tree at once rather
     * than at the end of the request. */
    apr_pool_cleanup_run(pool, root, release_json);

    if (status != BEARER_REQ_OK) {
        /* A rejected request yields no half-filled result. */
        memset(out, 0, sizeof(*out));
    }
    return status;
}

/* RFC 7230 tchar, for the subtype of a media type. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')) {
        return 1;
    }
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int bearer_content_type_is_json(const char *content_type)
{
    static const char type[] = "application/";
    const char *p, *subtype;
    size_t subtype_len;

    if (content_type == NULL) {
        return 0;
    }
    p = content_type;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (strncasecmp(p, type, sizeof(type) - 1) != 0) {
        return 0;
    }
    subtype = p + sizeof(type) - 1;
    p = subtype;
    while (is_tchar((unsigned char)*p)) {
        p++;
    }
    subtype_len = (size_t)(p - subtype);
    /* Only parameters, or nothing, may follow the subtype. */
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p != '\0' && *p != ';') {
        return 0;
    }
    if (subtype_len == 4 && strncasecmp(subtype, "json", 4) == 0) {
        return 1;
    }
    /* application/<x>+json, with a non-empty <x>. */
    return subtype_len > 5
           && strncasecmp(subtype + subtype_len - 5, "+json", 5) == 0;
}
