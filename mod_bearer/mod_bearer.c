/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_bearer.c - the module record and the order of things at startup.
 *
 *   pre_config     register the writers' mutex type (Mutex bearer-table)
 *   check_config   read secrets into keys, operator tokens into MACs, and
 *                  refuse configurations that cannot work (configtest
 *                  runs this too)
 *   post_config    create or find again the shared-memory token table
 *   child_init     attach to the writers' mutex
 */
#define BEARER_DECLARING_MODULE
#include "bearer_private.h"
#include "bearer_oauth.h"
#include "http_protocol.h"

static int bearer_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    return bearer_store_pre_config(pconf);
}

static int bearer_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    return bearer_resolve_secrets(pconf, s);
}

static int bearer_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    return bearer_store_post_config(pconf, ptemp, s);
}

static void bearer_child_init(apr_pool_t *p, server_rec *s)
{
    bearer_store_child_init(p, s);
}

static void bearer_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(bearer_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(bearer_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(bearer_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(bearer_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bearer_endpoint_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bearer_introspect_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bearer_revoke_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* TRACE on the endpoint: 405, before http_core's echo (MIDDLE) */
    ap_hook_translate_name(bearer_endpoint_note_trace, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(bearer_endpoint_refuse_trace, NULL, NULL,
                           APR_HOOK_FIRST);
    ap_hook_translate_name(bearer_oauth_note_trace, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(bearer_oauth_refuse_trace, NULL, NULL,
                           APR_HOOK_FIRST);
    bearer_register_authn_hooks();
    bearer_register_authz_providers(p);
    bearer_register_ops_hooks();
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
