/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_store.c - fleet mode: tokens kept in memcached, shared by every
 * Apache of a fleet, n copies each.
 *
 *   placement  rendezvous hashing of (server name, token id): every Apache
 *              computes the same order of servers for a token; its copies
 *              go to the first n servers of that order that are up.
 *   reads      ask those n servers at once; a tombstone on any of them
 *              wins over a live copy; a missing or altered copy is
 *              repaired from a good one. When they have nothing, or too
 *              few answered, the other live servers are asked too. A live
 *              copy counts once min(n, servers - 1) servers answered;
 *              "unknown" is only said when all n answered and none had
 *              it; anything else is an outage.
 *   revoke     a tombstone goes to every server of the list that is up
 *              (it lives until the token would have expired); every
 *              server that could not take it is marked dirty, and the
 *              key is deleted from it before its next use (mc_journal.c),
 *              so a copy it kept cannot come back.
 *   max_uses   a counter per token (memcached incr) on the same n servers;
 *              the first of them that answers decides, the others follow
 *              for when it fails.
 *
 * Every value is sealed with the secret and bound to its key
 * (fleet_record.c): one that does not open is ignored and logged.
 */
#include "bearer_fleet_internal.h"
#include "bearer_hash.h"
#include "bearer_fleet_record.h"
#include "bearer_metrics.h"

#include "apr_strings.h"
#include "apr_lib.h"

/* a shorter name for the one way to fill an op, used all over */
#define fill_op bearer_fleet_fill_op

#define KEY_PREFIX      BEARER_FLEET_KEY_PREFIX
#define USES_KEY_PREFIX BEARER_FLEET_USES_KEY_PREFIX

/* ---- placement ------------------------------------------------------------- */

static apr_uint64_t name_hash(const char *s)
{
    apr_uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    return h;
}

/* The vhost's servers in this token's order (registry indices). Only
 * names and the id enter the score, so every Apache agrees. */
int *bearer_fleet_server_order(apr_pool_t *p, const bearer_server_conf *sconf,
                               const unsigned char id[BEARER_ID_BYTES])
{
    int n = sconf->memcache->nelts;
    int *order = apr_palloc(p, sizeof(int) * (apr_size_t)n);
    apr_uint64_t *score = apr_palloc(p, sizeof(*score) * (apr_size_t)n);
    apr_uint64_t idv = 0;
    int i, j;

    for (i = 0; i < 8; i++) {
        idv = (idv << 8) | id[i];
    }
    for (i = 0; i < n; i++) {
        const bearer_memcache_server *m =
            &APR_ARRAY_IDX(sconf->memcache, i, bearer_memcache_server);
        apr_uint64_t sc =
            bearer_mix64(name_hash(bearer_mc_server_name(m->index)) ^ idv);

        /* insertion sort: a handful of servers */
        for (j = i; j > 0 && score[j - 1] < sc; j--) {
            score[j] = score[j - 1];
            order[j] = order[j - 1];
        }
        score[j] = sc;
        order[j] = m->index;
    }
    return order;
}

/* The first `replicas` servers of the order that are up; when fewer are
 * up, down ones fill the list (mc_batch.c skips them, or lets one request
 * probe one whose retry time has come). */
static int pick_targets(const bearer_server_conf *sconf, const int *order,
                        int *targets)
{
    int n = sconf->memcache->nelts;
    int count = 0, i;

    for (i = 0; i < n && count < sconf->replicas; i++) {
        if (bearer_mc_server_up(order[i])) {
            targets[count++] = order[i];
        }
    }
    for (i = 0; i < n && count < sconf->replicas; i++) {
        if (!bearer_mc_server_up(order[i])) {
            targets[count++] = order[i];
        }
    }
    return count;
}

static const char *token_key(apr_pool_t *p, const char *id)
{
    return apr_pstrcat(p, KEY_PREFIX, id, NULL);
}

static const char *uses_key(apr_pool_t *p, const char *id)
{
    return apr_pstrcat(p, USES_KEY_PREFIX, id, NULL);
}

static apr_interval_time_t timeout_of(const bearer_server_conf *sconf)
{
    return apr_time_from_msec(sconf->timeout_ms);
}

/* ---- one budget a request ---------------------------------------------------- */

/*
 * BearerMemcacheTimeout bounds the whole of one request's waiting on
 * memcached, however many batches it sends and from whichever function
 * (look-up, use count, mint, revocation): its first batch sets a deadline
 * one timeout away, kept with the main request (subrequests and internal
 * redirects share it), and every later batch ends by it. The first batch
 * itself gets half of it: a server that has not answered by then is
 * marked down, and the other half is left for what follows (the other
 * servers of a second round, a mint's next servers, a DELETE's
 * tombstones). A batch the budget no longer covers is not sent: a second
 * round answers as the outage policy says, a repair is left to a later
 * read. Repairs get half of what is left, and none in a DELETE.
 */
#define BUDGET_KEY "mod_bearer-fleet-budget"

typedef struct {
    apr_time_t deadline;        /* the request's, for memcached */
    int batches;                /* sent so far */
} request_budget;

static request_budget *budget_of(request_rec *r,
                                 const bearer_server_conf *sconf)
{
    request_rec *first = r;
    request_budget *b = NULL;

    while (first->main) {
        first = first->main;
    }
    while (first->prev) {
        first = first->prev;
    }
    apr_pool_userdata_get((void **)&b, BUDGET_KEY, first->pool);
    if (!b) {
        b = apr_pcalloc(first->pool, sizeof(*b));
        b->deadline = apr_time_now() + timeout_of(sconf);
        apr_pool_userdata_setn(b, BUDGET_KEY, NULL, first->pool);
    }
    return b;
}

static apr_time_t request_deadline(request_rec *r,
                                   const bearer_server_conf *sconf)
{
    return budget_of(r, sconf)->deadline;
}

/* 1 while some of the request's budget is left. */
static int time_left(request_rec *r, const bearer_server_conf *sconf)
{
    return request_deadline(r, sconf) > apr_time_now();
}

/* Every batch of a request goes through here: counted in the budget,
 * and as a round trip (bearer_memcached_rounds_total) when it is sent,
 * its deadline still ahead. */
static void run_until(request_rec *r, const bearer_server_conf *sconf,
                      request_budget *b, bearer_mc_op *ops, int nops,
                      apr_time_t until)
{
    b->batches++;
    if (until > apr_time_now()) {
        bearer_metrics_add(BEARER_M_MEMCACHE_ROUNDS, 1);
    }
    bearer_mc_run(r->server, r->pool, ops, nops, until, timeout_of(sconf));
}

/* One round of the request: the first ends half-way to its deadline,
 * the others by it. */
void bearer_fleet_run_round(request_rec *r, const bearer_server_conf *sconf,
                            bearer_mc_op *ops, int nops)
{
    request_budget *b = budget_of(r, sconf);

    run_until(r, sconf, b, ops, nops,
              b->batches == 0 ? b->deadline - timeout_of(sconf) / 2
                              : b->deadline);
}

/* A read that a DELETE's revocation follows (its token look-up, its
 * subject's cut-off): a server that hangs since the request's first batch
 * is still believed up, and a later batch that waits on it to the
 * deadline would leave the tombstones no time at all (503), where the
 * first batch only ever costs half. So in a DELETE a read after the first
 * batch ends half-way to the deadline too. */
void bearer_fleet_run_read(request_rec *r, const bearer_server_conf *sconf,
                           bearer_mc_op *ops, int nops)
{
    request_budget *b = budget_of(r, sconf);
    apr_time_t now = apr_time_now();

    if (r->method_number != M_DELETE || b->batches == 0) {
        bearer_fleet_run_round(r, sconf, ops, nops);
        return;
    }
    run_until(r, sconf, b, ops, nops, now + (b->deadline - now) / 2);
}

/* A round that must leave time for what may follow it (a repair, a
 * mint's second try, which its undo may follow): half of what is left;
 * 0 when not sent (less than 2 ms left). */
static int run_half(request_rec *r, const bearer_server_conf *sconf,
                    bearer_mc_op *ops, int nops)
{
    request_budget *b = budget_of(r, sconf);
    apr_time_t now = apr_time_now();

    if (b->deadline - now < 2 * 1000) {
        return 0;
    }
    run_until(r, sconf, b, ops, nops, now + (b->deadline - now) / 2);
    return 1;
}

/* A repair: as run_half, and none in a DELETE (the revocation that
 * follows its look-up keeps the time). */
int bearer_fleet_run_repair(request_rec *r, const bearer_server_conf *sconf,
                            bearer_mc_op *ops, int nops)
{
    return r->method_number != M_DELETE && run_half(r, sconf, ops, nops);
}

/* 1 if any server of this vhost's list is believed up (a look at the
 * shared health flags: no network). */
int bearer_fleet_any_up(const bearer_server_conf *sconf)
{
    int i;

    for (i = 0; i < sconf->memcache->nelts; i++) {
        if (bearer_mc_server_up(APR_ARRAY_IDX(sconf->memcache, i,
                                              bearer_memcache_server).index)) {
            return 1;
        }
    }
    return 0;
}

/* ---- reading ----------------------------------------------------------------- */

/* The servers of order[] that are up and not in used[0..nused), at most
 * max of them, into out; returns how many. */
static int more_servers(const bearer_server_conf *sconf, const int *order,
                        const int *used, int nused, int *out, int max)
{
    int n = sconf->memcache->nelts, count = 0, i, j;

    for (i = 0; i < n && count < max; i++) {
        int seen = 0;

        for (j = 0; j < nused; j++) {
            seen |= used[j] == order[i];
        }
        if (!seen && bearer_mc_server_up(order[i])) {
            out[count++] = order[i];
        }
    }
    return count;
}

/* How many servers must answer before a live value is trusted:
 * BearerMemcacheReplicas, but at most all servers but one, so that losing
 * one server never turns valid tokens away. A revocation puts its
 * tombstone on every server it reaches: with this many answers, a single
 * server that missed it cannot speak alone. (With two servers it still
 * can, when the other one is unreachable: the price of not making the
 * loss of either one an outage.) */
int bearer_fleet_live_quorum(const bearer_server_conf *sconf)
{
    int n = sconf->memcache->nelts;
    int q = sconf->replicas < n - 1 ? sconf->replicas : n - 1;

    return q < 1 ? 1 : q;
}

void bearer_fleet_fill_op(bearer_mc_op *op, int server, bearer_mc_kind kind,
                          const char *key, const unsigned char *value,
                          apr_size_t value_len, apr_int64_t expires_at)
{
    memset(op, 0, sizeof(*op));
    op->server = server;
    op->kind = kind;
    op->key = key;
    op->value = value;
    op->value_len = value_len;
    op->expires_at = expires_at;
    op->value_max = BEARER_RECORD_MAX;
}

/* Reads of key (mg) from servers[from..nops) into ops[from..nops). */
static void fill_gets(const char *key, const int *servers, bearer_mc_op *ops,
                      int from, int nops)
{
    int i;

    for (i = from; i < nops; i++) {
        fill_op(&ops[i], servers[i], BEARER_MC_GET, key, NULL, 0, 0);
    }
}

/* ... sent at once, results in ops[from..nops). */
static void run_gets(request_rec *r, const bearer_server_conf *sconf,
                     const char *key, const int *servers, bearer_mc_op *ops,
                     int from, int nops)
{
    fill_gets(key, servers, ops, from, nops);
    bearer_fleet_run_read(r, sconf, ops + from, nops - from);
}

/* What the rounds of one read found, over every server asked so far:
 * servers[i] was asked with ops[i]; kinds[i] is what its value opened as
 * (a bearer_record kind, 0 for none). */
typedef struct {
    const char *key;
    int *servers;
    bearer_mc_op *ops;
    int *kinds;
    int ntargets;               /* the token's first servers: ops[0..) */
    int nops;                   /* every server asked */
    int tombstone;              /* the op that had one, or -1 */
    apr_int64_t tomb_expires;
    const bearer_mc_op *good;   /* the first live value */
    int answered;
    int answered_empty;
} fetch_tally;

/* Opens the answers of ops[from..nops) into the tally. */
static void tally_round(request_rec *r, const bearer_server_conf *sconf,
                        bearer_token_info *token, fetch_tally *t, int from)
{
    int i;

    for (i = from; i < t->nops; i++) {
        bearer_mc_op *op = &t->ops[i];
        bearer_entry_t entry;
        apr_int64_t expires_at = 0;

        if (op->status == BEARER_MC_FAILED) {
            continue;
        }
        t->answered++;
        if (op->status == BEARER_MC_OK) {
            t->kinds[i] = bearer_record_open(sconf->secret->key,
                                             sconf->secret->key_len, t->key,
                                             strlen(t->key), op->data,
                                             op->data_len, &entry,
                                             &expires_at);
            if (!t->kinds[i]) {
                bearer_metrics_add(BEARER_M_MEMCACHE_BAD_MAC, 1);
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              BRRLOG(00090) "memcached %s: the value "
                              "under token %s does not authenticate "
                              "with the secret (forged, altered or "
                              "copied): ignored",
                              bearer_mc_server_name(op->server), token->id);
            }
        }
        else if (op->status == BEARER_MC_BAD_VALUE) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BRRLOG(00091)
                          "memcached %s: an oversized value under token "
                          "%s: ignored", bearer_mc_server_name(op->server),
                          token->id);
        }
        if (t->kinds[i] == BEARER_RECORD_TOMBSTONE) {
            t->tombstone = i;
            t->tomb_expires = expires_at;
        }
        else if (t->kinds[i] == BEARER_RECORD_TOKEN) {
            if (!t->good) {
                t->good = op;
                token->entry = entry;
            }
        }
        else {
            /* Round 1's servers count too: they are the ones the
             * token's first servers would be once an unreachable one
             * among them is marked down. Counting only round 0 made
             * the request that finds a server unreachable answer 503
             * for a token no server holds, where every later request
             * answers 401. */
            t->answered_empty++;
        }
    }
}

/*
 * Read repair of the token's first servers: one that answered without
 * the winning value gets it; the sealed bytes are bound to the key, not
 * the server, so they are copied as they are. A tombstone is set (it
 * always wins). A live value never overwrites a tombstone that a
 * revocation wrote since we read: it is added where the key was missing,
 * and put over a value that did not open only if that value is still the
 * one we read (cas). A first server that did not answer misses the
 * tombstone: it is cleaned up before its next use. Returns how many ops
 * it put in repair[].
 */
static int repair_plan(const fetch_tally *t, const bearer_token_info *token,
                       bearer_mc_op *repair)
{
    const bearer_mc_op *src = t->tombstone >= 0 ? &t->ops[t->tombstone]
                                                : t->good;
    int wanted = t->tombstone >= 0 ? BEARER_RECORD_TOMBSTONE
                                   : BEARER_RECORD_TOKEN;
    int nrepair = 0, i;

    for (i = 0; i < t->ntargets && src; i++) {
        const bearer_mc_op *op = &t->ops[i];
        bearer_mc_op *fix;

        if (op->status == BEARER_MC_FAILED) {
            if (t->tombstone >= 0) {
                bearer_mc_mark_missed(op->server, t->key);
            }
            continue;
        }
        if (t->kinds[i] == wanted) {
            continue;
        }
        fix = &repair[nrepair++];
        fill_op(fix, op->server,
                t->tombstone >= 0 ? BEARER_MC_SET
                : op->status == BEARER_MC_NOT_FOUND ? BEARER_MC_ADD
                : BEARER_MC_CAS,
                t->key, src->data, src->data_len,
                t->tombstone >= 0 ? t->tomb_expires
                                  : token->entry.expires_at);
        fix->cas = op->cas;
    }
    return nrepair;
}

/* The first round: the token's first servers, and the subject read
 * riding along (each server gets its ops in one send, and answers them
 * in one read). */
static void run_first_round(request_rec *r, const bearer_server_conf *sconf,
                            fetch_tally *t, bearer_fleet_subject_read *ride)
{
    bearer_mc_op *all;
    int n;

    if (!ride) {
        run_gets(r, sconf, t->key, t->servers, t->ops, 0, t->nops);
        return;
    }
    fill_gets(t->key, t->servers, t->ops, 0, t->nops);
    n = t->nops + ride->nops;
    all = apr_palloc(r->pool, sizeof(*all) * (apr_size_t)n);
    memcpy(all, t->ops, sizeof(*all) * (apr_size_t)t->nops);
    memcpy(all + t->nops, ride->ops, sizeof(*all) * (apr_size_t)ride->nops);
    bearer_fleet_run_read(r, sconf, all, n);
    memcpy(t->ops, all, sizeof(*all) * (apr_size_t)t->nops);
    memcpy(ride->ops, all + t->nops, sizeof(*all) * (apr_size_t)ride->nops);
    ride->sent = 1;
}

bearer_fleet_answer bearer_fleet_fetch(request_rec *r,
                                       const bearer_server_conf *sconf,
                                       bearer_token_info *token,
                                       bearer_fleet_subject_read *ride)
{
    int *order = bearer_fleet_server_order(r->pool, sconf, token->id_bytes);
    int n = sconf->memcache->nelts;
    int quorum = bearer_fleet_live_quorum(sconf), nrepair, skipped = 0;
    bearer_mc_op repair[BEARER_MAX_REPLICAS];
    fetch_tally t;

    memset(&t, 0, sizeof(t));
    t.key = token_key(r->pool, token->id);
    t.servers = apr_palloc(r->pool, sizeof(int) * (apr_size_t)n);
    t.kinds = apr_pcalloc(r->pool, sizeof(int) * (apr_size_t)n);
    t.ops = apr_pcalloc(r->pool, sizeof(*t.ops) * (apr_size_t)n);
    t.tombstone = -1;
    t.ntargets = t.nops = pick_targets(sconf, order, t.servers);

    run_first_round(r, sconf, &t, ride);
    tally_round(r, sconf, token, &t, 0);

    /* Nothing found on the token's first servers: it may have been
     * written to later ones while those were down (a mint goes to the
     * first n LIVE servers). Or a live value, but from too few servers to
     * trust it. A second round asks the others that are up, if the
     * request's budget still covers one. */
    if (t.tombstone < 0 && !(t.good && t.answered >= quorum)) {
        t.nops += more_servers(sconf, order, t.servers, t.ntargets,
                               t.servers + t.ntargets, n - t.ntargets);
        if (t.nops > t.ntargets && !time_left(r, sconf)) {
            /* not asked: what they hold cannot be told (outage) */
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00160)
                          "token %s: no time left this request to ask %d "
                          "more memcached server(s) (BearerMemcacheTimeout "
                          "bounds the request)", token->id,
                          t.nops - t.ntargets);
            t.nops = t.ntargets;
            skipped = 1;
        }
        if (t.nops > t.ntargets) {
            run_gets(r, sconf, t.key, t.servers, t.ops, t.ntargets, t.nops);
            tally_round(r, sconf, token, &t, t.ntargets);
        }
    }

    if (skipped && t.tombstone < 0 && !t.good) {
        return BEARER_FLEET_UNKNOWN;
    }
    if (t.tombstone < 0 && t.good && t.answered < quorum) {
        /* Only this many servers answered, and all a revocation that
         * could not reach some of them guarantees is a tombstone on every
         * other one: a live value from fewer than `quorum` servers may be
         * a copy that missed it (and one this host was never told to
         * flush). Outage: BearerOutage decides; never copied around. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00098)
                      "token %s: a live copy, but only %d memcached "
                      "server(s) answered (%d needed to trust it): "
                      "treating memcached as unreachable", token->id,
                      t.answered, quorum);
        return BEARER_FLEET_UNKNOWN;
    }
    nrepair = repair_plan(&t, token, repair);
    if (nrepair > 0) {
        int sent = bearer_fleet_run_repair(r, sconf, repair, nrepair);

        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00092)
                      "token %s: %s %d replica(s) with the %s", token->id,
                      sent ? "repairing" : "no time left this request to "
                      "repair", nrepair,
                      t.tombstone >= 0 ? "tombstone" : "live value");
    }

    if (t.tombstone >= 0) {
        return BEARER_FLEET_REVOKED;
    }
    if (t.good) {
        return BEARER_FLEET_LIVE;
    }
    return t.answered_empty >= sconf->replicas ? BEARER_FLEET_MISSING
                                               : BEARER_FLEET_UNKNOWN;
}

/* ---- writing ----------------------------------------------------------------- */

/* Writes the sealed token (and its use counter) to each of servers[];
 * returns how many hold both afterwards. Every server that took any of it
 * is added to wrote[] (for undo_insert). */
static int insert_on(request_rec *r, const bearer_server_conf *sconf,
                     const char *id, const char *key,
                     const unsigned char *sealed, apr_size_t len,
                     const bearer_entry_t *entry, const int *servers,
                     int nservers_, int *wrote, int *nwrote, int second)
{
    bearer_mc_op ops[2 * BEARER_MAX_REPLICAS];
    int per = entry->max_uses > 0 ? 2 : 1;
    int nops = 0, stored = 0, i;

    for (i = 0; i < nservers_; i++) {
        fill_op(&ops[nops++], servers[i], BEARER_MC_ADD, key, sealed, len,
                entry->expires_at);
        if (per == 2) {
            fill_op(&ops[nops++], servers[i], BEARER_MC_ADD,
                    uses_key(r->pool, id), (const unsigned char *)"0", 1,
                    entry->expires_at);
        }
    }
    if (second) {
        run_half(r, sconf, ops, nops);      /* the undo may follow */
    }
    else {
        bearer_fleet_run_round(r, sconf, ops, nops);
    }

    /* A server counts when it holds the token (and its use counter). */
    for (i = 0; i < nservers_; i++) {
        int ok = ops[per * i].status == BEARER_MC_OK;
        int any = ok;

        if (per == 2) {
            any = ok || ops[per * i + 1].status == BEARER_MC_OK;
            ok = ok && ops[per * i + 1].status == BEARER_MC_OK;
        }
        stored += ok;
        if (any) {
            wrote[(*nwrote)++] = servers[i];
        }
    }
    return stored;
}

/* A mint that will answer 503 takes back what it wrote: a tombstone that
 * lives a second over the token (memcached has no delete we parse, and a
 * tombstone wins over any copy), its counter likewise. A server it cannot
 * reach now, or none when the request's budget is spent, has the keys
 * noted as missed: they are deleted from it before this host uses it
 * again. No one ever saw this token, so what is left meanwhile is dead
 * weight, not a token. */
static void undo_insert(request_rec *r, const bearer_server_conf *sconf,
                        const char *id, const char *key,
                        const bearer_entry_t *entry, const int *wrote,
                        int nwrote)
{
    bearer_mc_op ops[4 * BEARER_MAX_REPLICAS];
    unsigned char *sealed = apr_palloc(r->pool, BEARER_RECORD_MAX);
    const char *ukey = uses_key(r->pool, id);
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_size_t len;
    int nops = 0, i;

    len = bearer_record_seal_tombstone(sconf->secret->key,
                                       sconf->secret->key_len, key,
                                       strlen(key), now, sealed,
                                       BEARER_RECORD_MAX);
    for (i = 0; i < nwrote && len > 0; i++) {
        fill_op(&ops[nops++], wrote[i], BEARER_MC_SET, key, sealed, len,
                now);
        if (entry->max_uses > 0) {
            fill_op(&ops[nops++], wrote[i], BEARER_MC_SET, ukey,
                    (const unsigned char *)"0", 1, now);
        }
    }
    bearer_fleet_run_round(r, sconf, ops, nops);
    for (i = 0; i < nwrote; i++) {
        bearer_mc_op *op = &ops[(entry->max_uses > 0 ? 2 : 1) * i];

        if (len == 0 || op->status != BEARER_MC_OK) {
            bearer_mc_mark_missed(wrote[i], key);
        }
        if (entry->max_uses > 0
                && (len == 0 || op[1].status != BEARER_MC_OK)) {
            bearer_mc_mark_missed(wrote[i], ukey);
        }
    }
}

bearer_store_status bearer_fleet_insert(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const char *id,
                                        const unsigned char id_bytes[BEARER_ID_BYTES],
                                        const bearer_entry_t *entry)
{
    const char *key = token_key(r->pool, id);
    int *order = bearer_fleet_server_order(r->pool, sconf, id_bytes);
    int targets[BEARER_MAX_REPLICAS], more[BEARER_MAX_REPLICAS];
    int wrote[2 * BEARER_MAX_REPLICAS];
    int ntargets = pick_targets(sconf, order, targets);
    int quorum = bearer_fleet_live_quorum(sconf);
    unsigned char *sealed = apr_palloc(r->pool, BEARER_RECORD_MAX);
    apr_size_t len;
    int stored, nmore = 0, nwrote = 0;

    len = bearer_record_seal_token(sconf->secret->key, sconf->secret->key_len,
                                   key, strlen(key), entry, sealed,
                                   BEARER_RECORD_MAX);
    if (len == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00093)
                      "cannot seal token %s for memcached", id);
        return BEARER_STORE_UNAVAILABLE;
    }
    stored = insert_on(r, sconf, id, key, sealed, len, entry, targets,
                       ntargets, wrote, &nwrote, 0);

    /* Targets that failed just now are down: the token goes to the next
     * live servers of its order instead ("the first n live servers"), so
     * that the request that finds servers gone does not answer 503 while
     * others are up, if the request's budget still covers a round (half
     * of what is left: an undo may have to follow). */
    if (stored < sconf->replicas && time_left(r, sconf)) {
        nmore = more_servers(sconf, order, targets, ntargets, more,
                             sconf->replicas - stored);
    }
    if (nmore > 0) {
        stored += insert_on(r, sconf, id, key, sealed, len, entry, more,
                            nmore, wrote, &nwrote, 1);
    }

    if (stored == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00094)
                      "no memcached server took token %s: answering 503",
                      id);
        undo_insert(r, sconf, id, key, entry, wrote, nwrote);
        return BEARER_STORE_UNAVAILABLE;
    }
    /* Every host must honour a 201: one that reads the token trusts a
     * live copy only once `quorum` servers answered, so fewer servers
     * holding it than that (all but they unreachable) is no token. */
    if (stored < quorum) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00161)
                      "token %s: only %d memcached server(s) took it, %d "
                      "needed for every host of the fleet to trust it: "
                      "taken back, answering 503", id, stored, quorum);
        undo_insert(r, sconf, id, key, entry, wrote, nwrote);
        return BEARER_STORE_UNAVAILABLE;
    }
    if (stored < sconf->replicas) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00095)
                      "token %s is on %d of %d replicas (servers down)", id,
                      stored, sconf->replicas);
    }
    return BEARER_STORE_OK;
}

bearer_store_status bearer_fleet_revoke(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const bearer_token_info *token)
{
    const char *key = token_key(r->pool, token->id);
    int n = sconf->memcache->nelts;
    bearer_mc_op *ops = apr_pcalloc(r->pool, sizeof(*ops) * (apr_size_t)n);
    unsigned char *sealed = apr_palloc(r->pool, BEARER_RECORD_MAX);
    apr_size_t len;
    int stored = 0, i;

    len = bearer_record_seal_tombstone(sconf->secret->key,
                                       sconf->secret->key_len, key,
                                       strlen(key), token->entry.expires_at,
                                       sealed, BEARER_RECORD_MAX);
    if (len == 0) {
        return BEARER_STORE_UNAVAILABLE;
    }
    /* Every server gets the tombstone, not just the token's n: the more
     * copies, the less a server that kept an old copy can matter. */
    for (i = 0; i < n; i++) {
        fill_op(&ops[i], APR_ARRAY_IDX(sconf->memcache, i,
                                       bearer_memcache_server).index,
                BEARER_MC_SET, key, sealed, len, token->entry.expires_at);
    }
    bearer_fleet_run_round(r, sconf, ops, n);
    for (i = 0; i < n; i++) {
        if (ops[i].status == BEARER_MC_OK) {
            stored++;
        }
    }
    /* A server that missed the tombstone may still hold the live value:
     * dirty. Not when no server took it: then the revocation failed (503),
     * the token stays live everywhere, and nothing was missed (marking
     * them all dirty would flush every server when memcached returns). */
    for (i = 0; i < n && stored > 0; i++) {
        if (ops[i].status != BEARER_MC_OK) {
            bearer_mc_mark_missed(ops[i].server, key);
        }
    }
    if (stored == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00096)
                      "no memcached server took the tombstone of token %s: "
                      "answering 503", token->id);
        return BEARER_STORE_UNAVAILABLE;
    }
    return BEARER_STORE_OK;
}

/* ---- uses -------------------------------------------------------------------- */

bearer_store_status bearer_fleet_consume_use(request_rec *r,
                                             const bearer_server_conf *sconf,
                                             const bearer_token_info *token)
{
    const char *key = uses_key(r->pool, token->id);
    int *order = bearer_fleet_server_order(r->pool, sconf, token->id_bytes);
    int n = sconf->memcache->nelts;
    int *targets = apr_palloc(r->pool, sizeof(int) * (apr_size_t)n);
    int ntargets = pick_targets(sconf, order, targets), nops;
    bearer_mc_op *ops = apr_pcalloc(r->pool, sizeof(*ops) * (apr_size_t)n);
    bearer_mc_op repair[BEARER_MAX_REPLICAS];
    const bearer_mc_op *decider = NULL;
    int nrepair = 0, not_found = 0, skipped = 0, i;

    for (i = 0; i < ntargets; i++) {
        fill_op(&ops[i], targets[i], BEARER_MC_INCR, key, NULL, 0, 0);
        ops[i].delta = 1;
    }
    bearer_fleet_run_round(r, sconf, ops, ntargets);
    for (i = 0; i < ntargets; i++) {
        if (ops[i].status == BEARER_MC_OK && !decider) {
            decider = &ops[i];      /* the first in the token's order */
        }
        else if (ops[i].status != BEARER_MC_OK
                 && ops[i].status != BEARER_MC_FAILED) {
            not_found++;
        }
    }
    if (!decider && not_found == ntargets && ntargets > 0
            && !time_left(r, sconf)) {
        skipped = 1;            /* later servers not asked: cannot tell */
    }
    else if (!decider && not_found == ntargets && ntargets > 0) {
        /* No counter on the token's first servers: it may be on later
         * ones, where it was minted while those were down. */
        nops = ntargets + more_servers(sconf, order, targets, ntargets,
                                       targets + ntargets, n - ntargets);
        for (i = ntargets; i < nops; i++) {
            fill_op(&ops[i], targets[i], BEARER_MC_INCR, key, NULL, 0, 0);
            ops[i].delta = 1;
        }
        if (nops > ntargets) {
            bearer_fleet_run_round(r, sconf, ops + ntargets, nops - ntargets);
        }
        for (i = ntargets; i < nops && !decider; i++) {
            if (ops[i].status == BEARER_MC_OK) {
                decider = &ops[i];
            }
        }
    }
    /* A replica that could not count a use another one counted lags
     * behind: dirty. When none counted it the request fails (503) and no
     * replica missed anything. */
    for (i = 0; i < ntargets && decider; i++) {
        if (ops[i].status == BEARER_MC_FAILED) {
            bearer_mc_mark_missed(ops[i].server, key);
        }
    }
    if (!decider) {
        if (not_found == ntargets && ntargets > 0 && !skipped) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BRRLOG(00097)
                          "token %s: its use counter is gone from every "
                          "replica; refusing it", token->id);
            return BEARER_STORE_EXHAUSTED;
        }
        return BEARER_STORE_UNAVAILABLE;
    }

    /* Replicas without a (numeric) counter get the decider's count. */
    for (i = 0; i < ntargets; i++) {
        if (ops[i].status == BEARER_MC_NOT_FOUND
                || ops[i].status == BEARER_MC_BAD_VALUE) {
            const char *count = apr_psprintf(r->pool, "%" APR_UINT64_T_FMT,
                                             decider->number);

            fill_op(&repair[nrepair++], ops[i].server, BEARER_MC_SET, key,
                    (const unsigned char *)count, strlen(count),
                    token->entry.expires_at);
        }
    }
    if (nrepair > 0) {
        bearer_fleet_run_repair(r, sconf, repair, nrepair);
    }
    return decider->number <= token->entry.max_uses ? BEARER_STORE_OK
                                                    : BEARER_STORE_EXHAUSTED;
}

bearer_store_status bearer_fleet_uses_left(request_rec *r,
                                           const bearer_server_conf *sconf,
                                           bearer_token_info *token)
{
    const char *key = uses_key(r->pool, token->id);
    int *order = bearer_fleet_server_order(r->pool, sconf, token->id_bytes);
    int n = sconf->memcache->nelts;
    int *servers = apr_palloc(r->pool, sizeof(int) * (apr_size_t)n);
    int ntargets = pick_targets(sconf, order, servers), nops = ntargets;
    bearer_mc_op *ops = apr_pcalloc(r->pool, sizeof(*ops) * (apr_size_t)n);
    apr_uint64_t used = 0;
    int answered = 0, round, from = 0, i;

    for (round = 0; round < 2 && answered == 0; round++) {
        if (round == 1) {
            /* no counter on the first servers: look on the later ones,
             * if the request's budget still covers a round */
            if (!time_left(r, sconf)) {
                break;
            }
            from = ntargets;
            nops += more_servers(sconf, order, servers, ntargets,
                                 servers + ntargets, n - ntargets);
            if (nops == ntargets) {
                break;
            }
        }
        run_gets(r, sconf, key, servers, ops, from, nops);
        for (i = from; i < nops; i++) {
            char *end;
            apr_uint64_t v;

            if (ops[i].status != BEARER_MC_OK || ops[i].data_len == 0
                    || ops[i].data_len > 20) {
                continue;
            }
            ops[i].data[ops[i].data_len] = '\0';
            v = (apr_uint64_t)apr_strtoi64((char *)ops[i].data, &end, 10);
            if (*end == '\0' && apr_isdigit(ops[i].data[0])) {
                used = v > used ? v : used;     /* the most uses anyone saw */
                answered++;
            }
        }
    }
    if (answered == 0) {
        return BEARER_STORE_UNAVAILABLE;
    }
    token->found.uses_left = used >= token->entry.max_uses
                             ? 0 : (apr_uint32_t)(token->entry.max_uses - used);
    return token->found.uses_left > 0 ? BEARER_STORE_OK
                                      : BEARER_STORE_EXHAUSTED;
}
