/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_subject.c - fleet mode: the subjects' cut-offs in memcached.
 *
 *   key        bearer:subject:<base64url of the subject key> (the keyed
 *              hash; never the subject)
 *   value      sealed like tokens (fleet_record.c, kind "cut-off"): bound
 *              to its key, ignored and logged when it does not open
 *   write      to every server of the list, like a tombstone; the
 *              revocation counts (204) once as many servers took it as a
 *              host needs answers to trust a live copy (min(replicas,
 *              servers - 1)), else 503 (retry)
 *   read       from every server that is up, at once (one round trip, the
 *              same as the token's own read when this host knows the
 *              token's subject from its cached copy); the
 *              latest cut-off any of them holds wins, and "none" is
 *              believed only when as many servers answered as a live token
 *              needs (min(BearerMemcacheReplicas, servers - 1)); servers
 *              that answered without the latest get it (read repair)
 *
 * Cut-offs only ever move later, so taking the latest of all answers is
 * always right, and a server that kept an older one can do no harm.
 */
#include "bearer_fleet_internal.h"
#include "bearer_bytes.h"
#include "bearer_fleet_record.h"
#include "bearer_metrics.h"
#include "bearer_subject.h"

#include "apr_strings.h"

static const char *subject_mc_key(apr_pool_t *p,
                                  const unsigned char key[BEARER_SUBJECT_KEY_BYTES])
{
    char text[32];

    bearer_base64url_encode(key, BEARER_SUBJECT_KEY_BYTES, text);
    return apr_pstrcat(p, BEARER_FLEET_SUBJECT_KEY_PREFIX, text, NULL);
}

static void all_servers(const bearer_server_conf *sconf, bearer_mc_op *ops,
                        bearer_mc_kind kind, const char *key,
                        const unsigned char *value, apr_size_t value_len,
                        apr_int64_t expires_at)
{
    int i;

    for (i = 0; i < sconf->memcache->nelts; i++) {
        bearer_fleet_fill_op(&ops[i],
                             APR_ARRAY_IDX(sconf->memcache, i,
                                           bearer_memcache_server).index,
                             kind, key, value, value_len, expires_at);
    }
}

bearer_fleet_subject_read *bearer_fleet_subject_read_prepare(request_rec *r,
                                                             const bearer_server_conf *sconf,
                                                             const unsigned char key[BEARER_SUBJECT_KEY_BYTES])
{
    bearer_fleet_subject_read *rd = apr_pcalloc(r->pool, sizeof(*rd));

    memcpy(rd->key, key, BEARER_SUBJECT_KEY_BYTES);
    rd->mkey = subject_mc_key(r->pool, key);
    rd->nops = sconf->memcache->nelts;
    rd->ops = apr_pcalloc(r->pool, sizeof(*rd->ops) * (apr_size_t)rd->nops);
    all_servers(sconf, rd->ops, BEARER_MC_GET, rd->mkey, NULL, 0, 0);
    return rd;
}

int bearer_fleet_subject_read_covers(const bearer_fleet_subject_read *rd,
                                     const unsigned char key[BEARER_SUBJECT_KEY_BYTES])
{
    return rd && rd->sent
           && memcmp(rd->key, key, BEARER_SUBJECT_KEY_BYTES) == 0;
}

int bearer_fleet_subject_read_finish(request_rec *r,
                                     const bearer_server_conf *sconf,
                                     const bearer_fleet_subject_read *rd,
                                     apr_int64_t *cut_off_usec)
{
    const char *mkey = rd->mkey;
    const bearer_mc_op *ops = rd->ops;
    int n = rd->nops;
    apr_int64_t *seen = apr_pcalloc(r->pool, sizeof(*seen) * (apr_size_t)n);
    bearer_mc_op *repair = apr_pcalloc(r->pool, sizeof(*repair) * (apr_size_t)n);
    int answered = 0, best = -1, nrepair = 0, i;
    apr_int64_t latest = 0;

    if (!rd->sent) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        bearer_entry_t unused;
        apr_int64_t value = 0;

        if (ops[i].status == BEARER_MC_FAILED) {
            continue;
        }
        answered++;
        if (ops[i].status != BEARER_MC_OK) {
            continue;
        }
        if (bearer_record_open(sconf->secret->key, sconf->secret->key_len,
                               mkey, strlen(mkey), ops[i].data,
                               ops[i].data_len, &unused, &value)
                != BEARER_RECORD_CUTOFF) {
            bearer_metrics_add(BEARER_M_MEMCACHE_BAD_MAC, 1);
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BRRLOG(00222)
                          "memcached %s: the value under %s does not "
                          "authenticate with the secret (forged, altered or "
                          "copied): ignored",
                          bearer_mc_server_name(ops[i].server), mkey);
            continue;
        }
        seen[i] = value;
        if (value > latest) {
            latest = value;
            best = i;
        }
    }
    if (best < 0 && answered < bearer_fleet_live_quorum(sconf)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00223)
                      "%s: only %d memcached server(s) answered (%d needed "
                      "to trust that there is no cut-off)", mkey, answered,
                      bearer_fleet_live_quorum(sconf));
        return 0;
    }
    /* Read repair: answering servers without the latest get it. */
    for (i = 0; best >= 0 && i < n; i++) {
        if (ops[i].status == BEARER_MC_FAILED || seen[i] == latest) {
            continue;
        }
        bearer_fleet_fill_op(&repair[nrepair++], ops[i].server,
                             BEARER_MC_SET, mkey, ops[best].data,
                             ops[best].data_len,
                             apr_time_sec(apr_time_now())
                             + BEARER_DEFAULT_MAX_TTL);
    }
    if (nrepair > 0) {
        /* within the request's budget; one left undone is done by a
         * later read */
        bearer_fleet_run_repair(r, sconf, repair, nrepair);
    }
    *cut_off_usec = latest;
    return 1;
}

int bearer_fleet_subject_fetch(request_rec *r,
                               const bearer_server_conf *sconf,
                               const unsigned char key[BEARER_SUBJECT_KEY_BYTES],
                               apr_int64_t *cut_off_usec)
{
    bearer_fleet_subject_read *rd = bearer_fleet_subject_read_prepare(r, sconf,
                                                                      key);

    /* in a DELETE, a read of its own after the token's: half of what is
     * left (bearer_fleet_run_read) */
    bearer_fleet_run_read(r, sconf, rd->ops, rd->nops);
    rd->sent = 1;
    return bearer_fleet_subject_read_finish(r, sconf, rd, cut_off_usec);
}

bearer_store_status bearer_fleet_subject_store(request_rec *r,
                                               const bearer_server_conf *sconf,
                                               const unsigned char key[BEARER_SUBJECT_KEY_BYTES],
                                               apr_int64_t cut_off_usec,
                                               apr_int64_t keep_until)
{
    const char *mkey = subject_mc_key(r->pool, key);
    int n = sconf->memcache->nelts;
    bearer_mc_op *ops = apr_pcalloc(r->pool, sizeof(*ops) * (apr_size_t)n);
    unsigned char *sealed = apr_palloc(r->pool, BEARER_RECORD_MAX);
    apr_size_t len;
    int stored = 0, i;

    len = bearer_record_seal_cutoff(sconf->secret->key,
                                    sconf->secret->key_len, mkey,
                                    strlen(mkey), cut_off_usec, sealed,
                                    BEARER_RECORD_MAX);
    if (len == 0) {
        return BEARER_STORE_UNAVAILABLE;
    }
    all_servers(sconf, ops, BEARER_MC_SET, mkey, sealed, len, keep_until);
    bearer_fleet_run_round(r, sconf, ops, n);
    for (i = 0; i < n; i++) {
        stored += ops[i].status == BEARER_MC_OK;
    }
    /* Fewer copies than a host needs answers to trust "no cut-off" could
     * all be lost or missed by a later read: like a mint (the fleet
     * promises), no 204 then. The copies made stay: a cut-off only ever
     * refuses tokens the operator asked to refuse, and the retry adds
     * the rest. */
    if (stored < bearer_fleet_live_quorum(sconf)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00224)
                      "only %d memcached server(s) took the cut-off %s, %d "
                      "needed: answering 503", stored, mkey,
                      bearer_fleet_live_quorum(sconf));
        return BEARER_STORE_UNAVAILABLE;
    }
    if (stored < n) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00225)
                      "cut-off %s is on %d of %d memcached servers (the "
                      "others get it when read)", mkey, stored, n);
    }
    return BEARER_STORE_OK;
}
