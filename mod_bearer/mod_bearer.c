/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_bearer.c - the module record, the order of things at startup, and
 * every hook mod_bearer registers. The other files export plain functions;
 * only this one decides when httpd calls them.
 *
 * Start-up, in the order httpd runs the phases:
 *
 *   pre_config     store.c       register the writers' mutex type (Mutex
 *                                bearer-table): Mutex directives are read
 *                                after this, so it must come first
 *   check_config   configcheck.c mistakes no single directive can see
 *                                (runs under configtest too), before any
 *                                key is derived, so that a broken config
 *                                fails with the message that names it
 *                  secrets.c     read secrets into keys, operator tokens
 *                                into MACs (then wiped)
 *   post_config    observe.c     the metrics segment first: what follows
 *                                may count
 *                  store.c       create or find again the token table
 *                                and its writers' mutex
 *                  mc_health.c   number the memcached servers, find or
 *                                create their shared health (fleet mode)
 *                  fleet_refill.c  hand the refill task to mod_watchdog
 *                                (it reads its callbacks after us)
 *   child_init     mc_conn.c     this child's connection stacks, then the
 *                                health gauges (needs the metrics segment)
 *                  store.c       attach to the writers' mutex
 *
 * Each part finds what it made again on a restart (kept_shm.c), so every
 * phase runs the same way on the first start and on a graceful restart.
 */
#define BEARER_DECLARING_MODULE
#include "bearer_private.h"
#include "bearer_fleet_internal.h"
#include "bearer_mc_client.h"
#include "bearer_oauth.h"
#include "http_protocol.h"
#include "ap_provider.h"
#include "mod_status.h"

#include "apr_optional_hooks.h"

static int bearer_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    return bearer_store_pre_config(pconf);
}

static int bearer_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    if (bearer_check_config_tree(ptemp, s) != OK) {
        return !OK;
    }
    return bearer_resolve_secrets(pconf, s);
}

static int bearer_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    int rc = bearer_observe_post_config(s);

    if (rc == OK) {
        rc = bearer_store_post_config(pconf, ptemp, s);
    }
    if (rc == OK) {
        rc = bearer_mc_post_config(pconf, s);
    }
    if (rc == OK) {
        /* Fleet mode's periodic task (the refill of memcached servers
         * that come back empty): a mod_watchdog callback, registered here
         * because mod_watchdog reads its callbacks in its own post_config,
         * which runs after this one (APR_HOOK_LAST). */
        rc = bearer_fleet_refill_register(pconf, s);
    }
    return rc;
}

static void bearer_child_init(apr_pool_t *p, server_rec *s)
{
    bearer_mc_child_init(p, s);
    bearer_mc_publish_health();
    bearer_store_child_init(p, s);
}

/*
 * SetHandler bearer-tokens, bearer-introspect, bearer-revoke and
 * bearer-metrics: one handler hook, so that
 * every other request costs one look at the handler's first letter.
 */
static int bearer_handler(request_rec *r)
{
    const char *h = r->handler;

    if (!h || h[0] != 'b' || strncmp(h, "bearer-", 7) != 0) {
        return DECLINED;
    }
    if (strcmp(h, BEARER_HANDLER) == 0) {
        return bearer_endpoint_handler(r);
    }
    if (strcmp(h, BEARER_METRICS_HANDLER) == 0) {
        return bearer_observe_metrics_handler(r);
    }
    if (strcmp(h, BEARER_INTROSPECT_HANDLER) == 0) {
        return bearer_introspect_handler(r);
    }
    if (strcmp(h, BEARER_REVOKE_HANDLER) == 0) {
        return bearer_revoke_handler(r);
    }
    return DECLINED;
}

/* translate_name hooks that may answer OK and end the phase */
static const char *const trace_note_before[] = {
    "mod_proxy.c", "mod_rewrite.c", "mod_alias.c", "mod_vhost_alias.c",
    "mod_userdir.c", NULL
};

static void bearer_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(bearer_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(bearer_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(bearer_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(bearer_child_init, NULL, NULL, APR_HOOK_MIDDLE);

    /* Requests. Each hook returns at its first line for a request that
     * mod_bearer does not serve (see docs/design.md). */

    /* TRACE to an endpoint (bearer-tokens, -introspect, -revoke): 405 or 404, never httpd's echo of the
     * request (and its token). http_core answers TRACE in map_to_storage
     * at MIDDLE, where the <Location>'s configuration is not in force, so
     * it takes two steps (endpoint.c): translate_name, which sees the
     * <Location>, notes a TRACE for the endpoint, ahead of the modules
     * whose translate_name may end the phase (an OK from any of them stops
     * the hook); map_to_storage answers it, ahead of http_core. */
    ap_hook_translate_name(bearer_endpoint_note_trace, NULL,
                           trace_note_before, APR_HOOK_FIRST);
    ap_hook_map_to_storage(bearer_endpoint_refuse_trace, NULL, NULL,
                           APR_HOOK_FIRST);
    /* X-Bearer-* from the client dropped before any other module reads
     * the request headers (mod_setenvif, mod_rewrite run at MIDDLE) */
    ap_hook_header_parser(bearer_authn_strip_headers, NULL, NULL,
                          APR_HOOK_FIRST);
    /* CORS preflights from a listed origin answered before authentication;
     * every other answer to a listed origin gets its CORS headers here */
    ap_hook_header_parser(bearer_cors_header_parser, NULL, NULL,
                          APR_HOOK_MIDDLE);
    ap_hook_check_authn(bearer_authn_check, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(bearer_authn_note_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(bearer_authn_error_challenge, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "bearer-scope",
                              AUTHZ_PROVIDER_VERSION, &bearer_scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "bearer-operator",
                              AUTHZ_PROVIDER_VERSION,
                              &bearer_operator_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_handler(bearer_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* a protected request's outcome is final only when it is logged */
    ap_hook_log_transaction(bearer_observe_count_request, NULL, NULL,
                            APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, bearer_observe_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bearer) = {
    STANDARD20_MODULE_STUFF,
    bearer_create_dir_conf,
    bearer_merge_dir_conf,
    bearer_create_server_conf,
    bearer_merge_server_conf,
    bearer_cmds,
    bearer_register_hooks,
    AP_MODULE_FLAG_NONE
};
