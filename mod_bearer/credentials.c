/* SPDX-License-Identifier: Apache-2.0 */
/*
 * credentials.c - from the Authorization header to a token we know:
 * grammar (RFC 6750), operator tokens (constant time), the client token's
 * checksum, its id, and the store. Shared by AuthType Bearer and the token
 * endpoint. Nothing here counts a use or answers the client.
 */
#include "bearer_private.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"
#include "bearer_header.h"

bearer_request_state *bearer_request_state_get(request_rec *r)
{
    bearer_request_state *state = ap_get_module_config(r->request_config,
                                                       &bearer_module);

    if (!state) {
        state = apr_pcalloc(r->pool, sizeof(*state));
        state->result = BEARER_AUTH_NONE;
        ap_set_module_config(r->request_config, &bearer_module, state);
    }
    return state;
}

/* The authentication outcome that applies to r: its own, or that of the
 * request it is a subrequest or internal redirect of (httpd may skip
 * authentication for those, and must not count a second use). */
bearer_request_state *bearer_request_state_find(request_rec *r)
{
    request_rec *q;

    for (q = r; q; q = q->main ? q->main : q->prev) {
        bearer_request_state *state =
            ap_get_module_config(q->request_config, &bearer_module);

        if (state && state->result == BEARER_AUTH_OK && state->token) {
            return state;
        }
    }
    return NULL;
}

/* Compares the MAC of the presented credentials with every operator
 * token's MAC, without an early exit, so timing says nothing about which
 * or whether one matched. MACs are fixed-length: no length leaks either. */
static int is_operator_token(const bearer_server_conf *sconf,
                             const unsigned char mac[BEARER_MAC_BYTES])
{
    int match = 0;
    int i;

    for (i = 0; sconf->operator_macs && i < sconf->operator_macs->nelts; i++) {
        const unsigned char *known = (const unsigned char *)
            sconf->operator_macs->elts + (apr_size_t)i * BEARER_MAC_BYTES;

        match |= bearer_secret_equal(mac, known, BEARER_MAC_BYTES);
    }
    return match;
}

bearer_auth_result bearer_authenticate(request_rec *r,
                                       const bearer_server_conf *sconf,
                                       bearer_token_info **out)
{
    const char *value = apr_table_get(r->headers_in, "Authorization");
    const char *token;
    apr_size_t len;
    bearer_auth_result rc;

    switch (bearer_header_parse(value, &token, &len)) {
    case BEARER_CRED_NONE:
        return BEARER_AUTH_NONE;
    case BEARER_CRED_MALFORMED:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00040)
                      "Authorization: Bearer credentials break the RFC 6750 "
                      "b64token grammar");
        return BEARER_AUTH_MALFORMED;
    case BEARER_CRED_PRESENT:
        break;
    }
    rc = bearer_identify(r, sconf, token, len, 0, out);
    /* A token bound to addresses is, from anywhere else, no token at all:
     * the same 401 as an unknown one, and no use is taken. Only here, for
     * a token presented as the request's own credentials: introspection
     * and revocation name a token in their body, and the caller's address
     * plays no part there (bearer_identify). */
    if (rc == BEARER_AUTH_OK && (*out)->kind == BEARER_KIND_CLIENT
            && (*out)->entry.cidr_count > 0
            && !bearer_cidrs_allow(r, &(*out)->entry)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00226)
                      "token %s is bound to other client addresses than %s: "
                      "refused", (*out)->id, r->useragent_ip);
        return BEARER_AUTH_INVALID;
    }
    return rc;
}

bearer_auth_result bearer_identify(request_rec *r,
                                   const bearer_server_conf *sconf,
                                   const char *token, apr_size_t len,
                                   int fresh, bearer_token_info **out)
{
    unsigned char mac[BEARER_MAC_BYTES];
    bearer_token_info *info;

    if (bearer_mac_keyed(&sconf->secret->mac, token, len, mac) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00041)
                      "HMAC-SHA256 failed (OpenSSL); cannot check a token");
        return BEARER_AUTH_UNAVAILABLE;
    }
    info = apr_pcalloc(r->pool, sizeof(*info));
    memcpy(info->id_bytes, mac, BEARER_ID_BYTES);
    bearer_token_id_from_mac(mac, info->id);
    *out = info;

    if (is_operator_token(sconf, mac)) {
        info->kind = BEARER_KIND_OPERATOR;
        return BEARER_AUTH_OK;
    }
    if (!bearer_token_well_formed(sconf->prefix, sconf->prefix_len, token,
                                  len)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00042)
                      "credentials are not a token of ours (prefix, length "
                      "or checksum)");
        return BEARER_AUTH_INVALID;
    }
    info->kind = BEARER_KIND_CLIENT;
    switch (bearer_store_lookup(r, sconf, info, fresh)) {
    case BEARER_STORE_OK:
        return BEARER_AUTH_OK;
    case BEARER_STORE_UNAVAILABLE:
        return BEARER_AUTH_UNAVAILABLE;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00043)
                      "token %s is unknown, expired, revoked or used up",
                      info->id);
        return BEARER_AUTH_INVALID;
    }
}
