/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of metrics.c: the shared segment's counters, gauges and
 * histogram, and their Prometheus text.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bearer_metrics.h"

typedef struct {
    char buf[16384];
    size_t len;
} text_t;

static void emit(void *ctx, const char *s, size_t n)
{
    text_t *t = ctx;

    ck_assert_uint_lt(t->len + n, sizeof(t->buf));
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void *fresh_segment(void)
{
    void *mem = malloc(bearer_metrics_bytes());

    ck_assert_ptr_nonnull(mem);
    memset(mem, 0xa5, bearer_metrics_bytes());   /* format must clear it */
    bearer_metrics_format(mem);
    bearer_metrics_use(mem);
    return mem;
}

START_TEST(test_nothing_in_use)
{
    bearer_metrics_snapshot_t snap;

    bearer_metrics_use(NULL);
    bearer_metrics_add(BEARER_M_MINTED, 1);      /* must not crash */
    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 10);
    ck_assert_int_eq(bearer_metrics_snapshot(&snap), -1);
}
END_TEST

START_TEST(test_counters_and_gauges)
{
    void *mem = fresh_segment();
    bearer_metrics_snapshot_t snap;

    ck_assert_int_eq(bearer_metrics_check(mem, bearer_metrics_bytes()), 0);
    bearer_metrics_add(BEARER_M_VALID_OK, 3);
    bearer_metrics_add(BEARER_M_VALID_OK, 2);
    bearer_metrics_add(BEARER_M_REVOKED, 1);
    bearer_metrics_add(BEARER_M__COUNT, 1);      /* out of range: ignored */
    bearer_metrics_set(BEARER_G_OUTAGE, 1);
    bearer_metrics_set(BEARER_G_MEMCACHE_UP, 2);
    ck_assert_int_eq(bearer_metrics_snapshot(&snap), 0);
    ck_assert_uint_eq(snap.counters[BEARER_M_VALID_OK], 5);
    ck_assert_uint_eq(snap.counters[BEARER_M_REVOKED], 1);
    ck_assert_uint_eq(snap.counters[BEARER_M_MINTED], 0);
    ck_assert_int_eq(snap.gauges[BEARER_G_OUTAGE], 1);
    ck_assert_int_eq(snap.gauges[BEARER_G_MEMCACHE_UP], 2);
    bearer_metrics_use(NULL);
    free(mem);
}
END_TEST

START_TEST(test_check_refuses_other_memory)
{
    void *mem = fresh_segment();

    ck_assert_int_eq(bearer_metrics_check(mem, bearer_metrics_bytes() - 1),
                     -1);
    ((unsigned char *)mem)[0] ^= 1;              /* magic */
    ck_assert_int_eq(bearer_metrics_check(mem, bearer_metrics_bytes()), -1);
    ck_assert_int_eq(bearer_metrics_check(NULL, 100), -1);
    bearer_metrics_use(NULL);
    free(mem);
}
END_TEST

START_TEST(test_histogram_buckets)
{
    void *mem = fresh_segment();
    bearer_metrics_snapshot_t snap;

    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 0);
    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 500);     /* le 0.0005 */
    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 501);     /* le 0.001 */
    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 99000000); /* +Inf */
    bearer_metrics_snapshot(&snap);
    ck_assert_uint_eq(snap.hist[0].buckets[0], 2);
    ck_assert_uint_eq(snap.hist[0].buckets[1], 1);
    ck_assert_uint_eq(snap.hist[0].buckets[BEARER_METRICS_BUCKETS], 1);
    ck_assert_uint_eq(snap.hist[0].count, 4);
    ck_assert_uint_eq(snap.hist[0].sum_us, 99001001);
    bearer_metrics_use(NULL);
    free(mem);
}
END_TEST

START_TEST(test_render)
{
    void *mem = fresh_segment();
    bearer_metrics_snapshot_t snap;
    bearer_table_stats_t table;
    static text_t out;

    memset(&table, 0, sizeof(table));
    table.hits = 7;
    table.misses = 2;
    table.used_slots = 24;
    table.nslots = 1024;
    bearer_metrics_add(BEARER_M_VALID_INSUFFICIENT_SCOPE, 4);
    bearer_metrics_add(BEARER_M_MINTED, 9);
    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 1500);
    bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS, 2000000);
    bearer_metrics_snapshot(&snap);
    out.len = 0;
    bearer_metrics_render(&snap, &table, emit, &out);

    ck_assert_ptr_nonnull(strstr(out.buf,
        "# TYPE bearer_validations_total counter\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_validations_total{outcome=\"insufficient_scope\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_validations_total{outcome=\"ok\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(out.buf, "bearer_tokens_minted_total 9\n"));
    ck_assert_ptr_nonnull(strstr(out.buf, "bearer_shm_hits_total 7\n"));
    ck_assert_ptr_nonnull(strstr(out.buf, "bearer_shm_misses_total 2\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_shm_entries{state=\"used\"} 24\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_shm_entries{state=\"free\"} 1000\n"));
    /* cumulative buckets, +Inf and _count equal */
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_bucket{le=\"0.001000\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_bucket{le=\"0.002500\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_bucket{le=\"1.000000\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_bucket{le=\"5.000000\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_bucket{le=\"+Inf\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_sum 2.001500\n"));
    ck_assert_ptr_nonnull(strstr(out.buf,
        "bearer_memcached_latency_seconds_count 2\n"));
    ck_assert_ptr_nonnull(strstr(out.buf, "bearer_outage 0\n"));
    ck_assert(out.buf[out.len - 1] == '\n');

    /* without a table: no shm families */
    out.len = 0;
    bearer_metrics_render(&snap, NULL, emit, &out);
    ck_assert_ptr_null(strstr(out.buf, "bearer_shm_"));
    bearer_metrics_use(NULL);
    free(mem);
}
END_TEST

/* ---- lanes: counters per thread, summed when read ------------------- */

#define ADDS_PER_THREAD 200000

typedef struct {
    pthread_barrier_t *all_alive;      /* NULL: no waiting */
    unsigned adds;
} adder_arg;

static void *adder(void *p)
{
    adder_arg *a = p;
    unsigned i;

    if (a->all_alive) {
        pthread_barrier_wait(a->all_alive);
    }
    for (i = 0; i < a->adds; i++) {
        bearer_metrics_add(BEARER_M_VALID_OK, 1);
        bearer_metrics_add(BEARER_M_SHM_HIT, 2);
    }
    if (a->all_alive) {
        pthread_barrier_wait(a->all_alive);   /* all hold their lane */
    }
    return NULL;
}

static void run_adders(unsigned threads, unsigned adds, int together)
{
    pthread_t *t = calloc(threads, sizeof(*t));
    pthread_barrier_t barrier;
    pthread_attr_t attr;
    adder_arg arg = { together ? &barrier : NULL, adds };
    unsigned i;

    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, 64 * 1024), 0);
    if (together) {
        ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, threads), 0);
    }
    for (i = 0; i < threads; i++) {
        ck_assert_int_eq(pthread_create(&t[i], &attr, adder, &arg), 0);
    }
    for (i = 0; i < threads; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    }
    if (together) {
        pthread_barrier_destroy(&barrier);
    }
    pthread_attr_destroy(&attr);
    free(t);
}

static uint64_t counted(bearer_counter c)
{
    bearer_metrics_snapshot_t snap;

    ck_assert_int_eq(bearer_metrics_snapshot(&snap), 0);
    return snap.counters[c];
}

/* Threads adding at once lose nothing; after they end, new threads take
 * their lanes and the counts already there stay. */
START_TEST(test_lanes_threads_exact)
{
    void *mem = fresh_segment();

    run_adders(8, ADDS_PER_THREAD, 1);
    ck_assert_uint_eq(counted(BEARER_M_VALID_OK), 8u * ADDS_PER_THREAD);
    run_adders(8, ADDS_PER_THREAD, 1);
    ck_assert_uint_eq(counted(BEARER_M_VALID_OK), 16u * ADDS_PER_THREAD);
    ck_assert_uint_eq(counted(BEARER_M_SHM_HIT), 32u * ADDS_PER_THREAD);
    bearer_metrics_use(NULL);
    free(mem);
}
END_TEST

/* More threads alive at once than there are lanes: the last ones share
 * the shared lane (atomic adds), and the total is still exact. */
START_TEST(test_lanes_more_threads_than_lanes)
{
    void *mem = fresh_segment();

    run_adders(BEARER_METRICS_LANES + 40, 50, 1);
    ck_assert_uint_eq(counted(BEARER_M_VALID_OK),
                      (BEARER_METRICS_LANES + 40u) * 50u);
    bearer_metrics_use(NULL);
    free(mem);
}
END_TEST

/* Children that exit without ending their threads (as an httpd child may)
 * keep their lanes: their counts stay, and once every lane is held by a
 * process that is gone, a new thread takes one over. */
START_TEST(test_lanes_children_exit)
{
    size_t bytes = bearer_metrics_bytes();
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned i;

    ck_assert_ptr_ne(mem, MAP_FAILED);
    bearer_metrics_format(mem);
    bearer_metrics_use(mem);
    bearer_metrics_add(BEARER_M_MINTED, 1);          /* the parent's lane */
    for (i = 0; i < BEARER_METRICS_LANES + 2; i++) {
        int status = 0;
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            bearer_metrics_add(BEARER_M_MINTED, 3);
            _exit(0);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_eq(status, 0);
    }
    bearer_metrics_add(BEARER_M_MINTED, 1);
    ck_assert_uint_eq(counted(BEARER_M_MINTED),
                      2u + 3u * (BEARER_METRICS_LANES + 2u));
    bearer_metrics_use(NULL);
    munmap(mem, bytes);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");

    tcase_add_test(tc, test_nothing_in_use);
    tcase_add_test(tc, test_counters_and_gauges);
    tcase_add_test(tc, test_check_refuses_other_memory);
    tcase_add_test(tc, test_histogram_buckets);
    tcase_add_test(tc, test_render);
    tcase_add_test(tc, test_lanes_threads_exact);
    tcase_add_test(tc, test_lanes_more_threads_than_lanes);
    tcase_add_test(tc, test_lanes_children_exit);
    suite_add_tcase(s, tc);
    return s;
}
