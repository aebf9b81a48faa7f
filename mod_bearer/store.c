/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - the token store over the shared-memory table.
 *
 * Embedded mode: the table is the store of record for this host. It lives
 * in anonymous shared memory created once per httpd run and kept in the
 * process pool, so it outlives the configuration pool and graceful
 * restarts keep every token; children inherit the mapping when forked.
 *
 * Readers go straight to the table (lock-free, see table.c). Writers take
 * the global mutex "bearer-table" (configurable with Mutex) so that two
 * children never write the same slots at once; like the table, it is
 * created once per httpd run.
 */
#include "bearer_private.h"
#include "bearer_metrics.h"

#include "util_mutex.h"
#include "apr_strings.h"

#define SHM_USERDATA_KEY "mod_bearer-table"
#define MUTEX_TYPE       "bearer-table"

static bearer_table_t token_table;
static apr_global_mutex_t *writers_lock;

int bearer_store_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

int bearer_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *s)
{
    bearer_server_conf *conf = ap_get_module_config(s->module_config,
                                                    &bearer_module);
    apr_uint32_t nslots = conf->cache_entries;
    apr_size_t bytes = bearer_table_bytes(nslots);
    bearer_kept_shm *seg;
    bearer_kept_shm_state state;
    apr_global_mutex_t *lock;
    void *base;
    apr_status_t rv;

    rv = bearer_kept_shm_get(s->process->pool, SHM_USERDATA_KEY,
                             apr_psprintf(ptemp, "%u slots", (unsigned)nslots),
                             bytes, &seg, &state);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, BRRLOG(00020)
                     "BearerCacheEntries %u: cannot create a shared-memory "
                     "table of %" APR_SIZE_T_FMT " bytes; lower "
                     "BearerCacheEntries", (unsigned)nslots, bytes);
        return !OK;
    }
    base = bearer_kept_shm_base(seg);
    if (state == BEARER_SHM_KEPT) {
        if (bearer_table_attach(base, bytes, nslots, &token_table)
                != BEARER_TABLE_OK) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00022)
                         "token table was not intact after restart; "
                         "starting an empty one");
            bearer_table_format(base, nslots, &token_table);
        }
    }
    else {
        if (state == BEARER_SHM_REPLACED) {
            /* The size changed: a new table, and the old tokens go. */
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00023)
                         "BearerCacheEntries changed to %u: the token table "
                         "is recreated and its tokens are lost",
                         (unsigned)nslots);
        }
        bearer_table_format_zeroed(base, nslots, &token_table);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, BRRLOG(00021)
                     "token table created: %u slots, %" APR_SIZE_T_FMT
                     " bytes", (unsigned)nslots, bytes);
    }
    /* a lookup writes to no line other threads share: table_lookup
     * counts it in this thread's metrics lane */
    token_table.counted_by_caller = 1;

    /* The mutex lives as long as the table: after a graceful restart,
     * children of the old generation may still be writing, and they must
     * exclude the new children through the same lock. */
    lock = bearer_kept_shm_owner_data(seg);
    if (!lock) {
        rv = ap_global_mutex_create(&lock, NULL, MUTEX_TYPE, NULL, s,
                                    s->process->pool, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, BRRLOG(00024)
                         "cannot create the token table's writers' mutex");
            return !OK;
        }
        bearer_kept_shm_set_owner_data(seg, lock);
    }
    writers_lock = lock;
    return OK;
}

void bearer_store_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!writers_lock) {
        return;
    }
    rv = apr_global_mutex_child_init(&writers_lock,
                                     apr_global_mutex_lockfile(writers_lock),
                                     p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BRRLOG(00025)
                     "cannot attach to the token table's writers' mutex");
    }
}

int bearer_store_table_stats(bearer_table_stats_t *out)
{
    bearer_metrics_snapshot_t snap;

    if (!token_table.base) {
        return -1;
    }
    bearer_table_stats(&token_table, out);
    /* lookups are counted per thread in the metrics segment (below) */
    if (bearer_metrics_snapshot(&snap) == 0) {
        out->hits += snap.counters[BEARER_M_SHM_HIT];
        out->misses += snap.counters[BEARER_M_SHM_MISS];
        out->lookups += snap.counters[BEARER_M_SHM_HIT]
                        + snap.counters[BEARER_M_SHM_MISS]
                        + snap.counters[BEARER_M_SHM_OTHER];
    }
    return 0;
}

static void table_key(bearer_table_key_t *key, const bearer_secret *secret,
                      const unsigned char id[BEARER_ID_BYTES])
{
    memcpy(key->ns, secret->ns, sizeof(key->ns));
    memcpy(key->id, id, sizeof(key->id));
}

static int lock_writers(request_rec *r)
{
    apr_status_t rv = apr_global_mutex_lock(writers_lock);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, BRRLOG(00028)
                      "cannot lock the token table's writers' mutex");
        return 0;
    }
    return 1;
}

static void unlock_writers(request_rec *r)
{
    apr_status_t rv = apr_global_mutex_unlock(writers_lock);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, BRRLOG(00029)
                      "cannot unlock the token table's writers' mutex");
    }
}

/* ---- the shared-memory table (L1) ------------------------------------------ */

static bearer_store_status table_lookup(request_rec *r,
                                        const bearer_secret *secret,
                                        bearer_token_info *token)
{
    bearer_table_key_t key;
    unsigned char small[512];
    unsigned char *buf = small;
    apr_size_t len = 0;
    bearer_table_status st;
    apr_int64_t now = apr_time_sec(r->request_time);

    table_key(&key, secret, token->id_bytes);
    st = bearer_table_lookup(&token_table, &key, now, small, sizeof(small),
                             &len, &token->found);
    if (st == BEARER_TABLE_TOO_BIG) {
        /* records with metadata span several slots: rare, so the common
         * case copies to the stack and this one to the request pool */
        buf = apr_palloc(r->pool, BEARER_ENTRY_MAX);
        st = bearer_table_lookup(&token_table, &key, now, buf,
                                 BEARER_ENTRY_MAX, &len, &token->found);
    }
    bearer_metrics_add(st == BEARER_TABLE_OK ? BEARER_M_SHM_HIT
                       : st == BEARER_TABLE_MISSING ? BEARER_M_SHM_MISS
                       : BEARER_M_SHM_OTHER, 1);
    switch (st) {
    case BEARER_TABLE_OK:
        break;
    case BEARER_TABLE_BUSY:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00026)
                      "token %s: its table slot stays mid-write (a writer "
                      "died?); answering 503", token->id);
        return BEARER_STORE_UNAVAILABLE;
    default:
        return BEARER_STORE_MISSING;
    }
    buf = apr_pmemdup(r->pool, buf, len);
    if (bearer_entry_decode(buf, len, &token->entry) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00027)
                      "token %s: the stored record does not decode; "
                      "treating the token as unknown", token->id);
        return BEARER_STORE_MISSING;
    }
    return BEARER_STORE_OK;
}

/* evictable: a fleet-mode cache copy, which may make room for others and
 * whose uses are counted in memcached, not here. */
static bearer_store_status table_insert(request_rec *r,
                                        const bearer_secret *secret,
                                        const unsigned char id[BEARER_ID_BYTES],
                                        const bearer_entry_t *entry,
                                        int evictable)
{
    bearer_table_key_t key;
    apr_size_t need = bearer_entry_encoded_len(entry);
    apr_uint32_t uses = evictable ? 0 : entry->max_uses;
    unsigned char *buf;
    bearer_table_status st;

    if (need == 0) {
        return BEARER_STORE_FULL;   /* over a field limit: caller checked */
    }
    buf = apr_palloc(r->pool, need);
    if (bearer_entry_encode(entry, buf, need) != need) {
        return BEARER_STORE_FULL;
    }
    table_key(&key, secret, id);
    if (!lock_writers(r)) {
        return BEARER_STORE_UNAVAILABLE;
    }
    bearer_fault_after_lock(r, id);     /* nothing outside the fault build */
    st = bearer_table_insert(&token_table, &key, apr_time_sec(apr_time_now()),
                             entry->expires_at, uses, uses, evictable, buf,
                             need);
    unlock_writers(r);
    if (st != BEARER_TABLE_OK) {
        bearer_table_stats_t stats;

        bearer_table_stats(&token_table, &stats);
        ap_log_rerror(APLOG_MARK, evictable ? APLOG_DEBUG : APLOG_ERR, 0, r,
                      BRRLOG(00030) "token table full: no free slot for a "
                      "%s (%u of %u slots in use)%s",
                      evictable ? "cached token" : "new token",
                      (unsigned)stats.used_slots, (unsigned)stats.nslots,
                      evictable ? "" : "; live tokens are never evicted in "
                      "embedded mode: raise BearerCacheEntries or lower "
                      "BearerMaxTTL");
        return BEARER_STORE_FULL;
    }
    return BEARER_STORE_OK;
}

static void table_remove(request_rec *r, const bearer_secret *secret,
                         const unsigned char id[BEARER_ID_BYTES],
                         bearer_table_status *st)
{
    bearer_table_key_t key;

    table_key(&key, secret, id);
    *st = BEARER_TABLE_MISSING;
    if (lock_writers(r)) {
        *st = bearer_table_remove(&token_table, &key,
                                  apr_time_sec(r->request_time));
        unlock_writers(r);
    }
}

/* ---- the store: embedded mode, or fleet mode with the table as cache --- */

static bearer_store_status lookup_token(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        bearer_token_info *token, int fresh,
                                        bearer_fleet_subject_read **ahead)
{
    bearer_store_status cached;
    bearer_table_status removed;
    bearer_token_info copy;
    apr_int64_t now = apr_time_sec(r->request_time);

    cached = table_lookup(r, sconf->secret, token);
    if (!sconf->memcache) {
        return cached;              /* embedded: the table is the truth */
    }
    /* A cache hit younger than BearerCacheRecheck is trusted: the bound
     * on how late this host sees another host's revocation. */
    if (cached == BEARER_STORE_OK && !fresh
            && now - token->found.stored_at < sconf->recheck) {
        /* `closed` means no token while memcached is away, cached or not */
        if (sconf->outage == BEARER_OUTAGE_CLOSED
                && !bearer_fleet_any_up(sconf)) {
            return BEARER_STORE_UNAVAILABLE;
        }
        return BEARER_STORE_OK;
    }
    copy = *token;
    /* The cached copy names the token's subject: its cut-off, if it must
     * be read too, goes out in the same round as the token's copies. */
    if (cached == BEARER_STORE_OK) {
        *ahead = bearer_subject_read_ahead(r, sconf, &copy.entry, fresh);
    }
    switch (bearer_fleet_fetch(r, sconf, token, *ahead)) {
    case BEARER_FLEET_LIVE:
        /* A fresh copy for the cache (a full cache only costs a re-read).
         * With a short or zero recheck the copy is only read in an outage:
         * rewriting it, under the writers' mutex, more than once a second
         * would buy nothing. */
        if (cached != BEARER_STORE_OK
                || now - copy.found.stored_at >= (sconf->recheck > 0
                                                  ? sconf->recheck : 1)) {
            table_insert(r, sconf->secret, token->id_bytes, &token->entry, 1);
        }
        if (fresh && token->entry.max_uses > 0) {
            /* used up: no token; a counter that cannot be read: the
             * caller answers 503 (never a guess either way) */
            bearer_store_status uses = bearer_fleet_uses_left(r, sconf, token);

            return uses == BEARER_STORE_OK || uses == BEARER_STORE_UNAVAILABLE
                   ? uses : BEARER_STORE_MISSING;
        }
        return BEARER_STORE_OK;
    case BEARER_FLEET_REVOKED:
    case BEARER_FLEET_MISSING:
        if (cached == BEARER_STORE_OK) {
            table_remove(r, sconf->secret, token->id_bytes, &removed);
        }
        return BEARER_STORE_MISSING;
    case BEARER_FLEET_UNKNOWN:
    default:
        /* Outage: `stale` keeps honouring what this host has cached, until
         * the token's own expiry (the table checks it); never 401 for a
         * token that may be good. */
        if (cached == BEARER_STORE_OK && !fresh
                && sconf->outage == BEARER_OUTAGE_STALE) {
            *token = copy;
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00032)
                          "memcached cannot answer for token %s: honouring "
                          "the cached copy (BearerOutage stale)", token->id);
            return BEARER_STORE_OK;
        }
        return BEARER_STORE_UNAVAILABLE;
    }
}

/* A token found live is still refused when its subject was revoked
 * after it was minted (subject_cutoff.c): tokens without a subject pay
 * nothing for this, tokens with one a table look-up. */
bearer_store_status bearer_store_lookup(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        bearer_token_info *token, int fresh)
{
    bearer_fleet_subject_read *ahead = NULL;
    bearer_store_status st = lookup_token(r, sconf, token, fresh, &ahead);

    if (st == BEARER_STORE_OK && token->entry.has_subject) {
        st = bearer_subject_check(r, sconf, token, fresh, ahead);
    }
    return st;
}

bearer_store_status bearer_store_consume_use(request_rec *r,
                                             const bearer_server_conf *sconf,
                                             bearer_token_info *token)
{
    if (sconf->memcache) {
        return bearer_fleet_consume_use(r, sconf, token);
    }
    switch (bearer_table_consume_use(&token_table, token->found.slot,
                                     token->found.generation)) {
    case BEARER_TABLE_OK:
        return BEARER_STORE_OK;
    case BEARER_TABLE_EXHAUSTED:
        return BEARER_STORE_EXHAUSTED;
    case BEARER_TABLE_BUSY:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00031)
                      "token %s: its table slot stays mid-write (a writer "
                      "died?); answering 503", token->id);
        return BEARER_STORE_UNAVAILABLE;
    default:
        return BEARER_STORE_MISSING;
    }
}

bearer_store_status bearer_store_insert(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const char *id,
                                        const unsigned char id_bytes[BEARER_ID_BYTES],
                                        const bearer_entry_t *entry)
{
    bearer_store_status st;

    if (!sconf->memcache) {
        return table_insert(r, sconf->secret, id_bytes, entry, 0);
    }
    /* memcached first: the 201 waits until the fleet can find the token */
    st = bearer_fleet_insert(r, sconf, id, id_bytes, entry);
    if (st == BEARER_STORE_OK) {
        table_insert(r, sconf->secret, id_bytes, entry, 1);
    }
    return st;
}

bearer_store_status bearer_store_revoke(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const bearer_token_info *token)
{
    bearer_table_status removed;
    bearer_store_status st = BEARER_STORE_OK;

    if (sconf->memcache) {
        st = bearer_fleet_revoke(r, sconf, token);
        if (st != BEARER_STORE_OK) {
            return st;
        }
    }
    /* at once on this host, whatever the recheck window */
    table_remove(r, sconf->secret, token->id_bytes, &removed);
    if (sconf->memcache) {
        return BEARER_STORE_OK;
    }
    return removed == BEARER_TABLE_OK ? BEARER_STORE_OK : BEARER_STORE_MISSING;
}

/* ---- other records in the table (subject cut-offs) ------------------------ */

bearer_table_status bearer_store_record_get(request_rec *r,
                                            const bearer_table_key_t *key,
                                            unsigned char *buf,
                                            apr_size_t cap, apr_size_t *len,
                                            bearer_table_found_t *found)
{
    if (!token_table.base) {
        return BEARER_TABLE_MISSING;
    }
    return bearer_table_lookup(&token_table, key,
                               apr_time_sec(r->request_time), buf, cap, len,
                               found);
}

bearer_store_status bearer_store_record_put(request_rec *r,
                                            const bearer_table_key_t *key,
                                            apr_int64_t expires_at,
                                            int evictable,
                                            const unsigned char *rec,
                                            apr_size_t len)
{
    bearer_table_status st;

    if (!lock_writers(r)) {
        return BEARER_STORE_UNAVAILABLE;
    }
    st = bearer_table_insert(&token_table, key, apr_time_sec(apr_time_now()),
                             expires_at, 0, 0, evictable, rec, len);
    unlock_writers(r);
    return st == BEARER_TABLE_OK ? BEARER_STORE_OK : BEARER_STORE_FULL;
}
