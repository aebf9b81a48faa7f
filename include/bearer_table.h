/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_table.h - the shared-memory token table (L1), one per server.
 *
 * A fixed array of BEARER_TABLE_SLOT_SIZE-byte slots in memory shared by
 * every child process and thread (the caller maps it; this file only lays it
 * out and walks it). Open addressing with linear probing inside a bounded
 * window, keyed by (namespace, token id, chunk number). A record longer than
 * one slot's payload is split over continuation chunks, each stored as its
 * own slot under the same id with chunk = 1, 2, ...; records are immutable
 * once written (only the uses counter and the slot state change), so a
 * reader that sees chunk 0 and then every continuation has a whole record.
 *
 * Readers take no lock: each slot has a sequence counter (seqlock); a
 * writer makes it odd, writes, makes it even; a reader copies the slot and
 * retries if the counter moved or was odd. Writers (insert, remove,
 * reclaim) must be serialised by the caller (a global mutex); the uses
 * counter alone is changed lock-free by compare-and-swap, tagged with the
 * slot's insert generation so a reused slot is never decremented by a
 * stale handle.
 *
 * Pure C (C11/GCC atomics); no httpd or APR headers; no allocation.
 */
#ifndef BEARER_TABLE_H
#define BEARER_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define BEARER_TABLE_SLOT_SIZE   256
#define BEARER_TABLE_MIN_SLOTS   1024u
#define BEARER_TABLE_MAX_SLOTS   (16u * 1024u * 1024u)
/* Probe window: a lookup stops at an empty slot or after this many slots;
 * an insert that finds no free slot in the window reports FULL. Bounding it
 * bounds the cost of a miss, whatever an attacker sends. */
#define BEARER_TABLE_PROBE_WINDOW 256u

typedef struct {
    unsigned char ns[8];      /* namespace: derived from the vhost secret */
    unsigned char id[16];     /* token id bytes */
} bearer_table_key_t;

/* A view of a mapped table; cheap to copy. */
typedef struct {
    void *base;
    uint32_t nslots;
    /* 0 (as format and attach leave it): lookups are counted in the
     * header's stripes, which threads on every core share. 1: lookups
     * write nothing to the segment; the caller counts them where each
     * thread has a line of its own (store.c: the metrics lanes), and the
     * stripes stay as they are. */
    int counted_by_caller;
} bearer_table_t;

typedef enum {
    BEARER_TABLE_OK = 0,
    BEARER_TABLE_MISSING,     /* no live entry (never stored, expired, removed) */
    BEARER_TABLE_EXHAUSTED,   /* consume_use: no uses left */
    BEARER_TABLE_FULL,        /* insert: no free slot in the probe window */
    BEARER_TABLE_TOO_BIG,     /* insert: record longer than the buffer / max */
    BEARER_TABLE_BUSY,        /* lookup: a slot stayed mid-write (a writer died
                                 holding it); callers answer 503, not 401 */
    BEARER_TABLE_CORRUPT      /* attach: the memory is not a table of this size */
} bearer_table_status;

/* What a lookup found besides the record bytes. */
typedef struct {
    int64_t expires_at;
    int64_t stored_at;        /* when this slot was written (recheck in fleet mode) */
    uint32_t max_uses;        /* 0 = unlimited */
    uint32_t uses_left;       /* meaningful when max_uses > 0 */
    uint32_t slot;            /* handle for consume_use */
    uint32_t generation;      /* handle for consume_use */
} bearer_table_found_t;

/* Statistics, counted in the segment (relaxed atomics). */
typedef struct {
    uint64_t lookups, hits, misses, inserts, full, removes;
    uint32_t used_slots;      /* approximate, updated by writers */
    uint32_t nslots;
} bearer_table_stats_t;

/* Bytes of shared memory a table of nslots needs (header + slots + up to
 * 63 bytes to align the table to a cache line: apr_shm's base address is
 * only 8-aligned). */
size_t bearer_table_bytes(uint32_t nslots);

/* Formats fresh (any content) memory of bearer_table_bytes(nslots) bytes. */
void bearer_table_format(void *mem, uint32_t nslots, bearer_table_t *t);

/* The same for memory known to be all zero, e.g. a fresh anonymous shared
 * mapping: writes only the header, so no slot page is touched (committed)
 * until a token lands in it. */
void bearer_table_format_zeroed(void *mem, uint32_t nslots, bearer_table_t *t);

/* Adopts memory formatted earlier (e.g. found again after a graceful
 * restart): OK if the header says it is a table of nslots slots of this
 * layout, else CORRUPT (then format it afresh). */
bearer_table_status bearer_table_attach(void *mem, size_t bytes,
                                        uint32_t nslots, bearer_table_t *t);

/*
 * Lock-free read. Copies the whole record (all chunks) into buf (capacity
 * cap) and sets *len. Entries whose expires_at <= now are MISSING. Also
 * MISSING when max_uses > 0 and uses_left == 0. TOO_BIG if cap is too small
 * (*len is then the length needed).
 */
bearer_table_status bearer_table_lookup(const bearer_table_t *t,
                                        const bearer_table_key_t *key,
                                        int64_t now,
                                        unsigned char *buf, size_t cap,
                                        size_t *len,
                                        bearer_table_found_t *found);

/*
 * Lock-free: takes one use of a token found by lookup (slot + generation).
 * OK if a use was taken (or the token is unlimited), EXHAUSTED if none was
 * left, MISSING if the slot no longer holds that entry, BUSY if the slot
 * stayed mid-write (as for lookup).
 */
bearer_table_status bearer_table_consume_use(const bearer_table_t *t,
                                             uint32_t slot,
                                             uint32_t generation);

/*
 * Writer (caller holds the writers' lock). Stores a record under key,
 * replacing a live entry with the same key (upsert). Slots that are empty,
 * removed, or hold an entry expired at `now` are free. When no slot is
 * free, any insert may take over a live evictable entry (a fleet-mode cache
 * copy, the one that expires first): `evictable` non-zero marks the new
 * entry as such a copy. A non-evictable entry (embedded mode, the store of
 * record) is never displaced; when only such entries fill the window the
 * insert reports FULL and writes nothing.
 */
bearer_table_status bearer_table_insert(const bearer_table_t *t,
                                        const bearer_table_key_t *key,
                                        int64_t now, int64_t expires_at,
                                        uint32_t max_uses, uint32_t uses_left,
                                        int evictable,
                                        const unsigned char *rec, size_t len);

/* Writer: removes the live entry under key (all its chunks). OK if one was
 * removed, MISSING if there was none live. */
bearer_table_status bearer_table_remove(const bearer_table_t *t,
                                        const bearer_table_key_t *key,
                                        int64_t now);

void bearer_table_stats(const bearer_table_t *t, bearer_table_stats_t *out);

#ifdef BEARER_FAULT_INJECTION
/* Test builds only (unit tests, the fault-test module; never the module's
 * production build): when set, called by every slot write once the slot's
 * sequence counter is odd and before its contents are written, with the
 * writers' lock held: where a writer that is killed leaves a slot
 * mid-write. */
extern void (*bearer_table_fault_hook)(uint32_t idx);
#endif

#endif
