/* SPDX-License-Identifier: Apache-2.0 */
/*
 * table.c - the shared-memory token table (L1). Interface and contract:
 * include/bearer_table.h.
 *
 * Concurrency in one paragraph: readers (lookup, consume_use) take no lock.
 * Every slot carries a sequence counter; a writer makes it odd, rewrites the
 * slot, makes it even; a reader copies the slot between two reads of the
 * counter and keeps the copy only if both reads were equal and even. The
 * uses counter is the only field changed outside that protocol, by
 * compare-and-swap on a 64-bit word that also carries the slot's
 * generation, so a handle to an entry that has since been replaced can
 * never take a use from its successor. Writers are serialised by the
 * caller's global mutex.
 *
 * Why GCC __atomic builtins and not apr_atomic_*: a seqlock needs an
 * acquire load, a release store and standalone acquire/release fences, and
 * APR's atomics offer none of these (apr_atomic_read32 is a plain volatile
 * read, apr_atomic_set32 a plain store; only the read-modify-write calls
 * imply a full barrier). Written with them, the seqlock would be correct on
 * x86 by accident and wrong on ARM.
 *
 * Why every access to slot memory is an atomic 64-bit load or store, even
 * the payload copy: a seqlock reader deliberately reads while a writer may
 * be writing and throws the copy away when the counter moved. With plain
 * memcpy that read is a data race (undefined behaviour in C11, reported by
 * ThreadSanitizer); with relaxed atomic loads it is merely a stale read,
 * and the acquire fence before the second counter read makes the check
 * sound (H.-J. Boehm, "Can Seqlocks Get Along With Programming Language
 * Memory Models?", 2012). On x86-64 and AArch64 a relaxed 64-bit atomic
 * load is an ordinary load, so this costs nothing over memcpy.
 *
 * No allocation, no system call, no httpd or APR header.
 */
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "bearer_table.h"
#include "bearer_hash.h"

/*
 * The segment
 * -----------
 *
 * The caller's memory is aligned up to a cache line first: apr_shm hands
 * out base + 8 (it keeps its own size word in front), so bearer_table_bytes
 * counts TABLE_ALIGN - 1 bytes of slack for that.
 *
 *   mem
 *   |<- 0..63 ->|<--------- TABLE_HEADER_BYTES (1152) --------->|
 *   +-----------+-----------+-----------+-----------+-----+-----------+
 *   |  (slack)  | identity  | writers'  | stripe 0  | ... | stripe 15 |
 *   |           | magic,    | counters, | hits,     |     |           |
 *   |           | version,  | serial    | misses,   |     |           |
 *   |           | nslots... |           | other     |     |           |
 *   +-----------+-----------+-----------+-----------+-----+-----------+
 *               ^ t->base     (each box one 64-byte cache line)
 *
 *   +-----------+-----------+-----------+-----------+
 *   |  slot 0   |  slot 1   |    ...    | slot n-1  |   n = nslots,
 *   +-----------+-----------+-----------+-----------+   256 bytes each
 *   ^ t->base + TABLE_HEADER_BYTES
 *
 * Identity is written once by format and checked by attach. The writers'
 * line is touched only under the writers' lock. Readers count on one of
 * TABLE_STRIPES lines chosen by the key's hash, so lookups of different
 * tokens in different processes do not all bounce one cache line, and no
 * counter shares a line with a slot (a counter on a slot line would make
 * every lookup write to the line every other reader is reading).
 *
 * A slot: 32 words of 64 bits; word 0 holds the sequence counter in its low
 * half, so one 64-bit store publishes the counter and the small fields
 * together. Fields are packed into words with shifts, not a struct, so the
 * layout is the same whatever the compiler does with padding.
 *
 *   word  bits    field
 *   ----  ------  -----------------------------------------------------
 *    0    0..31   seq         odd while a writer is in the slot
 *         32..47  chunk       0 = head of the record, 1..k-1 = continuation
 *         48..55  state       SLOT_EMPTY / SLOT_LIVE / SLOT_REMOVED
 *         56..63  evictable   1 = cache copy (fleet mode), may be displaced
 *    1    0..31   uses_left   changed by CAS in consume_use (chunk 0 only)
 *         32..63  generation  see "Generations" below
 *    2            ns[8]       key: namespace
 *    3-4          id[16]      key: token id
 *    5            expires_at  int64, dead when expires_at <= now
 *    6            stored_at   int64, when this insert happened
 *    7    0..31   max_uses    0 = unlimited
 *         32..47  total_len   length of the whole record
 *         48..63  chunk_len   bytes of payload used in this slot
 *    8-31         payload     SLOT_PAYLOAD (192) bytes
 *
 * Words 0-7 are one cache line: probing past a slot reads only that line.
 *
 * Records and chunks
 * ------------------
 * A record of total_len bytes takes k = ceil(total_len / 192) slots (at
 * least one). Chunk c is stored under the key (ns, id, c), each chunk with
 * its own home slot, so one long record does not cluster. Every chunk
 * repeats the record's header fields. An insert writes chunks 1..k-1 first
 * and chunk 0 last; a remove clears chunk 0 first: so a reader that found
 * chunk 0 finds the rest, and one that didn't reports MISSING.
 *
 * An upsert (insert over a live record of the same key) rewrites chunk 0
 * in place, the one slot whose seqlock makes the switch atomic, but writes
 * the new continuations to other slots and removes the old ones only after
 * chunk 0 has switched. For a moment (key, c) is stored twice, under two
 * generations; readers tell them apart (below), so a reader that read
 * either version of chunk 0 finds that version's continuations. Only a
 * reader overtaken by a whole upsert misses one, sees chunk 0 changed, and
 * starts again. The price: an upsert of a k-chunk record needs k-1 free
 * slots beyond the record's own.
 *
 * Generations
 * -----------
 * Each insert takes the next value of a table-wide serial and stores it as
 * the generation of every slot it writes; removes and repairs take one too.
 * So a slot's generation strictly increases with every write (until the
 * 32-bit serial wraps, after 4 billion writes; a consume_use handle kept
 * that long is not a realistic concern), and every chunk of one record
 * shares one generation. Readers use the second property as a record tag:
 * a continuation counts only if its generation is its chunk 0's; one of
 * another generation belongs to another version of the record (an upsert
 * or an eviction went on meanwhile), and is never spliced in.
 *
 * Probing
 * -------
 * Linear probing from the chunk's home slot over at most
 * BEARER_TABLE_PROBE_WINDOW slots (fewer if the table is smaller), wrapping
 * at the end. A lookup stops at an EMPTY slot. Slots never return to EMPTY
 * except by tombstone trimming in remove (see trim_tombstones), so the
 * invariant "every slot between a live entry's home and the entry is
 * non-empty" holds and a lookup never stops short of an entry.
 *
 * A writer that dies mid-write
 * ----------------------------
 * leaves a slot with an odd seq. Readers give up on it after
 * SEQ_SPINS + SEQ_YIELDS tries and report BUSY (the caller answers 503, not 401: the token
 * may be good). Every write names its slot in the header first
 * (header.writing), so the next writer, whatever it writes, repairs that
 * slot before anything else (repair_unfinished_write); a writer that
 * probes across an odd slot repairs it too. Either way the writer holds
 * the writers' lock, so an odd seq cannot belong to a writer still
 * running; the slot's contents are half-written and untrustworthy, so it
 * becomes REMOVED (a tombstone: chains through it stay intact) with a new
 * generation and an even seq. This relies on the caller's lock really
 * excluding every other writer, including children of an older generation
 * still finishing requests after a graceful restart.
 */

#define TABLE_MAGIC          UINT64_C(0x314c425452524542) /* "BERRTBL1" LE */
#define TABLE_LAYOUT_VERSION 1u
#define TABLE_ALIGN          64u
#define TABLE_STRIPES        16u
#define TABLE_HEADER_BYTES   ((2u + TABLE_STRIPES) * 64u)

#define SLOT_WORDS      (BEARER_TABLE_SLOT_SIZE / 8)
#define SLOT_HDR_WORDS  8
#define SLOT_PAYLOAD    ((SLOT_WORDS - SLOT_HDR_WORDS) * 8)

#define SLOT_EMPTY      0u     /* never written since format (or trimmed) */
#define SLOT_LIVE       1u
#define SLOT_REMOVED    2u     /* tombstone: free, but probes go on past it */

/* Records are at most this long. Sealed entries are about 5.4 KiB
 * (BEARER_ENTRY_SEALED_MAX); the cap keeps the per-insert slot list on the
 * stack small and bounds what one insert can occupy (86 slots). */
#define TABLE_MAX_RECORD   16384u
#define TABLE_MAX_CHUNKS   ((TABLE_MAX_RECORD + SLOT_PAYLOAD - 1) / SLOT_PAYLOAD)

/* A reader spins this long on a slot whose seq is odd or moving: a writer
 * rewrites a slot in well under a microsecond, so running out means it was
 * descheduled or died in there. Then it yields the CPU a few times, for
 * the descheduled writer's sake on a loaded machine (a system call, but
 * only on this rare path), and after that reports BUSY. */
#define SEQ_SPINS          100
#define SEQ_YIELDS         4
/* How many times a lookup starts again after its chunk 0 changed while it
 * was reading the continuations (an upsert or remove overtook it). */
#define RECORD_RETRIES     8

typedef struct {
    uint64_t hits;
    uint64_t misses;
    uint64_t other;            /* BUSY and TOO_BIG answers */
    uint64_t pad[5];
} __attribute__((aligned(64))) stripe_t;

typedef struct {
    /* line 0: identity, written by format only */
    uint64_t magic;
    uint32_t version;
    uint32_t nslots;
    uint32_t slot_size;
    uint32_t header_size;
    uint64_t pad0[5];
    /* line 1: only writers (holding the lock) modify these */
    uint64_t inserts __attribute__((aligned(64)));
    uint64_t full;
    uint64_t removes;
    uint32_t used_slots;
    uint32_t serial;           /* last generation handed out */
    uint32_t writing;          /* slot + 1 a writer is inside, 0 = none */
    uint32_t pad1a;
    uint64_t pad1[3];
    /* lines 2..: readers' counters */
    stripe_t stripes[TABLE_STRIPES];
} table_header_t;

_Static_assert(sizeof(table_header_t) == TABLE_HEADER_BYTES,
               "table header is not the size drawn above");
_Static_assert(SLOT_PAYLOAD == 192, "slot payload is not the size drawn above");
_Static_assert(TABLE_MAX_RECORD <= 0xffffu, "total_len is a 16-bit field");

/* ---- word 0 / word 1 / word 7 packing ---------------------------------- */

#define SEQ_MASK  UINT64_C(0xffffffff)

static uint64_t pack_word0(uint32_t seq, uint32_t chunk, unsigned state,
                           int evictable)
{
    return (uint64_t)seq | ((uint64_t)(chunk & 0xffffu) << 32)
           | ((uint64_t)(state & 0xffu) << 48)
           | ((uint64_t)(evictable ? 1u : 0u) << 56);
}

static uint32_t w0_seq(uint64_t w)       { return (uint32_t)w; }
static uint32_t w0_chunk(uint64_t w)     { return (uint32_t)(w >> 32) & 0xffffu; }
static unsigned w0_state(uint64_t w)     { return (unsigned)(w >> 48) & 0xffu; }
static int w0_evictable(uint64_t w)      { return (int)(w >> 56) & 1; }

static uint64_t pack_uses(uint32_t generation, uint32_t uses_left)
{
    return ((uint64_t)generation << 32) | uses_left;
}

static uint32_t uses_generation(uint64_t w) { return (uint32_t)(w >> 32); }
static uint32_t uses_left_of(uint64_t w)    { return (uint32_t)w; }

static uint64_t pack_word7(uint32_t max_uses, uint32_t total_len,
                           uint32_t chunk_len)
{
    return (uint64_t)max_uses | ((uint64_t)(total_len & 0xffffu) << 32)
           | ((uint64_t)(chunk_len & 0xffffu) << 48);
}

static uint32_t w7_max_uses(uint64_t w)  { return (uint32_t)w; }
static uint32_t w7_total_len(uint64_t w) { return (uint32_t)(w >> 32) & 0xffffu; }
static uint32_t w7_chunk_len(uint64_t w) { return (uint32_t)(w >> 48) & 0xffffu; }

/* ---- small helpers ------------------------------------------------------ */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

static void *align_up(void *mem)
{
    uintptr_t p = (uintptr_t)mem;

    return (void *)((p + (TABLE_ALIGN - 1)) & ~(uintptr_t)(TABLE_ALIGN - 1));
}

static table_header_t *header_of(const bearer_table_t *t)
{
    return (table_header_t *)t->base;
}

static uint64_t *slot_at(const bearer_table_t *t, uint32_t idx)
{
    return (uint64_t *)t->base + TABLE_HEADER_BYTES / 8
           + (size_t)idx * SLOT_WORDS;
}

static uint32_t window_of(const bearer_table_t *t)
{
    return t->nslots < BEARER_TABLE_PROBE_WINDOW ? t->nslots
                                                 : BEARER_TABLE_PROBE_WINDOW;
}

static uint32_t next_slot(const bearer_table_t *t, uint32_t idx)
{
    return idx + 1 == t->nslots ? 0 : idx + 1;
}

static uint32_t prev_slot(const bearer_table_t *t, uint32_t idx)
{
    return idx == 0 ? t->nslots - 1 : idx - 1;
}

static uint32_t chunks_for(uint32_t total_len)
{
    return total_len == 0 ? 1 : (total_len + SLOT_PAYLOAD - 1) / SLOT_PAYLOAD;
}

static uint32_t chunk_len_for(uint32_t total_len, uint32_t chunk)
{
    uint32_t off = chunk * SLOT_PAYLOAD;

    if (off >= total_len) {
        return 0;
    }
    return total_len - off < SLOT_PAYLOAD ? total_len - off : SLOT_PAYLOAD;
}

/*
 * Real ids are HMAC output, so their first 8 bytes would do as a hash on
 * their own; the mixing is there to give each chunk number an independent
 * home slot, and so that ids which are not random (tests, a future id
 * scheme) do not pile up in one window.
 */
static uint64_t chunk_hash(const bearer_table_key_t *key, uint32_t chunk)
{
    uint64_t id, ns;

    memcpy(&id, key->id, sizeof(id));
    memcpy(&ns, key->ns, sizeof(ns));
    return bearer_mix64(id ^ bearer_mix64(ns + chunk));
}

static uint32_t home_slot(const bearer_table_t *t, uint64_t hash)
{
    /* multiply-shift maps the high 32 bits onto [0, nslots) without '%' */
    return (uint32_t)(((hash >> 32) * (uint64_t)t->nslots) >> 32);
}

/* ---- reading a slot ----------------------------------------------------- */

/*
 * Seqlock read of the first nwords words of a slot into copy. Returns 0 on
 * a consistent copy, -1 if the slot stayed odd or kept changing.
 */
static int snapshot_slot(const uint64_t *slot, uint64_t *copy,
                         unsigned nwords)
{
    int tries;
    unsigned i;

    for (tries = 0; tries < SEQ_SPINS + SEQ_YIELDS; tries++) {
        uint64_t w0;

        if (tries >= SEQ_SPINS) {
            sched_yield();
        }
        w0 = __atomic_load_n(&slot[0], __ATOMIC_ACQUIRE);
        if (w0_seq(w0) & 1) {
            cpu_relax();
            continue;
        }
        copy[0] = w0;
        for (i = 1; i < nwords; i++) {
            copy[i] = __atomic_load_n(&slot[i], __ATOMIC_RELAXED);
        }
        /* keeps the loads above from being satisfied after the re-check */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (w0_seq(__atomic_load_n(&slot[0], __ATOMIC_RELAXED))
            == w0_seq(w0)) {
            return 0;
        }
        cpu_relax();
    }
    return -1;
}

/*
 * A writer's read: it holds the writers' lock, so nothing but consume_use's
 * CAS on word 1 changes the slot meanwhile; no retry needed. Atomic only
 * because readers and the CAS may touch the same words.
 */
static void read_slot_locked(const uint64_t *slot, uint64_t *copy,
                             unsigned nwords)
{
    unsigned i;

    for (i = 0; i < nwords; i++) {
        copy[i] = __atomic_load_n(&slot[i], __ATOMIC_RELAXED);
    }
}

static int key_matches(const uint64_t *copy, const bearer_table_key_t *key,
                       uint32_t chunk)
{
    return w0_chunk(copy[0]) == chunk
           && memcmp(&copy[2], key->ns, sizeof(key->ns)) == 0
           && memcmp(&copy[3], key->id, sizeof(key->id)) == 0;
}

static int expired_at(const uint64_t *copy, int64_t now)
{
    return (int64_t)copy[5] <= now;
}

/* ---- writing a slot ----------------------------------------------------- */

/*
 * Seqlock write of words 0..nwords-1 of image into a slot (the seq bits of
 * image[0] are ignored). A slot found odd was abandoned by a dead writer:
 * it is left odd while we write and made even at the end, which is the
 * repair.
 */
#ifdef BEARER_FAULT_INJECTION
void (*bearer_table_fault_hook)(uint32_t idx);
#define FAULT_POINT(idx)                                                    \
    do {                                                                    \
        if (bearer_table_fault_hook) {                                      \
            bearer_table_fault_hook(idx);                                   \
        }                                                                   \
    } while (0)
#else
#define FAULT_POINT(idx) do { } while (0)
#endif

static void write_slot(const bearer_table_t *t, uint32_t idx,
                       const uint64_t *image, unsigned nwords)
{
    uint64_t *slot = slot_at(t, idx);
    uint64_t w0 = __atomic_load_n(&slot[0], __ATOMIC_RELAXED);
    uint32_t seq = w0_seq(w0);
    unsigned i;

    /* for the next writer, should this one die before the end */
    __atomic_store_n(&header_of(t)->writing, idx + 1, __ATOMIC_RELAXED);
    if (!(seq & 1)) {
        seq++;
        __atomic_store_n(&slot[0], (w0 & ~SEQ_MASK) | seq, __ATOMIC_RELAXED);
    }
    /* the odd seq becomes visible before any of the stores below */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    FAULT_POINT(idx);       /* test builds: a writer dies here */
    for (i = 1; i < nwords; i++) {
        __atomic_store_n(&slot[i], image[i], __ATOMIC_RELAXED);
    }
    seq++;
    __atomic_store_n(&slot[0], (image[0] & ~SEQ_MASK) | seq,
                     __ATOMIC_RELEASE);
    __atomic_store_n(&header_of(t)->writing, 0, __ATOMIC_RELAXED);
}

static uint32_t next_generation(table_header_t *h)
{
    /* writers only (serialised), atomic so that stats readers don't race */
    return __atomic_add_fetch(&h->serial, 1, __ATOMIC_RELAXED);
}

static void count_used(table_header_t *h, int delta)
{
    __atomic_add_fetch(&h->used_slots, (uint32_t)delta, __ATOMIC_RELAXED);
}

/* Turns a slot into a tombstone (remove, or repair of a stuck slot). */
static void mark_removed(const bearer_table_t *t, uint32_t idx)
{
    const uint64_t *slot = slot_at(t, idx);
    uint64_t image[2];
    uint64_t w0 = __atomic_load_n(&slot[0], __ATOMIC_RELAXED);

    if (w0_state(w0) == SLOT_LIVE) {
        count_used(header_of(t), -1);
    }
    image[0] = pack_word0(0, w0_chunk(w0), SLOT_REMOVED, 0);
    image[1] = pack_uses(next_generation(header_of(t)), 0);
    write_slot(t, idx, image, 2);
}

/*
 * Writer's read of a slot's header line, repairing it first if a dead
 * writer left it odd (see "A writer that dies mid-write" above).
 */
static void read_header_repairing(const bearer_table_t *t, uint32_t idx,
                                  uint64_t *copy)
{
    const uint64_t *slot = slot_at(t, idx);

    read_slot_locked(slot, copy, SLOT_HDR_WORDS);
    if (w0_seq(copy[0]) & 1) {
        mark_removed(t, idx);
        read_slot_locked(slot, copy, SLOT_HDR_WORDS);
    }
}

/*
 * A writer killed inside write_slot (a SIGKILLed child) left that slot with
 * an odd counter, and the header says which slot. The writers' lock has
 * passed to us, so that writer is gone: repair its slot now, whatever this
 * write is about, rather than only when some later probe crosses it (until
 * then every lookup whose probe crosses it and misses would answer BUSY).
 */
static void repair_unfinished_write(const bearer_table_t *t)
{
    table_header_t *h = header_of(t);
    uint32_t pending = __atomic_load_n(&h->writing, __ATOMIC_RELAXED);
    uint64_t copy[1];

    if (pending == 0) {
        return;
    }
    if (pending <= t->nslots) {
        read_slot_locked(slot_at(t, pending - 1), copy, 1);
        if (w0_seq(copy[0]) & 1) {
            mark_removed(t, pending - 1);
        }
    }
    __atomic_store_n(&h->writing, 0, __ATOMIC_RELAXED);
}

/*
 * A tombstone directly followed by an EMPTY slot is on no probe chain: a
 * live entry's chain is a run of non-empty slots ending at the entry, and
 * a run through this slot would have to go on through the EMPTY one. So
 * it can become EMPTY itself, and so can the tombstones before it. This
 * keeps misses short in a table that sees many removes.
 */
static void trim_tombstones(const bearer_table_t *t, uint32_t idx)
{
    uint64_t copy[1];
    uint64_t image[2];
    uint32_t i;

    read_slot_locked(slot_at(t, next_slot(t, idx)), copy, 1);
    if (w0_state(copy[0]) != SLOT_EMPTY || (w0_seq(copy[0]) & 1)) {
        return;
    }
    for (i = 0; i < t->nslots; i++, idx = prev_slot(t, idx)) {
        read_slot_locked(slot_at(t, idx), copy, 1);
        if (w0_state(copy[0]) != SLOT_REMOVED || (w0_seq(copy[0]) & 1)) {
            break;
        }
        image[0] = pack_word0(0, 0, SLOT_EMPTY, 0);
        image[1] = pack_uses(next_generation(header_of(t)), 0);
        write_slot(t, idx, image, 2);
    }
}

/*
 * Writer: finds a slot holding (key, chunk) in state LIVE, expired or not,
 * and not of generation keep (pass 0 to keep none: no write has
 * generation 0). Returns 1 and sets *idx_out if there is one.
 */
static int find_locked(const bearer_table_t *t, const bearer_table_key_t *key,
                       uint32_t chunk, uint32_t keep, uint32_t *idx_out,
                       uint64_t *copy)
{
    uint32_t win = window_of(t);
    uint32_t idx = home_slot(t, chunk_hash(key, chunk));
    uint32_t i;

    for (i = 0; i < win; i++, idx = next_slot(t, idx)) {
        read_header_repairing(t, idx, copy);
        if (w0_state(copy[0]) == SLOT_EMPTY) {
            break;
        }
        if (w0_state(copy[0]) == SLOT_LIVE && key_matches(copy, key, chunk)
            && (keep == 0 || uses_generation(copy[1]) != keep)) {
            *idx_out = idx;
            return 1;
        }
    }
    return 0;
}

/* Writer: removes every live (key, chunk) but those of generation keep
 * (0: all). Several only after a crash mid-upsert; the loop ends because
 * each pass turns one slot into a tombstone. */
static void remove_chunk(const bearer_table_t *t, const bearer_table_key_t *key,
                         uint32_t chunk, uint32_t keep)
{
    uint64_t copy[SLOT_HDR_WORDS];
    uint32_t idx;

    while (find_locked(t, key, chunk, keep, &idx, copy)) {
        mark_removed(t, idx);
        trim_tombstones(t, idx);
    }
}

/* ---- segment ------------------------------------------------------------ */

size_t bearer_table_bytes(uint32_t nslots)
{
    size_t fixed = (size_t)TABLE_HEADER_BYTES + (TABLE_ALIGN - 1);

    if ((SIZE_MAX - fixed) / BEARER_TABLE_SLOT_SIZE < nslots) {
        return SIZE_MAX;    /* cannot exist; creating it will fail loudly */
    }
    return fixed + (size_t)nslots * BEARER_TABLE_SLOT_SIZE;
}

/* Writes the header of a table whose slots are all zero (EMPTY). */
static void write_header(table_header_t *h, uint32_t nslots,
                         bearer_table_t *t)
{
    h->version = TABLE_LAYOUT_VERSION;
    h->nslots = nslots;
    h->slot_size = BEARER_TABLE_SLOT_SIZE;
    h->header_size = TABLE_HEADER_BYTES;
    /* magic last: memory torn by a crash mid-format does not attach */
    __atomic_store_n(&h->magic, TABLE_MAGIC, __ATOMIC_RELEASE);
    t->base = h;
    t->nslots = nslots;
    t->counted_by_caller = 0;
}

void bearer_table_format(void *mem, uint32_t nslots, bearer_table_t *t)
{
    table_header_t *h = align_up(mem);

    /* Nobody else is using the memory yet: plain stores are fine. */
    memset(h, 0, TABLE_HEADER_BYTES + (size_t)nslots * BEARER_TABLE_SLOT_SIZE);
    write_header(h, nslots, t);
}

void bearer_table_format_zeroed(void *mem, uint32_t nslots, bearer_table_t *t)
{
    table_header_t *h = align_up(mem);

    /* Only the header: touching every slot of a large table would commit
     * all its pages at startup, while a fresh mapping is zero already. */
    memset(h, 0, TABLE_HEADER_BYTES);
    write_header(h, nslots, t);
}

bearer_table_status bearer_table_attach(void *mem, size_t bytes,
                                        uint32_t nslots, bearer_table_t *t)
{
    table_header_t *h;

    if (mem == NULL || nslots == 0 || bytes < bearer_table_bytes(nslots)) {
        return BEARER_TABLE_CORRUPT;
    }
    h = align_up(mem);
    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != TABLE_MAGIC
        || h->version != TABLE_LAYOUT_VERSION
        || h->nslots != nslots
        || h->slot_size != BEARER_TABLE_SLOT_SIZE
        || h->header_size != TABLE_HEADER_BYTES) {
        return BEARER_TABLE_CORRUPT;
    }
    t->base = h;
    t->nslots = nslots;
    t->counted_by_caller = 0;
    return BEARER_TABLE_OK;
}

/* ---- lookup ------------------------------------------------------------- */

typedef enum {
    PROBE_FOUND,
    PROBE_MISSING,
    PROBE_BUSY         /* not found, and a slot on the way was unreadable */
} probe_result;

/* A continuation of another generation belongs to another version of the
 * record: it does not match, and the probe goes on past it. */
static int slot_matches(const uint64_t *copy, const bearer_table_key_t *key,
                        uint32_t chunk, int64_t now, int want_generation,
                        uint32_t generation)
{
    return w0_state(copy[0]) == SLOT_LIVE && key_matches(copy, key, chunk)
           && !expired_at(copy, now)
           && (!want_generation || uses_generation(copy[1]) == generation);
}

/*
 * Reader: finds (key, chunk), live and not expired, and copies the whole
 * slot into copy. With want_generation, only a slot of that generation
 * counts (continuations must belong to the chunk 0 already read).
 */
static probe_result find_chunk(const bearer_table_t *t,
                               const bearer_table_key_t *key, uint32_t chunk,
                               int64_t now, int want_generation,
                               uint32_t generation, uint32_t *idx_out,
                               uint64_t *copy)
{
    uint32_t win = window_of(t);
    uint32_t idx = home_slot(t, chunk_hash(key, chunk));
    uint32_t i;
    int busy = 0;

    for (i = 0; i < win; i++, idx = next_slot(t, idx)) {
        const uint64_t *slot = slot_at(t, idx);

        /* Probing past a slot costs one cache line: its header. */
        if (snapshot_slot(slot, copy, SLOT_HDR_WORDS) != 0) {
            busy = 1;
            continue;
        }
        if (w0_state(copy[0]) == SLOT_EMPTY) {
            break;
        }
        if (!slot_matches(copy, key, chunk, now, want_generation,
                          generation)) {
            continue;
        }
        /* Now the whole slot, and check again: it may have changed
         * between the two snapshots. */
        if (snapshot_slot(slot, copy, SLOT_WORDS) != 0) {
            busy = 1;
            continue;
        }
        if (slot_matches(copy, key, chunk, now, want_generation,
                         generation)) {
            *idx_out = idx;
            return PROBE_FOUND;
        }
    }
    return busy ? PROBE_BUSY : PROBE_MISSING;
}

/*
 * One attempt at reading a whole record. Sets *torn when chunk 0 changed
 * while the continuations were being read, so the caller may try again.
 */
static bearer_table_status read_record(const bearer_table_t *t,
                                       const bearer_table_key_t *key,
                                       int64_t now, unsigned char *buf,
                                       size_t cap, size_t *len,
                                       bearer_table_found_t *found, int *torn)
{
    uint64_t copy[SLOT_WORDS];
    uint32_t idx0, idx, generation, total_len, nchunks, chunk, uses;
    uint32_t max_uses;
    int64_t expires_at, stored_at;
    probe_result r;

    *torn = 0;
    r = find_chunk(t, key, 0, now, 0, 0, &idx0, copy);
    if (r == PROBE_BUSY) {
        return BEARER_TABLE_BUSY;
    }
    if (r != PROBE_FOUND) {
        return BEARER_TABLE_MISSING;
    }
    generation = uses_generation(copy[1]);
    uses = uses_left_of(copy[1]);
    max_uses = w7_max_uses(copy[7]);
    total_len = w7_total_len(copy[7]);
    expires_at = (int64_t)copy[5];
    stored_at = (int64_t)copy[6];
    if (max_uses > 0 && uses == 0) {
        return BEARER_TABLE_MISSING;
    }
    if (w7_chunk_len(copy[7]) != chunk_len_for(total_len, 0)) {
        return BEARER_TABLE_MISSING;   /* not something insert wrote */
    }
    if (total_len > cap) {
        *len = total_len;              /* tells the caller what it needs */
        return BEARER_TABLE_TOO_BIG;
    }
    memcpy(buf, &copy[SLOT_HDR_WORDS], chunk_len_for(total_len, 0));

    nchunks = chunks_for(total_len);
    for (chunk = 1; chunk < nchunks; chunk++) {
        uint32_t clen = chunk_len_for(total_len, chunk);

        r = find_chunk(t, key, chunk, now, 1, generation, &idx, copy);
        if (r == PROBE_BUSY) {
            return BEARER_TABLE_BUSY;
        }
        if (r == PROBE_MISSING) {
            /* Evicted, or chunk 0 changed since we read it (an upsert or
             * remove overtook us, and took this version's continuations
             * away): only the first is a real miss. */
            if (snapshot_slot(slot_at(t, idx0), copy, SLOT_HDR_WORDS) != 0) {
                return BEARER_TABLE_BUSY;
            }
            if (w0_state(copy[0]) != SLOT_LIVE
                || uses_generation(copy[1]) != generation) {
                *torn = 1;
                return BEARER_TABLE_BUSY;
            }
            return BEARER_TABLE_MISSING;
        }
        if (w7_total_len(copy[7]) != total_len
            || w7_chunk_len(copy[7]) != clen) {
            return BEARER_TABLE_MISSING;   /* not something insert wrote */
        }
        memcpy(buf + (size_t)chunk * SLOT_PAYLOAD, &copy[SLOT_HDR_WORDS],
               clen);
    }

    *len = total_len;
    if (found != NULL) {
        found->expires_at = expires_at;
        found->stored_at = stored_at;
        found->max_uses = max_uses;
        found->uses_left = uses;
        found->slot = idx0;
        found->generation = generation;
    }
    return BEARER_TABLE_OK;
}

bearer_table_status bearer_table_lookup(const bearer_table_t *t,
                                        const bearer_table_key_t *key,
                                        int64_t now,
                                        unsigned char *buf, size_t cap,
                                        size_t *len,
                                        bearer_table_found_t *found)
{
    stripe_t *stripe;
    bearer_table_status st;
    int attempt, torn;

    if (t->nslots == 0) {
        return BEARER_TABLE_MISSING;
    }
    for (attempt = 0; ; attempt++) {
        st = read_record(t, key, now, buf, cap, len, found, &torn);
        if (!torn || attempt == RECORD_RETRIES) {
            break;
        }
        cpu_relax();
    }

    if (t->counted_by_caller) {
        return st;             /* nothing written on the reader's path */
    }
    /* One relaxed add on a line chosen by the key: a lookup of one token
     * never writes to a line that readers of other tokens in other
     * stripes are using (but every reader of that token does). */
    stripe = &header_of(t)->stripes[chunk_hash(key, 0) & (TABLE_STRIPES - 1)];
    if (st == BEARER_TABLE_OK) {
        __atomic_add_fetch(&stripe->hits, 1, __ATOMIC_RELAXED);
    }
    else if (st == BEARER_TABLE_MISSING) {
        __atomic_add_fetch(&stripe->misses, 1, __ATOMIC_RELAXED);
    }
    else {
        __atomic_add_fetch(&stripe->other, 1, __ATOMIC_RELAXED);
    }
    return st;
}

/* ---- uses --------------------------------------------------------------- */

bearer_table_status bearer_table_consume_use(const bearer_table_t *t,
                                             uint32_t slot,
                                             uint32_t generation)
{
    uint64_t copy[SLOT_HDR_WORDS];
    uint64_t *s;
    uint64_t w;

    if (slot >= t->nslots) {
        return BEARER_TABLE_MISSING;
    }
    s = slot_at(t, slot);
    /* state, chunk and max_uses must be read consistently with the
     * generation in word 1: a seqlock read gives that */
    if (snapshot_slot(s, copy, SLOT_HDR_WORDS) != 0) {
        return BEARER_TABLE_BUSY;
    }
    w = copy[1];
    if (w0_state(copy[0]) != SLOT_LIVE || w0_chunk(copy[0]) != 0
        || uses_generation(w) != generation) {
        return BEARER_TABLE_MISSING;
    }
    if (w7_max_uses(copy[7]) == 0) {
        return BEARER_TABLE_OK;        /* unlimited: nothing to count */
    }
    /* Every writer of the slot changes the generation, so a CAS that sees
     * the same generation knows the entry it decrements is the one read
     * above. */
    for (;;) {
        if (uses_left_of(w) == 0) {
            return BEARER_TABLE_EXHAUSTED;
        }
        if (__atomic_compare_exchange_n(&s[1], &w, w - 1, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return BEARER_TABLE_OK;
        }
        if (uses_generation(w) != generation) {
            return BEARER_TABLE_MISSING;
        }
    }
}

/* ---- insert ------------------------------------------------------------- */

static int slot_taken(const uint32_t *taken, uint32_t ntaken, uint32_t idx)
{
    uint32_t i;

    for (i = 0; i < ntaken; i++) {
        if (taken[i] == idx) {
            return 1;
        }
    }
    return 0;
}

/*
 * Picks the slot chunk `chunk` of key will go to, without writing anything
 * (except repairing stuck slots). In order of preference: for chunk 0, the
 * slot already holding (key, 0), so that an upsert switches versions in
 * one slot and never leaves two chunk 0s; the first free slot (empty,
 * tombstone, or expired); else the live evictable entry (a fleet-mode
 * cache copy) that expires first, whatever kind of insert this is: a
 * cache copy is worth less than any entry of record, and several virtual
 * hosts (embedded and fleet) share the one table. A live continuation of this key's current
 * version counts as any other live entry: it stays until chunk 0 has
 * switched (see "Records and chunks"). Slots already picked for other
 * chunks of this insert are skipped: they will be live when the insert is
 * done, so probes may pass them.
 */
static int choose_slot(const bearer_table_t *t, const bearer_table_key_t *key,
                       uint32_t chunk, int64_t now, int evictable,
                       const uint32_t *taken, uint32_t ntaken,
                       uint32_t *idx_out)
{
    uint64_t copy[SLOT_HDR_WORDS];
    uint32_t win = window_of(t);
    uint32_t idx = home_slot(t, chunk_hash(key, chunk));
    uint32_t i, free_idx = 0, victim_idx = 0;
    int have_free = 0, have_victim = 0;
    int64_t victim_expires = 0;

    for (i = 0; i < win; i++, idx = next_slot(t, idx)) {
        unsigned state;

        if (slot_taken(taken, ntaken, idx)) {
            continue;
        }
        read_header_repairing(t, idx, copy);
        state = w0_state(copy[0]);
        if (chunk == 0 && state == SLOT_LIVE && key_matches(copy, key, 0)) {
            *idx_out = idx;
            return 1;
        }
        if (state != SLOT_LIVE || expired_at(copy, now)) {
            if (!have_free) {
                free_idx = idx;
                have_free = 1;
            }
            if (state == SLOT_EMPTY) {
                break;      /* no (key, 0) can live beyond this */
            }
            continue;
        }
        if (w0_evictable(copy[0])
            && (!have_victim || (int64_t)copy[5] < victim_expires)) {
            victim_idx = idx;
            victim_expires = (int64_t)copy[5];
            have_victim = 1;
        }
    }
    if (have_free) {
        *idx_out = free_idx;
        return 1;
    }
    if (have_victim) {
        *idx_out = victim_idx;
        return 1;
    }
    return 0;
}

bearer_table_status bearer_table_insert(const bearer_table_t *t,
                                        const bearer_table_key_t *key,
                                        int64_t now, int64_t expires_at,
                                        uint32_t max_uses, uint32_t uses_left,
                                        int evictable,
                                        const unsigned char *rec, size_t len)
{
    table_header_t *h = header_of(t);
    uint32_t taken[TABLE_MAX_CHUNKS];
    uint64_t image[SLOT_WORDS];
    uint64_t copy[SLOT_HDR_WORDS];
    uint32_t nchunks, old_nchunks = 0, generation, chunk;

    if (len > TABLE_MAX_RECORD) {
        return BEARER_TABLE_TOO_BIG;
    }
    if (t->nslots == 0) {
        return BEARER_TABLE_FULL;
    }
    repair_unfinished_write(t);
    nchunks = chunks_for((uint32_t)len);

    /* Every slot first, so that FULL leaves the table as it was. */
    for (chunk = 0; chunk < nchunks; chunk++) {
        if (!choose_slot(t, key, chunk, now, evictable, taken, chunk,
                         &taken[chunk])) {
            __atomic_add_fetch(&h->full, 1, __ATOMIC_RELAXED);
            return BEARER_TABLE_FULL;
        }
    }

    /* An older version of this record: its continuations go afterwards. */
    read_slot_locked(slot_at(t, taken[0]), copy, SLOT_HDR_WORDS);
    if (w0_state(copy[0]) == SLOT_LIVE && key_matches(copy, key, 0)) {
        old_nchunks = chunks_for(w7_total_len(copy[7]));
    }

    generation = next_generation(h);
    if (max_uses == 0) {
        uses_left = 0;
    }
    /* Continuations first, chunk 0 last: see "Records and chunks". */
    for (chunk = nchunks; chunk-- > 0; ) {
        uint32_t clen = chunk_len_for((uint32_t)len, chunk);
        const uint64_t *slot = slot_at(t, taken[chunk]);

        memset(image, 0, sizeof(image));
        image[0] = pack_word0(0, chunk, SLOT_LIVE, evictable);
        image[1] = pack_uses(generation, chunk == 0 ? uses_left : 0);
        memcpy(&image[2], key->ns, sizeof(key->ns));
        memcpy(&image[3], key->id, sizeof(key->id));
        image[5] = (uint64_t)expires_at;
        image[6] = (uint64_t)now;
        image[7] = pack_word7(max_uses, (uint32_t)len, clen);
        if (clen > 0) {
            memcpy(&image[SLOT_HDR_WORDS], rec + (size_t)chunk * SLOT_PAYLOAD,
                   clen);
        }
        if (w0_state(__atomic_load_n(&slot[0], __ATOMIC_RELAXED))
            != SLOT_LIVE) {
            count_used(h, 1);
        }
        write_slot(t, taken[chunk], image, SLOT_WORDS);
    }

    for (chunk = 1; chunk < old_nchunks; chunk++) {
        remove_chunk(t, key, chunk, generation);
    }
    __atomic_add_fetch(&h->inserts, 1, __ATOMIC_RELAXED);
    return BEARER_TABLE_OK;
}

/* ---- remove ------------------------------------------------------------- */

bearer_table_status bearer_table_remove(const bearer_table_t *t,
                                        const bearer_table_key_t *key,
                                        int64_t now)
{
    uint64_t copy[SLOT_HDR_WORDS];
    uint32_t idx, chunk, nchunks;
    int live;

    if (t->nslots == 0) {
        return BEARER_TABLE_MISSING;
    }
    repair_unfinished_write(t);
    if (!find_locked(t, key, 0, 0, &idx, copy)) {
        return BEARER_TABLE_MISSING;
    }
    /* "live" as lookup means it; a dead entry is cleared all the same */
    live = !expired_at(copy, now)
           && !(w7_max_uses(copy[7]) > 0 && uses_left_of(copy[1]) == 0);
    nchunks = chunks_for(w7_total_len(copy[7]));

    /* Chunk 0 first: from here on readers see MISSING. */
    mark_removed(t, idx);
    trim_tombstones(t, idx);
    for (chunk = 1; chunk < nchunks; chunk++) {
        remove_chunk(t, key, chunk, 0);
    }
    if (!live) {
        return BEARER_TABLE_MISSING;
    }
    __atomic_add_fetch(&header_of(t)->removes, 1, __ATOMIC_RELAXED);
    return BEARER_TABLE_OK;
}

/* ---- statistics --------------------------------------------------------- */

void bearer_table_stats(const bearer_table_t *t, bearer_table_stats_t *out)
{
    table_header_t *h = header_of(t);
    unsigned i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < TABLE_STRIPES; i++) {
        uint64_t hits = __atomic_load_n(&h->stripes[i].hits, __ATOMIC_RELAXED);
        uint64_t misses = __atomic_load_n(&h->stripes[i].misses,
                                          __ATOMIC_RELAXED);
        uint64_t other = __atomic_load_n(&h->stripes[i].other,
                                         __ATOMIC_RELAXED);

        out->hits += hits;
        out->misses += misses;
        out->lookups += hits + misses + other;
    }
    out->inserts = __atomic_load_n(&h->inserts, __ATOMIC_RELAXED);
    out->full = __atomic_load_n(&h->full, __ATOMIC_RELAXED);
    out->removes = __atomic_load_n(&h->removes, __ATOMIC_RELAXED);
    out->used_slots = __atomic_load_n(&h->used_slots, __ATOMIC_RELAXED);
    out->nslots = t->nslots;
}
