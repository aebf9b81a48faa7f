/* SPDX-License-Identifier: Apache-2.0 */
/*
 * introspect.c - SetHandler bearer-introspect: token introspection
 * (RFC 7662) for resource servers that do not load mod_bearer.
 *
 *   POST, form-urlencoded: token=<any token> [token_type_hint=...]
 *   caller: an operator token (Bearer, Basic or client_secret)
 *
 *   a live client token  {"active":true,"token_type":"Bearer","scope",
 *                         "exp","iat","jti","sub","metadata","uses_left"}
 *                         (scope, sub, metadata, uses_left when set)
 *   an operator token    {"active":true,"token_type":"Bearer",
 *                         "operator":true,"sub":"operator","jti"}
 *   anything else        {"active":false}
 *
 * The token is read from the store of record every time (fleet mode:
 * memcached, never only the shared-memory copy), so a revocation made on
 * any host shows at once; when the store cannot say, 503 with Retry-After
 * rather than a guess. Introspection never counts a use.
 */
#include "bearer_oauth.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include <jansson.h>

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

static int send_answer(request_rec *r, json_t *answer, int rc)
{
    char *text = NULL;
    const char *copy;

    if (answer) {
        apr_pool_cleanup_register(r->pool, answer, json_release,
                                  apr_pool_cleanup_null);
    }
    if (!answer || rc != 0 || !(text = json_dumps(answer, JSON_COMPACT))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00200)
                      "cannot build an introspection answer (out of "
                      "memory?)");
        return bearer_send_unavailable(r, "the server could not build its "
                                        "answer");
    }
    copy = apr_pstrdup(r->pool, text);
    free(text);
    return bearer_send_json(r, HTTP_OK, copy, 0);
}

/* The fields RFC 7662 sec. 2.2 names, from the token's stored entry: the
 * same record, read the same way, as GET .../<token_id> describes. */
static int live_client(request_rec *r, const bearer_token_info *token)
{
    const bearer_entry_t *e = &token->entry;
    json_t *answer = json_object();
    int rc = answer ? 0 : -1;

    if (rc == 0) {
        rc |= json_object_set_new(answer, "active", json_true());
        rc |= json_object_set_new(answer, "token_type",
                                  json_string("Bearer"));
        if (e->scope_len > 0) {
            rc |= json_object_set_new(answer, "scope",
                                      json_stringn(e->scope, e->scope_len));
        }
        rc |= json_object_set_new(answer, "exp",
                                  json_integer(e->expires_at));
        rc |= json_object_set_new(answer, "iat", json_integer(e->issued_at));
        rc |= json_object_set_new(answer, "jti", json_string(token->id));
        if (e->has_subject) {
            rc |= json_object_set_new(answer, "sub",
                                      json_stringn(e->subject,
                                                   e->subject_len));
        }
        rc |= bearer_entry_optional_json(answer, token);
    }
    return send_answer(r, answer, rc);
}

static int operator_token(request_rec *r, const bearer_token_info *token)
{
    json_t *answer = json_pack("{s:b, s:s, s:b, s:s, s:s}",
                               "active", 1, "token_type", "Bearer",
                               "operator", 1, "sub", "operator",
                               "jti", token->id);

    return send_answer(r, answer, 0);
}

static int inactive(request_rec *r)
{
    return bearer_send_json(r, HTTP_OK, "{\"active\":false}", 0);
}

int bearer_introspect_handler(request_rec *r)
{
    const bearer_server_conf *sconf;
    bearer_form_t *form;
    bearer_client_auth caller;
    bearer_token_info *info = NULL;
    const char *token;
    apr_size_t token_len = 0;
    int rc;

    if (!r->handler || strcmp(r->handler, BEARER_INTROSPECT_HANDLER) != 0) {
        return DECLINED;
    }
    sconf = ap_get_module_config(r->server->module_config, &bearer_module);
    form = apr_palloc(r->pool, sizeof(*form));
    if (!bearer_oauth_read_form(r, form, &rc)) {
        return rc;
    }

    bearer_client_authenticate(r, sconf, form, &caller);
    switch (caller.result) {
    case BEARER_CLIENT_OPERATOR:
        break;
    case BEARER_CLIENT_TOKEN:
        return bearer_client_forbidden(r, "only an operator token may "
                                       "introspect tokens");
    case BEARER_CLIENT_TWO_WAYS:
        return bearer_client_two_ways(r);
    case BEARER_CLIENT_UNAVAILABLE:
        return bearer_send_unavailable(r, "the token store cannot be "
                                        "reached");
    default:
        return bearer_client_unauthorized(r, &caller);
    }

    token = bearer_oauth_param(form, "token", &token_len);
    if (!token || token_len == 0) {
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 "the parameter 'token' is required and "
                                 "may not be empty");
    }
    /* fresh: the store of record, not the cache's trust window */
    switch (bearer_identify(r, sconf, token, token_len, 1, &info)) {
    case BEARER_AUTH_OK:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00201)
                      "introspection by operator token %s: token %s is "
                      "active", caller.token->id, info->id);
        return info->kind == BEARER_KIND_OPERATOR ? operator_token(r, info)
                                                  : live_client(r, info);
    case BEARER_AUTH_UNAVAILABLE:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00202)
                      "introspection of token %s: the token store cannot "
                      "say; answering 503", info ? info->id : "(none)");
        return bearer_send_unavailable(r, "the token store cannot be "
                                        "reached; whether the token is "
                                        "active is not known");
    default:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00203)
                      "introspection by operator token %s: token %s is "
                      "not active", caller.token->id,
                      info ? info->id : "(none)");
        return inactive(r);
    }
}
