/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - the directives of mod_bearer: parsing with range checks,
 * and the create/merge functions of the server and directory configs.
 *
 * Every error message starts with the directive's name and says what was
 * expected; httpd adds the file and line.
 */
#include "bearer_private.h"
#include "bearer_scope.h"
#include "http_core.h"

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_network_io.h"

/* ---- number parsing ------------------------------------------------------ */

/* Parses a whole decimal integer within [min, max]; NULL on success, else
 * an error naming the directive. */
static const char *parse_ranged(cmd_parms *cmd, const char *arg,
                                apr_int64_t min, apr_int64_t max,
                                apr_int64_t *out)
{
    char *end = NULL;
    apr_int64_t v;
    const char *p;

    for (p = arg; *p; p++) {
        if (!apr_isdigit(*p)) {
            break;
        }
    }
    if (*arg == '\0' || *p != '\0') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number "
                            "(expected %" APR_INT64_T_FMT " to %"
                            APR_INT64_T_FMT ")", cmd->cmd->name, arg,
                            min, max);
    }
    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno != 0 || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: %s is out of range (expected %"
                            APR_INT64_T_FMT " to %" APR_INT64_T_FMT ")",
                            cmd->cmd->name, arg, min, max);
    }
    *out = v;
    return NULL;
}

static bearer_server_conf *server_conf_of(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &bearer_module);
}

/* ---- server-level directives ----------------------------------------------- */

static const char *set_operator_file(cmd_parms *cmd, void *dummy,
                                     const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *err;

    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    }
    err = bearer_read_operator_file(cmd->pool, path, &conf->operator_tokens,
                                    &conf->operator_file_insecure);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    conf->operator_file = path;
    return NULL;
}

static const char *set_secret_file(cmd_parms *cmd, void *dummy,
                                   const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *err;

    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    }
    err = bearer_read_secret_file(cmd->pool, path, &conf->secret_bytes,
                                  &conf->secret_len,
                                  &conf->secret_file_insecure);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    conf->secret_file = path;
    return NULL;
}

static const char *add_memcache_server(cmd_parms *cmd, void *dummy,
                                       const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    bearer_memcache_server *server;
    char *host = NULL, *scope_id = NULL;
    apr_port_t port = 0;
    int i;

    if (apr_parse_addr_port(&host, &scope_id, &port, arg, cmd->pool)
            != APR_SUCCESS || !host || scope_id || port == 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not host:port (e.g. "
                            "127.0.0.1:11211)", cmd->cmd->name, arg);
    }
    if (!conf->memcache) {
        conf->memcache = apr_array_make(cmd->pool, 4, sizeof(*server));
    }
    for (i = 0; i < conf->memcache->nelts; i++) {
        server = &APR_ARRAY_IDX(conf->memcache, i, bearer_memcache_server);
        if (server->port == port && strcasecmp(server->host, host) == 0) {
            return apr_psprintf(cmd->pool, "%s: '%s' is listed twice",
                                cmd->cmd->name, arg);
        }
    }
    server = apr_array_push(conf->memcache);
    server->host = host;
    server->port = port;
    return NULL;
}

static const char *set_replicas(cmd_parms *cmd, void *dummy, const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    apr_int64_t v;
    const char *err = parse_ranged(cmd, arg, 1, BEARER_MAX_REPLICAS, &v);

    if (err) {
        return err;
    }
    conf->replicas = (int)v;
    conf->replicas_set = 1;
    return NULL;
}

static const char *set_timeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    apr_int64_t v;
    const char *err = parse_ranged(cmd, arg, 1, 60000, &v);

    if (err) {
        return err;
    }
    conf->timeout_ms = (int)v;
    conf->timeout_set = 1;
    return NULL;
}

static const char *set_cache_entries(cmd_parms *cmd, void *dummy,
                                     const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_int64_t v;

    if (err) {
        return err;
    }
    err = parse_ranged(cmd, arg, BEARER_TABLE_MIN_SLOTS,
                       BEARER_TABLE_MAX_SLOTS, &v);
    if (err) {
        return err;
    }
    conf->cache_entries = (apr_uint32_t)v;
    conf->cache_entries_set = 1;
    return NULL;
}

static const char *set_recheck(cmd_parms *cmd, void *dummy, const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);
    apr_int64_t v;
    const char *err = parse_ranged(cmd, arg, 0, 3600, &v);

    if (err) {
        return err;
    }
    conf->recheck = (int)v;
    conf->recheck_set = 1;
    return NULL;
}

static const char *set_outage(cmd_parms *cmd, void *dummy, const char *arg)
{
    bearer_server_conf *conf = server_conf_of(cmd);

    if (strcasecmp(arg, "stale") == 0) {
        conf->outage = BEARER_OUTAGE_STALE;
    }
    else if (strcasecmp(arg, "closed") == 0) {
        conf->outage = BEARER_OUTAGE_CLOSED;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither 'stale' nor "
                            "'closed'", cmd->cmd->name, arg);
    }
    conf->outage_set = 1;
    return NULL;
}

static const char *set_prefix(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (!bearer_prefix_valid(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be 1 to %d characters "
                            "of A-Z, a-z, 0-9 and _", cmd->cmd->name, arg,
                            BEARER_PREFIX_MAX);
    }
    server_conf_of(cmd)->prefix = arg;
    return NULL;
}

/* ---- directory-level directives -------------------------------------------- */

static const char *set_ttl(cmd_parms *cmd, void *mconfig, const char *arg)
{
    bearer_dir_conf *conf = mconfig;
    apr_int64_t v;
    const char *err = parse_ranged(cmd, arg, 1, BEARER_TTL_LIMIT, &v);

    if (err) {
        return err;
    }
    if (cmd->info) {
        conf->max_ttl = v;
        conf->max_ttl_set = 1;
    }
    else {
        conf->default_ttl = v;
        conf->default_ttl_set = 1;
    }
    return NULL;
}

static const char *scope_error(cmd_parms *cmd, const char *arg)
{
    return apr_psprintf(cmd->pool, "%s: '%s' is not a valid scope (RFC 6749 "
                        "scope-token: printable ASCII except space, '\"' and "
                        "'\\', at most %d bytes)", cmd->cmd->name, arg,
                        BEARER_SCOPE_TOKEN_MAX);
}

static const char *add_issuable_scope(cmd_parms *cmd, void *mconfig,
                                      const char *arg)
{
    bearer_dir_conf *conf = mconfig;

    if (!bearer_scope_token_valid(arg, strlen(arg))) {
        return scope_error(cmd, arg);
    }
    if (!bearer_scope_pattern_valid(arg, strlen(arg))) {
        return apr_psprintf(cmd->pool, "%s: '%s': '*' may only end an entry, "
                            "after at least one other character "
                            "(\"stream:start:*\"); leave the directive out "
                            "to allow any scope", cmd->cmd->name, arg);
    }
    if (!conf->issuable_scopes) {
        conf->issuable_scopes = apr_array_make(cmd->pool, 4,
                                               sizeof(const char *));
    }
    APR_ARRAY_PUSH(conf->issuable_scopes, const char *) = arg;
    conf->issuable_set = 1;
    return NULL;
}

static const char *add_default_scope(cmd_parms *cmd, void *mconfig,
                                     const char *arg)
{
    bearer_dir_conf *conf = mconfig;
    char buf[BEARER_SCOPE_LIST_MAX + 1];
    apr_size_t len = 0;

    if (!bearer_scope_token_valid(arg, strlen(arg))) {
        return scope_error(cmd, arg);
    }
    if (conf->default_scopes_set && conf->default_scopes) {
        len = strlen(conf->default_scopes);
        memcpy(buf, conf->default_scopes, len + 1);
    }
    else {
        buf[0] = '\0';
    }
    if (bearer_scope_list_add(buf, sizeof(buf), &len, arg, strlen(arg))
            != BEARER_SCOPE_OK) {
        return apr_psprintf(cmd->pool, "%s: the scopes exceed %d bytes",
                            cmd->cmd->name, BEARER_SCOPE_LIST_MAX);
    }
    conf->default_scopes = apr_pstrmemdup(cmd->pool, buf, len);
    conf->default_scopes_set = 1;
    return NULL;
}

static const char *set_forward_headers(cmd_parms *cmd, void *mconfig, int on)
{
    bearer_dir_conf *conf = mconfig;

    conf->forward_headers = on;
    conf->forward_set = 1;
    return NULL;
}

const command_rec bearer_cmds[] = {
    AP_INIT_TAKE1("BearerOperatorTokenFile", set_operator_file, NULL,
                  RSRC_CONF, "a file of operator tokens, one a line"),
    AP_INIT_TAKE1("BearerSecretFile", set_secret_file, NULL, RSRC_CONF,
                  "a file whose bytes key token ids and cache entries"),
    AP_INIT_ITERATE("BearerMemcache", add_memcache_server, NULL, RSRC_CONF,
                    "memcached servers as host:port (fleet mode)"),
    AP_INIT_TAKE1("BearerMemcacheReplicas", set_replicas, NULL, RSRC_CONF,
                  "memcached servers each token is written to"),
    AP_INIT_TAKE1("BearerMemcacheTimeout", set_timeout, NULL, RSRC_CONF,
                  "milliseconds any one memcached exchange may take"),
    AP_INIT_TAKE1("BearerCacheEntries", set_cache_entries, NULL, RSRC_CONF,
                  "slots of the shared-memory token table"),
    AP_INIT_TAKE1("BearerCacheRecheck", set_recheck, NULL, RSRC_CONF,
                  "seconds a shared-memory hit is trusted in fleet mode"),
    AP_INIT_TAKE1("BearerOutage", set_outage, NULL, RSRC_CONF,
                  "'stale' or 'closed': what to do when memcached is down"),
    AP_INIT_TAKE1("BearerTokenPrefix", set_prefix, NULL, RSRC_CONF,
                  "the prefix of minted client tokens"),
    AP_INIT_TAKE1("BearerDefaultTTL", set_ttl, NULL, RSRC_CONF | ACCESS_CONF,
                  "seconds a token lives when the request names no ttl"),
    AP_INIT_TAKE1("BearerMaxTTL", set_ttl, (void *)1, RSRC_CONF | ACCESS_CONF,
                  "the longest ttl granted"),
    AP_INIT_ITERATE("BearerIssuableScopes", add_issuable_scope, NULL,
                    RSRC_CONF | ACCESS_CONF, "scopes the endpoint may grant"),
    AP_INIT_ITERATE("BearerDefaultScopes", add_default_scope, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "scopes granted when the request names none"),
    AP_INIT_FLAG("BearerForwardHeaders", set_forward_headers, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "On: pass X-Bearer-* headers to the backend"),
    AP_INIT_ITERATE("BearerCORSOrigins", bearer_cors_set_origins, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "origins (scheme://host[:port]) whose browser scripts "
                    "may call here, or '*' for any"),
    {NULL}
};

/* ---- create and merge ------------------------------------------------------ */

void *bearer_create_server_conf(apr_pool_t *p, server_rec *s)
{
    bearer_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->replicas = 2;                 /* clamped to the server count */
    conf->timeout_ms = BEARER_DEFAULT_TIMEOUT;
    conf->recheck = BEARER_DEFAULT_RECHECK;
    conf->outage = BEARER_OUTAGE_STALE;
    conf->cache_entries = BEARER_DEFAULT_ENTRIES;
    return conf;
}

void *bearer_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    bearer_server_conf *base = basev, *add = addv;
    bearer_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    if (add->operator_file) {
        conf->operator_file = add->operator_file;
        conf->operator_tokens = add->operator_tokens;
        conf->operator_file_insecure = add->operator_file_insecure;
    }
    else {
        conf->operator_file = base->operator_file;
        conf->operator_tokens = base->operator_tokens;
        conf->operator_file_insecure = base->operator_file_insecure;
    }
    if (add->secret_file) {
        conf->secret_file = add->secret_file;
        conf->secret_bytes = add->secret_bytes;
        conf->secret_len = add->secret_len;
        conf->secret_file_insecure = add->secret_file_insecure;
    }
    else {
        conf->secret_file = base->secret_file;
        conf->secret_bytes = base->secret_bytes;
        conf->secret_len = base->secret_len;
        conf->secret_file_insecure = base->secret_file_insecure;
    }
    conf->memcache = add->memcache ? add->memcache : base->memcache;
    conf->replicas_set = add->replicas_set || base->replicas_set;
    conf->replicas = add->replicas_set ? add->replicas : base->replicas;
    conf->timeout_set = add->timeout_set || base->timeout_set;
    conf->timeout_ms = add->timeout_set ? add->timeout_ms : base->timeout_ms;
    conf->recheck_set = add->recheck_set || base->recheck_set;
    conf->recheck = add->recheck_set ? add->recheck : base->recheck;
    conf->outage_set = add->outage_set || base->outage_set;
    conf->outage = add->outage_set ? add->outage : base->outage;
    conf->prefix = add->prefix ? add->prefix : base->prefix;
    /* one table for the whole server: only the main server's value counts */
    conf->cache_entries = base->cache_entries;
    conf->cache_entries_set = base->cache_entries_set;
    return conf;
}

void *bearer_create_dir_conf(apr_pool_t *p, char *dir)
{
    bearer_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->location = dir;
    conf->default_ttl = BEARER_DEFAULT_TTL;
    conf->max_ttl = BEARER_DEFAULT_MAX_TTL;
    return conf;
}

void *bearer_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    bearer_dir_conf *base = basev, *add = addv;
    bearer_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->location = add->location ? add->location : base->location;
    conf->default_ttl_set = add->default_ttl_set || base->default_ttl_set;
    conf->default_ttl = add->default_ttl_set ? add->default_ttl
                                             : base->default_ttl;
    conf->max_ttl_set = add->max_ttl_set || base->max_ttl_set;
    conf->max_ttl = add->max_ttl_set ? add->max_ttl : base->max_ttl;
    conf->issuable_set = add->issuable_set || base->issuable_set;
    conf->issuable_scopes = add->issuable_set ? add->issuable_scopes
                                              : base->issuable_scopes;
    conf->default_scopes_set = add->default_scopes_set
                               || base->default_scopes_set;
    conf->default_scopes = add->default_scopes_set ? add->default_scopes
                                                   : base->default_scopes;
    conf->forward_set = add->forward_set || base->forward_set;
    conf->forward_headers = add->forward_set ? add->forward_headers
                                             : base->forward_headers;
    conf->cors = add->cors ? add->cors : base->cors;
    return conf;
}
