/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoint.c - SetHandler bearer-tokens: the token endpoint.
 *
 *   POST   <base>              operator   mint a client token      201
 *   DELETE <base>?subject=s    operator   revoke a subject's tokens 204
 *   GET    <base>/<token_id>   operator   a live token's metadata  200
 *   DELETE <base>/<token_id>   operator   revoke                   204
 *   GET    <base>/self         client     its own metadata         200
 *   DELETE <base>/self         client     log itself out           204
 *   OPTIONS <base>/self        browser    CORS preflight (cors.c)  204
 *
 * Checks run in the contract's order: method (405), authentication (401),
 * authorisation (403), body (413, 415, 400). Every answer is JSON. Requests
 * here never count a use of max_uses.
 */
#include "bearer_private.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"
#include "bearer_scope.h"
#include "bearer_mint_request.h"
#include "bearer_subject.h"
#include "bearer_metrics.h"
#include "http_protocol.h"
#include "http_core.h"

#include "apr_strings.h"

#include <jansson.h>

typedef enum {
    ROUTE_COLLECTION,
    ROUTE_ITEM,
    ROUTE_SELF,
    ROUTE_NOT_FOUND
} route_kind;

typedef struct {
    route_kind kind;
    const char *collection;     /* the URI path of the collection */
    const char *id;             /* ROUTE_ITEM: the id as given */
} route;

/*
 * Where the request points. The collection is the <Location> the handler
 * was configured in; under a <LocationMatch> (whose path is a regex) the
 * last segment decides: "self" or something shaped like a token id is an
 * item, anything else the collection.
 */
static void classify(request_rec *r, const bearer_dir_conf *dconf,
                     route *out)
{
    const char *uri = r->uri;
    const char *rest = NULL;
    const char *loc = dconf->location;

    out->id = NULL;
    if (loc && *loc == '/') {
        apr_size_t n = strlen(loc);

        while (n > 1 && loc[n - 1] == '/') {
            n--;
        }
        if (strncmp(uri, loc, n) == 0 && (uri[n] == '\0' || uri[n] == '/')) {
            out->collection = apr_pstrmemdup(r->pool, uri, n);
            rest = uri + n;
        }
    }
    if (!rest) {
        const char *slash = strrchr(uri, '/');
        const char *last = slash ? slash + 1 : uri;

        if (slash && (strcmp(last, "self") == 0
                      || bearer_token_id_well_formed(last, strlen(last)))) {
            out->collection = apr_pstrmemdup(r->pool, uri,
                                             (apr_size_t)(slash - uri));
            rest = slash;
        }
        else {
            apr_size_t n = strlen(uri);

            while (n > 1 && uri[n - 1] == '/') {
                n--;
            }
            out->collection = apr_pstrmemdup(r->pool, uri, n);
            rest = "";
        }
    }
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        out->kind = ROUTE_COLLECTION;
        return;
    }
    rest++;
    if (strchr(rest, '/')) {
        out->kind = ROUTE_NOT_FOUND;
    }
    else if (strcmp(rest, "self") == 0) {
        out->kind = ROUTE_SELF;
    }
    else {
        out->kind = ROUTE_ITEM;
        out->id = rest;
    }
}

/* ---- answers --------------------------------------------------------------- */

static int method_not_allowed(request_rec *r, const char *allow)
{
    apr_table_setn(r->headers_out, "Allow", allow);
    return bearer_send_error(r, HTTP_METHOD_NOT_ALLOWED, "invalid_request",
                             apr_psprintf(r->pool, "method %s is not allowed "
                                          "here; allowed: %s", r->method,
                                          allow));
}

static int authentication_failed(request_rec *r, bearer_auth_result result)
{
    bearer_count_auth_result(result);
    switch (result) {
    case BEARER_AUTH_MALFORMED:
        bearer_set_challenge(r, "invalid_request", NULL);
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 "the Authorization header is not "
                                 "'Bearer <token>' (RFC 6750)");
    case BEARER_AUTH_INVALID:
        bearer_set_challenge(r, "invalid_token", NULL);
        return bearer_send_error(r, HTTP_UNAUTHORIZED, "invalid_token",
                                 "the token is unknown, expired, revoked "
                                 "or used up");
    case BEARER_AUTH_UNAVAILABLE:
        return bearer_send_unavailable(r, "the token store cannot be reached");
    case BEARER_AUTH_NONE:
    default:
        bearer_set_challenge(r, NULL, NULL);
        return bearer_send_error(r, HTTP_UNAUTHORIZED, "unauthorized",
                                 "this endpoint needs "
                                 "'Authorization: Bearer <token>'");
    }
}

static int forbidden(request_rec *r, const char *description)
{
    bearer_metrics_add(BEARER_M_VALID_INSUFFICIENT_SCOPE, 1);
    bearer_set_challenge(r, "insufficient_scope", NULL);
    return bearer_send_error(r, HTTP_FORBIDDEN, "insufficient_scope",
                             description);
}

static int not_found(request_rec *r)
{
    return bearer_send_error(r, HTTP_NOT_FOUND, "not_found",
                             "no live token has this id");
}

/* ---- POST: mint ---------------------------------------------------------- */

/* The requested scopes must all be issuable here. */
static const char *unissuable_scope(request_rec *r,
                                    const bearer_dir_conf *dconf,
                                    const char *list, apr_size_t len)
{
    const char *cursor = list, *word;
    apr_size_t remaining = len, word_len;
    int i;

    if (!dconf->issuable_scopes) {
        return NULL;
    }
    while (bearer_scope_next(&cursor, &remaining, &word, &word_len)) {
        int allowed = 0;

        for (i = 0; i < dconf->issuable_scopes->nelts && !allowed; i++) {
            const char *s = APR_ARRAY_IDX(dconf->issuable_scopes, i,
                                          const char *);

            allowed = bearer_scope_pattern_match(s, strlen(s), word,
                                                 word_len);
        }
        if (!allowed) {
            return apr_pstrmemdup(r->pool, word,
                                  word_len > 64 ? 64 : word_len);
        }
    }
    return NULL;
}

static int mint(request_rec *r, const bearer_server_conf *sconf,
                const bearer_dir_conf *dconf, const route *where)
{
    bearer_mint_request_t req;
    bearer_entry_t entry;
    const char *body, *description = NULL, *bad;
    apr_size_t body_len;
    int status;
    char token[BEARER_TOKEN_MAX + 1];
    apr_size_t token_len;
    unsigned char mac[BEARER_MAC_BYTES];
    char id[BEARER_ID_CHARS + 1];
    apr_int64_t ttl, now;
    apr_time_t issued;
    json_t *answer, *cidrs;
    int rc;

    body = bearer_read_body(r, &body_len, &status);
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return bearer_send_error(r, status, "invalid_request",
                                 apr_psprintf(r->pool, "the request body "
                                              "exceeds %d bytes",
                                              BEARER_BODY_MAX));
    }
    if (status != OK) {
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 "the request body could not be read");
    }
    if (body_len > 0 && !bearer_content_type_is_json(
                            apr_table_get(r->headers_in, "Content-Type"))) {
        return bearer_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                 "invalid_request",
                                 "the request body must be "
                                 "Content-Type: application/json");
    }
    switch (bearer_mint_request_parse(r->pool, body, body_len, &req,
                                      &description)) {
    case BEARER_REQ_OK:
        break;
    case BEARER_REQ_INVALID_SCOPE:
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_scope",
                                 description);
    default:
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 description);
    }

    memset(&entry, 0, sizeof(entry));
    if (req.has_scope) {
        bad = unissuable_scope(r, dconf, req.scope, req.scope_len);
        if (bad) {
            return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_scope",
                                     apr_psprintf(r->pool, "scope '%s' may "
                                                  "not be issued here", bad));
        }
        entry.scope = req.scope;
        entry.scope_len = req.scope_len;
    }
    else if (dconf->default_scopes) {
        entry.scope = dconf->default_scopes;
        entry.scope_len = strlen(dconf->default_scopes);
    }
    else {
        entry.scope = "";
    }
    ttl = req.has_ttl ? req.ttl : dconf->default_ttl;
    if (ttl > dconf->max_ttl) {
        ttl = dconf->max_ttl;
    }
    /* Microseconds: a subject revoked earlier in this same second must
     * not take this token with it. */
    issued = apr_time_now();
    now = apr_time_sec(issued);
    entry.issued_at = now;
    entry.issued_usec = (apr_uint32_t)apr_time_usec(issued);
    entry.expires_at = now + ttl;
    entry.max_uses = req.max_uses;
    entry.cidrs = req.cidrs;
    entry.cidr_count = req.cidr_count;
    if (req.subject) {
        entry.has_subject = 1;
        entry.subject = req.subject;
        entry.subject_len = req.subject_len;
        entry.has_subject_key = 1;
        if (bearer_subject_key(sconf->secret->key, sconf->secret->key_len,
                               req.subject, req.subject_len,
                               entry.subject_key) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00227)
                          "HMAC-SHA256 failed (OpenSSL): cannot mint a "
                          "token with a subject");
            return bearer_send_unavailable(r, "the server could not mint a token");
        }
    }
    if (req.metadata) {
        entry.has_metadata = 1;
        entry.metadata = req.metadata;
        entry.metadata_len = req.metadata_len;
    }

    if (bearer_token_mint(sconf->prefix, token, &token_len) != 0
            || bearer_mac_keyed(&sconf->secret->mac, token, token_len,
                                mac) != 0) {
        bearer_wipe(token, sizeof(token));
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00071)
                      "OpenSSL failed to mint a token (RAND_bytes or "
                      "HMAC-SHA256)");
        return bearer_send_unavailable(r, "the server could not mint a token");
    }
    bearer_token_id_from_mac(mac, id);

    switch (bearer_store_insert(r, sconf, id, mac, &entry)) {
    case BEARER_STORE_OK:
        break;
    case BEARER_STORE_FULL:
        bearer_wipe(token, sizeof(token));
        bearer_metrics_add(BEARER_M_MINT_REFUSED, 1);
        return bearer_send_unavailable(r, "the token store is full; try again later");
    default:
        bearer_wipe(token, sizeof(token));
        bearer_metrics_add(BEARER_M_MINT_REFUSED, 1);
        return bearer_send_unavailable(r, "the token store cannot be reached");
    }

    answer = bearer_json_pooled(r->pool, json_object());
    rc = answer ? 0 : -1;
    if (rc == 0) {
        rc |= json_object_set_new(answer, "access_token",
                                  json_stringn(token, token_len));
        rc |= json_object_set_new(answer, "token_type",
                                  json_string("Bearer"));
        rc |= json_object_set_new(answer, "expires_in", json_integer(ttl));
        rc |= json_object_set_new(answer, "expires_at",
                                  json_integer(entry.expires_at));
        rc |= json_object_set_new(answer, "scope",
                                  json_stringn(entry.scope, entry.scope_len));
        rc |= json_object_set_new(answer, "token_id", json_string(id));
        if (entry.has_subject) {
            rc |= json_object_set_new(answer, "subject",
                                      json_stringn(entry.subject,
                                                   entry.subject_len));
        }
        if (entry.cidr_count > 0) {
            cidrs = bearer_cidrs_json(&entry);
            rc |= cidrs ? json_object_set_new(answer, "cidrs", cidrs) : -1;
        }
    }
    bearer_wipe(token, sizeof(token));
    if (rc != 0) {
        /* the token exists but cannot be told: revoke it, say 503 */
        bearer_token_info minted;

        memset(&minted, 0, sizeof(minted));
        memcpy(minted.id_bytes, mac, BEARER_ID_BYTES);
        apr_cpystrn(minted.id, id, sizeof(minted.id));
        minted.entry = entry;
        bearer_store_revoke(r, sconf, &minted);
        return bearer_send_unavailable(r, "the server could not build its answer");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00072)
                  "minted token %s for %s, scope \"%s\", ttl %" APR_INT64_T_FMT
                  "s", id, entry.has_subject ? req.subject : "(no subject)",
                  entry.scope, ttl);
    bearer_metrics_add(BEARER_M_MINTED, 1);
    apr_table_setn(r->headers_out, "Location",
                   apr_pstrcat(r->pool, where->collection, "/", id, NULL));
    rc = bearer_send_json_value(r, HTTP_CREATED, answer, 1);
    json_object_del(answer, "access_token");
    return rc;
}

/* ---- GET and DELETE ---------------------------------------------------- */

static int describe(request_rec *r, const bearer_token_info *token)
{
    const bearer_entry_t *e = &token->entry;
    json_t *answer = bearer_json_pooled(r->pool, json_object());
    int rc = answer ? 0 : -1;

    if (rc == 0) {
        rc |= json_object_set_new(answer, "token_id",
                                  json_string(token->id));
        if (e->has_subject) {
            rc |= json_object_set_new(answer, "subject",
                                      json_stringn(e->subject,
                                                   e->subject_len));
        }
        rc |= json_object_set_new(answer, "scope",
                                  json_stringn(e->scope, e->scope_len));
        rc |= json_object_set_new(answer, "issued_at",
                                  json_integer(e->issued_at));
        rc |= json_object_set_new(answer, "expires_at",
                                  json_integer(e->expires_at));
        rc |= bearer_entry_optional_json(answer, token);
    }
    if (rc != 0) {
        return bearer_send_unavailable(r, "the server could not build its answer");
    }
    return bearer_send_json_value(r, HTTP_OK, answer, 0);
}

/* The endpoint always reads the store of record: in fleet mode, memcached
 * (no trust window), so GET and DELETE see revocations at once. */
static int look_up_id(request_rec *r, const bearer_server_conf *sconf,
                      const char *id, bearer_token_info *token)
{
    if (bearer_token_id_decode(id, strlen(id), token->id_bytes) != 0) {
        return HTTP_NOT_FOUND;
    }
    apr_cpystrn(token->id, id, sizeof(token->id));
    token->kind = BEARER_KIND_CLIENT;
    switch (bearer_store_lookup(r, sconf, token, 1)) {
    case BEARER_STORE_OK:
        return OK;
    case BEARER_STORE_UNAVAILABLE:
        return HTTP_SERVICE_UNAVAILABLE;
    default:
        return HTTP_NOT_FOUND;
    }
}

static int revoke_token(request_rec *r, const bearer_server_conf *sconf,
                  const bearer_token_info *token)
{
    switch (bearer_store_revoke(r, sconf, token)) {
    case BEARER_STORE_OK:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00073)
                      "revoked token %s", token->id);
        bearer_metrics_add(BEARER_M_REVOKED, 1);
        r->status = HTTP_NO_CONTENT;
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        return OK;
    case BEARER_STORE_UNAVAILABLE:
        return bearer_send_unavailable(r, "the token store cannot be reached");
    default:
        return not_found(r);
    }
}

/* DELETE <collection>?subject=<subject>: every token of that subject
 * minted until now stops working (subject_cutoff.c). */
static int revoke_subject(request_rec *r, const bearer_server_conf *sconf,
                          const bearer_dir_conf *dconf)
{
    char subject[BEARER_SUBJECT_MAX];
    apr_size_t len = 0, bad_len = 0;
    const char *bad = NULL, *why, *name;

    switch (bearer_subject_query_parse(r->args, subject, &len, &bad,
                                       &bad_len)) {
    case BEARER_SUBJECT_Q_OK:
        why = NULL;
        break;
    case BEARER_SUBJECT_Q_MISSING:
        why = "DELETE on the collection needs ?subject=<subject> (to "
              "revoke one token, DELETE its id)";
        break;
    case BEARER_SUBJECT_Q_EMPTY:
        why = "parameter 'subject' must not be empty";
        break;
    case BEARER_SUBJECT_Q_TOO_LONG:
        why = "parameter 'subject' must be 1 to 256 bytes long "
              "(URL-decoded)";
        break;
    case BEARER_SUBJECT_Q_BAD_ESCAPE:
        why = "parameter 'subject' holds a '%' not followed by two hex "
              "digits";
        break;
    case BEARER_SUBJECT_Q_DUPLICATE:
        why = "parameter 'subject' is given more than once";
        break;
    case BEARER_SUBJECT_Q_UNKNOWN:
    default:
        name = bearer_quotable_name(r->pool, bad, bad_len);
        why = name ? apr_psprintf(r->pool, "unknown parameter '%s' (only "
                                  "'subject' is allowed)", name)
                   : "an unknown parameter (only 'subject' is allowed)";
        break;
    }
    if (why) {
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request", why);
    }
    switch (bearer_subject_revoke(r, sconf, dconf, subject, len)) {
    case BEARER_STORE_OK:
        r->status = HTTP_NO_CONTENT;
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        return OK;
    case BEARER_STORE_FULL:
        return bearer_send_unavailable(r, "the token store is full; try again later");
    default:
        return bearer_send_unavailable(r, "the token store cannot be reached");
    }
}

/*
 * httpd answers TRACE itself, before authentication and before any
 * handler (http_core's map_to_storage hook, while TraceEnable is on, its
 * default): a 200 that echoes the request, the caller's token with it. The
 * endpoint knows no TRACE: it gets the 405 (or 404) any other unknown
 * method gets, before httpd's echo runs. Two steps, because map_to_storage
 * runs with the server's defaults in place of the <Location>'s
 * configuration: translate_name (which sees it) notes what to answer, and
 * map_to_storage answers.
 */
#define TRACE_NOTE "bearer-refuse-trace"

/* Out of line: the hook below stays a bare method check (no stack frame
 * to set up) for every request that is not a TRACE. */
static int __attribute__((noinline)) note_trace(request_rec *r)
{
    core_dir_config *core;
    const bearer_dir_conf *dconf;
    const char *handler, *err = NULL;
    route where;

    core = ap_get_core_module_config(r->per_dir_config);
    if (!core || !core->expr_handler) {
        return DECLINED;
    }
    handler = ap_expr_str_exec(r, core->expr_handler, &err);
    if (err || !handler) {
        return DECLINED;
    }
    if (strcmp(handler, BEARER_INTROSPECT_HANDLER) == 0
            || strcmp(handler, BEARER_REVOKE_HANDLER) == 0) {
        apr_table_setn(r->notes, TRACE_NOTE, "POST");
        return DECLINED;
    }
    if (strcmp(handler, BEARER_HANDLER) != 0) {
        return DECLINED;
    }
    dconf = ap_get_module_config(r->per_dir_config, &bearer_module);
    classify(r, dconf, &where);
    apr_table_setn(r->notes, TRACE_NOTE,
                   where.kind == ROUTE_NOT_FOUND ? "-"
                   : where.kind == ROUTE_COLLECTION ? "POST, DELETE"
                                                    : "GET, DELETE");
    return DECLINED;
}

int bearer_endpoint_note_trace(request_rec *r)
{
    if (r->method_number != M_TRACE) {
        return DECLINED;
    }
    return note_trace(r);
}

int bearer_endpoint_refuse_trace(request_rec *r)
{
    const char *allow;

    if (r->method_number != M_TRACE
            || !(allow = apr_table_get(r->notes, TRACE_NOTE))) {
        return DECLINED;
    }
    if (strcmp(allow, "-") == 0) {
        bearer_send_error(r, HTTP_NOT_FOUND, "not_found", "no such resource");
    }
    else {
        method_not_allowed(r, allow);
    }
    return DONE;
}

int bearer_endpoint_handler(request_rec *r)
{
    const bearer_server_conf *sconf;
    const bearer_dir_conf *dconf;
    bearer_token_info *caller = NULL, *target;
    bearer_auth_result auth;
    route where;
    int rc;

    if (!r->handler || strcmp(r->handler, BEARER_HANDLER) != 0) {
        return DECLINED;
    }
    sconf = ap_get_module_config(r->server->module_config, &bearer_module);
    dconf = ap_get_module_config(r->per_dir_config, &bearer_module);

    classify(r, dconf, &where);
    if (where.kind == ROUTE_NOT_FOUND) {
        return bearer_send_error(r, HTTP_NOT_FOUND, "not_found",
                                 "no such resource");
    }
    /* CORS only where a browser client calls itself: DELETE .../self
     * (logout). Operator calls (mint, by id) get no CORS headers. */
    if (where.kind == ROUTE_SELF) {
        if (bearer_cors_answer_preflight(r, BEARER_CORS_DELETE)) {
            return OK;
        }
        if (r->method_number == M_DELETE) {
            bearer_cors_add_headers(r);
        }
    }
    if (where.kind == ROUTE_COLLECTION && r->method_number != M_POST
            && r->method_number != M_DELETE) {
        return method_not_allowed(r, "POST, DELETE");
    }
    if (where.kind != ROUTE_COLLECTION && r->method_number != M_GET
            && r->method_number != M_DELETE) {
        return method_not_allowed(r, "GET, DELETE");
    }

    auth = bearer_authenticate(r, sconf, &caller);
    if (auth != BEARER_AUTH_OK) {
        return authentication_failed(r, auth);
    }

    switch (where.kind) {
    case ROUTE_COLLECTION:
        if (caller->kind != BEARER_KIND_OPERATOR) {
            return forbidden(r, r->method_number == M_DELETE
                             ? "only an operator token may revoke a "
                               "subject's tokens"
                             : "only an operator token may mint tokens");
        }
        bearer_count_auth_result(BEARER_AUTH_OK);
        if (r->method_number == M_DELETE) {
            return revoke_subject(r, sconf, dconf);
        }
        return mint(r, sconf, dconf, &where);
    case ROUTE_SELF:
        if (caller->kind != BEARER_KIND_CLIENT) {
            return forbidden(r, "'self' is for client tokens; an operator "
                             "token uses the token's id");
        }
        bearer_count_auth_result(BEARER_AUTH_OK);
        target = caller;
        if (sconf->memcache) {
            /* a fresh read: uses_left and revocations from the fleet */
            target = apr_pcalloc(r->pool, sizeof(*target));
            rc = look_up_id(r, sconf, caller->id, target);
            if (rc == HTTP_SERVICE_UNAVAILABLE) {
                return bearer_send_unavailable(r, "the token store cannot be reached");
            }
            if (rc != OK) {
                return not_found(r);
            }
        }
        break;
    default:
        if (caller->kind != BEARER_KIND_OPERATOR) {
            return forbidden(r, "a client token may only use 'self'");
        }
        bearer_count_auth_result(BEARER_AUTH_OK);
        target = apr_pcalloc(r->pool, sizeof(*target));
        rc = look_up_id(r, sconf, where.id, target);
        if (rc == HTTP_SERVICE_UNAVAILABLE) {
            return bearer_send_unavailable(r, "the token store cannot be reached");
        }
        if (rc != OK) {
            return not_found(r);
        }
        break;
    }
    return r->method_number == M_DELETE ? revoke_token(r, sconf, target)
                                        : describe(r, target);
}
