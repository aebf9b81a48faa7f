/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors.c - browser clients across origins: BearerCORSOrigins, preflights
 * answered before authentication, and the CORS headers on every answer to
 * a listed origin (docs/protecting.md, "Browser clients").
 *
 * Where it applies:
 *  - Locations with AuthType Bearer: the header_parser hook below. It is
 *    the first hook that sees the merged <Location>/<If> configuration
 *    (request.c runs it after the location walk) and it runs before
 *    access_checker, check_authn and check_authz, so a preflight, which
 *    never carries Authorization, is answered without a token and counts
 *    no use. It runs for main requests only: a preflight is never a
 *    subrequest.
 *  - Handlers a browser calls itself (DELETE .../self of bearer-tokens,
 *    bearer-revoke): they call the two functions below at their start.
 *
 * The API for a handler, e.g. bearer-revoke (POST only):
 *
 *     if (bearer_cors_answer_preflight(r, BEARER_CORS_POST)) {
 *         return OK;             // 204 sent, nothing else to do
 *     }
 *     bearer_cors_add_headers(r);     // before any answer, errors too
 *     ... authenticate, act, answer as usual ...
 *
 * bearer_cors_answer_preflight(r, methods): when r is a preflight
 * (OPTIONS with Origin and Access-Control-Request-Method) from an origin
 * BearerCORSOrigins lists for r, it sets the 204 and its headers, allowing
 * the requested method only if it is among `methods` (BEARER_CORS_* bits
 * of include/bearer_cors.h), and returns 1; a handler then returns OK (a
 * hook returns DONE). Otherwise it returns 0 and touches nothing.
 *
 * bearer_cors_add_headers(r): when r's Origin is listed, puts
 * Access-Control-Allow-Origin, Access-Control-Expose-Headers:
 * WWW-Authenticate and Vary: Origin into err_headers_out, so that they are
 * sent whatever the answer is (httpd's own error pages included). Call it
 * only on the routes a browser client may use: operator-only calls get no
 * CORS headers.
 *
 * Cost when unused: a context without the directive pays one pointer test;
 * a request without Origin one table look-up.
 */
#include "bearer_private.h"
#include "http_protocol.h"
#include "http_core.h"

#include "apr_strings.h"

/* ---- the directive ------------------------------------------------------- */

const char *bearer_cors_set_origins(cmd_parms *cmd, void *mconfig,
                                    const char *arg)
{
    bearer_dir_conf *conf = mconfig;
    bearer_cors_conf *cors = (bearer_cors_conf *)conf->cors;
    char normal[BEARER_CORS_ORIGIN_MAX + 1];
    apr_size_t normal_len;
    bearer_cors_status st;
    int i;

    if (!cors) {
        cors = apr_pcalloc(cmd->pool, sizeof(*cors));
        cors->origins = apr_array_make(cmd->pool, 2, sizeof(const char *));
        conf->cors = cors;
    }
    if (strcmp(arg, "*") == 0) {
        if (cors->origins->nelts > 0) {
            return apr_psprintf(cmd->pool, "%s: '*' stands alone; it cannot "
                                "be listed with origins", cmd->cmd->name);
        }
        cors->list.any = 1;
        return NULL;
    }
    if (cors->list.any) {
        return apr_psprintf(cmd->pool, "%s: '*' stands alone; '%s' cannot be "
                            "listed with it", cmd->cmd->name, arg);
    }
    st = bearer_cors_origin_parse(arg, strlen(arg), normal, sizeof(normal),
                                  &normal_len);
    if (st != BEARER_CORS_OK) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s; expected "
                            "scheme://host[:port] as a browser sends it in "
                            "Origin (e.g. https://app.example.com), or '*'",
                            cmd->cmd->name, arg, bearer_cors_status_text(st));
    }
    for (i = 0; i < cors->origins->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(cors->origins, i, const char *),
                   normal) == 0) {
            return NULL;        /* listed twice: once is enough */
        }
    }
    APR_ARRAY_PUSH(cors->origins, const char *) =
        apr_pstrmemdup(cmd->pool, normal, normal_len);
    cors->list.origins = (const char *const *)cors->origins->elts;
    cors->list.count = (size_t)cors->origins->nelts;
    return NULL;
}

/* ---- per request ----------------------------------------------------------- */

/* The Access-Control-Allow-Origin value for r, or NULL when r is not from
 * an origin listed for its context. The value is always configuration
 * ("*" or a listed origin), never the request's text. */
static const char *allowed_origin(request_rec *r)
{
    const bearer_dir_conf *dconf = ap_get_module_config(r->per_dir_config,
                                                        &bearer_module);
    const char *origin;

    if (!dconf || !dconf->cors) {
        return NULL;
    }
    origin = apr_table_get(r->headers_in, "Origin");
    if (!origin) {
        return NULL;
    }
    return bearer_cors_list_match(&dconf->cors->list, origin);
}

/* Vary: Origin once, beside whatever Vary others set (an internal redirect
 * runs the hook again over the same err_headers_out). */
static void vary_origin(request_rec *r, apr_table_t *t)
{
    const char *vary = apr_table_get(t, "Vary");

    if (!vary || !ap_find_token(r->pool, vary, "Origin")) {
        apr_table_mergen(t, "Vary", "Origin");
    }
}

static int preflight(request_rec *r, const char *allow, unsigned int methods)
{
    const char *method, *headers;
    unsigned int bit;

    if (r->method_number != M_OPTIONS) {
        return 0;
    }
    method = apr_table_get(r->headers_in, "Access-Control-Request-Method");
    if (!method) {
        return 0;
    }
    /* a preflight has no body; one sent anyway is not read: close after */
    if (ap_request_has_body(r)) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    r->status = HTTP_NO_CONTENT;
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", allow);
    bit = bearer_cors_method(method) & methods;
    if (bit) {
        /* the constant name, never the request's text */
        apr_table_setn(r->headers_out, "Access-Control-Allow-Methods",
                       bearer_cors_method_name(bit));
    }
    headers = bearer_cors_allow_headers(bearer_cors_request_headers(
        apr_table_get(r->headers_in, "Access-Control-Request-Headers"),
        NULL));
    if (headers) {
        apr_table_setn(r->headers_out, "Access-Control-Allow-Headers",
                       headers);
    }
    apr_table_setn(r->headers_out, "Access-Control-Max-Age", "600");
    vary_origin(r, r->headers_out);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00190)
                  "answered a CORS preflight from %s for %s: %s allowed",
                  allow, r->uri, bit ? bearer_cors_method_name(bit)
                                     : "no method");
    return 1;
}

static void add_headers(request_rec *r, const char *allow)
{
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Origin", allow);
    apr_table_setn(r->err_headers_out, "Access-Control-Expose-Headers",
                   "WWW-Authenticate");
    vary_origin(r, r->err_headers_out);
}

int bearer_cors_answer_preflight(request_rec *r, unsigned int methods)
{
    const char *allow = allowed_origin(r);

    return allow ? preflight(r, allow, methods) : 0;
}

void bearer_cors_add_headers(request_rec *r)
{
    const char *allow = allowed_origin(r);

    if (allow) {
        add_headers(r, allow);
    }
}

/* Locations with AuthType Bearer: the preflight is answered here, before
 * authentication; any other request from a listed origin gets the headers
 * now, in err_headers_out, so that every answer carries them. */
int bearer_cors_header_parser(request_rec *r)
{
    const char *allow = allowed_origin(r);
    const char *type;

    if (!allow) {
        return DECLINED;
    }
    type = ap_auth_type(r);
    if (!type || strcasecmp(type, BEARER_AUTH_TYPE) != 0) {
        return DECLINED;
    }
    if (preflight(r, allow, BEARER_CORS_ALL_METHODS)) {
        return DONE;
    }
    add_headers(r, allow);
    return DECLINED;
}

