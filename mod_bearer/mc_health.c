/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_health.c - the memcached client's registry of servers (numbered once,
 * at post_config, across every virtual host) and their health, shared by
 * every child of this host: up or down, when a down one may be probed,
 * and a generation that retires connections opened before a failure.
 * Interface: bearer_mc_client.h (public), bearer_mc_internal.h.
 */
#include "bearer_mc_internal.h"
#include "bearer_metrics.h"

#include "apr_strings.h"

#define HEALTH_USERDATA_KEY "mod_bearer-memcache-health"

bearer_mc_server *bearer_mc_servers;
int bearer_mc_nservers;
bearer_mc_health *bearer_mc_healths;

int bearer_mc_server_count(void)
{
    return bearer_mc_nservers;
}

const char *bearer_mc_server_name(int server)
{
    return bearer_mc_servers[server].name;
}

static int register_server(apr_pool_t *p, apr_array_header_t *list,
                           bearer_memcache_server *conf)
{
    int i;

    for (i = 0; i < list->nelts; i++) {
        bearer_mc_server *known = &APR_ARRAY_IDX(list, i, bearer_mc_server);

        if (known->port == conf->port && strcasecmp(known->host,
                                                    conf->host) == 0) {
            return i;
        }
    }
    {
        bearer_mc_server *added = apr_array_push(list);

        memset(added, 0, sizeof(*added));
        added->host = conf->host;
        added->port = conf->port;
        added->name = apr_psprintf(p, "%s:%u", conf->host,
                                   (unsigned)conf->port);
    }
    return list->nelts - 1;
}

/* Servers up and down, and the outage flag (no server up), as gauges. */
static void publish_health(void)
{
    int up = 0, i;

    for (i = 0; i < bearer_mc_nservers; i++) {
        up += !__atomic_load_n(&bearer_mc_healths[i].down, __ATOMIC_ACQUIRE);
    }
    bearer_metrics_set(BEARER_G_MEMCACHE_UP, up);
    bearer_metrics_set(BEARER_G_MEMCACHE_DOWN, bearer_mc_nservers - up);
    bearer_metrics_set(BEARER_G_OUTAGE, bearer_mc_nservers > 0 && up == 0);
}

int bearer_mc_post_config(apr_pool_t *pconf, server_rec *main_server)
{
    apr_array_header_t *list = apr_array_make(pconf, 4,
                                              sizeof(bearer_mc_server));
    apr_pool_t *process_pool = main_server->process->pool;
    bearer_kept_shm *seg;
    bearer_kept_shm_state state;
    const char *signature = "";
    server_rec *s;
    apr_size_t bytes;
    apr_status_t rv;
    int i;

    for (s = main_server; s; s = s->next) {
        bearer_server_conf *conf = ap_get_module_config(s->module_config,
                                                        &bearer_module);

        for (i = 0; conf->memcache && i < conf->memcache->nelts; i++) {
            bearer_memcache_server *m = &APR_ARRAY_IDX(conf->memcache, i,
                                                       bearer_memcache_server);

            m->index = register_server(pconf, list, m);
        }
    }
    bearer_mc_servers = (bearer_mc_server *)list->elts;
    bearer_mc_nservers = list->nelts;
    bearer_mc_healths = NULL;
    if (bearer_mc_nservers == 0) {
        return OK;
    }
    bytes = (sizeof(bearer_mc_health) + bearer_mc_journal_bytes())
            * (apr_size_t)bearer_mc_nservers;
    for (i = 0; i < bearer_mc_nservers; i++) {
        signature = apr_pstrcat(pconf, signature, bearer_mc_servers[i].name,
                                " ", NULL);
    }

    /* Like the token table, health outlives graceful restarts as long as
     * the server list (and the layout: a new build of the module) stays
     * the same. */
    rv = bearer_kept_shm_get(process_pool, HEALTH_USERDATA_KEY, signature,
                             bytes, &seg, &state);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, main_server,
                     BRRLOG(00080) "BearerMemcache: cannot create the "
                     "shared memory for %d servers' health",
                     bearer_mc_nservers);
        return !OK;
    }
    /* [bearer_mc_health x n][the journals of mc_journal.c] */
    bearer_mc_healths = bearer_kept_shm_base(seg);
    bearer_mc_journal_attach(bearer_mc_healths + bearer_mc_nservers);
    return OK;
}

void bearer_mc_publish_health(void)
{
    if (bearer_mc_healths) {
        publish_health();
    }
}

int bearer_mc_server_up(int server)
{
    return bearer_mc_healths
           && !__atomic_load_n(&bearer_mc_healths[server].down,
                               __ATOMIC_ACQUIRE);
}

/* May a request use this server now? Up: yes. Down: only the one request
 * that wins the probe once the retry time has come. */
int bearer_mc_may_use(int server, apr_time_t now)
{
    bearer_mc_health *h = &bearer_mc_healths[server];
    apr_int64_t retry_at;

    if (!__atomic_load_n(&h->down, __ATOMIC_ACQUIRE)) {
        return 1;
    }
    retry_at = __atomic_load_n(&h->retry_at, __ATOMIC_ACQUIRE);
    if (now < retry_at) {
        return 0;
    }
    return __atomic_compare_exchange_n(&h->retry_at, &retry_at,
                                       now + BEARER_MC_RETRY_INTERVAL, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void bearer_mc_mark_down(server_rec *s, int server, apr_status_t rv,
                         const char *what)
{
    bearer_mc_health *h = &bearer_mc_healths[server];
    apr_uint32_t was_up = 0;

    __atomic_add_fetch(&h->generation, 1, __ATOMIC_ACQ_REL);
    /* what answers on its port next may be another memcached */
    __atomic_store_n(&h->meta, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&h->retry_at, apr_time_now() + BEARER_MC_RETRY_INTERVAL,
                     __ATOMIC_RELEASE);
    if (__atomic_compare_exchange_n(&h->down, &was_up, 1, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        /* once per outage, not once per request */
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, BRRLOG(00083)
                     "memcached %s is unreachable (%s); skipping it and "
                     "probing every %d s", bearer_mc_servers[server].name,
                     what,
                     (int)apr_time_sec(BEARER_MC_RETRY_INTERVAL));
        publish_health();
    }
    bearer_metrics_add(APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EAGAIN(rv)
                       ? BEARER_M_MEMCACHE_TIMEOUT : BEARER_M_MEMCACHE_ERROR,
                       1);
}

void bearer_mc_mark_up(server_rec *s, int server)
{
    apr_uint32_t was_down = 1;

    if (__atomic_compare_exchange_n(&bearer_mc_healths[server].down,
                                    &was_down, 0, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, BRRLOG(00084)
                     "memcached %s answers again",
                     bearer_mc_servers[server].name);
        publish_health();
    }
}

void bearer_mc_seen_start(int server, apr_int64_t *started,
                          apr_uint32_t *pid)
{
    *started = 0;
    *pid = 0;
    if (bearer_mc_healths) {
        *started = __atomic_load_n(&bearer_mc_healths[server].started,
                                   __ATOMIC_ACQUIRE);
        *pid = __atomic_load_n(&bearer_mc_healths[server].pid,
                               __ATOMIC_ACQUIRE);
    }
}

/* One writer at a time (the refill runs in one child a host); a reader
 * that sees a torn pair only refills once more, with `add`. */
void bearer_mc_set_seen_start(int server, apr_int64_t started,
                              apr_uint32_t pid)
{
    if (bearer_mc_healths) {
        __atomic_store_n(&bearer_mc_healths[server].pid, pid,
                         __ATOMIC_RELEASE);
        __atomic_store_n(&bearer_mc_healths[server].started, started,
                         __ATOMIC_RELEASE);
    }
}
