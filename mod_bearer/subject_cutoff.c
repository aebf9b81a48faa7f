/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subject_cutoff.c - revoking every token of a subject, in O(1).
 *
 * A revocation stores one cut-off time per subject: every token of that
 * subject issued at or before it (microseconds: a token minted in the same
 * second after the revocation still works) is refused from then on. No
 * token is visited, so the cost does not grow with their number.
 *
 * Where the cut-off lives:
 *
 *   key        (namespace', subject key): namespace' is the secret's token
 *              namespace with every bit inverted, the subject key the
 *              subject's keyed hash (bearer_subject.h), so it never meets a
 *              token's key and the subject itself is never a key
 *   embedded   a record of 8 bytes (the cut-off) in the token table, the
 *              store of record, kept until the cut-off plus the endpoint's
 *              BearerMaxTTL (no token it concerns lives longer): kept across
 *              graceful restarts with the table
 *   fleet      sealed in memcached on every server (fleet_subject.c), and
 *              cached in the table like tokens: a copy younger than
 *              BearerCacheRecheck is trusted, so another host's revocation
 *              is seen within that bound. "No cut-off" is cached too (0),
 *              so a subject that was never revoked costs one memcached read
 *              per recheck interval and host, not one per request.
 *
 * A token's record carries its subject key (written at mint), so a check
 * is one table look-up and no HMAC. Records written before that existed
 * get the key computed here.
 */
#include "bearer_private.h"
#include "bearer_bytes.h"
#include "bearer_subject.h"

#include "apr_strings.h"

/* How long a fleet-mode copy is kept in the table: it is re-read after
 * BearerCacheRecheck anyway; this bounds how long it takes a slot, and how
 * long BearerOutage stale can lean on it. */
#define CACHE_KEEP_SECONDS BEARER_DEFAULT_MAX_TTL

static void cutoff_key(bearer_table_key_t *key, const bearer_secret *secret,
                       const unsigned char subject_key[BEARER_SUBJECT_KEY_BYTES])
{
    int i;

    for (i = 0; i < (int)sizeof(key->ns); i++) {
        key->ns[i] = (unsigned char)~secret->ns[i];
    }
    memcpy(key->id, subject_key, sizeof(key->id));
}

static const char *hash_text(apr_pool_t *p,
                             const unsigned char key[BEARER_SUBJECT_KEY_BYTES])
{
    char *out = apr_palloc(p, bearer_base64url_len(BEARER_SUBJECT_KEY_BYTES)
                              + 1);

    bearer_base64url_encode(key, BEARER_SUBJECT_KEY_BYTES, out);
    return out;
}

/* The cut-off this host's table holds: 1 and *usec (0 = "none", a fleet
 * cache entry) and *stored_at, 0 if none, -1 if its slot is stuck. */
static int table_cutoff(request_rec *r, const bearer_table_key_t *key,
                        apr_int64_t *usec, apr_int64_t *stored_at,
                        apr_int64_t *expires_at)
{
    unsigned char rec[BEARER_CUTOFF_BYTES];
    apr_size_t len = 0;
    bearer_table_found_t found;

    switch (bearer_store_record_get(r, key, rec, sizeof(rec), &len, &found)) {
    case BEARER_TABLE_OK:
        if (len != BEARER_CUTOFF_BYTES) {
            return 0;
        }
        *usec = bearer_cutoff_decode(rec);
        *stored_at = found.stored_at;
        *expires_at = found.expires_at;
        return 1;
    case BEARER_TABLE_BUSY:
        return -1;
    default:
        return 0;
    }
}

static bearer_store_status table_put(request_rec *r,
                                     const bearer_table_key_t *key,
                                     apr_int64_t usec, apr_int64_t keep_until,
                                     int evictable)
{
    unsigned char rec[BEARER_CUTOFF_BYTES];

    bearer_cutoff_encode(usec, rec);
    return bearer_store_record_put(r, key, keep_until, evictable, rec,
                                   sizeof(rec));
}

static int subject_key_of(request_rec *r, const bearer_server_conf *sconf,
                          const bearer_entry_t *e,
                          unsigned char out[BEARER_SUBJECT_KEY_BYTES])
{
    if (e->has_subject_key) {
        memcpy(out, e->subject_key, BEARER_SUBJECT_KEY_BYTES);
        return 0;
    }
    if (bearer_subject_key(sconf->secret->key, sconf->secret->key_len,
                           e->subject, e->subject_len, out) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00215)
                      "HMAC-SHA256 failed (OpenSSL): cannot look up a "
                      "subject's revocation");
        return -1;
    }
    return 0;
}

/* 1 if this host must ask memcached for the cut-off (fleet mode): its
 * copy is missing or older than BearerCacheRecheck, or fresh. */
static int must_read(const bearer_server_conf *sconf, int cached,
                     apr_int64_t stored_at, apr_int64_t now, int fresh)
{
    return sconf->memcache
           && (fresh || !cached || now - stored_at >= sconf->recheck);
}

bearer_fleet_subject_read *bearer_subject_read_ahead(request_rec *r,
                                                     const bearer_server_conf *sconf,
                                                     const bearer_entry_t *cached,
                                                     int fresh)
{
    unsigned char skey[BEARER_SUBJECT_KEY_BYTES];
    bearer_table_key_t key;
    apr_int64_t usec = 0, stored_at = 0, expires_at = 0;
    int have;

    /* a record without the subject key would need an HMAC here: its
     * check reads the cut-off in a round of its own, as it always did */
    if (!sconf->memcache || !cached->has_subject
            || !cached->has_subject_key) {
        return NULL;
    }
    memcpy(skey, cached->subject_key, BEARER_SUBJECT_KEY_BYTES);
    cutoff_key(&key, sconf->secret, skey);
    have = table_cutoff(r, &key, &usec, &stored_at, &expires_at);
    if (have < 0 || !must_read(sconf, have, stored_at,
                               apr_time_sec(r->request_time), fresh)) {
        return NULL;
    }
    return bearer_fleet_subject_read_prepare(r, sconf, skey);
}

bearer_store_status bearer_subject_check(request_rec *r,
                                         const bearer_server_conf *sconf,
                                         const bearer_token_info *token,
                                         int fresh,
                                         const bearer_fleet_subject_read *ahead)
{
    const bearer_entry_t *e = &token->entry;
    unsigned char skey[BEARER_SUBJECT_KEY_BYTES];
    bearer_table_key_t key;
    apr_int64_t usec = 0, stored_at = 0, expires_at = 0, fetched = 0;
    apr_int64_t now = apr_time_sec(r->request_time);
    int cached;

    if (!e->has_subject) {
        return BEARER_STORE_OK;
    }
    if (subject_key_of(r, sconf, e, skey) != 0) {
        return BEARER_STORE_UNAVAILABLE;
    }
    cutoff_key(&key, sconf->secret, skey);
    cached = table_cutoff(r, &key, &usec, &stored_at, &expires_at);
    if (cached < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00216)
                      "token %s: the table slot of its subject's cut-off "
                      "stays mid-write (a writer died?); answering 503",
                      token->id);
        return BEARER_STORE_UNAVAILABLE;
    }
    if (must_read(sconf, cached, stored_at, now, fresh)) {
        int read = bearer_fleet_subject_read_covers(ahead, skey)
                   ? bearer_fleet_subject_read_finish(r, sconf, ahead,
                                                      &fetched)
                   : bearer_fleet_subject_fetch(r, sconf, skey, &fetched);

        if (read) {
            /* Refresh the cached copy; with a short recheck, not more
             * than once a second (as for tokens). */
            if (!cached || fetched != usec
                    || now - stored_at >= (sconf->recheck > 0
                                           ? sconf->recheck : 1)) {
                table_put(r, &key, fetched, now + CACHE_KEEP_SECONDS, 1);
            }
            usec = fetched;
        }
        else if (!cached || fresh || sconf->outage != BEARER_OUTAGE_STALE) {
            return BEARER_STORE_UNAVAILABLE;
        }
    }
    if (usec > 0 && bearer_subject_is_cut_off(e, usec)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00217)
                      "token %s: its subject (hash %s) was revoked after "
                      "it was minted", token->id, hash_text(r->pool, skey));
        return BEARER_STORE_MISSING;
    }
    return BEARER_STORE_OK;
}

int bearer_subject_cut_off(request_rec *r, const bearer_server_conf *sconf,
                           const bearer_token_info *token)
{
    return bearer_subject_check(r, sconf, token, 1, NULL) != BEARER_STORE_OK;
}

bearer_store_status bearer_subject_revoke(request_rec *r,
                                          const bearer_server_conf *sconf,
                                          const bearer_dir_conf *dconf,
                                          const char *subject,
                                          apr_size_t subject_len)
{
    unsigned char skey[BEARER_SUBJECT_KEY_BYTES];
    bearer_table_key_t key;
    apr_time_t cut = apr_time_now();
    apr_int64_t keep_until = apr_time_sec(cut) + dconf->max_ttl + 1;
    apr_int64_t old = 0, stored_at = 0, old_keep = 0;
    const char *hash;
    bearer_store_status st;

    if (bearer_subject_key(sconf->secret->key, sconf->secret->key_len,
                           subject, subject_len, skey) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00218)
                      "HMAC-SHA256 failed (OpenSSL): cannot revoke a "
                      "subject");
        return BEARER_STORE_UNAVAILABLE;
    }
    hash = hash_text(r->pool, skey);
    cutoff_key(&key, sconf->secret, skey);
    /* An earlier revocation kept longer (another endpoint's BearerMaxTTL)
     * keeps its length. */
    if (table_cutoff(r, &key, &old, &stored_at, &old_keep) == 1
            && old_keep > keep_until) {
        keep_until = old_keep;
    }
    if (sconf->memcache) {
        st = bearer_fleet_subject_store(r, sconf, skey, (apr_int64_t)cut,
                                        keep_until);
        if (st != BEARER_STORE_OK) {
            return st;
        }
        /* at once on this host; a cache copy like any other */
        table_put(r, &key, (apr_int64_t)cut, keep_until, 1);
    }
    else {
        st = table_put(r, &key, (apr_int64_t)cut, keep_until, 0);
        if (st != BEARER_STORE_OK) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BRRLOG(00219)
                          "token table full: no slot for the revocation of "
                          "subject %s; raise BearerCacheEntries", hash);
            return st;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BRRLOG(00220)
                  "revoked every token of subject %s minted up to %"
                  APR_TIME_T_FMT " (microseconds)", hash, cut);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, BRRLOG(00221)
                  "subject %s is \"%s\"", hash,
                  ap_escape_logitem(r->pool,
                                    apr_pstrmemdup(r->pool, subject,
                                                   subject_len)));
    return BEARER_STORE_OK;
}
