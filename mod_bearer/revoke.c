/* SPDX-License-Identifier: Apache-2.0 */
/*
 * revoke.c - SetHandler bearer-revoke: token revocation (RFC 7009).
 *
 *   POST, form-urlencoded: token=<client token> [token_type_hint=...]
 *
 *   caller                                  may revoke
 *   operator token (Bearer, Basic, post)    any client token
 *   client token                            only itself (else 403)
 *   no credentials at all                   the token given: holding a
 *                                           token is the authority to end
 *                                           it (RFC 7009 public clients)
 *   other credentials                       nothing: 401 invalid_client
 *
 * 200 with an empty body whether or not the token was known, live or
 * already revoked (RFC 7009 sec. 2.2); 503 with Retry-After when the store
 * cannot take the revocation (then it did not happen); 400
 * unsupported_token_type for an operator token (those are rotated in their
 * file, not revoked).
 */
#include "bearer_oauth.h"
#include "bearer_bytes.h"
#include "bearer_cors.h"
#include "bearer_metrics.h"
#include "http_protocol.h"

#include "apr_strings.h"

static int revoked(request_rec *r)
{
    r->status = HTTP_OK;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, 0);
    return OK;
}

int bearer_revoke_handler(request_rec *r)
{
    const bearer_server_conf *sconf;
    bearer_form_t *form;
    bearer_client_auth caller;
    bearer_token_info *target = NULL;
    const char *token, *who;
    apr_size_t token_len = 0;
    unsigned char mac[BEARER_MAC_BYTES];
    int rc, self = 0;

    if (!r->handler || strcmp(r->handler, BEARER_REVOKE_HANDLER) != 0) {
        return DECLINED;
    }
    sconf = ap_get_module_config(r->server->module_config, &bearer_module);

    /* Browser clients revoke their own token from another origin
     * (BearerCORSOrigins): a preflight is answered here, and every answer
     * of this endpoint to a listed origin, errors included, carries the
     * CORS headers. */
    if (bearer_cors_answer_preflight(r, BEARER_CORS_POST)) {
        return OK;
    }
    bearer_cors_add_headers(r);

    form = apr_palloc(r->pool, sizeof(*form));
    if (!bearer_oauth_read_form(r, form, &rc)) {
        return rc;
    }
    bearer_client_authenticate(r, sconf, form, &caller);
    if (caller.result == BEARER_CLIENT_TWO_WAYS) {
        return bearer_client_two_ways(r);
    }
    token = bearer_oauth_param(form, "token", &token_len);

    /* A caller presenting the very token it revokes needs no other
     * authority, live or not (a second logout still gets its 200). */
    if (token && token_len > 0 && caller.token) {
        if (bearer_mac_keyed(&sconf->secret->mac, token, token_len,
                             mac) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00204)
                          "HMAC-SHA256 failed (OpenSSL); cannot revoke");
            return bearer_send_unavailable(r, "the server could not check "
                                            "the token");
        }
        self = caller.result != BEARER_CLIENT_OPERATOR
               && bearer_secret_equal(mac, caller.token->id_bytes,
                                      BEARER_ID_BYTES);
    }
    if (!self) {
        switch (caller.result) {
        case BEARER_CLIENT_NONE:
        case BEARER_CLIENT_OPERATOR:
        case BEARER_CLIENT_TOKEN:
            break;
        case BEARER_CLIENT_UNAVAILABLE:
            return bearer_send_unavailable(r, "the token store cannot be "
                                            "reached");
        default:
            return bearer_client_unauthorized(r, &caller);
        }
    }
    if (!token || token_len == 0) {
        return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 "the parameter 'token' is required and "
                                 "may not be empty");
    }
    if (!self && caller.result == BEARER_CLIENT_TOKEN) {
        return bearer_client_forbidden(r, "a client token may revoke only "
                                       "itself");
    }
    who = self ? "the token itself"
          : caller.result == BEARER_CLIENT_OPERATOR ? "an operator"
          : "a public client";

    /* fresh: the store of record, so a token revoked elsewhere is not
     * revoked twice, and an unreachable fleet says 503, never 200 */
    switch (bearer_identify(r, sconf, token, token_len, 1, &target)) {
    case BEARER_AUTH_OK:
        break;
    case BEARER_AUTH_UNAVAILABLE:
        return bearer_send_unavailable(r, "the token store cannot be "
                                        "reached; nothing was revoked");
    default:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00205)
                      "revocation by %s: token %s is not a live token; "
                      "nothing to do", who, target ? target->id : "(none)");
        return revoked(r);
    }
    if (target->kind == BEARER_KIND_OPERATOR) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00206)
                      "revocation of operator token %s refused: operator "
                      "tokens are rotated in BearerOperatorTokenFile",
                      target->id);
        return bearer_send_error(r, HTTP_BAD_REQUEST,
                                 "unsupported_token_type",
                                 "operator tokens cannot be revoked here; "
                                 "remove them from BearerOperatorTokenFile");
    }
    switch (bearer_store_revoke(r, sconf, target)) {
    case BEARER_STORE_OK:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00207)
                      "revoked token %s (RFC 7009, by %s)", target->id, who);
        bearer_metrics_add(BEARER_M_REVOKED, 1);
        return revoked(r);
    case BEARER_STORE_UNAVAILABLE:
        return bearer_send_unavailable(r, "the token store cannot be "
                                        "reached; nothing was revoked");
    default:
        /* revoked or expired meanwhile: the answer is the same */
        return revoked(r);
    }
}
