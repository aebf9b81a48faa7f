/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the table when a writer dies mid-write (mod_bearer/core/table.c
 * built with BEARER_FAULT_INJECTION, as the unit tests are): a forked
 * writer is SIGKILLed by the fault hook with a slot's sequence counter
 * odd, exactly where a SIGKILLed httpd child would leave it.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bearer_table.h"

#define NOW 1000000

static void key_of(bearer_table_key_t *key, uint32_t n)
{
    unsigned i;

    memset(key->ns, 7, sizeof(key->ns));
    for (i = 0; i < sizeof(key->id); i++) {
        key->id[i] = (unsigned char)(n * 131u + i * 17u);
    }
}

static void die_here(uint32_t idx)
{
    (void)idx;
    raise(SIGKILL);
}

/* Forks a writer that inserts key under the fault hook, and so dies
 * mid-write of the first slot it writes. */
static void insert_and_die(const bearer_table_t *t,
                           const bearer_table_key_t *key)
{
    static const unsigned char rec[40] = "a record that never gets written";
    int status = 0;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        bearer_table_fault_hook = die_here;
        bearer_table_insert(t, key, NOW, NOW + 100, 0, 0, 0, rec,
                            sizeof(rec));
        _exit(0);            /* not reached: the hook kills us */
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* After a writer died mid-write, the very next writer repairs the slot it
 * left, wherever that next write goes: readers do not get BUSY (a 503)
 * for a slot nobody will ever finish, only until the next mint or
 * revocation. */
START_TEST(test_next_writer_repairs_a_dead_writers_slot)
{
    size_t bytes = bearer_table_bytes(1024);
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    bearer_table_t t;
    bearer_table_key_t dead, other, probe;
    unsigned char buf[256];
    size_t len;
    uint32_t n;
    static const unsigned char rec[] = "another token's record";

    ck_assert_ptr_ne(mem, MAP_FAILED);
    bearer_table_format(mem, 1024, &t);
    key_of(&dead, 1);
    insert_and_die(&t, &dead);

    /* The dead writer's slot: its key reads BUSY, as a reader cannot
     * tell a dead writer from a slow one. */
    ck_assert_int_eq(bearer_table_lookup(&t, &dead, NOW, buf, sizeof(buf),
                                         &len, NULL), BEARER_TABLE_BUSY);

    /* Another token whose probe does not pass that slot (it reads
     * MISSING, not BUSY), so only the record of the unfinished write can
     * lead the next writer to the slot. */
    for (n = 2; ; n++) {
        key_of(&other, n);
        if (bearer_table_lookup(&t, &other, NOW, buf, sizeof(buf), &len,
                                NULL) == BEARER_TABLE_MISSING) {
            break;
        }
    }
    ck_assert_int_eq(bearer_table_insert(&t, &other, NOW, NOW + 100, 0, 0, 0,
                                         rec, sizeof(rec)), BEARER_TABLE_OK);

    ck_assert_int_eq(bearer_table_lookup(&t, &dead, NOW, buf, sizeof(buf),
                                         &len, NULL), BEARER_TABLE_MISSING);
    ck_assert_int_eq(bearer_table_lookup(&t, &other, NOW, buf, sizeof(buf),
                                         &len, NULL), BEARER_TABLE_OK);
    ck_assert_mem_eq(buf, rec, sizeof(rec));

    /* and the table works on: the dead writer's token can be stored */
    ck_assert_int_eq(bearer_table_insert(&t, &dead, NOW, NOW + 100, 0, 0, 0,
                                         rec, sizeof(rec)), BEARER_TABLE_OK);
    ck_assert_int_eq(bearer_table_lookup(&t, &dead, NOW, buf, sizeof(buf),
                                         &len, NULL), BEARER_TABLE_OK);
    key_of(&probe, 999999);
    ck_assert_int_eq(bearer_table_remove(&t, &probe, NOW),
                     BEARER_TABLE_MISSING);
    munmap(mem, bytes);
}
END_TEST

/* A revocation is a writer too: a writer dying mid-removal leaves a slot
 * that the next writer (here an insert elsewhere) repairs. */
START_TEST(test_next_writer_repairs_after_a_dead_remover)
{
    size_t bytes = bearer_table_bytes(1024);
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    bearer_table_t t;
    bearer_table_key_t victim, other;
    unsigned char buf[256];
    size_t len;
    int status = 0;
    pid_t pid;
    uint32_t n;
    static const unsigned char rec[] = "a live record";

    ck_assert_ptr_ne(mem, MAP_FAILED);
    bearer_table_format(mem, 1024, &t);
    key_of(&victim, 5);
    ck_assert_int_eq(bearer_table_insert(&t, &victim, NOW, NOW + 100, 0, 0,
                                         0, rec, sizeof(rec)),
                     BEARER_TABLE_OK);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        bearer_table_fault_hook = die_here;
        bearer_table_remove(&t, &victim, NOW);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(bearer_table_lookup(&t, &victim, NOW, buf, sizeof(buf),
                                         &len, NULL), BEARER_TABLE_BUSY);
    for (n = 6; ; n++) {
        key_of(&other, n);
        if (bearer_table_lookup(&t, &other, NOW, buf, sizeof(buf), &len,
                                NULL) == BEARER_TABLE_MISSING) {
            break;
        }
    }
    ck_assert_int_eq(bearer_table_insert(&t, &other, NOW, NOW + 100, 0, 0, 0,
                                         rec, sizeof(rec)), BEARER_TABLE_OK);
    /* repaired: the half-removed record is gone, not stuck */
    ck_assert_int_eq(bearer_table_lookup(&t, &victim, NOW, buf, sizeof(buf),
                                         &len, NULL), BEARER_TABLE_MISSING);
    munmap(mem, bytes);
}
END_TEST

Suite *table_faults_suite(void);

Suite *table_faults_suite(void)
{
    Suite *s = suite_create("table_faults");
    TCase *tc = tcase_create("dead writer");

    tcase_add_test(tc, test_next_writer_repairs_a_dead_writers_slot);
    tcase_add_test(tc, test_next_writer_repairs_after_a_dead_remover);
    suite_add_tcase(s, tc);
    return s;
}
