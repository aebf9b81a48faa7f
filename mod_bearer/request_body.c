/* SPDX-License-Identifier: Apache-2.0 */
/*
 * request_body.c - the one reader of request bodies, for the token
 * endpoint's JSON and the OAuth endpoints' forms: at most BEARER_BODY_MAX
 * bytes (16 KiB), refused unread when Content-Length already says more.
 */
#include "bearer_private.h"
#include "bearer_mint_request.h"
#include "http_protocol.h"

#include "apr_strings.h"

/* The body, NUL-terminated, in the request pool, and its length; NULL and
 * *status the refusal (413 too large, 400 unreadable, or what
 * ap_setup_client_block said). */
char *bearer_read_body(request_rec *r, apr_size_t *len, int *status)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    char *buf;
    apr_size_t got = 0;
    int rc;

    *status = OK;
    *len = 0;
    if (cl) {
        char *end;
        apr_off_t declared;

        /* refused unread: no reason to take 16 KiB we will not use */
        if (apr_strtoff(&declared, cl, &end, 10) == APR_SUCCESS && !*end
                && declared > BEARER_BODY_MAX) {
            r->connection->keepalive = AP_CONN_CLOSE;
            *status = HTTP_REQUEST_ENTITY_TOO_LARGE;
            return NULL;
        }
    }
    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK) {
        *status = rc;
        return NULL;
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
                *status = HTTP_BAD_REQUEST;
                return NULL;
            }
            got += (apr_size_t)n;
            if (got > BEARER_BODY_MAX) {
                r->connection->keepalive = AP_CONN_CLOSE;
                *status = HTTP_REQUEST_ENTITY_TOO_LARGE;
                return NULL;
            }
        }
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}
