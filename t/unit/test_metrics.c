/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of metrics.c: the shared segment's counters, gauges and
 * histogram, and their Prometheus text.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");

    tcase_add_test(tc, test_nothing_in_use);
    tcase_add_test(tc, test_counters_and_gauges);
    tcase_add_test(tc, test_check_refuses_other_memory);
    tcase_add_test(tc, test_histogram_buckets);
    tcase_add_test(tc, test_render);
    suite_add_tcase(s, tc);
    return s;
}
