/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/scaling.c - does the hot path scale across cores? Lookups of ONE
 * token (the worst case: every thread reads the same slot) from 1 thread,
 * then from 2 threads pinned to different cores; the rate of 2 over the
 * rate of 1 is the scaling factor (2.0 = perfect).
 *
 * Each validation is bench/microbench.c's (header, HMAC, checksum, table
 * probe, record, scope) plus the counting a request does: the outcome
 * counter and the table's hit counter. Two ways of counting, run in turn:
 *
 *   lanes   the module: bearer_metrics_add() into this thread's lane of
 *           the metrics segment, the table told not to count
 *           (counted_by_caller), so a lookup writes no shared cache line
 *   shared  one atomic add on one counter in the shared segment and one on
 *           the token's stripe of the table header (how the module counted
 *           before): every validation on every core writes the same lines
 *
 *   scaling [seconds a run (1)] [rounds (5)] [cpu A (0)] [cpu B (1)]
 *
 * Rounds alternate the two ways (1 thread, then 2) so that the machine's
 * drift touches both alike; the medians over the rounds are printed. Both
 * the wall-clock rate and the rate per CPU-second of the threads are given:
 * on a machine shared with other work the first also measures the others'
 * load, the second much less. After the lanes runs the metrics segment
 * must hold exactly the number of validations made (checked).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* pthread_setaffinity_np */
#endif
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "bearer_metrics.h"
#include "bench_path.h"

#define NSLOTS   65536u
#define NTOKENS  1000u
#define MAX_ROUNDS 21

static bench_path path;                 /* its table: the shared view */
static bearer_table_t lanes_table;      /* the same table, counted by us */
static uint64_t *shared_counter;                   /* in shared memory */
static volatile int stop;

typedef struct {
    int cpu;
    int shared;
    pthread_barrier_t *start;
    uint64_t done;
    double cpu_s;
    int failed;
} worker;

/* One request's worth of checking and counting; 0 if the token passed. */
static int validate(int shared)
{
    if (bench_validate(&path, shared ? &path.table : &lanes_table, NULL)
        != 0) {
        return -1;
    }
    if (shared) {
        __atomic_add_fetch(shared_counter, 1, __ATOMIC_RELAXED);
    }
    else {
        bearer_metrics_add(BEARER_M_SHM_HIT, 1);
        bearer_metrics_add(BEARER_M_VALID_OK, 1);
    }
    return 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    cpu_set_t set;
    double c0;

    CPU_ZERO(&set);
    CPU_SET(w->cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
        w->failed = 1;
    }
    pthread_barrier_wait(w->start);
    c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
    while (!stop) {
        int i;

        for (i = 0; i < 64; i++) {
            if (validate(w->shared) != 0) {
                w->failed = 1;
                return NULL;
            }
        }
        w->done += 64;
    }
    w->cpu_s = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

/* validations per wall second and per CPU-second, with nthreads threads */
static int run(int nthreads, int shared, double seconds, const int *cpus,
               double *rate, double *per_cpu, uint64_t *total)
{
    pthread_t t[2];
    worker w[2];
    pthread_barrier_t start;
    double t0, t1, cpu = 0;
    int i;

    memset(w, 0, sizeof(w));
    stop = 0;
    pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
    for (i = 0; i < nthreads; i++) {
        w[i].cpu = cpus[i];
        w[i].shared = shared;
        w[i].start = &start;
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
            return -1;
        }
    }
    pthread_barrier_wait(&start);
    t0 = bench_clock_s(CLOCK_MONOTONIC);
    usleep((useconds_t)(seconds * 1e6));
    stop = 1;
    t1 = bench_clock_s(CLOCK_MONOTONIC);
    *total = 0;
    for (i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        if (w[i].failed) {
            return -1;
        }
        *total += w[i].done;
        cpu += w[i].cpu_s;
    }
    pthread_barrier_destroy(&start);
    *rate = (double)*total / (t1 - t0);
    *per_cpu = (double)*total / cpu * (double)nthreads;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int setup(void)
{
    void *metrics;

    if (bench_path_setup(&path, "scaling", NSLOTS, NTOKENS) != 0) {
        return -1;
    }
    /* the metrics segment in anonymous shared memory, as the server has
     * it, with room after it for the old single counter */
    metrics = mmap(NULL, bearer_metrics_bytes() + 64, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (metrics == MAP_FAILED) {
        return -1;
    }
    lanes_table = path.table;
    lanes_table.counted_by_caller = 1;
    bearer_metrics_format(metrics);
    bearer_metrics_use(metrics);
    /* the old single counter: where the first counter of the segment was */
    shared_counter = (uint64_t *)((char *)metrics + bearer_metrics_bytes());
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    int cpus[2] = { argc > 3 ? atoi(argv[3]) : 0, argc > 4 ? atoi(argv[4]) : 1 };
    double r1[2][MAX_ROUNDS], r2[2][MAX_ROUNDS], c1[2][MAX_ROUNDS],
           c2[2][MAX_ROUNDS], f[2][MAX_ROUNDS], fc[2][MAX_ROUNDS];
    static const char *const way[2] = { "lanes", "shared" };
    uint64_t counted_by_lanes = 0, total;
    bearer_metrics_snapshot_t snap;
    int round, s;

    if (seconds <= 0 || rounds < 1 || rounds > MAX_ROUNDS || setup() != 0) {
        fprintf(stderr, "usage: scaling [seconds] [rounds <= %d] [cpu] "
                "[cpu] (or setup failed)\n", MAX_ROUNDS);
        return 2;
    }
    for (round = 0; round < rounds; round++) {
        for (s = 0; s < 2; s++) {
            int w = (round + s) % 2;          /* alternate which goes first */

            if (run(1, w, seconds, cpus, &r1[w][round], &c1[w][round], &total)
                != 0) {
                return 1;
            }
            counted_by_lanes += w == 0 ? total : 0;
            if (run(2, w, seconds, cpus, &r2[w][round], &c2[w][round], &total)
                != 0) {
                return 1;
            }
            counted_by_lanes += w == 0 ? total : 0;
            f[w][round] = r2[w][round] / r1[w][round];
            fc[w][round] = c2[w][round] / c1[w][round];
            printf("scaling: round %d %-6s 1 thread %9.0f/s (%9.0f per "
                   "CPU-s), 2 threads %9.0f/s (%9.0f per CPU-s): x%.2f wall, "
                   "x%.2f per CPU-s\n", round + 1, way[w], r1[w][round],
                   c1[w][round], r2[w][round], c2[w][round], f[w][round],
                   fc[w][round]);
            fflush(stdout);
        }
    }
    for (s = 0; s < 2; s++) {
        double m1 = median(r1[s], rounds), m2 = median(r2[s], rounds);
        double mf = median(f[s], rounds), mfc = median(fc[s], rounds);

        printf("scaling: %-6s median over %d rounds of %.1f s: 1 thread "
               "%.0f/s, 2 threads (cpus %d, %d) %.0f/s; 2 threads / 1 "
               "thread: x%.2f wall (rounds %.2f-%.2f), x%.2f per CPU-second\n",
               way[s], rounds, seconds, m1, cpus[0], cpus[1], m2, mf,
               f[s][0], f[s][rounds - 1], mfc);
    }
    if (bearer_metrics_snapshot(&snap) != 0
        || snap.counters[BEARER_M_VALID_OK] != counted_by_lanes
        || snap.counters[BEARER_M_SHM_HIT] != counted_by_lanes) {
        fprintf(stderr, "scaling: the lanes counted %llu, not %llu\n",
                (unsigned long long)snap.counters[BEARER_M_VALID_OK],
                (unsigned long long)counted_by_lanes);
        return 1;
    }
    printf("scaling: the lanes counted every one of %llu validations\n",
           (unsigned long long)counted_by_lanes);
    return 0;
}
