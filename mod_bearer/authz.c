/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authz.c - the Require providers:
 *
 *   Require bearer-scope s1 s2 ...   the token holds at least one of them
 *   Require bearer-operator          only an operator token
 *
 * Arguments are parsed once, at configuration time; one holding "%{" is an
 * ap_expr string expression evaluated per request (its value may name
 * several scopes, space-separated). An operator token holds every scope.
 *
 * A failed line gives 403 insufficient_scope only where the admin set
 * AuthzSendForbiddenOnFailure On (authz_core's directive; configcheck.c
 * refuses a bearer-* line where it is set neither On nor Off), else 401
 * with the same challenge (authn.c's note_auth_failure).
 */
#include "bearer_private.h"
#include "bearer_scope.h"
#include "ap_expr.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "apr_strings.h"

typedef struct {
    const char *scope;           /* a literal scope, or NULL */
    ap_expr_info_t *expr;        /* else an expression */
} scope_arg;

static const char *parse_scope_require(cmd_parms *cmd,
                                       const char *require_line,
                                       const void **parsed)
{
    apr_array_header_t *args = apr_array_make(cmd->pool, 2,
                                              sizeof(scope_arg));
    const char *line = require_line;
    const char *word;

    while (*(word = ap_getword_conf(cmd->pool, &line))) {
        scope_arg *arg = apr_array_push(args);

        arg->scope = NULL;
        arg->expr = NULL;
        if (strstr(word, "%{")) {
            const char *err = NULL;

            arg->expr = ap_expr_parse_cmd(cmd, word,
                                          AP_EXPR_FLAG_STRING_RESULT, &err,
                                          NULL);
            if (err) {
                return apr_psprintf(cmd->pool, "Require bearer-scope: "
                                    "cannot parse '%s': %s", word, err);
            }
        }
        else if (bearer_scope_token_valid(word, strlen(word))) {
            arg->scope = word;
        }
        else {
            return apr_psprintf(cmd->pool, "Require bearer-scope: '%s' is "
                                "not a valid scope (RFC 6749 scope-token)",
                                word);
        }
    }
    if (args->nelts == 0) {
        return "Require bearer-scope: name at least one scope";
    }
    *parsed = args;
    return NULL;
}

static const char *parse_operator_require(cmd_parms *cmd,
                                          const char *require_line,
                                          const void **parsed)
{
    const char *line = require_line;

    if (*ap_getword_conf(cmd->temp_pool, &line)) {
        return "Require bearer-operator takes no arguments";
    }
    return NULL;
}

/* The token this request authenticated with, or NULL; sets *result for
 * the cases where there is none. */
static bearer_request_state *authenticated(request_rec *r,
                                           authz_status *result)
{
    bearer_request_state *state;

    if (!r->user) {
        *result = AUTHZ_DENIED_NO_USER;
        return NULL;
    }
    state = bearer_request_state_find(r);
    if (!state) {
        /* a user from another AuthType holds no bearer scope */
        *result = AUTHZ_DENIED;
    }
    return state;
}

static authz_status check_scope(request_rec *r, const char *require_line,
                                const void *parsed)
{
    const apr_array_header_t *args = parsed;
    authz_status result = AUTHZ_DENIED;
    bearer_request_state *state = authenticated(r, &result);
    const bearer_entry_t *e;
    char wanted[BEARER_SCOPE_LIST_MAX + 1];
    apr_size_t wanted_len = 0;
    int i;

    if (!state) {
        return result;
    }
    if (state->token->kind == BEARER_KIND_OPERATOR) {
        return AUTHZ_GRANTED;
    }
    e = &state->token->entry;
    wanted[0] = '\0';
    for (i = 0; i < args->nelts; i++) {
        const scope_arg *arg = &APR_ARRAY_IDX(args, i, scope_arg);
        const char *value = arg->scope;
        const char *cursor, *word;
        apr_size_t remaining, word_len;

        if (arg->expr) {
            const char *err = NULL;

            value = ap_expr_str_exec(r, arg->expr, &err);
            if (err || !value) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00060)
                              "Require bearer-scope: cannot evaluate an "
                              "expression: %s", err ? err : "no value");
                continue;
            }
        }
        cursor = value;
        remaining = strlen(value);
        while (bearer_scope_next(&cursor, &remaining, &word, &word_len)) {
            if (bearer_scope_list_has(e->scope, e->scope_len, word,
                                      word_len)) {
                return AUTHZ_GRANTED;
            }
            /* only well-formed scopes go into the challenge header */
            if (bearer_scope_token_valid(word, word_len)) {
                bearer_scope_list_add(wanted, sizeof(wanted), &wanted_len,
                                      word, word_len);
            }
        }
    }
    state->denied_scope = apr_pstrmemdup(r->pool, wanted, wanted_len);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00061)
                  "token %s lacks every scope of: %s", state->token->id,
                  state->denied_scope);
    return AUTHZ_DENIED;
}

static authz_status check_operator(request_rec *r, const char *require_line,
                                   const void *parsed)
{
    authz_status result = AUTHZ_DENIED;
    bearer_request_state *state = authenticated(r, &result);

    if (!state) {
        return result;
    }
    if (state->token->kind == BEARER_KIND_OPERATOR) {
        return AUTHZ_GRANTED;
    }
    state->denied_scope = "";
    return AUTHZ_DENIED;
}

const authz_provider bearer_scope_provider = {
    &check_scope,
    &parse_scope_require,
};

const authz_provider bearer_operator_provider = {
    &check_operator,
    &parse_operator_require,
};
