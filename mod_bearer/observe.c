/* SPDX-License-Identifier: Apache-2.0 */
/*
 * observe.c - what an operator of the server sees: the metrics segment,
 * SetHandler bearer-metrics (Prometheus text), the mod_bearer section of
 * mod_status's server-status, and the count of token checks on protected
 * locations.
 *
 * The segment is made like the token table (store.c): once per httpd run,
 * in the process pool's user data, so graceful restarts keep counting and
 * children inherit the mapping. No cleanup of ours goes into the process
 * pool (this DSO is unloaded before that pool dies; see secrets.c).
 */
#include "bearer_private.h"
#include "bearer_mc_client.h"
#include "bearer_metrics.h"
#include "http_protocol.h"
#include "http_core.h"
#include "mod_status.h"

#include "apr_strings.h"

#define METRICS_USERDATA_KEY "mod_bearer-metrics"

/* ---- the segment ----------------------------------------------------------- */

static int no_metrics_segment(server_rec *s, apr_status_t rv)
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, BRRLOG(00110)
                 "cannot create the shared-memory segment of the metrics (%"
                 APR_SIZE_T_FMT " bytes)", bearer_metrics_bytes());
    return !OK;
}

int bearer_observe_post_config(server_rec *s)
{
    bearer_kept_shm *seg;
    bearer_kept_shm_state state;
    apr_status_t rv;
    void *base;

    rv = bearer_kept_shm_get(s->process->pool, METRICS_USERDATA_KEY,
                             "metrics", bearer_metrics_bytes(), &seg, &state);
    if (rv != APR_SUCCESS) {
        return no_metrics_segment(s, rv);
    }
    if (state == BEARER_SHM_KEPT
        && bearer_metrics_check(bearer_kept_shm_base(seg),
                                bearer_kept_shm_size(seg)) != 0) {
        /* a module of another layout was loaded by this restart */
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, BRRLOG(00112)
                     "metrics layout changed: counters start again at 0");
        rv = bearer_kept_shm_renew(s->process->pool, seg);
        if (rv != APR_SUCCESS) {
            return no_metrics_segment(s, rv);
        }
        state = BEARER_SHM_REPLACED;
    }
    base = bearer_kept_shm_base(seg);
    if (state != BEARER_SHM_KEPT) {
        bearer_metrics_format(base);
    }
    bearer_metrics_use(base);
    return OK;
}

/* ---- token checks on protected locations ------------------------------------ */

/*
 * Counted once per request, when it is logged: only then is the outcome
 * final (a bearer-scope line that failed inside a <RequireAny> another
 * line satisfied is a success). The endpoint counts its own callers
 * (endpoint.c); it keeps no request state here.
 */
int bearer_observe_count_request(request_rec *r)
{
    bearer_request_state *state = ap_get_module_config(r->request_config,
                                                       &bearer_module);
    request_rec *last = r;

    if (!state) {
        return DECLINED;
    }
    while (last->next) {
        last = last->next;
    }
    switch (state->result) {
    case BEARER_AUTH_OK:
        if (state->denied_scope && (last->status == HTTP_FORBIDDEN
                                    || last->status == HTTP_UNAUTHORIZED)) {
            bearer_metrics_add(BEARER_M_VALID_INSUFFICIENT_SCOPE, 1);
        }
        else {
            bearer_metrics_add(BEARER_M_VALID_OK, 1);
        }
        break;
    default:
        bearer_count_auth_result(state->result);
        break;
    }
    return DECLINED;
}

void bearer_count_auth_result(bearer_auth_result result)
{
    switch (result) {
    case BEARER_AUTH_OK:
        bearer_metrics_add(BEARER_M_VALID_OK, 1);
        break;
    case BEARER_AUTH_NONE:
        bearer_metrics_add(BEARER_M_VALID_MISSING, 1);
        break;
    case BEARER_AUTH_MALFORMED:
        bearer_metrics_add(BEARER_M_VALID_INVALID_REQUEST, 1);
        break;
    case BEARER_AUTH_INVALID:
        bearer_metrics_add(BEARER_M_VALID_INVALID_TOKEN, 1);
        break;
    case BEARER_AUTH_UNAVAILABLE:
        bearer_metrics_add(BEARER_M_VALID_UNAVAILABLE, 1);
        break;
    }
}

/* ---- SetHandler bearer-metrics ---------------------------------------------- */

static void emit_to_request(void *ctx, const char *text, apr_size_t len)
{
    ap_rwrite(text, (int)len, ctx);
}

int bearer_observe_metrics_handler(request_rec *r)
{
    bearer_metrics_snapshot_t snap;
    bearer_table_stats_t table;
    int have_table;

    if (!r->handler || strcmp(r->handler, BEARER_METRICS_HANDLER) != 0) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (bearer_metrics_snapshot(&snap) != 0) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    have_table = bearer_store_table_stats(&table) == 0;
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    bearer_metrics_render(&snap, have_table ? &table : NULL,
                          emit_to_request, r);
    return OK;
}

/* ---- mod_status --------------------------------------------------------------- */

/* hits / lookups as "12.3%", or "-" before the first lookup */
static const char *ratio(apr_pool_t *p, apr_uint64_t part,
                         apr_uint64_t whole)
{
    if (whole == 0) {
        return "-";
    }
    return apr_psprintf(p, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/*
 * server-status with ExtendedStatus On (the default when mod_status is
 * loaded): a mod_bearer section, like mod_ssl's session cache. ?auto
 * gets "Name: value" lines.
 */
int bearer_observe_status(request_rec *r, int flags)
{
    bearer_metrics_snapshot_t snap;
    bearer_table_stats_t t;
    apr_uint64_t found;
    const apr_uint64_t *c = snap.counters;
    const char *hit_ratio, *use;
    const bearer_server_conf *sconf =
        ap_get_module_config(r->server->module_config, &bearer_module);
    int fleet = sconf->memcache != NULL;
    int up = 0, i;

    if (!(flags & AP_STATUS_EXTENDED) || bearer_store_table_stats(&t) != 0
            || bearer_metrics_snapshot(&snap) != 0) {
        return OK;
    }
    found = t.hits + t.misses;
    hit_ratio = ratio(r->pool, t.hits, found);
    use = ratio(r->pool, t.used_slots, t.nslots);

    for (i = 0; i < bearer_mc_server_count(); i++) {
        up += bearer_mc_server_up(i);
    }
    if (flags & AP_STATUS_SHORT) {
        if (fleet) {
            ap_rprintf(r, "BearerMemcachedUp: %d\nBearerMemcachedDown: %d\n",
                       up, bearer_mc_server_count() - up);
        }
        ap_rprintf(r, "BearerMode: %s\n"
                   "BearerCacheSlots: %u\n"
                   "BearerCacheSlotsUsed: %u\n"
                   "BearerCacheHits: %" APR_UINT64_T_FMT "\n"
                   "BearerCacheMisses: %" APR_UINT64_T_FMT "\n"
                   "BearerCacheHitRatio: %s\n"
                   "BearerTokensMinted: %" APR_UINT64_T_FMT "\n"
                   "BearerTokensRevoked: %" APR_UINT64_T_FMT "\n",
                   fleet ? "fleet" : "embedded",
                   (unsigned)t.nslots, (unsigned)t.used_slots, t.hits,
                   t.misses, hit_ratio, c[BEARER_M_MINTED],
                   c[BEARER_M_REVOKED]);
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_bearer</h2>\n", r);
    ap_rputs(fleet ? "<p>Mode: fleet (memcached is the store of record; "
                     "the shared-memory table caches it)</p>\n"
                   : "<p>Mode: embedded (the shared-memory table is the "
                     "store of record)</p>\n", r);
    ap_rputs("<table border=\"0\">\n", r);
    ap_rprintf(r, "<tr><th align=\"left\">token table</th><td>%u of %u "
               "slots used (%s), %u free</td></tr>\n",
               (unsigned)t.used_slots, (unsigned)t.nslots, use,
               (unsigned)(t.nslots - t.used_slots));
    ap_rprintf(r, "<tr><th align=\"left\">lookups</th><td>%"
               APR_UINT64_T_FMT " hits, %" APR_UINT64_T_FMT " misses, hit "
               "ratio %s</td></tr>\n", t.hits, t.misses, hit_ratio);
    ap_rprintf(r, "<tr><th align=\"left\">tokens</th><td>%"
               APR_UINT64_T_FMT " minted, %" APR_UINT64_T_FMT " revoked, %"
               APR_UINT64_T_FMT " mints refused</td></tr>\n",
               c[BEARER_M_MINTED], c[BEARER_M_REVOKED],
               c[BEARER_M_MINT_REFUSED]);
    ap_rprintf(r, "<tr><th align=\"left\">checks</th><td>%" APR_UINT64_T_FMT
               " ok, %" APR_UINT64_T_FMT " without token, %"
               APR_UINT64_T_FMT " invalid_request, %" APR_UINT64_T_FMT
               " invalid_token, %" APR_UINT64_T_FMT " insufficient_scope, %"
               APR_UINT64_T_FMT " unavailable</td></tr>\n",
               c[BEARER_M_VALID_OK], c[BEARER_M_VALID_MISSING],
               c[BEARER_M_VALID_INVALID_REQUEST],
               c[BEARER_M_VALID_INVALID_TOKEN],
               c[BEARER_M_VALID_INSUFFICIENT_SCOPE],
               c[BEARER_M_VALID_UNAVAILABLE]);
    if (bearer_mc_server_count() > 0) {
        ap_rputs("<tr><th align=\"left\">memcached</th><td>", r);
        for (i = 0; i < bearer_mc_server_count(); i++) {
            ap_rprintf(r, "%s%s %s", i ? ", " : "",
                       ap_escape_html(r->pool, bearer_mc_server_name(i)),
                       bearer_mc_server_up(i) ? "up" : "down");
        }
        ap_rputs("</td></tr>\n", r);
    }
    ap_rputs("</table>\n", r);
    return OK;
}
