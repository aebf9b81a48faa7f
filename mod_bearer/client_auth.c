/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client_auth.c - the caller of an OAuth endpoint, from whichever of the
 * three ways OAuth clients send their credentials (RFC 6749 sec. 2.3.1):
 *
 *   Authorization: Bearer <secret>          (mod_auth_openidc's
 *                                            bearer_access_token)
 *   Authorization: Basic base64(id ":" secret), id and secret each
 *                                           form-urlencoded first
 *   client_secret=<secret> in the body      (client_secret_post)
 *
 * The secret is then looked up as any credential is (credentials.c): an
 * operator token, a live client token, or nothing of ours. The client id
 * plays no part: the operator token alone is the credential. More than one
 * way at once is refused (RFC 6749 sec. 2.3: a client MUST NOT use more
 * than one). Nothing here logs or echoes a secret.
 */
#include "bearer_oauth.h"
#include "bearer_header.h"
#include "http_protocol.h"

#include "apr_base64.h"
#include "apr_strings.h"
#include "apr_lib.h"

/* Looks the secret up; the first answer that is an operator wins, so that
 * the raw candidate below can never shadow a decoded one. */
static void identify(request_rec *r, const bearer_server_conf *sconf,
                     const char *secret, apr_size_t len,
                     bearer_client_auth *out)
{
    bearer_token_info *info = NULL;
    bearer_auth_result res = bearer_identify(r, sconf, secret, len, 0, &info);

    out->token = info;
    switch (res) {
    case BEARER_AUTH_OK:
        out->result = info->kind == BEARER_KIND_OPERATOR
                      ? BEARER_CLIENT_OPERATOR : BEARER_CLIENT_TOKEN;
        /* A caller's token bound to other addresses is no token at all
         * here either (as on a protected location): 401, never a 403 that
         * would tell the caller it is live. */
        if (out->result == BEARER_CLIENT_TOKEN && info->entry.cidr_count > 0
                && !bearer_cidrs_allow(r, &info->entry)) {
            out->result = BEARER_CLIENT_INVALID;
        }
        break;
    case BEARER_AUTH_UNAVAILABLE:
        out->result = BEARER_CLIENT_UNAVAILABLE;
        break;
    default:
        out->result = BEARER_CLIENT_INVALID;
        break;
    }
}

/* Strict base64 (RFC 4648 alphabet, '=' padding only at the end). */
static int base64_well_formed(const char *s, apr_size_t len)
{
    apr_size_t i, pad = 0;

    if (len == 0 || len % 4 != 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '=') {
            pad++;
        }
        else if (pad || !(apr_isalnum(c) || c == '+' || c == '/')) {
            return 0;
        }
    }
    return pad <= 2;
}

static void basic(request_rec *r, const bearer_server_conf *sconf,
                  const char *creds, bearer_client_auth *out)
{
    apr_size_t len = strlen(creds);
    char *plain, *colon, *secret, *decoded;
    apr_size_t plain_len, secret_len, decoded_len;
    bearer_client_auth raw;

    out->result = BEARER_CLIENT_INVALID;
    while (len > 0 && (creds[len - 1] == ' ' || creds[len - 1] == '\t')) {
        len--;
    }
    if (!base64_well_formed(creds, len)) {
        return;
    }
    creds = apr_pstrmemdup(r->pool, creds, len);
    plain = apr_palloc(r->pool, apr_base64_decode_len(creds) + 1);
    plain_len = (apr_size_t)apr_base64_decode_binary((unsigned char *)plain,
                                                     creds);
    colon = memchr(plain, ':', plain_len);
    if (!colon) {
        return;
    }
    secret = colon + 1;
    secret_len = plain_len - (apr_size_t)(secret - plain);

    /* RFC 6749 sec. 2.3.1 form-urlencodes the secret before base64; a
     * client that skips that sends it as it is, and an operator token may
     * hold '+' or '%'. Both readings are tried; either must still be an
     * operator token (or a client token) of ours to count. */
    decoded = apr_pmemdup(r->pool, secret, secret_len);
    decoded_len = bearer_form_decode(decoded, secret_len);
    if (decoded_len != (apr_size_t)-1) {
        identify(r, sconf, decoded, decoded_len, out);
        if (out->result == BEARER_CLIENT_OPERATOR
                || (decoded_len == secret_len
                    && memcmp(decoded, secret, secret_len) == 0)) {
            return;
        }
    }
    memset(&raw, 0, sizeof(raw));
    identify(r, sconf, secret, secret_len, &raw);
    if (raw.result == BEARER_CLIENT_OPERATOR || !out->token) {
        out->result = raw.result;
        out->token = raw.token;
    }
}

void bearer_client_authenticate(request_rec *r,
                                const bearer_server_conf *sconf,
                                const bearer_form_t *form,
                                bearer_client_auth *out)
{
    const char *header = apr_table_get(r->headers_in, "Authorization");
    const bearer_form_param_t *posted = bearer_form_get(form, "client_secret");
    const char *token;
    apr_size_t len;

    memset(out, 0, sizeof(*out));
    if (header && posted) {
        out->result = BEARER_CLIENT_TWO_WAYS;
        out->via = BEARER_VIA_OTHER;
        return;
    }
    if (posted) {
        out->via = BEARER_VIA_POST;
        identify(r, sconf, posted->value, posted->value_len, out);
        return;
    }
    if (!header) {
        out->result = BEARER_CLIENT_NONE;
        return;
    }
    while (*header == ' ' || *header == '\t') {
        header++;
    }
    if (strncasecmp(header, "Basic", 5) == 0
            && (header[5] == ' ' || header[5] == '\t' || header[5] == '\0')) {
        const char *creds = header + 5;

        while (*creds == ' ' || *creds == '\t') {
            creds++;
        }
        out->via = BEARER_VIA_BASIC;
        basic(r, sconf, creds, out);
        return;
    }
    switch (bearer_header_parse(header, &token, &len)) {
    case BEARER_CRED_PRESENT:
        out->via = BEARER_VIA_BEARER;
        identify(r, sconf, token, len, out);
        return;
    case BEARER_CRED_MALFORMED:
        out->via = BEARER_VIA_BEARER;
        out->result = BEARER_CLIENT_INVALID;
        return;
    case BEARER_CRED_NONE:
    default:
        /* a scheme we do not take: credentials, but not ones we accept */
        out->via = BEARER_VIA_OTHER;
        out->result = BEARER_CLIENT_INVALID;
        return;
    }
}

int bearer_client_unauthorized(request_rec *r, const bearer_client_auth *a)
{
    if (a->via == BEARER_VIA_BASIC) {
        bearer_set_basic_challenge(r);
    }
    else {
        bearer_set_challenge(r, NULL, NULL);
    }
    return bearer_send_error(r, HTTP_UNAUTHORIZED, "invalid_client",
                             a->result == BEARER_CLIENT_NONE
                             ? "this endpoint needs operator credentials "
                               "(Bearer, Basic or client_secret)"
                             : "the client credentials are not an operator "
                               "token");
}

int bearer_client_forbidden(request_rec *r, const char *description)
{
    bearer_set_challenge(r, "insufficient_scope", NULL);
    return bearer_send_error(r, HTTP_FORBIDDEN, "insufficient_scope",
                             description);
}

int bearer_client_two_ways(request_rec *r)
{
    return bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "client credentials are given in more than one "
                             "way (Authorization header and client_secret)");
}
