/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - counters, gauges and histograms in a shared segment, and
 * their Prometheus text exposition. See include/bearer_metrics.h.
 *
 * The segment (apr_shm gives an 8-aligned address; nothing here needs
 * more):
 *
 *   +----------------------+  header: magic, version, and the sizes of
 *   | magic  version sizes |  the arrays below, checked when the segment
 *   +----------------------+  is found again after a restart
 *   | counters[M]   u64    |  only ever incremented
 *   | gauges[G]     i64    |  last writer wins
 *   | hist[H]: buckets[B+1] count sum_us   (u64 each)
 *   +----------------------+
 *
 * Every access is a relaxed atomic: a scrape may see one counter a request
 * ahead of another, never a torn value. Counters of one request are not
 * spread over cache lines on purpose: a request adds to one or two of
 * them, and the writers are at most a few cores.
 */
#include "bearer_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define METRICS_MAGIC   UINT64_C(0x4252524d45545231)   /* "BRRMETR1" */
#define METRICS_VERSION 1u

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
    uint32_t pad;
    uint64_t counters[BEARER_M__COUNT];
    int64_t gauges[BEARER_G__COUNT];
    hist_t hist[BEARER_H__COUNT];
} segment_t;

/* 0.5 ms to 1 s: memcached on a LAN answers in well under a millisecond;
 * BearerMemcacheTimeout is 250 ms by default and at most 60 s. */
const uint64_t bearer_metrics_bucket_us[BEARER_METRICS_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 5000000
};

static segment_t *current;

size_t bearer_metrics_bytes(void)
{
    return sizeof(segment_t);
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
    __atomic_store_n(&seg->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
}

int bearer_metrics_check(const void *mem, size_t bytes)
{
    const segment_t *seg = mem;

    if (!mem || bytes < sizeof(*seg)
            || __atomic_load_n(&seg->magic, __ATOMIC_ACQUIRE) != METRICS_MAGIC
            || seg->version != METRICS_VERSION
            || seg->ncounters != BEARER_M__COUNT
            || seg->ngauges != BEARER_G__COUNT
            || seg->nhist != BEARER_H__COUNT
            || seg->nbuckets != BEARER_METRICS_BUCKETS) {
        return -1;
    }
    return 0;
}

void bearer_metrics_use(void *mem)
{
    current = mem;
}

void bearer_metrics_add(bearer_counter c, uint64_t n)
{
    segment_t *seg = current;

    if (seg && (unsigned)c < BEARER_M__COUNT) {
        __atomic_add_fetch(&seg->counters[c], n, __ATOMIC_RELAXED);
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
    unsigned i, j;

    memset(out, 0, sizeof(*out));
    if (!seg) {
        return -1;
    }
    for (i = 0; i < BEARER_M__COUNT; i++) {
        out->counters[i] = __atomic_load_n(&seg->counters[i],
                                           __ATOMIC_RELAXED);
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
