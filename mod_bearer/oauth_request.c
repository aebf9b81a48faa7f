/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oauth_request.c - the request side the two OAuth endpoints share:
 * POST only, a form-urlencoded body of at most 16 KiB, parsed by
 * core/form.c (TRACE is refused with the token endpoint's, endpoint.c).
 *
 * The checks run in the order of the token endpoint: method (405), then
 * the body (413, 415, 400). The body comes before the caller's credentials
 * here because client_secret_post carries them inside it.
 */
#include "bearer_oauth.h"
#include "bearer_mint_request.h"
#include "http_protocol.h"
#include "http_core.h"

#include "apr_strings.h"

/* Reads at most BEARER_BODY_MAX bytes into the pool, NUL-terminated. 0 and
 * *len, or the status that refuses it (413 too large, 400 unreadable). */
static int read_body(request_rec *r, char **body, apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    char *buf;
    apr_size_t got = 0;
    int rc;

    if (cl) {
        char *end;
        apr_off_t declared;

        /* refused unread: no reason to take 16 KiB we will not use */
        if (apr_strtoff(&declared, cl, &end, 10) == APR_SUCCESS && !*end
                && declared > BEARER_BODY_MAX) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK) {
        return rc;
    }
    buf = apr_palloc(r->pool, BEARER_BODY_MAX + 1);
    if (ap_should_client_block(r)) {
        for (;;) {
            long n = ap_get_client_block(r, buf + got,
                                         BEARER_BODY_MAX + 1 - got);

            if (n == 0) {
                break;
            }
            if (n < 0) {
                r->connection->keepalive = AP_CONN_CLOSE;
                return HTTP_BAD_REQUEST;
            }
            got += (apr_size_t)n;
            if (got > BEARER_BODY_MAX) {
                r->connection->keepalive = AP_CONN_CLOSE;
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
        }
    }
    buf[got] = '\0';
    *body = buf;
    *len = got;
    return OK;
}

/* A parameter name fit to quote in an error description: short printable
 * ASCII without quotes, else none (the description never echoes bytes
 * that could be part of a credential). */
static const char *quotable_name(apr_pool_t *p, const bearer_form_param_t *f)
{
    apr_size_t i;

    if (f->name_len == 0 || f->name_len > 32) {
        return NULL;
    }
    for (i = 0; i < f->name_len; i++) {
        unsigned char c = (unsigned char)f->name[i];

        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '\'') {
            return NULL;
        }
    }
    return apr_pstrmemdup(p, f->name, f->name_len);
}

int bearer_oauth_read_form(request_rec *r, bearer_form_t *form, int *rc)
{
    char *body = NULL;
    apr_size_t len = 0;
    int status;
    const char *name;

    if (r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "POST");
        *rc = bearer_send_error(r, HTTP_METHOD_NOT_ALLOWED, "invalid_request",
                                apr_psprintf(r->pool, "method %s is not "
                                             "allowed here; allowed: POST",
                                             r->method));
        return 0;
    }
    status = read_body(r, &body, &len);
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        *rc = bearer_send_error(r, status, "invalid_request",
                                apr_psprintf(r->pool, "the request body "
                                             "exceeds %d bytes",
                                             BEARER_BODY_MAX));
        return 0;
    }
    if (status != OK) {
        *rc = bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                "the request body could not be read");
        return 0;
    }
    if (!bearer_content_type_is_form(apr_table_get(r->headers_in,
                                                   "Content-Type"))) {
        *rc = bearer_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                "invalid_request",
                                "the request body must be Content-Type: "
                                "application/x-www-form-urlencoded");
        return 0;
    }
    switch (bearer_form_parse(body, len, form)) {
    case BEARER_FORM_OK:
        return 1;
    case BEARER_FORM_DUPLICATE:
        name = quotable_name(r->pool, &form->fault);
        *rc = bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                name ? apr_psprintf(r->pool, "parameter '%s' "
                                                    "is given more than once",
                                                    name)
                                     : "a parameter is given more than once");
        return 0;
    case BEARER_FORM_TOO_MANY:
        *rc = bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                apr_psprintf(r->pool, "the body holds more "
                                             "than %d parameters",
                                             BEARER_FORM_MAX_PARAMS));
        return 0;
    case BEARER_FORM_BAD_ESCAPE:
    default:
        *rc = bearer_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                "the body is not form-urlencoded: a '%' is "
                                "not followed by two hex digits");
        return 0;
    }
}

const char *bearer_oauth_param(const bearer_form_t *form, const char *name,
                               apr_size_t *len)
{
    const bearer_form_param_t *p = bearer_form_get(form, name);

    if (!p) {
        return NULL;
    }
    *len = p->value_len;
    return p->value;
}

int bearer_oauth_unavailable(request_rec *r, const char *description)
{
    apr_table_setn(r->err_headers_out, "Retry-After", "1");
    return bearer_send_error(r, HTTP_SERVICE_UNAVAILABLE,
                             "temporarily_unavailable", description);
}
