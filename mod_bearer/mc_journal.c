/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_journal.c - the keys each memcached server missed while unreachable
 * (a tombstone, a use it had to see), kept in shared memory so that any
 * child of this host cleans the server up before its next use: those keys
 * deleted from it, or the whole server flushed when they cannot all be
 * told. Its clean-up state is a bearer_mc_dirt (bearer_mc_internal.h).
 * Why: docs/design.md ("a returning server").
 */
#include "bearer_mc_internal.h"

#include "apr_strings.h"

/* Keys a server missed while unreachable, remembered per server so that
 * only those are deleted from it when it answers again (flush_all would
 * also take copies that are by now the last ones: a token whose other
 * replica was lost in an earlier crash and not yet read back). More than
 * this many between two uses of the server, and it is flushed after all. */
#define MISSED_MAX         4096
#define MISSED_KEY_MAX     40      /* "bearer:uses:" + a 22-character id */

/* A journal entry whose writer took its index but has not published the
 * key this many seconds later belongs to a writer that died (a child
 * killed in between): the clean-up stops waiting and flushes the server. */
#define STALL_SECONDS   2

/* The keys one server missed: a ring in shared memory, after the health
 * array. A writer takes index `head` (atomic add), writes the key, then
 * publishes seq = 2 * index + 2; `done` is where the last clean-up got
 * to. A clean-up stops before an entry still being written (its writer
 * marks the server dirty again when done); an entry overwritten by a
 * later index (more than MISSED_MAX missed), or a key that did not fit,
 * makes it flush the server whole rather than trust it.
 *
 *   [bearer_mc_health x n][missed_journal x n]   (mc_health.c allocates)
 *   missed_journal: head | done | pad | keys[MISSED_MAX]: seq | key[40]
 */
typedef struct {
    apr_uint32_t seq;
    char key[MISSED_KEY_MAX];
} missed_key;

typedef struct {
    apr_uint32_t head;          /* keys noted, ever */
    apr_uint32_t done;          /* keys dealt with (deleted or flushed) */
    apr_uint32_t stall_at;      /* 1 + the index a clean-up last found
                                   unfinished, 0 none (the clean-up that
                                   holds the claim alone uses these two) */
    apr_uint32_t stall_since;   /* when it first found it, in seconds */
    char pad[48];
    missed_key keys[MISSED_MAX];
} missed_journal;

static missed_journal *journals;

/* The server's bearer_mc_dirt, in its shared health. */
static apr_uint32_t *dirt_of(int server)
{
    return &bearer_mc_healths[server].dirty;
}

apr_size_t bearer_mc_journal_bytes(void)
{
    return sizeof(missed_journal);
}

void bearer_mc_journal_attach(void *base)
{
    journals = base;
}

/* CLEAN -> DIRTY, CLEANING -> CLEANING_AGAIN; DIRTY and CLEANING_AGAIN
 * stay. Never overwrites a clean-up's claim, which would let a second clean-up
 * start while the first one runs and the first one's end mark the server
 * clean under the second. */
static void note_dirty(int server)
{
    apr_uint32_t cur = __atomic_load_n(dirt_of(server),
                                       __ATOMIC_ACQUIRE);

    for (;;) {
        apr_uint32_t next = cur == BEARER_MC_CLEAN ? BEARER_MC_DIRTY
                            : cur == BEARER_MC_CLEANING
                              ? BEARER_MC_CLEANING_AGAIN : cur;

        if (next == cur
                || __atomic_compare_exchange_n(dirt_of(server), &cur,
                                               next, 0, __ATOMIC_ACQ_REL,
                                               __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}

void bearer_mc_mark_missed(int server, const char *key)
{
    missed_journal *j;
    missed_key *e;
    apr_uint32_t idx;
    apr_size_t len = strlen(key);

    if (!bearer_mc_healths) {
        return;
    }
    j = &journals[server];
    idx = __atomic_fetch_add(&j->head, 1, __ATOMIC_ACQ_REL);
    e = &j->keys[idx % MISSED_MAX];
    __atomic_store_n(&e->seq, 2 * idx + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    if (len < MISSED_KEY_MAX) {
        memcpy(e->key, key, len + 1);
    }
    else {
        e->key[0] = '\0';      /* cannot be told: the server is flushed */
    }
    __atomic_store_n(&e->seq, 2 * idx + 2, __ATOMIC_RELEASE);
    note_dirty(server);
}

/* Claims the flush of a dirty server: 1 when this batch must flush it, 0
 * when it is clean; -1 when another request is flushing it right now (it
 * must not be read until that is done). */
int bearer_mc_claim_cleanup(int server)
{
    apr_uint32_t expected = BEARER_MC_DIRTY;
    apr_uint32_t now = __atomic_load_n(dirt_of(server),
                                       __ATOMIC_ACQUIRE);

    if (now == BEARER_MC_CLEAN) {
        return 0;
    }
    if (now != BEARER_MC_DIRTY) {
        return -1;              /* another request is cleaning it up */
    }
    return __atomic_compare_exchange_n(dirt_of(server), &expected,
                                       BEARER_MC_CLEANING, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE) ? 1 : -1;
}

/* The clean-up did not happen: the server stays dirty. The caller holds
 * the claim (BEARER_MC_CLEANING or BEARER_MC_CLEANING_AGAIN), which only
 * it may end. */
void bearer_mc_cleanup_failed(int server)
{
    __atomic_store_n(dirt_of(server), BEARER_MC_DIRTY, __ATOMIC_RELEASE);
}

/* The commands that clean up a dirty server: "delete <key> noreply" for
 * each key it missed since the last clean-up, then "version" (its answer
 * says they were done, in order, before what follows on the connection);
 * or "flush_all" when the journal cannot tell every key: more than
 * MISSED_MAX of them, an entry overwritten or unreadable, or an entry
 * whose writer has not finished it for STALL_SECONDS. An entry being
 * written right now ends the clean-up before it; the server then stays
 * dirty, and the next clean-up goes on from there. */
char *bearer_mc_cleanup_plan(apr_pool_t *pool, int server,
                             bearer_mc_cleanup *b, apr_size_t *len)
{
    missed_journal *j = &journals[server];
    apr_uint32_t done = __atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
    apr_uint32_t head = __atomic_load_n(&j->head, __ATOMIC_ACQUIRE);
    apr_uint32_t count = head - done, idx;
    char *buf, *at;

    b->upto = head;
    b->nkeys = (int)count;
    b->whole = count > MISSED_MAX;
    b->why_whole = "more keys than it keeps track of";
    if (b->whole) {
        *len = 11;
        return apr_pstrdup(pool, "flush_all\r\n");
    }
    /* "delete " key " noreply\r\n" a key, "version\r\n" after them */
    buf = at = apr_palloc(pool,
                          (apr_size_t)count * (MISSED_KEY_MAX + 16) + 10);
    for (idx = done; idx != head; idx++) {
        missed_key *e = &j->keys[idx % MISSED_MAX];
        apr_uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
        char key[MISSED_KEY_MAX];

        if ((apr_int32_t)(seq - (2 * idx + 2)) < 0) {
            /* its writer is still at it: this clean-up stops before it,
             * unless it has been so for STALL_SECONDS (a dead writer) */
            apr_uint32_t sec = (apr_uint32_t)apr_time_sec(apr_time_now());

            if (j->stall_at != idx + 1) {
                j->stall_at = idx + 1;
                j->stall_since = sec;
            }
            else if (sec - j->stall_since >= STALL_SECONDS) {
                b->whole = 1;
                b->why_whole = "an entry of its list was never finished";
                break;
            }
            b->stalled = 1;
            b->upto = idx;
            b->nkeys = (int)(idx - done);
            break;
        }
        /* a seqlock read: the key is the one of this index, complete;
         * a later index there means the ring went round (overflow) */
        memcpy(key, e->key, sizeof(key));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (seq != 2 * idx + 2
                || __atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq
                || key[0] == '\0' || !memchr(key, '\0', sizeof(key))) {
            b->whole = 1;
            b->why_whole = "an entry of its list was overwritten or could "
                           "not be read";
            break;
        }
        at = apr_cpystrn(at, "delete ", 8);
        at = apr_cpystrn(at, key, sizeof(key));
        at = apr_cpystrn(at, " noreply\r\n", 11);
    }
    if (b->whole) {
        *len = 11;
        return apr_pstrdup(pool, "flush_all\r\n");
    }
    at = apr_cpystrn(at, "version\r\n", 10);
    *len = (apr_size_t)(at - buf);
    return buf;
}

/* The clean-up's answer was read: the server's journal is done up to
 * b->upto, and the server clean unless it missed more meanwhile. The
 * caller holds the claim. */
void bearer_mc_cleanup_done(server_rec *s, int server,
                            const bearer_mc_cleanup *b)
{
    apr_uint32_t expected = BEARER_MC_CLEANING, done;

    /* Cleaned up to b->upto (only ever forward: two requests of two
     * children may have cleaned up at once). */
    done = __atomic_load_n(&journals[server].done, __ATOMIC_ACQUIRE);
    while ((apr_int32_t)(b->upto - done) > 0
           && !__atomic_compare_exchange_n(&journals[server].done, &done,
                                           b->upto, 0, __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE)) {
    }
    /* Clean, unless it missed more while we cleaned up (CLEANING_AGAIN)
     * or this clean-up stopped at an unfinished entry: then it stays
     * dirty, and the next use goes on from b->upto. */
    if (b->stalled
            || !__atomic_compare_exchange_n(dirt_of(server), &expected,
                                            BEARER_MC_CLEAN, 0,
                                            __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
        __atomic_store_n(dirt_of(server), BEARER_MC_DIRTY, __ATOMIC_RELEASE);
    }
    if (b->whole) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00085)
                     "memcached %s missed writes while unreachable that "
                     "this host cannot list key by key (%s; at most %d "
                     "are kept): flushed it before use (its tokens live on "
                     "in their other replicas and are copied back as they "
                     "are read)", bearer_mc_servers[server].name,
                     b->why_whole, MISSED_MAX);
    }
    else if (b->nkeys > 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00135)
                     "memcached %s missed writes to %d key(s) while "
                     "unreachable: deleted them from it before use (they "
                     "are copied back from the other replicas as they are "
                     "read)", bearer_mc_servers[server].name, b->nkeys);
    }
}
