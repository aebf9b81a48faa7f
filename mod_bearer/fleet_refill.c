/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_refill.c - a memcached server that comes back empty (restarted)
 * gets back, without waiting for requests, the copies it should hold: the
 * tombstones of every revoked token and the cut-offs of every revoked
 * subject, and the live tokens (with their use counters) whose first
 * servers it is among.
 *
 *   when     every REFILL_INTERVAL, in one child of each host: a
 *            mod_watchdog child singleton (a thread of that child, with
 *            the child's connections). A watchdog rather than the
 *            parent's monitor hook: the parent has no connections, runs
 *            as root, and must not wait on the network; rather than a
 *            thread in every child: one child a host is enough, and
 *            mod_watchdog elects it.
 *   detect   each server's "stats" (its pid and when it started); one that
 *            started again since this host last looked came back empty
 *            (memcached keeps nothing across a restart). The first look
 *            only records it.
 *   claim    one host a server: "add bearer:refill:<host:port>" on the
 *            server itself, lapsing after CLAIM_SECONDS, so that a host
 *            that dies mid-way lets another one take over; when done it
 *            becomes "done <start>" for DONE_SECONDS, so the other hosts
 *            know the work is done and do not repeat it.
 *   list     "lru_crawler metadump all" on every other live server of the
 *            vhost's list; each listed token and cut-off key read back
 *            with "mg" and opened with the secret (a value that does not
 *            open is never copied); of a subject's cut-offs the latest
 *            wins, kept as long as the longest-kept copy (the metadump's
 *            "exp=").
 *   write    revocations first (tombstones and cut-offs), then live tokens
 *            it should hold and their counters, each with "add": a value
 *            already there (a newer write, a tombstone) is never
 *            overwritten. Without the cut-offs, servers restarted one
 *            after another would bring back a revoked subject's tokens.
 */
#include "bearer_fleet_internal.h"
#include "bearer_bytes.h"
#include "bearer_fleet_record.h"
#include "bearer_token.h"

#include "mod_watchdog.h"
#include <openssl/crypto.h>
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include <unistd.h>

#define REFILL_WATCHDOG   "mod_bearer-refill"
#define REFILL_INTERVAL   apr_time_from_sec(5)
#define CLAIM_PREFIX      "bearer:refill:"
#define CLAIM_SECONDS     60
#define DONE_SECONDS      300
/* a metadump streams every key: more than a request's timeout */
#define LIST_TIMEOUT      apr_time_from_sec(10)
#define BATCH_KEYS        256

static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get_instance;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register;

/* What the other servers hold for one key. */
typedef struct {
    const char *key;
    int kind;                       /* BEARER_RECORD_TOKEN / _TOMBSTONE */
    const unsigned char *data;      /* the sealed bytes, as read */
    apr_size_t len;
    apr_int64_t expires_at;
    unsigned char id[BEARER_ID_BYTES];
    apr_uint64_t uses;              /* the highest count seen */
    int has_uses;
    apr_int64_t uses_expires_at;
} refill_item;

/* What the other servers hold for one subject's cut-off. */
typedef struct {
    const char *key;
    const unsigned char *data;      /* the sealed bytes of the latest */
    apr_size_t len;
    apr_int64_t cut_off;            /* microseconds; the latest wins */
    apr_int64_t keep_until;         /* the longest a source keeps it */
} refill_cutoff;

/* What a key listed by a metadump is. */
typedef enum {
    KEY_OTHER,
    KEY_TOKEN,                      /* bearer:<id>: a token or tombstone */
    KEY_USES,                       /* bearer:uses:<id> */
    KEY_CUTOFF                      /* bearer:subject:<subject key> */
} key_kind;

/* Runs ops in batches of BATCH_KEYS, each with its own deadline. */
static void run_all(server_rec *s, apr_pool_t *pool,
                    const bearer_server_conf *sconf, bearer_mc_op *ops,
                    int nops)
{
    int from;

    for (from = 0; from < nops; from += BATCH_KEYS) {
        int n = nops - from < BATCH_KEYS ? nops - from : BATCH_KEYS;
        apr_interval_time_t timeout = apr_time_from_msec(sconf->timeout_ms);

        bearer_mc_run(s, pool, ops + from, n, apr_time_now() + LIST_TIMEOUT,
                      timeout);
    }
}

/* "pid" and the start time from a server's stats; 0 when it did not
 * answer. */
static int server_start(server_rec *s, apr_pool_t *pool,
                        const bearer_server_conf *sconf, int server,
                        apr_int64_t *started, apr_uint32_t *pid)
{
    bearer_mc_op op;
    apr_int64_t now = 0, uptime = -1;
    int i;

    bearer_fleet_fill_op(&op, server, BEARER_MC_STATS, NULL, NULL, 0, 0);
    bearer_mc_run(s, pool, &op, 1,
                  apr_time_now() + apr_time_from_msec(sconf->timeout_ms),
                  apr_time_from_msec(sconf->timeout_ms));
    if (op.status != BEARER_MC_OK) {
        return 0;
    }
    *pid = 0;
    for (i = 0; i < op.lines->nelts; i++) {
        const char *line = APR_ARRAY_IDX(op.lines, i, const char *);

        if (strncmp(line, "STAT pid ", 9) == 0) {
            *pid = (apr_uint32_t)apr_atoi64(line + 9);
        }
        else if (strncmp(line, "STAT uptime ", 12) == 0) {
            uptime = apr_atoi64(line + 12);
        }
        else if (strncmp(line, "STAT time ", 10) == 0) {
            now = apr_atoi64(line + 10);
        }
    }
    if (uptime < 0 || now <= 0) {
        return 0;
    }
    *started = now - uptime;
    return 1;
}

/* A metadump key is URI-encoded ("bearer%3A..."). */
static char *uri_decode(apr_pool_t *pool, const char *in, apr_size_t len)
{
    char *out = apr_palloc(pool, len + 1), *at = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (in[i] == '%' && i + 2 < len && apr_isxdigit(in[i + 1])
                && apr_isxdigit(in[i + 2])) {
            char hex[3] = { in[i + 1], in[i + 2], '\0' };

            *at++ = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        else {
            *at++ = in[i];
        }
    }
    *at = '\0';
    return out;
}

/* What key is; for a token's or counter's key, *tid is its token id. */
static key_kind kind_of_key(const char *key, const char **tid)
{
    apr_size_t pl = sizeof(BEARER_FLEET_KEY_PREFIX) - 1;
    apr_size_t ul = sizeof(BEARER_FLEET_USES_KEY_PREFIX) - 1;
    apr_size_t sl = sizeof(BEARER_FLEET_SUBJECT_KEY_PREFIX) - 1;
    unsigned char bytes[BEARER_ID_BYTES > BEARER_SUBJECT_KEY_BYTES
                        ? BEARER_ID_BYTES : BEARER_SUBJECT_KEY_BYTES];
    key_kind kind;

    *tid = NULL;
    if (strncmp(key, BEARER_FLEET_SUBJECT_KEY_PREFIX, sl) == 0) {
        return bearer_base64url_decode_exact(key + sl, strlen(key + sl),
                                             bytes, BEARER_SUBJECT_KEY_BYTES)
               == 0 ? KEY_CUTOFF : KEY_OTHER;
    }
    if (strncmp(key, BEARER_FLEET_USES_KEY_PREFIX, ul) == 0) {
        kind = KEY_USES;
        *tid = key + ul;
    }
    else if (strncmp(key, BEARER_FLEET_KEY_PREFIX, pl) == 0) {
        kind = KEY_TOKEN;
        *tid = key + pl;
    }
    else {
        return KEY_OTHER;
    }
    if (bearer_token_id_decode(*tid, strlen(*tid), bytes) != 0) {
        *tid = NULL;                /* bearer:refill:..., or not ours */
        return KEY_OTHER;
    }
    return kind;
}

/* A metadump line's "exp=": the absolute expiry, or 0 for none (-1) or
 * none given. */
static apr_int64_t listed_expiry(const char *line)
{
    const char *exp = strstr(line, " exp=");
    apr_int64_t v;

    if (!exp) {
        return 0;
    }
    v = apr_atoi64(exp + 5);
    return v > 0 ? v : 0;
}

/* A cut-off read back from a source: the latest wins, and the copy is
 * kept as long as the source that keeps it longest. A source that lists
 * no expiry (mod_bearer always gives one) keeps it as long as a token of
 * the subject could live: the longest BearerMaxTTL allowed. */
static void note_cutoff(apr_pool_t *pool, const bearer_server_conf *sconf,
                        apr_hash_t *cutoffs, const bearer_mc_op *op,
                        apr_int64_t listed_until)
{
    refill_cutoff *c = apr_hash_get(cutoffs, op->key, APR_HASH_KEY_STRING);
    bearer_entry_t unused;
    apr_int64_t value = 0, keep;

    if (bearer_record_open(sconf->secret->key, sconf->secret->key_len,
                           op->key, strlen(op->key), op->data, op->data_len,
                           &unused, &value) != BEARER_RECORD_CUTOFF) {
        return;                     /* never copied */
    }
    keep = listed_until > 0
           ? listed_until
           : apr_time_sec((apr_time_t)value) + BEARER_TTL_LIMIT + 1;
    if (!c) {
        c = apr_pcalloc(pool, sizeof(*c));
        c->key = op->key;
        apr_hash_set(cutoffs, c->key, APR_HASH_KEY_STRING, c);
    }
    if (!c->data || value > c->cut_off) {
        c->data = op->data;
        c->len = op->data_len;
        c->cut_off = value;
    }
    if (keep > c->keep_until) {
        c->keep_until = keep;
    }
}

/* Lists source's keys and reads back its token and cut-off keys: tokens
 * and tombstones into items (by token id), counters into the items' uses,
 * cut-offs into cutoffs (by key). 0 when the source did not list. */
static int read_source(server_rec *s, apr_pool_t *pool,
                       const bearer_server_conf *sconf, int source,
                       apr_hash_t *items, apr_hash_t *cutoffs)
{
    bearer_mc_op dump, *ops;
    apr_array_header_t *keys = apr_array_make(pool, 64, sizeof(char *));
    apr_array_header_t *until = apr_array_make(pool, 64, sizeof(apr_int64_t));
    int i, n;

    bearer_fleet_fill_op(&dump, source, BEARER_MC_METADUMP, NULL, NULL, 0,
                         0);
    bearer_mc_run(s, pool, &dump, 1, apr_time_now() + LIST_TIMEOUT,
                  apr_time_from_msec(sconf->timeout_ms));
    if (dump.status != BEARER_MC_OK) {
        return 0;
    }
    for (i = 0; i < dump.lines->nelts; i++) {
        const char *line = APR_ARRAY_IDX(dump.lines, i, const char *);
        const char *end, *key, *tid;

        if (strncmp(line, "key=", 4) != 0) {
            continue;
        }
        end = strchr(line + 4, ' ');
        key = uri_decode(pool, line + 4, end ? (apr_size_t)(end - line - 4)
                                             : strlen(line + 4));
        if (kind_of_key(key, &tid) == KEY_OTHER) {
            continue;
        }
        APR_ARRAY_PUSH(keys, const char *) = key;
        APR_ARRAY_PUSH(until, apr_int64_t) = listed_expiry(line);
    }
    n = keys->nelts;
    ops = apr_pcalloc(pool, sizeof(*ops) * (apr_size_t)(n ? n : 1));
    for (i = 0; i < n; i++) {
        bearer_fleet_fill_op(&ops[i], source, BEARER_MC_GET,
                             APR_ARRAY_IDX(keys, i, const char *), NULL, 0, 0);
    }
    run_all(s, pool, sconf, ops, n);
    for (i = 0; i < n; i++) {
        const char *key = ops[i].key;
        const char *tid;
        key_kind kind = kind_of_key(key, &tid);
        refill_item *it;

        if (ops[i].status != BEARER_MC_OK) {
            continue;
        }
        if (kind == KEY_CUTOFF) {
            note_cutoff(pool, sconf, cutoffs, &ops[i],
                        APR_ARRAY_IDX(until, i, apr_int64_t));
            continue;
        }
        it = apr_hash_get(items, tid, APR_HASH_KEY_STRING);
        if (!it) {
            it = apr_pcalloc(pool, sizeof(*it));
            it->key = apr_pstrcat(pool, BEARER_FLEET_KEY_PREFIX, tid, NULL);
            bearer_token_id_decode(tid, strlen(tid), it->id);
            apr_hash_set(items, apr_pstrdup(pool, tid), APR_HASH_KEY_STRING,
                         it);
        }
        if (kind == KEY_USES) {
            apr_uint64_t v;
            char *endp;

            if (ops[i].data_len == 0 || ops[i].data_len > 20
                    || !apr_isdigit(ops[i].data[0])) {
                continue;
            }
            v = (apr_uint64_t)apr_strtoi64((char *)ops[i].data, &endp, 10);
            if (*endp != '\0') {
                continue;
            }
            if (!it->has_uses || v > it->uses) {
                it->uses = v;       /* a counter only ever goes up */
            }
            it->has_uses = 1;
        }
        else {
            bearer_entry_t entry;
            apr_int64_t expires_at = 0;
            int got = bearer_record_open(sconf->secret->key,
                                         sconf->secret->key_len, key,
                                         strlen(key), ops[i].data,
                                         ops[i].data_len, &entry,
                                         &expires_at);

            if (got == BEARER_RECORD_TOMBSTONE
                    || (got == BEARER_RECORD_TOKEN
                        && it->kind != BEARER_RECORD_TOMBSTONE)) {
                if (got == BEARER_RECORD_TOKEN) {
                    expires_at = entry.expires_at;
                }
                it->kind = got;     /* a tombstone wins */
                it->data = ops[i].data;
                it->len = ops[i].data_len;
                it->expires_at = expires_at;
            }
        }
    }
    return 1;
}

/* 1 if server is among the first `replicas` of the token's order. */
static int belongs_on(apr_pool_t *pool, const bearer_server_conf *sconf,
                      const unsigned char id[BEARER_ID_BYTES], int server)
{
    int *order = bearer_fleet_server_order(pool, sconf, id);
    int i;

    for (i = 0; i < sconf->replicas && i < sconf->memcache->nelts; i++) {
        if (order[i] == server) {
            return 1;
        }
    }
    return 0;
}

/* What one refill copied, for its log line. */
typedef struct {
    int tombstones;
    int cutoffs;
    int tokens;
    int counters;
    int sources;                    /* servers that listed their keys */
} refill_counts;

/* Copies to `empty` what the other servers of this vhost's list hold
 * that it should: revocations first (tombstones and subjects' cut-offs,
 * which every server holds), then live tokens and counters. */
static void refill_from(server_rec *s, apr_pool_t *pool,
                        const bearer_server_conf *sconf, int empty,
                        refill_counts *counts)
{
    apr_hash_t *items = apr_hash_make(pool);
    apr_hash_t *cutoffs = apr_hash_make(pool);
    apr_hash_index_t *hi;
    bearer_mc_op *ops;
    int pass, i, n;
    apr_int64_t now = apr_time_sec(apr_time_now());

    for (i = 0; i < sconf->memcache->nelts; i++) {
        int k = APR_ARRAY_IDX(sconf->memcache, i,
                              bearer_memcache_server).index;

        if (k != empty && bearer_mc_server_up(k)) {
            counts->sources += read_source(s, pool, sconf, k, items,
                                           cutoffs);
        }
    }
    n = 2 * (int)apr_hash_count(items) + (int)apr_hash_count(cutoffs);
    if (n == 0) {
        return;
    }
    ops = apr_pcalloc(pool, sizeof(*ops) * (apr_size_t)n);
    for (pass = 0; pass < 2; pass++) {
        int nops = 0;

        for (hi = apr_hash_first(pool, cutoffs); pass == 0 && hi;
             hi = apr_hash_next(hi)) {
            refill_cutoff *c = apr_hash_this_val(hi);

            if (c->keep_until > now) {
                bearer_fleet_fill_op(&ops[nops++], empty, BEARER_MC_ADD,
                                     c->key, c->data, c->len,
                                     c->keep_until);
                counts->cutoffs++;
            }
        }
        for (hi = apr_hash_first(pool, items); hi; hi = apr_hash_next(hi)) {
            refill_item *it = apr_hash_this_val(hi);

            if (pass == 0 && it->kind == BEARER_RECORD_TOMBSTONE
                    && it->expires_at > now) {
                bearer_fleet_fill_op(&ops[nops++], empty, BEARER_MC_ADD,
                                     it->key, it->data, it->len,
                                     it->expires_at);
                counts->tombstones++;
            }
            else if (pass == 1 && it->kind == BEARER_RECORD_TOKEN
                     && it->expires_at > now
                     && belongs_on(pool, sconf, it->id, empty)) {
                bearer_fleet_fill_op(&ops[nops++], empty, BEARER_MC_ADD,
                                     it->key, it->data, it->len,
                                     it->expires_at);
                counts->tokens++;
                if (it->has_uses) {
                    const char *count = apr_psprintf(pool, "%"
                                                     APR_UINT64_T_FMT,
                                                     it->uses);
                    const char *tid = it->key
                                      + sizeof(BEARER_FLEET_KEY_PREFIX) - 1;

                    bearer_fleet_fill_op(&ops[nops++], empty, BEARER_MC_ADD,
                                         apr_pstrcat(pool,
                                             BEARER_FLEET_USES_KEY_PREFIX,
                                             tid, NULL),
                                         (const unsigned char *)count,
                                         strlen(count), it->expires_at);
                    counts->counters++;
                }
            }
        }
        /* revocations are written (and answered) before any live value */
        run_all(s, pool, sconf, ops, nops);
    }
}

/* The claim on `empty`: 1 this host does the work; 0 another host is at
 * it; -1 another host has done it for this start. */
static int claim(server_rec *s, apr_pool_t *pool,
                 const bearer_server_conf *sconf, int empty,
                 apr_int64_t started)
{
    const char *key = apr_pstrcat(pool, CLAIM_PREFIX,
                                  bearer_mc_server_name(empty), NULL);
    const char *mine = apr_psprintf(pool, "working %s %" APR_PID_T_FMT,
                                    s->server_hostname
                                    ? s->server_hostname : "-", getpid());
    const char *done = apr_psprintf(pool, "done %" APR_INT64_T_FMT, started);
    bearer_mc_op op;

    bearer_fleet_fill_op(&op, empty, BEARER_MC_ADD, key,
                         (const unsigned char *)mine, strlen(mine),
                         apr_time_sec(apr_time_now()) + CLAIM_SECONDS);
    run_all(s, pool, sconf, &op, 1);
    if (op.status == BEARER_MC_OK) {
        return 1;
    }
    bearer_fleet_fill_op(&op, empty, BEARER_MC_GET, key, NULL, 0, 0);
    run_all(s, pool, sconf, &op, 1);
    if (op.status == BEARER_MC_OK && op.data_len == strlen(done)
            && memcmp(op.data, done, op.data_len) == 0) {
        return -1;
    }
    return 0;
}

static void claim_done(server_rec *s, apr_pool_t *pool,
                       const bearer_server_conf *sconf, int empty,
                       apr_int64_t started)
{
    const char *key = apr_pstrcat(pool, CLAIM_PREFIX,
                                  bearer_mc_server_name(empty), NULL);
    const char *done = apr_psprintf(pool, "done %" APR_INT64_T_FMT, started);
    bearer_mc_op op;

    bearer_fleet_fill_op(&op, empty, BEARER_MC_SET, key,
                         (const unsigned char *)done, strlen(done),
                         apr_time_sec(apr_time_now()) + DONE_SECONDS);
    run_all(s, pool, sconf, &op, 1);
}

/* The first vhost whose list holds the server: its secret, replicas and
 * list. */
static const bearer_server_conf *conf_for(server_rec *main_server,
                                          int server)
{
    server_rec *s;
    int i;

    for (s = main_server; s; s = s->next) {
        const bearer_server_conf *conf =
            ap_get_module_config(s->module_config, &bearer_module);

        for (i = 0; conf->memcache && i < conf->memcache->nelts; i++) {
            if (APR_ARRAY_IDX(conf->memcache, i,
                              bearer_memcache_server).index == server
                    && conf->secret) {
                return conf;
            }
        }
    }
    return NULL;
}

static void look_at(server_rec *s, apr_pool_t *pool, int k)
{
    const bearer_server_conf *sconf = conf_for(s, k);
    apr_int64_t started = 0, seen_started;
    apr_uint32_t pid = 0, seen_pid;
    refill_counts counts = { 0, 0, 0, 0, 0 };
    int got;
    server_rec *v;

    if (!sconf || !server_start(s, pool, sconf, k, &started, &pid)) {
        return;
    }
    bearer_mc_seen_start(k, &seen_started, &seen_pid);
    if (seen_started == 0
            || (pid == seen_pid && started - seen_started <= 2
                && seen_started - started <= 2)) {
        /* first look, or the same process (its start time, computed from
         * its own clock, may move by a second) */
        if (seen_started == 0) {
            bearer_mc_set_seen_start(k, started, pid);
        }
        return;
    }
    got = claim(s, pool, sconf, k, started);
    if (got == 0) {
        return;                 /* another host is at it: look again */
    }
    if (got > 0) {
        /* every vhost whose list holds it (their lists, secrets and
         * replicas may differ), each list once */
        apr_array_header_t *done = apr_array_make(pool, 4, sizeof(void *));

        for (v = s; v; v = v->next) {
            const bearer_server_conf *c =
                ap_get_module_config(v->module_config, &bearer_module);
            int i, listed = 0;

            for (i = 0; c->memcache && c->secret
                        && i < c->memcache->nelts; i++) {
                listed |= APR_ARRAY_IDX(c->memcache, i,
                                        bearer_memcache_server).index == k;
            }
            for (i = 0; i < done->nelts; i++) {
                listed &= APR_ARRAY_IDX(done, i, const void *) != c->memcache;
            }
            if (listed) {
                APR_ARRAY_PUSH(done, const void *) = c->memcache;
                refill_from(s, pool, c, k, &counts);
            }
        }
        claim_done(s, pool, sconf, k, started);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, BRRLOG(00162)
                     "memcached %s started again (it came back empty): "
                     "copied %d tombstone(s), %d subject cut-off(s), %d "
                     "live token(s) and %d use counter(s) back to it from "
                     "%d other server(s)",
                     bearer_mc_server_name(k), counts.tombstones,
                     counts.cutoffs, counts.tokens, counts.counters,
                     counts.sources);
    }
    bearer_mc_set_seen_start(k, started, pid);
}

static apr_status_t refill_tick(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;
    int k;

    if (state != AP_WATCHDOG_STATE_RUNNING || !bearer_mc_child_ready()) {
        return APR_SUCCESS;
    }
    for (k = 0; k < bearer_mc_server_count(); k++) {
        look_at(s, pool, k);
    }
    /* The thread is mod_watchdog's, not ours, and a child may end while
     * it lives: give back the state OpenSSL keeps for this thread (its
     * error queue, made by the MAC checks above) after each tick, so that
     * none is left behind at a child's exit. */
    OPENSSL_thread_stop();
    return APR_SUCCESS;
}

int bearer_fleet_refill_register(apr_pool_t *pconf, server_rec *s)
{
    ap_watchdog_t *wd;
    apr_status_t rv;

    if (bearer_mc_server_count() == 0) {
        return OK;
    }
    wd_get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get_instance || !wd_register) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00163)
                     "BearerMemcache: mod_watchdog is not loaded, so a "
                     "memcached server that comes back empty is refilled "
                     "only as tokens are read (load mod_watchdog to have "
                     "it refilled within a minute)");
        return OK;
    }
    rv = wd_get_instance(&wd, REFILL_WATCHDOG, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register(wd, REFILL_INTERVAL, s, refill_tick);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, BRRLOG(00164)
                     "BearerMemcache: cannot start the refill of memcached "
                     "servers that come back empty (mod_watchdog); they are "
                     "refilled only as tokens are read");
    }
    return OK;
}
