/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_oauth.h - what the two OAuth endpoints share: SetHandler
 * bearer-introspect (RFC 7662, introspect.c) and SetHandler bearer-revoke
 * (RFC 7009, revoke.c). Both take a form-urlencoded POST (oauth_request.c)
 * and read the caller's client credentials in the three ways OAuth
 * clients send them (client_auth.c).
 */
#ifndef BEARER_OAUTH_H
#define BEARER_OAUTH_H

#include "bearer_private.h"
#include "bearer_form.h"


/* ---- oauth_request.c: method, body, form ------------------------------- */

/*
 * 1 if r is a POST whose body is a well-formed form of at most
 * BEARER_BODY_MAX bytes: *form holds its parameters (pointing into the
 * request pool). Else 0, after answering: 405 (Allow: POST), 413, 415 or
 * 400 invalid_request; *rc is then what the handler returns.
 */
int bearer_oauth_read_form(request_rec *r, bearer_form_t *form, int *rc);

/* The value of a parameter as a counted string; NULL when absent. */
const char *bearer_oauth_param(const bearer_form_t *form, const char *name,
                               apr_size_t *len);


/* ---- client_auth.c: who is calling ------------------------------------- */

typedef enum {
    BEARER_CLIENT_NONE = 0,       /* no client credentials at all */
    BEARER_CLIENT_OPERATOR,       /* an operator token */
    BEARER_CLIENT_TOKEN,          /* a live client token of ours */
    BEARER_CLIENT_INVALID,        /* credentials that are neither: 401 */
    BEARER_CLIENT_TWO_WAYS,       /* more than one way at once: 400 */
    BEARER_CLIENT_UNAVAILABLE     /* the store cannot say: 503 */
} bearer_client_result;

typedef enum {
    BEARER_VIA_NONE = 0,
    BEARER_VIA_BEARER,            /* Authorization: Bearer <token> */
    BEARER_VIA_BASIC,             /* Authorization: Basic (secret_basic) */
    BEARER_VIA_POST,              /* client_secret in the body */
    BEARER_VIA_OTHER              /* another Authorization scheme */
} bearer_client_via;

typedef struct {
    bearer_client_result result;
    bearer_client_via via;
    /* OPERATOR, TOKEN, and INVALID when a secret could be read: what was
     * presented (its id_bytes name it, whatever it turned out to be) */
    bearer_token_info *token;
} bearer_client_auth;

void bearer_client_authenticate(request_rec *r,
                                const bearer_server_conf *sconf,
                                const bearer_form_t *form,
                                bearer_client_auth *out);

/* 401 invalid_client, with the challenge for the scheme the caller used
 * (Basic after Basic, else Bearer); 403 insufficient_scope; 400 for two
 * ways at once. */
int bearer_client_unauthorized(request_rec *r, const bearer_client_auth *a);
int bearer_client_forbidden(request_rec *r, const char *description);
int bearer_client_two_ways(request_rec *r);

/* ---- the handlers ------------------------------------------------------- */

int bearer_introspect_handler(request_rec *r);
int bearer_revoke_handler(request_rec *r);

#endif
