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
    body = bearer_read_body(r, &len, &status);
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
        name = bearer_quotable_name(r->pool, form->fault.name,
                                    form->fault.name_len);
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
