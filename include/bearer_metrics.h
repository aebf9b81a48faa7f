/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_metrics.h - counters, gauges and histograms in shared memory.
 *
 * One small segment for the whole server (like the token table), so any
 * child can report every child's numbers. Counters are kept per thread
 * (a lane of the segment each, summed when read: metrics.c says why);
 * adding is a load and a store on the thread's own cache line: no lock,
 * no locked instruction, no system call.
 * The token table keeps its own lookup statistics in its header; the
 * renderer takes them as a snapshot beside these.
 *
 * To count something new: add an enum value before the
 * _COUNT member, describe it in metrics.c's tables, and call
 * bearer_metrics_add() / bearer_metrics_observe() / bearer_metrics_set()
 * where it happens. A changed layout is detected when the segment is found
 * again after a restart (a new segment is then made).
 *
 * Pure C (GCC atomics); no httpd or APR headers.
 */
#ifndef BEARER_METRICS_H
#define BEARER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bearer_table.h"

typedef enum {
    /* token checks (protected locations and the token endpoint) */
    BEARER_M_VALID_OK = 0,
    BEARER_M_VALID_MISSING,            /* no Bearer credentials: bare 401 */
    BEARER_M_VALID_INVALID_REQUEST,    /* 400 */
    BEARER_M_VALID_INVALID_TOKEN,      /* 401 */
    BEARER_M_VALID_INSUFFICIENT_SCOPE, /* 403 */
    BEARER_M_VALID_UNAVAILABLE,        /* 503: the store could not answer */
    /* the token endpoint */
    BEARER_M_MINTED,
    BEARER_M_REVOKED,
    BEARER_M_MINT_REFUSED,             /* 503: table full or store away */
    /* fleet mode (memcached): counted in mc_batch.c and fleet_store.c */
    BEARER_M_MEMCACHE_GET,
    BEARER_M_MEMCACHE_SET,
    BEARER_M_MEMCACHE_INCR,            /* use counters of max_uses tokens */
    BEARER_M_MEMCACHE_ERROR,           /* failed exchange, other than a timeout */
    BEARER_M_MEMCACHE_TIMEOUT,
    BEARER_M_MEMCACHE_BAD_MAC,         /* entries ignored: MAC did not verify */
    BEARER_M_MEMCACHE_ROUNDS,          /* round trips made for requests */
    /* the shared-memory table's lookups, counted here (per thread) rather
     * than in the table's header, when the server says so (store.c) */
    BEARER_M_SHM_HIT,
    BEARER_M_SHM_MISS,
    BEARER_M_SHM_OTHER,                /* busy slot, record too big */
    BEARER_M__COUNT
} bearer_counter;

typedef enum {
    BEARER_G_OUTAGE = 0,               /* 1 while memcached is unreachable */
    BEARER_G_MEMCACHE_UP,              /* servers answering */
    BEARER_G_MEMCACHE_DOWN,            /* servers marked down */
    BEARER_G__COUNT
} bearer_gauge;

typedef enum {
    BEARER_H_MEMCACHE_SECONDS = 0,     /* one memcached exchange */
    BEARER_H__COUNT
} bearer_histogram;

/* Threads that can count each on lines of their own (a lane each);
 * more threads than this share one more lane, with atomic adds. */
#define BEARER_METRICS_LANES 1024

/* Upper bounds of the histogram buckets, in microseconds; +Inf follows. */
#define BEARER_METRICS_BUCKETS 12
extern const uint64_t bearer_metrics_bucket_us[BEARER_METRICS_BUCKETS];

/* A consistent-enough copy for rendering (each value read atomically). */
typedef struct {
    uint64_t counters[BEARER_M__COUNT];
    int64_t gauges[BEARER_G__COUNT];
    struct {
        uint64_t buckets[BEARER_METRICS_BUCKETS + 1];  /* not cumulative */
        uint64_t count;
        uint64_t sum_us;
    } hist[BEARER_H__COUNT];
} bearer_metrics_snapshot_t;

/* Bytes of the segment. */
size_t bearer_metrics_bytes(void);

/* Formats fresh memory of bearer_metrics_bytes() bytes (all zero). */
void bearer_metrics_format(void *mem);

/* 0 if mem holds a segment of this layout (found again after a restart),
 * -1 if not (format it). */
int bearer_metrics_check(const void *mem, size_t bytes);

/* Makes mem the segment that the functions below write to (per process;
 * children inherit it at fork). NULL: they do nothing. */
void bearer_metrics_use(void *mem);

void bearer_metrics_add(bearer_counter c, uint64_t n);
void bearer_metrics_set(bearer_gauge g, int64_t value);
void bearer_metrics_observe(bearer_histogram h, uint64_t microseconds);

/* 0 and a copy of the segment in use, or -1 if none is in use. */
int bearer_metrics_snapshot(bearer_metrics_snapshot_t *out);

/* Prometheus text exposition format (version 0.0.4) of a snapshot and the
 * token table's statistics (NULL: no table families), through emit. */
typedef void (*bearer_metrics_emit_fn)(void *ctx, const char *text,
                                       size_t len);
void bearer_metrics_render(const bearer_metrics_snapshot_t *snap,
                           const bearer_table_stats_t *table,
                           bearer_metrics_emit_fn emit, void *ctx);

#endif
