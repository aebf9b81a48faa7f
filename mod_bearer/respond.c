/* SPDX-License-Identifier: Apache-2.0 */
/*
 * respond.c - what mod_bearer says back: RFC 6750 challenges and the
 * endpoint's JSON answers.
 */
#include "bearer_private.h"
#include "apr_lib.h"
#include "bearer_bytes.h"
#include "http_protocol.h"
#include "http_core.h"

#include "apr_strings.h"

#include <jansson.h>

/* A realm as an RFC 7230 quoted-string body: '"' and '\' escaped, control
 * characters dropped (they cannot appear in a header). */
static const char *quote(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 1);
    char *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c == 0x7f) {
            continue;
        }
        if (c == '"' || c == '\\') {
            *o++ = '\\';
        }
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

const char *bearer_realm(request_rec *r)
{
    const char *name = ap_auth_name(r);

    return name && *name ? name : BEARER_DEFAULT_REALM;
}

void bearer_set_challenge(request_rec *r, const char *error,
                          const char *scope)
{
    const char *value = apr_pstrcat(r->pool, "Bearer realm=\"",
                                    quote(r->pool, bearer_realm(r)), "\"",
                                    NULL);

    if (error) {
        value = apr_pstrcat(r->pool, value, ", error=\"", error, "\"", NULL);
    }
    if (scope) {
        /* scope-tokens hold neither '"' nor '\': no escaping needed */
        value = apr_pstrcat(r->pool, value, ", scope=\"", scope, "\"", NULL);
    }
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", value);
}

/* HTTP Basic, for callers of the OAuth endpoints that authenticated with
 * it (RFC 6749 sec. 2.3.1, RFC 7617). */
void bearer_set_basic_challenge(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_pstrcat(r->pool, "Basic realm=\"",
                               quote(r->pool, bearer_realm(r)), "\"", NULL));
}

int bearer_send_json(request_rec *r, int status, const char *json,
                     int holds_token)
{
    apr_size_t len = strlen(json);

    /* Refused before its body was read (405, 401, 403): httpd would drop
     * the unread body after this answer, and a body that breaks off or is
     * malformed would then replace the answer with its own HTML 400. A
     * refused request's body is not worth reading: close the connection
     * after the answer, which also tells httpd to leave the body alone. */
    if (status >= 400 && r->read_body == REQUEST_NO_BODY
            && ap_request_has_body(r)) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    r->status = status;
    ap_set_content_type(r, "application/json");
    /* Token metadata and errors about credentials are never worth caching;
     * answers holding a token must not be (RFC 6749 sec. 5.1). */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (holds_token) {
        apr_table_setn(r->headers_out, "Pragma", "no-cache");
    }
    if (status == HTTP_NO_CONTENT) {
        return OK;
    }
    ap_set_content_length(r, len + 1);
    if (!r->header_only) {
        ap_rwrite(json, (int)len, r);
        ap_rputc('\n', r);
    }
    return OK;
}

/* ---- JSON: one serialiser for every answer ------------------------------- */

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *bearer_json_pooled(apr_pool_t *p, json_t *value)
{
    if (value) {
        apr_pool_cleanup_register(p, value, json_release,
                                  apr_pool_cleanup_null);
    }
    return value;
}

/* Serialises into the pool; jansson's own buffer is wiped (it may hold a
 * token) and freed. NULL when jansson is out of memory. */
static const char *json_text(apr_pool_t *p, const json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    const char *copy;

    if (!text) {
        return NULL;
    }
    copy = apr_pstrdup(p, text);
    bearer_wipe(text, strlen(text));
    free(text);
    return copy;
}

int bearer_send_json_value(request_rec *r, int status, const json_t *value,
                           int holds_token)
{
    const char *text = json_text(r->pool, value);

    if (!text) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00070)
                      "cannot serialise a JSON answer (out of memory?)");
        return bearer_send_error(r, HTTP_SERVICE_UNAVAILABLE,
                                 "temporarily_unavailable",
                                 "the server could not build its answer");
    }
    return bearer_send_json(r, status, text, holds_token);
}

int bearer_send_error(request_rec *r, int status, const char *error,
                      const char *description)
{
    json_t *body = bearer_json_pooled(r->pool,
                                      json_pack("{s:s, s:s}", "error", error,
                                                "error_description",
                                                description));
    const char *text = json_text(r->pool, body);

    if (!text) {
        /* out of memory in jansson: a fixed answer still says what failed */
        return bearer_send_json(r, status, "{\"error\":\"server_error\"}", 0);
    }
    return bearer_send_json(r, status, text, 0);
}

/* A parameter name a client sent, fit to quote in an error description:
 * at most 15 characters of [A-Za-z0-9_] (every name mod_bearer knows
 * fits), else NULL. An answer never quotes more of what a client sent:
 * 16 characters could be a piece of a token or an operator token. */
const char *bearer_quotable_name(apr_pool_t *p, const char *name,
                                 apr_size_t len)
{
    apr_size_t i;

    if (!name || len == 0 || len > 15) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        if (!apr_isalnum(name[i]) && name[i] != '_') {
            return NULL;
        }
    }
    return apr_pstrmemdup(p, name, len);
}

int bearer_send_unavailable(request_rec *r, const char *description)
{
    apr_table_setn(r->err_headers_out, "Retry-After", "1");
    return bearer_send_error(r, HTTP_SERVICE_UNAVAILABLE,
                             "temporarily_unavailable", description);
}
