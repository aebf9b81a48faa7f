/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the shared-memory token table (mod_bearer/core/table.c).
 *
 * Every table lives in an mmap(MAP_SHARED | MAP_ANONYMOUS) region, as the
 * real one lives in apr_shm memory, so forked processes see the same
 * slots. The concurrency tests run once with processes (what httpd's
 * prefork/worker children do) and once with threads (so that
 * ThreadSanitizer, which does not follow fork, can check the protocol).
 * Children report through exit codes and shared counters, never through
 * ck_assert, which belongs to the test's own process.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bearer_table.h"

/* Mirrors of table.c's layout, used only to break a slot on purpose. The
 * tests check that the slot found this way holds the expected id, so a
 * change of layout makes them fail loudly rather than poke the wrong byte. */
#define TEST_TABLE_HEADER_BYTES 1152
#define TEST_SLOT_ID_OFFSET     24

#define NOW 1000000

typedef struct {
    void *mem;
    size_t bytes;
    bearer_table_t t;
} test_table;

static void table_open(test_table *tt, uint32_t nslots)
{
    tt->bytes = bearer_table_bytes(nslots);
    tt->mem = mmap(NULL, tt->bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(tt->mem, MAP_FAILED);
    bearer_table_format(tt->mem, nslots, &tt->t);
}

static void table_close(test_table *tt)
{
    munmap(tt->mem, tt->bytes);
}

static void make_key(bearer_table_key_t *key, unsigned char ns, uint32_t n)
{
    unsigned i;

    memset(key->ns, ns, sizeof(key->ns));
    /* deliberately not random: the table must spread these by itself */
    for (i = 0; i < sizeof(key->id); i++) {
        key->id[i] = (unsigned char)(n >> (8 * (i % 4)));
    }
    key->id[15] ^= 0x5a;
}

/* Record bytes are a function of (key number, version, length), so a
 * reader can tell a whole record from a spliced one. */
static unsigned char record_byte(uint32_t n, uint32_t version, size_t len,
                                 size_t pos)
{
    uint32_t x = n * 2654435761u ^ version * 40503u ^ (uint32_t)len * 977u
                 ^ (uint32_t)pos * 131u;

    return (unsigned char)(x ^ (x >> 13) ^ (x >> 24));
}

static void make_record(unsigned char *buf, uint32_t n, uint32_t version,
                        size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = record_byte(n, version, len, i);
    }
    if (len >= 12) {
        memcpy(buf, &n, 4);
        memcpy(buf + 4, &version, 4);
        memcpy(buf + 8, &(uint32_t){ (uint32_t)len }, 4);
    }
}

/* 0 if buf[0..len) is exactly some version of record n. */
static int check_record(const unsigned char *buf, size_t len, uint32_t n)
{
    uint32_t got_n, version, got_len;
    size_t i;

    if (len < 12) {
        return -1;
    }
    memcpy(&got_n, buf, 4);
    memcpy(&version, buf + 4, 4);
    memcpy(&got_len, buf + 8, 4);
    if (got_n != n || got_len != len) {
        return -1;
    }
    for (i = 12; i < len; i++) {
        if (buf[i] != record_byte(n, version, len, i)) {
            return -1;
        }
    }
    return 0;
}

static bearer_table_status put(const test_table *tt, uint32_t n,
                               uint32_t version, size_t len,
                               int64_t expires_at, uint32_t max_uses,
                               int evictable)
{
    static unsigned char rec[20000];
    bearer_table_key_t key;

    make_key(&key, 1, n);
    make_record(rec, n, version, len);
    return bearer_table_insert(&tt->t, &key, NOW, expires_at, max_uses,
                               max_uses, evictable, rec, len);
}

/* OK and the bytes are exactly record n / version / len. */
static void assert_has(const test_table *tt, uint32_t n, uint32_t version,
                       size_t len)
{
    static unsigned char want[20000], got[20000];
    bearer_table_key_t key;
    size_t got_len = 0;

    make_key(&key, 1, n);
    make_record(want, n, version, len);
    ck_assert_int_eq(bearer_table_lookup(&tt->t, &key, NOW, got, sizeof(got),
                                         &got_len, NULL), BEARER_TABLE_OK);
    ck_assert_uint_eq(got_len, len);
    ck_assert(memcmp(got, want, len) == 0);
}

static bearer_table_status look(const test_table *tt, uint32_t n, int64_t now,
                                bearer_table_found_t *found)
{
    static unsigned char got[20000];
    bearer_table_key_t key;
    size_t got_len;

    make_key(&key, 1, n);
    return bearer_table_lookup(&tt->t, &key, now, got, sizeof(got), &got_len,
                               found);
}

static uint32_t used_slots(const test_table *tt)
{
    bearer_table_stats_t st;

    bearer_table_stats(&tt->t, &st);
    return st.used_slots;
}

static uint64_t *slot_word0(const test_table *tt, uint32_t slot)
{
    return (uint64_t *)((char *)tt->t.base + TEST_TABLE_HEADER_BYTES
                        + (size_t)slot * BEARER_TABLE_SLOT_SIZE);
}

/* The slot holding (key n, chunk), found by reading the slots directly;
 * -1 if none. Word 0: chunk in bits 32..47, state in 48..55. */
static long find_slot_raw(const test_table *tt, uint32_t n, uint32_t chunk)
{
    bearer_table_key_t key;
    uint32_t i;

    make_key(&key, 1, n);
    for (i = 0; i < tt->t.nslots; i++) {
        uint64_t *w = slot_word0(tt, i);

        if (((w[0] >> 48) & 0xff) == 1 && ((w[0] >> 32) & 0xffff) == chunk
            && memcmp((char *)w + TEST_SLOT_ID_OFFSET, key.id, 16) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* ---- format / attach ---------------------------------------------------- */

START_TEST(bytes_formula)
{
    ck_assert_uint_eq(bearer_table_bytes(1025) - bearer_table_bytes(1024),
                      BEARER_TABLE_SLOT_SIZE);
    ck_assert_uint_ge(bearer_table_bytes(1024),
                      1024u * BEARER_TABLE_SLOT_SIZE + 64);
    /* header + slots + alignment slack stays small */
    ck_assert_uint_le(bearer_table_bytes(1024) - 1024u * BEARER_TABLE_SLOT_SIZE,
                      4096);
}
END_TEST

/* A fresh anonymous mapping is zero: formatting it touches only the
 * header, and the table works (and attaches) as if fully formatted. */
START_TEST(format_zeroed_fresh_mapping)
{
    test_table tt;
    bearer_table_t again;
    unsigned char resident[1];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t last_page = (tt.bytes = bearer_table_bytes(65536)) / page - 1;

    tt.mem = mmap(NULL, tt.bytes, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(tt.mem, MAP_FAILED);
    bearer_table_format_zeroed(tt.mem, 65536, &tt.t);
    /* the far end of the slot array was never touched */
    ck_assert_int_eq(mincore((char *)tt.mem + last_page * page, page,
                             resident), 0);
    ck_assert_int_eq(resident[0] & 1, 0);
    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes, 65536, &again),
                     BEARER_TABLE_OK);
    ck_assert_int_eq(put(&tt, 9, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 9, 1, 100);
    table_close(&tt);
}
END_TEST

START_TEST(format_attach)
{
    test_table tt;
    bearer_table_t again;
    bearer_table_stats_t st;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 7, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);

    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes, 1024, &again),
                     BEARER_TABLE_OK);
    ck_assert_ptr_eq(again.base, tt.t.base);
    ck_assert_uint_eq(again.nslots, 1024);
    tt.t = again;
    assert_has(&tt, 7, 1, 100);

    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes, 2048, &again),
                     BEARER_TABLE_CORRUPT);
    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes, 512, &again),
                     BEARER_TABLE_CORRUPT);
    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes - 1, 1024, &again),
                     BEARER_TABLE_CORRUPT);
    ck_assert_int_eq(bearer_table_attach(NULL, tt.bytes, 1024, &again),
                     BEARER_TABLE_CORRUPT);

    /* garbage is not a table */
    memset(tt.mem, 0xa5, tt.bytes);
    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes, 1024, &again),
                     BEARER_TABLE_CORRUPT);
    memset(tt.mem, 0, tt.bytes);
    ck_assert_int_eq(bearer_table_attach(tt.mem, tt.bytes, 1024, &again),
                     BEARER_TABLE_CORRUPT);

    /* formatting makes it one again, empty */
    bearer_table_format(tt.mem, 1024, &tt.t);
    ck_assert_int_eq(look(&tt, 7, NOW, NULL), BEARER_TABLE_MISSING);
    bearer_table_stats(&tt.t, &st);
    ck_assert_uint_eq(st.nslots, 1024);
    ck_assert_uint_eq(st.used_slots, 0);
    ck_assert_uint_eq(st.inserts, 0);
    table_close(&tt);
}
END_TEST

START_TEST(unaligned_memory)
{
    /* apr_shm hands out base + 8: the table must cope */
    size_t bytes = bearer_table_bytes(1024);
    char *map = mmap(NULL, bytes + 8, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    test_table tt;
    bearer_table_t again;

    ck_assert_ptr_ne(map, MAP_FAILED);
    bearer_table_format(map + 8, 1024, &tt.t);
    ck_assert_uint_eq((uintptr_t)tt.t.base % 64, 0);
    ck_assert((char *)tt.t.base >= map + 8);
    tt.mem = map + 8;
    ck_assert_int_eq(put(&tt, 3, 1, 5000, NOW + 60, 0, 0), BEARER_TABLE_OK);
    /* the last slot is inside the memory given */
    ck_assert_int_eq(bearer_table_attach(map + 8, bytes, 1024, &again),
                     BEARER_TABLE_OK);
    ck_assert((char *)again.base + 1152 + 1024u * BEARER_TABLE_SLOT_SIZE
              <= map + 8 + bytes);
    tt.t = again;
    assert_has(&tt, 3, 1, 5000);
    munmap(map, bytes + 8);
}
END_TEST

/* ---- basic operations ----------------------------------------------------- */

START_TEST(round_trip)
{
    test_table tt;
    bearer_table_found_t found;
    bearer_table_key_t key;
    bearer_table_stats_t st;
    unsigned char small[10];
    size_t len = 0;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 150, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 1, 1, 150);

    memset(&found, 0, sizeof(found));
    ck_assert_int_eq(look(&tt, 1, NOW + 1, &found), BEARER_TABLE_OK);
    ck_assert_int_eq(found.expires_at, NOW + 60);
    ck_assert_int_eq(found.stored_at, NOW);
    ck_assert_uint_eq(found.max_uses, 0);
    ck_assert_uint_lt(found.slot, 1024);
    ck_assert_uint_ne(found.generation, 0);

    /* buffer too small: TOO_BIG, and the length needed */
    make_key(&key, 1, 1);
    ck_assert_int_eq(bearer_table_lookup(&tt.t, &key, NOW, small,
                                         sizeof(small), &len, NULL),
                     BEARER_TABLE_TOO_BIG);
    ck_assert_uint_eq(len, 150);

    /* another id, or the same id in another namespace: not found */
    ck_assert_int_eq(look(&tt, 2, NOW, NULL), BEARER_TABLE_MISSING);
    key.ns[0] ^= 1;
    ck_assert_int_eq(bearer_table_lookup(&tt.t, &key, NOW, small,
                                         sizeof(small), &len, NULL),
                     BEARER_TABLE_MISSING);

    bearer_table_stats(&tt.t, &st);
    ck_assert_uint_eq(st.inserts, 1);
    ck_assert_uint_eq(st.used_slots, 1);
    ck_assert_uint_eq(st.hits, 2);
    ck_assert_uint_eq(st.misses, 2);
    ck_assert_uint_eq(st.lookups, 5);      /* + the TOO_BIG one */
    table_close(&tt);
}
END_TEST

/* A table whose lookups the caller counts (the server's, store.c): a
 * lookup, hit or miss, writes nothing to the segment, so the header's
 * stripes, shared by every thread, stay as they were. */
START_TEST(lookups_counted_by_caller)
{
    test_table tt;
    bearer_table_stats_t st;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 150, NOW + 60, 0, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW + 1, NULL), BEARER_TABLE_OK);
    tt.t.counted_by_caller = 1;
    ck_assert_int_eq(look(&tt, 1, NOW + 1, NULL), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 2, NOW + 1, NULL), BEARER_TABLE_MISSING);
    bearer_table_stats(&tt.t, &st);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.misses, 0);
    ck_assert_uint_eq(st.lookups, 1);
    table_close(&tt);
}
END_TEST

START_TEST(multi_chunk)
{
    static const size_t lens[] = { 0, 1, 12, 191, 192, 193, 384, 385, 5000,
                                   16384 };
    test_table tt;
    unsigned i;
    static unsigned char big[16385];
    bearer_table_key_t key;

    table_open(&tt, 1024);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        ck_assert_int_eq(put(&tt, 100 + i, 1, lens[i], NOW + 60, 0, 0),
                         BEARER_TABLE_OK);
    }
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        assert_has(&tt, 100 + i, 1, lens[i]);
    }
    /* 1+1+1+1+1+2+2+3+27+86 chunks */
    ck_assert_uint_eq(used_slots(&tt), 125);

    make_key(&key, 1, 999);
    ck_assert_int_eq(bearer_table_insert(&tt.t, &key, NOW, NOW + 60, 0, 0, 0,
                                         big, sizeof(big)),
                     BEARER_TABLE_TOO_BIG);
    ck_assert_uint_eq(used_slots(&tt), 125);
    table_close(&tt);
}
END_TEST

START_TEST(upsert)
{
    test_table tt;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 5, 1, 5000, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 5, 1, 5000);
    ck_assert_uint_eq(used_slots(&tt), 27);

    /* shorter: the old extra chunks go */
    ck_assert_int_eq(put(&tt, 5, 2, 300, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 5, 2, 300);
    ck_assert_uint_eq(used_slots(&tt), 2);

    /* longer again, and the same length with other bytes */
    ck_assert_int_eq(put(&tt, 5, 3, 5000, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 5, 3, 5000);
    ck_assert_int_eq(put(&tt, 5, 4, 5000, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 5, 4, 5000);
    ck_assert_uint_eq(used_slots(&tt), 27);
    table_close(&tt);
}
END_TEST

START_TEST(remove_then_missing)
{
    test_table tt;
    bearer_table_key_t key;
    bearer_table_stats_t st;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(put(&tt, 2, 1, 5000, NOW + 60, 0, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(put(&tt, 3, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);

    make_key(&key, 1, 2);
    ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 2, NOW, NULL), BEARER_TABLE_MISSING);
    ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW),
                     BEARER_TABLE_MISSING);
    assert_has(&tt, 1, 1, 100);
    assert_has(&tt, 3, 1, 100);
    ck_assert_uint_eq(used_slots(&tt), 2);

    /* removing an expired entry: nothing live was there */
    make_key(&key, 1, 3);
    ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW + 60),
                     BEARER_TABLE_MISSING);
    ck_assert_int_eq(look(&tt, 3, NOW, NULL), BEARER_TABLE_MISSING);

    /* never stored */
    make_key(&key, 1, 42);
    ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW),
                     BEARER_TABLE_MISSING);

    bearer_table_stats(&tt.t, &st);
    ck_assert_uint_eq(st.removes, 1);
    ck_assert_uint_eq(st.used_slots, 1);

    /* and it can be stored again */
    ck_assert_int_eq(put(&tt, 2, 2, 5000, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 2, 2, 5000);
    table_close(&tt);
}
END_TEST

START_TEST(expiry_and_reuse)
{
    test_table tt;
    uint32_t n;

    /* 8 slots: every key's probe window is the whole table */
    table_open(&tt, 8);
    for (n = 0; n < 8; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 100, 0, 0),
                         BEARER_TABLE_OK);
    }
    ck_assert_int_eq(look(&tt, 0, NOW + 99, NULL), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 0, NOW + 100, NULL), BEARER_TABLE_MISSING);
    ck_assert_int_eq(look(&tt, 0, NOW + 101, NULL), BEARER_TABLE_MISSING);

    /* full while they live ... */
    ck_assert_int_eq(put(&tt, 8, 1, 100, NOW + 500, 0, 0), BEARER_TABLE_FULL);
    /* ... and their slots are free once they have expired */
    {
        unsigned char rec[100];
        bearer_table_key_t key;

        make_key(&key, 1, 8);
        make_record(rec, 8, 1, sizeof(rec));
        ck_assert_int_eq(bearer_table_insert(&tt.t, &key, NOW + 100,
                                             NOW + 500, 0, 0, 0, rec,
                                             sizeof(rec)),
                         BEARER_TABLE_OK);
    }
    ck_assert_int_eq(look(&tt, 8, NOW + 200, NULL), BEARER_TABLE_OK);
    ck_assert_uint_eq(used_slots(&tt), 8);
    table_close(&tt);
}
END_TEST

START_TEST(full_writes_nothing)
{
    test_table tt;
    bearer_table_stats_t st;
    uint32_t n;

    table_open(&tt, 8);
    for (n = 0; n < 7; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 60, 0, 0),
                         BEARER_TABLE_OK);
    }
    /* one slot left, a two-chunk record needs two: nothing may be written */
    ck_assert_int_eq(put(&tt, 50, 1, 300, NOW + 60, 0, 0), BEARER_TABLE_FULL);
    ck_assert_int_eq(look(&tt, 50, NOW, NULL), BEARER_TABLE_MISSING);
    ck_assert_uint_eq(used_slots(&tt), 7);

    ck_assert_int_eq(put(&tt, 7, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(put(&tt, 51, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_FULL);
    /* an evictable insert may not displace non-evictable entries either */
    ck_assert_int_eq(put(&tt, 52, 1, 100, NOW + 60, 0, 1), BEARER_TABLE_FULL);
    for (n = 0; n < 8; n++) {
        assert_has(&tt, n, 1, 100);
    }
    ck_assert_int_eq(look(&tt, 51, NOW, NULL), BEARER_TABLE_MISSING);
    ck_assert_int_eq(look(&tt, 52, NOW, NULL), BEARER_TABLE_MISSING);
    bearer_table_stats(&tt.t, &st);
    ck_assert_uint_eq(st.full, 3);
    ck_assert_uint_eq(st.inserts, 8);
    ck_assert_uint_eq(st.used_slots, 8);

    /* an upsert of a present key still fits: it reuses its own slot */
    ck_assert_int_eq(put(&tt, 3, 2, 150, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 3, 2, 150);
    table_close(&tt);
}
END_TEST

START_TEST(evictable_displacement)
{
    test_table tt;
    uint32_t n;

    table_open(&tt, 8);
    /* 4 of record (embedded mode), 4 cache copies expiring at different
     * times */
    for (n = 0; n < 4; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 60, 0, 0),
                         BEARER_TABLE_OK);
    }
    for (n = 4; n < 8; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 100 + n, 0, 1),
                         BEARER_TABLE_OK);
    }
    /* an entry of record displaces the cache copy that expires first
     * (an embedded vhost's mint beside a fleet vhost's cache) */
    ck_assert_int_eq(put(&tt, 20, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 20, 1, 100);
    ck_assert_int_eq(look(&tt, 4, NOW, NULL), BEARER_TABLE_MISSING);
    /* back to the set-up: 20 goes, the copy of 4 comes back */
    {
        bearer_table_key_t key20;

        make_key(&key20, 1, 20);
        ck_assert_int_eq(bearer_table_remove(&tt.t, &key20, NOW),
                         BEARER_TABLE_OK);
    }
    ck_assert_int_eq(put(&tt, 4, 1, 100, NOW + 104, 0, 1), BEARER_TABLE_OK);

    /* so does a cache copy */
    ck_assert_int_eq(put(&tt, 21, 1, 100, NOW + 1000, 0, 1), BEARER_TABLE_OK);
    assert_has(&tt, 21, 1, 100);
    ck_assert_int_eq(look(&tt, 4, NOW, NULL), BEARER_TABLE_MISSING);
    for (n = 5; n < 8; n++) {
        assert_has(&tt, n, 1, 100);
    }
    /* three more, living longer than the copies left: those go, in
     * order of expiry, and no entry of record does */
    ck_assert_int_eq(put(&tt, 22, 1, 100, NOW + 1000, 0, 1), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 5, NOW, NULL), BEARER_TABLE_MISSING);
    assert_has(&tt, 6, 1, 100);
    ck_assert_int_eq(put(&tt, 23, 1, 100, NOW + 1000, 0, 1), BEARER_TABLE_OK);
    ck_assert_int_eq(put(&tt, 24, 1, 100, NOW + 1000, 0, 1), BEARER_TABLE_OK);
    for (n = 0; n < 4; n++) {
        assert_has(&tt, n, 1, 100);
    }
    for (n = 4; n < 8; n++) {
        ck_assert_int_eq(look(&tt, n, NOW, NULL), BEARER_TABLE_MISSING);
    }
    for (n = 21; n < 25; n++) {
        assert_has(&tt, n, 1, 100);
    }
    /* entries of record take the four copies' places, one each; then
     * only entries of record are left and nothing displaces them */
    for (n = 25; n < 29; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);
    }
    for (n = 21; n < 25; n++) {
        ck_assert_int_eq(look(&tt, n, NOW, NULL), BEARER_TABLE_MISSING);
    }
    ck_assert_int_eq(put(&tt, 29, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_FULL);
    ck_assert_int_eq(put(&tt, 30, 1, 100, NOW + 60, 0, 1), BEARER_TABLE_FULL);
    for (n = 0; n < 4; n++) {
        assert_has(&tt, n, 1, 100);
    }
    ck_assert_uint_eq(used_slots(&tt), 8);
    table_close(&tt);
}
END_TEST

START_TEST(missing_continuation)
{
    test_table tt;
    long slot;
    uint64_t *w0;
    uint32_t n;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 1000, NOW + 60, 0, 1), BEARER_TABLE_OK);
    assert_has(&tt, 1, 1, 1000);
    /* take chunk 3 away as an eviction would: the record is MISSING (the
     * caller refills it), not BUSY */
    slot = find_slot_raw(&tt, 1, 3);
    ck_assert_int_ge(slot, 0);
    w0 = slot_word0(&tt, (uint32_t)slot);
    *w0 = (*w0 & ~(UINT64_C(0xff) << 48)) | (UINT64_C(2) << 48);
    ck_assert_int_eq(look(&tt, 1, NOW, NULL), BEARER_TABLE_MISSING);
    /* a refill makes it whole again */
    ck_assert_int_eq(put(&tt, 1, 2, 1000, NOW + 60, 0, 1), BEARER_TABLE_OK);
    assert_has(&tt, 1, 2, 1000);
    table_close(&tt);

    /* the same through real evictions: a 2-chunk cache copy expiring first
     * in a full 8-slot table; whichever chunk goes, it is MISSING */
    table_open(&tt, 8);
    ck_assert_int_eq(put(&tt, 1, 1, 300, NOW + 100, 0, 1), BEARER_TABLE_OK);
    for (n = 2; n < 8; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 1000, 0, 1),
                         BEARER_TABLE_OK);
    }
    ck_assert_int_eq(put(&tt, 20, 1, 100, NOW + 1000, 0, 1), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW, NULL), BEARER_TABLE_MISSING);
    assert_has(&tt, 20, 1, 100);
    for (n = 2; n < 8; n++) {
        assert_has(&tt, n, 1, 100);
    }
    table_close(&tt);
}
END_TEST

/* ---- uses ------------------------------------------------------------------ */

START_TEST(consume_counts_down)
{
    test_table tt;
    bearer_table_found_t found;
    int i;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 100, NOW + 60, 3, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW, &found), BEARER_TABLE_OK);
    ck_assert_uint_eq(found.max_uses, 3);
    ck_assert_uint_eq(found.uses_left, 3);

    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation),
                     BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW, &found), BEARER_TABLE_OK);
    ck_assert_uint_eq(found.uses_left, 2);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation),
                     BEARER_TABLE_OK);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation),
                     BEARER_TABLE_OK);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation),
                     BEARER_TABLE_EXHAUSTED);
    ck_assert_int_eq(look(&tt, 1, NOW, NULL), BEARER_TABLE_MISSING);

    /* handles that never were */
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, 1024, found.generation),
                     BEARER_TABLE_MISSING);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation + 1),
                     BEARER_TABLE_MISSING);

    /* unlimited: always OK, nothing counted */
    ck_assert_int_eq(put(&tt, 2, 1, 300, NOW + 60, 0, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 2, NOW, &found), BEARER_TABLE_OK);
    for (i = 0; i < 10; i++) {
        ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                                  found.generation),
                         BEARER_TABLE_OK);
    }
    assert_has(&tt, 2, 1, 300);
    table_close(&tt);
}
END_TEST

START_TEST(stale_handle)
{
    test_table tt;
    bearer_table_found_t old, now_found;
    bearer_table_key_t key;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 100, NOW + 60, 5, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW, &old), BEARER_TABLE_OK);

    make_key(&key, 1, 1);
    ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW), BEARER_TABLE_OK);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, old.slot, old.generation),
                     BEARER_TABLE_MISSING);

    ck_assert_int_eq(put(&tt, 1, 2, 100, NOW + 60, 5, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW, &now_found), BEARER_TABLE_OK);
    /* same slot (same key, otherwise empty table), new generation */
    ck_assert_uint_eq(now_found.slot, old.slot);
    ck_assert_uint_ne(now_found.generation, old.generation);

    ck_assert_int_eq(bearer_table_consume_use(&tt.t, old.slot, old.generation),
                     BEARER_TABLE_MISSING);
    ck_assert_int_eq(look(&tt, 1, NOW, &now_found), BEARER_TABLE_OK);
    ck_assert_uint_eq(now_found.uses_left, 5);

    /* a continuation slot is not a handle */
    ck_assert_int_eq(put(&tt, 9, 1, 5000, NOW + 60, 5, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 9, NOW, &now_found), BEARER_TABLE_OK);
    {
        uint32_t s;
        int others_ok = 0;

        for (s = 0; s < 1024; s++) {
            if (s != now_found.slot
                && bearer_table_consume_use(&tt.t, s, now_found.generation)
                   == BEARER_TABLE_OK) {
                others_ok++;
            }
        }
        ck_assert_int_eq(others_ok, 0);
    }
    ck_assert_int_eq(look(&tt, 9, NOW, &now_found), BEARER_TABLE_OK);
    ck_assert_uint_eq(now_found.uses_left, 5);
    table_close(&tt);
}
END_TEST

/* ---- a writer that died mid-write ---------------------------------------- */

START_TEST(stuck_slot)
{
    test_table tt;
    bearer_table_found_t found;
    bearer_table_key_t key;
    uint64_t *w0;

    table_open(&tt, 1024);
    ck_assert_int_eq(put(&tt, 1, 1, 100, NOW + 60, 5, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(&tt, 1, NOW, &found), BEARER_TABLE_OK);

    make_key(&key, 1, 1);
    w0 = slot_word0(&tt, found.slot);
    ck_assert(memcmp((char *)w0 + TEST_SLOT_ID_OFFSET, key.id, 16) == 0);
    /* the low half of word 0 is seq: make it odd, as a writer killed
     * between its two stores would leave it */
    __atomic_fetch_add(w0, 1, __ATOMIC_SEQ_CST);

    ck_assert_int_eq(look(&tt, 1, NOW, NULL), BEARER_TABLE_BUSY);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation),
                     BEARER_TABLE_BUSY);
    /* other keys are not held up */
    ck_assert_int_eq(put(&tt, 2, 1, 100, NOW + 60, 0, 0), BEARER_TABLE_OK);
    assert_has(&tt, 2, 1, 100);

    /* the next writer through the slot repairs it */
    ck_assert_int_eq(put(&tt, 1, 2, 100, NOW + 60, 5, 0), BEARER_TABLE_OK);
    ck_assert_uint_eq(*w0 & 1, 0);
    assert_has(&tt, 1, 2, 100);
    ck_assert_int_eq(bearer_table_consume_use(&tt.t, found.slot,
                                              found.generation),
                     BEARER_TABLE_MISSING);
    ck_assert_uint_eq(used_slots(&tt), 2);

    /* a remove through a stuck chunk 0: the half-written entry is gone,
     * and lookups say MISSING, not BUSY, afterwards */
    ck_assert_int_eq(look(&tt, 1, NOW, &found), BEARER_TABLE_OK);
    w0 = slot_word0(&tt, found.slot);
    __atomic_fetch_add(w0, 1, __ATOMIC_SEQ_CST);
    ck_assert_int_eq(look(&tt, 1, NOW, NULL), BEARER_TABLE_BUSY);
    ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW),
                     BEARER_TABLE_MISSING);
    ck_assert_uint_eq(*w0 & 1, 0);
    ck_assert_int_eq(look(&tt, 1, NOW, NULL), BEARER_TABLE_MISSING);
    ck_assert_uint_eq(used_slots(&tt), 1);
    table_close(&tt);
}
END_TEST

/* ---- load --------------------------------------------------------------- */

START_TEST(many_keys)
{
    test_table tt;
    bearer_table_key_t key;
    uint32_t n, count = 716;    /* 70% of 1024 */

    table_open(&tt, 1024);
    for (n = 0; n < count; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 60 + n % 120, NOW + 60, 0, 0),
                         BEARER_TABLE_OK);
    }
    ck_assert_uint_eq(used_slots(&tt), count);
    for (n = 0; n < count; n++) {
        assert_has(&tt, n, 1, 60 + n % 120);
    }
    /* remove every third; the rest must still be found through the
     * tombstones */
    for (n = 0; n < count; n += 3) {
        make_key(&key, 1, n);
        ck_assert_int_eq(bearer_table_remove(&tt.t, &key, NOW),
                         BEARER_TABLE_OK);
    }
    for (n = 0; n < count; n++) {
        if (n % 3 == 0) {
            ck_assert_int_eq(look(&tt, n, NOW, NULL), BEARER_TABLE_MISSING);
        }
        else {
            assert_has(&tt, n, 1, 60 + n % 120);
        }
    }
    ck_assert_uint_eq(used_slots(&tt), count - (count + 2) / 3);
    /* and new keys fit in again */
    for (n = count; n < count + 200; n++) {
        ck_assert_int_eq(put(&tt, n, 1, 100, NOW + 60, 0, 0),
                         BEARER_TABLE_OK);
    }
    for (n = 1; n < count + 200; n++) {
        if (n < count && n % 3 == 0) {
            continue;
        }
        assert_has(&tt, n, 1, n < count ? 60 + n % 120 : 100);
    }
    table_close(&tt);
}
END_TEST

/* ---- concurrency ---------------------------------------------------------- */

#define RACE_KEYS     48
#define RACE_WORKERS  4
/* keys below this are upserted but never removed: never MISSING */
#define RACE_STABLE   (RACE_KEYS / 2)

typedef struct {
    /* in shared memory, written by workers */
    volatile int stop;
    uint64_t hits[RACE_WORKERS];
    uint64_t misses[RACE_WORKERS];
    uint64_t busy[RACE_WORKERS];
    uint64_t torn[RACE_WORKERS];
    uint64_t lost[RACE_WORKERS];
    uint64_t taken[RACE_WORKERS];
} race_shared;

typedef struct {
    const bearer_table_t *t;
    race_shared *shared;
    int worker;
    uint32_t slot, generation;
} race_arg;

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static size_t race_len(uint32_t r)
{
    /* mostly one or two chunks, sometimes many */
    return r % 4 == 0 ? 12 + r % 3000 : 12 + r % 400;
}

static void *reader_loop(void *p)
{
    race_arg *a = p;
    static __thread unsigned char buf[4096];
    uint32_t seed = 2463534242u + (uint32_t)a->worker * 7919u;
    bearer_table_key_t key;
    size_t len;

    while (!__atomic_load_n(&a->shared->stop, __ATOMIC_ACQUIRE)) {
        uint32_t n = xorshift(&seed) % RACE_KEYS;
        bearer_table_status st;

        make_key(&key, 1, n);
        st = bearer_table_lookup(a->t, &key, NOW, buf, sizeof(buf), &len,
                                 NULL);
        if (st == BEARER_TABLE_OK) {
            if (check_record(buf, len, n) != 0) {
                a->shared->torn[a->worker]++;
            }
            a->shared->hits[a->worker]++;
        }
        else if (st == BEARER_TABLE_MISSING) {
            if (n < RACE_STABLE) {
                a->shared->lost[a->worker]++;
            }
            a->shared->misses[a->worker]++;
        }
        else {
            a->shared->busy[a->worker]++;   /* a writer descheduled mid-slot */
        }
    }
    return NULL;
}

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every key present before the readers start. */
static void writer_fill(const bearer_table_t *t)
{
    static unsigned char rec[4096];
    bearer_table_key_t key;
    uint32_t n;

    for (n = 0; n < RACE_KEYS; n++) {
        make_key(&key, 1, n);
        make_record(rec, n, 0, race_len(n * 7919u));
        ck_assert_int_eq(bearer_table_insert(t, &key, NOW, NOW + 60, 0, 0, 0,
                                             rec, race_len(n * 7919u)),
                         BEARER_TABLE_OK);
    }
}

/* The parent's side: upserts of varying length and removes, for ~1 s. */
static void writer_loop(const bearer_table_t *t, double seconds)
{
    static unsigned char rec[4096];
    uint32_t seed = 88172645u, version = 1;
    bearer_table_key_t key;
    double end = seconds_now() + seconds;

    while (seconds_now() < end) {
        int i;

        for (i = 0; i < 200; i++) {
            uint32_t r = xorshift(&seed);
            uint32_t n = r % RACE_KEYS;

            make_key(&key, 1, n);
            if (r % 5 == 0 && n >= RACE_STABLE) {
                bearer_table_remove(t, &key, NOW);
            }
            else {
                size_t len = race_len(xorshift(&seed));

                make_record(rec, n, version++, len);
                if (bearer_table_insert(t, &key, NOW, NOW + 60, 0, 0, 0, rec,
                                        len) != BEARER_TABLE_OK) {
                    abort();
                }
            }
        }
    }
}

static race_shared *shared_area(void)
{
    race_shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    ck_assert_ptr_ne(s, MAP_FAILED);
    memset(s, 0, sizeof(*s));
    return s;
}

static void assert_no_torn_reads(const race_shared *s)
{
    uint64_t hits = 0, misses = 0, torn = 0, lost = 0;
    int i;

    for (i = 0; i < RACE_WORKERS; i++) {
        hits += s->hits[i];
        misses += s->misses[i];
        torn += s->torn[i];
        lost += s->lost[i];
    }
    ck_assert_uint_eq(torn, 0);
    /* an upsert never makes its key disappear, even for a moment */
    ck_assert_uint_eq(lost, 0);
    /* the test tested something */
    ck_assert_uint_gt(hits, 1000);
    ck_assert_uint_gt(misses, 0);
}

START_TEST(readers_never_see_torn_records_processes)
{
    test_table tt;
    race_shared *s = shared_area();
    race_arg args[RACE_WORKERS];
    pid_t pids[RACE_WORKERS];
    int i, status;

    table_open(&tt, 1024);
    writer_fill(&tt.t);
    for (i = 0; i < RACE_WORKERS; i++) {
        args[i] = (race_arg){ &tt.t, s, i, 0, 0 };
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            reader_loop(&args[i]);
            _exit(0);
        }
    }
    writer_loop(&tt.t, 1.0);
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < RACE_WORKERS; i++) {
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_no_torn_reads(s);
    munmap(s, sizeof(*s));
    table_close(&tt);
}
END_TEST

START_TEST(readers_never_see_torn_records_threads)
{
    test_table tt;
    race_shared *s = shared_area();
    race_arg args[RACE_WORKERS];
    pthread_t threads[RACE_WORKERS];
    int i;

    table_open(&tt, 1024);
    writer_fill(&tt.t);
    for (i = 0; i < RACE_WORKERS; i++) {
        args[i] = (race_arg){ &tt.t, s, i, 0, 0 };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, reader_loop,
                                        &args[i]), 0);
    }
    writer_loop(&tt.t, 1.0);
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < RACE_WORKERS; i++) {
        pthread_join(threads[i], NULL);
    }
    assert_no_torn_reads(s);
    munmap(s, sizeof(*s));
    table_close(&tt);
}
END_TEST

static void *consumer_loop(void *p)
{
    race_arg *a = p;
    bearer_table_status st;

    while ((st = bearer_table_consume_use(a->t, a->slot, a->generation))
           == BEARER_TABLE_OK) {
        a->shared->taken[a->worker]++;
    }
    if (st != BEARER_TABLE_EXHAUSTED) {
        a->shared->busy[a->worker]++;
    }
    return NULL;
}

static void setup_uses(test_table *tt, bearer_table_found_t *found)
{
    table_open(tt, 1024);
    ck_assert_int_eq(put(tt, 77, 1, 100, NOW + 60, 1000, 0), BEARER_TABLE_OK);
    ck_assert_int_eq(look(tt, 77, NOW, found), BEARER_TABLE_OK);
    ck_assert_uint_eq(found->uses_left, 1000);
}

static void assert_exactly_1000(test_table *tt, const race_shared *s)
{
    uint64_t total = 0;
    int i;

    for (i = 0; i < RACE_WORKERS; i++) {
        total += s->taken[i];
        ck_assert_uint_eq(s->busy[i], 0);
    }
    ck_assert_uint_eq(total, 1000);
    ck_assert_int_eq(look(tt, 77, NOW, NULL), BEARER_TABLE_MISSING);
}

START_TEST(uses_taken_exactly_once_processes)
{
    test_table tt;
    bearer_table_found_t found;
    race_shared *s = shared_area();
    race_arg args[RACE_WORKERS];
    pid_t pids[RACE_WORKERS];
    int i, status;

    setup_uses(&tt, &found);
    for (i = 0; i < RACE_WORKERS; i++) {
        args[i] = (race_arg){ &tt.t, s, i, found.slot, found.generation };
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            consumer_loop(&args[i]);
            _exit(0);
        }
    }
    for (i = 0; i < RACE_WORKERS; i++) {
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_exactly_1000(&tt, s);
    munmap(s, sizeof(*s));
    table_close(&tt);
}
END_TEST

START_TEST(uses_taken_exactly_once_threads)
{
    test_table tt;
    bearer_table_found_t found;
    race_shared *s = shared_area();
    race_arg args[RACE_WORKERS];
    pthread_t threads[RACE_WORKERS];
    int i;

    setup_uses(&tt, &found);
    for (i = 0; i < RACE_WORKERS; i++) {
        args[i] = (race_arg){ &tt.t, s, i, found.slot, found.generation };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, consumer_loop,
                                        &args[i]), 0);
    }
    for (i = 0; i < RACE_WORKERS; i++) {
        pthread_join(threads[i], NULL);
    }
    assert_exactly_1000(&tt, s);
    munmap(s, sizeof(*s));
    table_close(&tt);
}
END_TEST

Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *basic = tcase_create("basic");
    TCase *race = tcase_create("concurrency");

    tcase_add_test(basic, bytes_formula);
    tcase_add_test(basic, format_attach);
    tcase_add_test(basic, format_zeroed_fresh_mapping);
    tcase_add_test(basic, unaligned_memory);
    tcase_add_test(basic, round_trip);
    tcase_add_test(basic, lookups_counted_by_caller);
    tcase_add_test(basic, multi_chunk);
    tcase_add_test(basic, upsert);
    tcase_add_test(basic, remove_then_missing);
    tcase_add_test(basic, expiry_and_reuse);
    tcase_add_test(basic, full_writes_nothing);
    tcase_add_test(basic, evictable_displacement);
    tcase_add_test(basic, missing_continuation);
    tcase_add_test(basic, consume_counts_down);
    tcase_add_test(basic, stale_handle);
    tcase_add_test(basic, stuck_slot);
    tcase_add_test(basic, many_keys);
    tcase_set_timeout(basic, 60);
    suite_add_tcase(s, basic);

    tcase_add_test(race, readers_never_see_torn_records_processes);
    tcase_add_test(race, readers_never_see_torn_records_threads);
    tcase_add_test(race, uses_taken_exactly_once_processes);
    tcase_add_test(race, uses_taken_exactly_once_threads);
    tcase_set_timeout(race, 120);
    suite_add_tcase(s, race);
    return s;
}
