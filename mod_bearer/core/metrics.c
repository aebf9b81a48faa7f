/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - counters, gauges and histograms in a shared segment, and
 * their Prometheus text exposition. See include/bearer_metrics.h.
 *
 * The segment (apr_shm gives an 8-aligned address; the lanes are laid
 * out from the next 64-byte boundary, whatever the base):
 *
 *   +----------------------+  header: magic, version, and the sizes of
 *   | magic  version sizes |  the arrays below, checked when the segment
 *   +----------------------+  is found again after a restart
 *   | gauges[G]     i64    |  last writer wins
 *   | hist[H]: buckets[B+1] count sum_us   (u64 each)
 *   | owner[L]      u64    |  pid of the process whose thread holds lane
 *   +----------------------+  i, 0 = free (written on claim and release)
 *   | (up to 63 bytes)     |
 *   | lane 0: counters[M]  |  one thread's counters, on lines of their own
 *   | ...                  |
 *   | lane L-1             |
 *   | lane L: counters[M]  |  shared: threads that found no free lane
 *   +----------------------+
 *
 * Why lanes: a counter every request adds to, in one place, is one cache
 * line that every core writes all the time (a "true sharing" ping-pong:
 * on many cores it serialises the hot path). So, as httpd's scoreboard
 * keeps a worker's counts in the worker's own slot, each thread claims a
 * lane on its first count and adds only there, with a plain load and
 * store (it is the lane's only writer); a scrape sums the lanes. A lane
 * is given back when its thread ends (and taken over from a process that
 * is gone, for a child that exited without ending its threads one by
 * one): its counts stay in it, so nothing is lost when a child exits, and
 * the segment itself is kept across graceful restarts. The few threads
 * that find every lane taken add to the shared lane with atomic adds:
 * slower, never wrong. Gauges and histograms (fleet mode, around a
 * network exchange) stay single relaxed atomics.
 *
 * Every access is a relaxed atomic: a scrape may see one counter a request
 * ahead of another, never a torn value.
 */
#include "bearer_metrics.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define METRICS_MAGIC   UINT64_C(0x4252524d45545231)   /* "BRRMETR1" */
#define METRICS_VERSION 2u

typedef struct {
    uint64_t buckets[BEARER_METRICS_BUCKETS + 1];
    uint64_t count;
    uint64_t sum_us;
} hist_t;

typedef struct {
    uint64_t magic;
    uint32_t version;
    uint32_t ncounters;
    uint32_t ngauges;
    uint32_t nhist;
    uint32_t nbuckets;
    uint32_t nlanes;
    int64_t gauges[BEARER_G__COUNT];
    hist_t hist[BEARER_H__COUNT];
    uint64_t owner[BEARER_METRICS_LANES];
} segment_t;

typedef struct {
    uint64_t counters[BEARER_M__COUNT];
} __attribute__((aligned(64))) lane_t;

/* lanes 0..L-1 and the shared lane L, from the first 64-byte boundary
 * after the header */
static lane_t *lanes_of(const segment_t *seg)
{
    uintptr_t at = (uintptr_t)(seg + 1);

    return (lane_t *)((at + 63u) & ~(uintptr_t)63u);
}

/* 0.5 ms to 1 s: memcached on a LAN answers in well under a millisecond;
 * BearerMemcacheTimeout is 250 ms by default and at most 60 s. */
const uint64_t bearer_metrics_bucket_us[BEARER_METRICS_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 5000000
};

static segment_t *current;

/* This thread's lane, and the segment it belongs to (a thread claims again
 * if the process switched segments). One struct, reached through one
 * pointer: in a module loaded with dlopen every thread-local access is a
 * call to __tls_get_addr, so the hot path makes one. */
typedef struct {
    uint64_t *lane;
    segment_t *segment;
    unsigned index;
    uint64_t owner;
} my_lane_t;

static __thread my_lane_t me;

/* The key is made in the process that first claims a lane (a child):
 * httpd's parent reloads the module on every restart, and a key made
 * there would be one more key that outlives the code of its destructor.
 * The fork handler, made in the parent, goes with the module (glibc
 * unregisters a shared object's fork handlers when it is unloaded). */
static pthread_once_t release_once = PTHREAD_ONCE_INIT;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static pthread_key_t release_key;
static int release_ok;
static int fork_ok;

size_t bearer_metrics_bytes(void)
{
    return sizeof(segment_t) + 63u
           + (BEARER_METRICS_LANES + 1u) * sizeof(lane_t);
}

/* At a thread's end: its lane is free again, its counts stay in it. */
static void release_lane(void *arg)
{
    segment_t *seg = arg;

    if (seg && me.segment == seg && me.index < BEARER_METRICS_LANES) {
        __atomic_store_n(&seg->owner[me.index], 0, __ATOMIC_RELEASE);
    }
    me.lane = NULL;
    me.segment = NULL;
}

/* A child of fork() has its parent's thread-locals: without this, it
 * would write to the lane its parent's thread claimed. */
static void forget_lane_in_child(void)
{
    me.lane = NULL;
    me.segment = NULL;
    me.index = BEARER_METRICS_LANES;
}

static void release_setup(void)
{
    release_ok = pthread_key_create(&release_key, release_lane) == 0;
}

static void fork_setup(void)
{
    /* without it, a child could write to its parent's lane: then every
     * thread uses the shared lane (atomic adds) instead */
    fork_ok = pthread_atfork(NULL, NULL, forget_lane_in_child) == 0;
}

static int try_claim(segment_t *seg, unsigned i, uint64_t expected,
                     uint64_t pid)
{
    return __atomic_compare_exchange_n(&seg->owner[i], &expected, pid, 0,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* One scan of the lanes from start on: the first free lane (reclaim 0),
 * or the first whose owner process is gone (reclaim 1), that this thread
 * wins; BEARER_METRICS_LANES when there is none. */
static unsigned scan_lanes(segment_t *seg, unsigned start, uint64_t pid,
                           int reclaim)
{
    unsigned n, i;

    for (n = 0; n < BEARER_METRICS_LANES; n++) {
        uint64_t owner;

        i = (start + n) % BEARER_METRICS_LANES;
        owner = __atomic_load_n(&seg->owner[i], __ATOMIC_RELAXED);
        if ((reclaim ? owner != 0 && owner != pid
                       && owner <= (uint64_t)INT32_MAX
                       && kill((pid_t)owner, 0) != 0 && errno == ESRCH
                     : owner == 0)
            && try_claim(seg, i, owner, pid)) {
            return i;
        }
    }
    return BEARER_METRICS_LANES;
}

/* A free lane, else one whose process is gone, else the shared lane.
 * Runs once a thread (the scan is at most 2 x L owner words). */
static void claim_lane(segment_t *seg)
{
    uint64_t pid = (uint64_t)getpid();
    /* threads of one process start at different places */
    unsigned start = (unsigned)(((uintptr_t)&me.lane >> 6) * 2654435761u
                                + pid * 40503u) % BEARER_METRICS_LANES;
    unsigned i;

    me.segment = seg;
    me.index = BEARER_METRICS_LANES;
    me.lane = lanes_of(seg)[BEARER_METRICS_LANES].counters;
    if (pthread_once(&fork_once, fork_setup) != 0 || !fork_ok) {
        return;                         /* the shared lane */
    }
    i = scan_lanes(seg, start, pid, 0);
    if (i == BEARER_METRICS_LANES) {
        i = scan_lanes(seg, start, pid, 1);
    }
    if (i == BEARER_METRICS_LANES) {
        return;                         /* the shared lane */
    }
    me.index = i;
    me.owner = pid;
    me.lane = lanes_of(seg)[i].counters;
    if (pthread_once(&release_once, release_setup) != 0 || !release_ok
        || pthread_setspecific(release_key, seg) != 0) {
        /* no release at thread end: the lane is taken over once this
         * process is gone; counting stays right meanwhile */
        return;
    }
}

void bearer_metrics_format(void *mem)
{
    segment_t *seg = mem;

    memset(seg, 0, sizeof(*seg));
    seg->version = METRICS_VERSION;
    seg->ncounters = BEARER_M__COUNT;
    seg->ngauges = BEARER_G__COUNT;
    seg->nhist = BEARER_H__COUNT;
    seg->nbuckets = BEARER_METRICS_BUCKETS;
    seg->nlanes = BEARER_METRICS_LANES;
    memset(lanes_of(seg), 0, (BEARER_METRICS_LANES + 1u) * sizeof(lane_t));
    __atomic_store_n(&seg->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
}

int bearer_metrics_check(const void *mem, size_t bytes)
{
    const segment_t *seg = mem;

    if (!mem || bytes < bearer_metrics_bytes()
            || __atomic_load_n(&seg->magic, __ATOMIC_ACQUIRE) != METRICS_MAGIC
            || seg->version != METRICS_VERSION
            || seg->ncounters != BEARER_M__COUNT
            || seg->ngauges != BEARER_G__COUNT
            || seg->nhist != BEARER_H__COUNT
            || seg->nbuckets != BEARER_METRICS_BUCKETS
            || seg->nlanes != BEARER_METRICS_LANES) {
        return -1;
    }
    return 0;
}

void bearer_metrics_use(void *mem)
{
    /* before any fork, so that children start without a lane */
    (void)pthread_once(&fork_once, fork_setup);
    current = mem;
}

void bearer_metrics_add(bearer_counter c, uint64_t n)
{
    segment_t *seg = current;
    my_lane_t *m = &me;        /* the one thread-local lookup */
    uint64_t *lane;

    if (!seg || (unsigned)c >= BEARER_M__COUNT) {
        return;
    }
    /* the owner check (a read of a line written only on claims) catches
     * a segment formatted anew at the address of the old one */
    if (m->segment != seg
        || (m->index < BEARER_METRICS_LANES
            && __atomic_load_n(&seg->owner[m->index], __ATOMIC_RELAXED)
               != m->owner)) {
        claim_lane(seg);
    }
    lane = m->lane;
    if (m->index < BEARER_METRICS_LANES) {
        /* the lane's only writer: no locked instruction, and the line
         * stays in this core's cache */
        __atomic_store_n(&lane[c], __atomic_load_n(&lane[c], __ATOMIC_RELAXED)
                         + n, __ATOMIC_RELAXED);
    }
    else {
        __atomic_add_fetch(&lane[c], n, __ATOMIC_RELAXED);
    }
}

void bearer_metrics_set(bearer_gauge g, int64_t value)
{
    segment_t *seg = current;

    if (seg && (unsigned)g < BEARER_G__COUNT) {
        __atomic_store_n(&seg->gauges[g], value, __ATOMIC_RELAXED);
    }
}

void bearer_metrics_observe(bearer_histogram h, uint64_t microseconds)
{
    segment_t *seg = current;
    unsigned i;

    if (!seg || (unsigned)h >= BEARER_H__COUNT) {
        return;
    }
    for (i = 0; i < BEARER_METRICS_BUCKETS; i++) {
        if (microseconds <= bearer_metrics_bucket_us[i]) {
            break;
        }
    }
    __atomic_add_fetch(&seg->hist[h].buckets[i], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&seg->hist[h].sum_us, microseconds, __ATOMIC_RELAXED);
    __atomic_add_fetch(&seg->hist[h].count, 1, __ATOMIC_RELAXED);
}

int bearer_metrics_snapshot(bearer_metrics_snapshot_t *out)
{
    segment_t *seg = current;
    const lane_t *lanes;
    unsigned i, j, l;

    memset(out, 0, sizeof(*out));
    if (!seg) {
        return -1;
    }
    lanes = lanes_of(seg);
    for (l = 0; l <= BEARER_METRICS_LANES; l++) {
        for (i = 0; i < BEARER_M__COUNT; i++) {
            out->counters[i] += __atomic_load_n(&lanes[l].counters[i],
                                                __ATOMIC_RELAXED);
        }
    }
    for (i = 0; i < BEARER_G__COUNT; i++) {
        out->gauges[i] = __atomic_load_n(&seg->gauges[i], __ATOMIC_RELAXED);
    }
    for (i = 0; i < BEARER_H__COUNT; i++) {
        /* a racing observe may be half counted: the renderer derives
         * _count from the buckets, so the +Inf bucket always equals it */
        for (j = 0; j <= BEARER_METRICS_BUCKETS; j++) {
            out->hist[i].buckets[j] =
                __atomic_load_n(&seg->hist[i].buckets[j], __ATOMIC_RELAXED);
        }
        out->hist[i].sum_us = __atomic_load_n(&seg->hist[i].sum_us,
                                              __ATOMIC_RELAXED);
        out->hist[i].count = __atomic_load_n(&seg->hist[i].count,
                                             __ATOMIC_RELAXED);
    }
    return 0;
}

/* ---- Prometheus text exposition ------------------------------------------ */

typedef struct {
    bearer_metrics_emit_fn emit;
    void *ctx;
} out_t;

static void put(const out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(const out_t *o, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0) {
        o->emit(o->ctx, line, (size_t)n < sizeof(line) ? (size_t)n
                                                      : sizeof(line) - 1);
    }
}

static void family(const out_t *o, const char *name, const char *type,
                   const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const struct {
    bearer_counter c;
    const char *outcome;
} outcomes[] = {
    { BEARER_M_VALID_OK,                 "ok" },
    { BEARER_M_VALID_MISSING,            "missing" },
    { BEARER_M_VALID_INVALID_REQUEST,    "invalid_request" },
    { BEARER_M_VALID_INVALID_TOKEN,      "invalid_token" },
    { BEARER_M_VALID_INSUFFICIENT_SCOPE, "insufficient_scope" },
    { BEARER_M_VALID_UNAVAILABLE,        "unavailable" },
};

static void render_hist(const out_t *o, const char *name,
                        const bearer_metrics_snapshot_t *snap,
                        bearer_histogram h)
{
    uint64_t cumulative = 0;
    unsigned i;

    for (i = 0; i < BEARER_METRICS_BUCKETS; i++) {
        uint64_t us = bearer_metrics_bucket_us[i];

        cumulative += snap->hist[h].buckets[i];
        put(o, "%s_bucket{le=\"%llu.%06llu\"} %llu\n", name,
            (unsigned long long)(us / 1000000),
            (unsigned long long)(us % 1000000),
            (unsigned long long)cumulative);
    }
    cumulative += snap->hist[h].buckets[BEARER_METRICS_BUCKETS];
    put(o, "%s_bucket{le=\"+Inf\"} %llu\n", name,
        (unsigned long long)cumulative);
    put(o, "%s_sum %llu.%06llu\n", name,
        (unsigned long long)(snap->hist[h].sum_us / 1000000),
        (unsigned long long)(snap->hist[h].sum_us % 1000000));
    /* _count must equal the +Inf bucket; both come from the buckets */
    put(o, "%s_count %llu\n", name, (unsigned long long)cumulative);
}

void bearer_metrics_render(const bearer_metrics_snapshot_t *snap,
                           const bearer_table_stats_t *table,
                           bearer_metrics_emit_fn emit, void *ctx)
{
    out_t o = { emit, ctx };
    const uint64_t *c = snap->counters;
    unsigned i;

    family(&o, "bearer_validations_total", "counter",
           "Token checks by outcome, on protected locations and the token "
           "endpoint.");
    for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
        put(&o, "bearer_validations_total{outcome=\"%s\"} %llu\n",
            outcomes[i].outcome, (unsigned long long)c[outcomes[i].c]);
    }
    family(&o, "bearer_tokens_minted_total", "counter",
           "Client tokens minted (201 answers).");
    put(&o, "bearer_tokens_minted_total %llu\n",
        (unsigned long long)c[BEARER_M_MINTED]);
    family(&o, "bearer_tokens_revoked_total", "counter",
           "Client tokens revoked (204 answers to DELETE).");
    put(&o, "bearer_tokens_revoked_total %llu\n",
        (unsigned long long)c[BEARER_M_REVOKED]);
    family(&o, "bearer_mint_refusals_total", "counter",
           "Mints refused with 503: the table is full or the store cannot "
           "be reached.");
    put(&o, "bearer_mint_refusals_total %llu\n",
        (unsigned long long)c[BEARER_M_MINT_REFUSED]);

    if (table) {
        family(&o, "bearer_shm_hits_total", "counter",
               "Shared-memory table lookups that found a live record.");
        put(&o, "bearer_shm_hits_total %llu\n",
            (unsigned long long)table->hits);
        family(&o, "bearer_shm_misses_total", "counter",
               "Shared-memory table lookups that found none.");
        put(&o, "bearer_shm_misses_total %llu\n",
            (unsigned long long)table->misses);
        family(&o, "bearer_shm_inserts_total", "counter",
               "Records written to the shared-memory table.");
        put(&o, "bearer_shm_inserts_total %llu\n",
            (unsigned long long)table->inserts);
        family(&o, "bearer_shm_removes_total", "counter",
               "Records removed from the shared-memory table.");
        put(&o, "bearer_shm_removes_total %llu\n",
            (unsigned long long)table->removes);
        family(&o, "bearer_shm_full_total", "counter",
               "Inserts refused: no free slot in the probe window.");
        put(&o, "bearer_shm_full_total %llu\n",
            (unsigned long long)table->full);
        family(&o, "bearer_shm_entries", "gauge",
               "Slots of the shared-memory table, used and free.");
        put(&o, "bearer_shm_entries{state=\"used\"} %u\n",
            (unsigned)table->used_slots);
        put(&o, "bearer_shm_entries{state=\"free\"} %u\n",
            (unsigned)(table->nslots > table->used_slots
                       ? table->nslots - table->used_slots : 0));
    }

    family(&o, "bearer_memcached_operations_total", "counter",
           "memcached exchanges by operation (fleet mode).");
    put(&o, "bearer_memcached_operations_total{op=\"get\"} %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_GET]);
    put(&o, "bearer_memcached_operations_total{op=\"set\"} %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_SET]);
    put(&o, "bearer_memcached_operations_total{op=\"incr\"} %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_INCR]);
    family(&o, "bearer_memcached_rounds_total", "counter",
           "Round trips to memcached made for requests: batches, each sent "
           "to every server it asks at once (fleet mode).");
    put(&o, "bearer_memcached_rounds_total %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_ROUNDS]);
    family(&o, "bearer_memcached_errors_total", "counter",
           "memcached exchanges that failed, and entries ignored for a bad "
           "MAC (fleet mode).");
    put(&o, "bearer_memcached_errors_total{kind=\"error\"} %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_ERROR]);
    put(&o, "bearer_memcached_errors_total{kind=\"timeout\"} %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_TIMEOUT]);
    put(&o, "bearer_memcached_errors_total{kind=\"bad_mac\"} %llu\n",
        (unsigned long long)c[BEARER_M_MEMCACHE_BAD_MAC]);
    family(&o, "bearer_memcached_latency_seconds", "histogram",
           "Time of one memcached exchange (fleet mode).");
    render_hist(&o, "bearer_memcached_latency_seconds", snap,
                BEARER_H_MEMCACHE_SECONDS);
    family(&o, "bearer_memcached_servers", "gauge",
           "memcached servers answering and marked down (fleet mode).");
    put(&o, "bearer_memcached_servers{state=\"up\"} %lld\n",
        (long long)snap->gauges[BEARER_G_MEMCACHE_UP]);
    put(&o, "bearer_memcached_servers{state=\"down\"} %lld\n",
        (long long)snap->gauges[BEARER_G_MEMCACHE_DOWN]);
    family(&o, "bearer_outage", "gauge",
           "1 while memcached cannot be reached and BearerOutage applies.");
    put(&o, "bearer_outage %lld\n", (long long)snap->gauges[BEARER_G_OUTAGE]);
}
