/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authn.c - AuthType Bearer: check the token of every request to a
 * protected location, count its use, and tell the rest of httpd who it is
 * (REMOTE_USER, BEARER_* environment, X-Bearer-* headers for a backend).
 * Failures answer as RFC 6750 sec. 3 says.
 */
#include "bearer_private.h"
#include "bearer_bytes.h"
#include "http_protocol.h"
#include "http_core.h"
#include "mod_auth.h"

#include "apr_strings.h"

#define FORWARD_PREFIX "X-Bearer-"

/* BEARER_EXPIRES is formatted as an apr_off_t: it must hold Unix seconds */
_Static_assert(sizeof(apr_off_t) >= 8, "apr_off_t is narrower than 64 bits");

static int is_bearer_location(request_rec *r)
{
    const char *type = ap_auth_type(r);

    return type && strcasecmp(type, BEARER_AUTH_TYPE) == 0;
}

static int collect_forward_header(void *names, const char *key,
                                  const char *value)
{
    if (strncasecmp(key, FORWARD_PREFIX, sizeof(FORWARD_PREFIX) - 1) == 0) {
        APR_ARRAY_PUSH((apr_array_header_t *)names, const char *) = key;
    }
    return 1;
}

/* A client must never be able to pose as mod_bearer to the backend: on
 * every protected request, X-Bearer-* headers it sent are dropped, whether
 * or not BearerForwardHeaders is on. */
int bearer_authn_strip_headers(request_rec *r)
{
    apr_array_header_t *names;
    int i;

    if (!is_bearer_location(r)) {
        return DECLINED;
    }
    names = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(collect_forward_header, names, r->headers_in, NULL);
    for (i = 0; i < names->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(names, i, const char *));
    }
    return DECLINED;
}

static const char *base64url(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, bearer_base64url_len(len) + 1);

    bearer_base64url_encode((const unsigned char *)s, len, out);
    return out;
}

/* REMOTE_USER, the BEARER_* environment, and (if configured) the
 * X-Bearer-* request headers for a proxied backend. */
static void publish_identity(request_rec *r, const bearer_token_info *token,
                             const bearer_dir_conf *dconf)
{
    apr_table_t *env = r->subprocess_env;
    const bearer_entry_t *e = &token->entry;
    const char *subject = NULL;

    r->ap_auth_type = (char *)BEARER_AUTH_TYPE;
    apr_table_setn(env, "BEARER_TOKEN_ID", token->id);
    if (token->kind == BEARER_KIND_OPERATOR) {
        subject = "operator";
        r->user = (char *)subject;
        apr_table_setn(env, "BEARER_KIND", "operator");
        apr_table_setn(env, "BEARER_SUBJECT", subject);
    }
    else {
        if (e->has_subject) {
            subject = apr_pstrmemdup(r->pool, e->subject, e->subject_len);
            r->user = (char *)subject;
            apr_table_setn(env, "BEARER_SUBJECT", subject);
        }
        else {
            r->user = apr_pstrcat(r->pool, "token:", token->id, NULL);
        }
        apr_table_setn(env, "BEARER_KIND", "client");
        apr_table_setn(env, "BEARER_SCOPES",
                       apr_pstrmemdup(r->pool, e->scope, e->scope_len));
        /* apr_off_t_toa: a few divisions, where apr_psprintf parses a
         * format (a third of this function's instructions) */
        apr_table_setn(env, "BEARER_EXPIRES",
                       apr_off_t_toa(r->pool, (apr_off_t)e->expires_at));
    }

    if (!dconf->forward_headers) {
        return;
    }
    apr_table_setn(r->headers_in, "X-Bearer-Token-Id", token->id);
    if (subject) {
        apr_table_setn(r->headers_in, "X-Bearer-Subject", subject);
    }
    if (token->kind == BEARER_KIND_CLIENT) {
        apr_table_setn(r->headers_in, "X-Bearer-Scopes",
                       apr_pstrmemdup(r->pool, e->scope, e->scope_len));
        if (e->has_metadata) {
            apr_table_setn(r->headers_in, "X-Bearer-Metadata",
                           base64url(r->pool, e->metadata, e->metadata_len));
        }
    }
}

int bearer_authn_check(request_rec *r)
{
    const bearer_server_conf *sconf;
    const bearer_dir_conf *dconf;
    bearer_request_state *state, *earlier;
    bearer_token_info *token = NULL;

    if (!is_bearer_location(r)) {
        return DECLINED;
    }
    sconf = ap_get_module_config(r->server->module_config, &bearer_module);
    dconf = ap_get_module_config(r->per_dir_config, &bearer_module);
    state = bearer_request_state_get(r);

    /* A subrequest or internal redirect rides on the authentication of
     * the request it belongs to: same token, no second use. */
    earlier = (r->main || r->prev) ? bearer_request_state_find(r) : NULL;
    if (earlier) {
        state->result = BEARER_AUTH_OK;
        state->token = earlier->token;
        publish_identity(r, state->token, dconf);
        return OK;
    }

    state->result = bearer_authenticate(r, sconf, &token);
    if (state->result == BEARER_AUTH_OK && token->kind == BEARER_KIND_CLIENT
            && token->entry.max_uses > 0) {
        bearer_store_status st = bearer_store_consume_use(r, sconf, token);

        if (st == BEARER_STORE_UNAVAILABLE) {
            state->result = BEARER_AUTH_UNAVAILABLE;
        }
        else if (st != BEARER_STORE_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00050)
                          "token %s has no uses left", token->id);
            state->result = BEARER_AUTH_INVALID;
        }
    }

    switch (state->result) {
    case BEARER_AUTH_OK:
        state->token = token;
        publish_identity(r, token, dconf);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00051)
                      "authenticated %s token %s as %s",
                      token->kind == BEARER_KIND_OPERATOR ? "operator"
                                                          : "client",
                      token->id, r->user);
        return OK;
    case BEARER_AUTH_MALFORMED:
        bearer_set_challenge(r, "invalid_request", NULL);
        return HTTP_BAD_REQUEST;
    case BEARER_AUTH_UNAVAILABLE:
        apr_table_setn(r->err_headers_out, "Retry-After", "1");
        return HTTP_SERVICE_UNAVAILABLE;
    case BEARER_AUTH_NONE:
    case BEARER_AUTH_INVALID:
    default:
        ap_note_auth_failure(r);
        return HTTP_UNAUTHORIZED;
    }
}

/* httpd asks the module of the AuthType for the challenge of a 401. */
int bearer_authn_note_failure(request_rec *r, const char *auth_type)
{
    bearer_request_state *state;

    if (strcasecmp(auth_type, BEARER_AUTH_TYPE) != 0) {
        return DECLINED;
    }
    state = bearer_request_state_get(r);
    if (state->result == BEARER_AUTH_INVALID) {
        bearer_set_challenge(r, "invalid_token", NULL);
    }
    else if (state->result == BEARER_AUTH_OK && state->denied_scope) {
        /* authz_core answers 401 when told not to send 403 */
        bearer_set_challenge(r, "insufficient_scope",
                             *state->denied_scope ? state->denied_scope
                                                  : NULL);
    }
    else {
        bearer_set_challenge(r, NULL, NULL);
    }
    return OK;
}

/* A 403 from authorization gets its RFC 6750 challenge here, on the error
 * path only: a Require line that failed inside a <RequireAny> another
 * line satisfied must leave no trace on a success. */
void bearer_authn_error_challenge(request_rec *r)
{
    bearer_request_state *state;

    if (r->status != HTTP_FORBIDDEN || !is_bearer_location(r)) {
        return;
    }
    state = bearer_request_state_find(r);
    if (state && state->denied_scope) {
        bearer_set_challenge(r, "insufficient_scope",
                             *state->denied_scope ? state->denied_scope
                                                  : NULL);
    }
}
