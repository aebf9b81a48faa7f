/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/table.c - the shared-memory token table (mod_bearer/core/table.c) under
 * a fuzzed sequence of operations, over sane and over corrupted memory.
 *
 * Input: byte 0 chooses the table size and the mode; the rest is a
 * program, a few bytes per operation: insert, remove, lookup, take a use,
 * let time pass, a writer dying mid-write (a slot left with an odd
 * sequence counter, as a SIGKILLed child leaves it), and, in the corrupt
 * mode, arbitrary bytes written anywhere in the segment.
 *
 * Invariants, against a model (a map from key to record) while the memory
 * is only ever changed by the table itself and by dead writers:
 *  - a lookup of a key the model holds live returns exactly the record
 *    last inserted, its expiry and uses; of a key the model does not hold,
 *    MISSING (or BUSY once a writer has died: a reader cannot tell a dead
 *    writer's slot from a live one's);
 *  - a dead writer, an eviction of a cache copy or FULL never make a
 *    lookup return another record's bytes or a torn record: at worst the
 *    affected keys read MISSING/BUSY until they are written again;
 *  - take-a-use never goes below zero nor takes more uses than max_uses;
 *  - attach accepts the segment it formatted, and the statistics stay
 *    within the table's size.
 * Over corrupted memory: attach either refuses (CORRUPT) or every
 * operation stays inside the segment (AddressSanitizer), terminates, and
 * returns one of its documented statuses with lengths within the caller's
 * buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bearer_table.h"
#include "fuzz.h"

#define NKEYS      8
#define REC_MAX    17000          /* a little over the table's 16384 */
#define HDR_BYTES  1152           /* table.c's header, for corruption only */

typedef struct {
    int live;                     /* the model says: stored, not removed */
    int uncertain;                /* a dead writer may have destroyed it */
    int may_be_missing;           /* an eviction may have taken it */
    int evictable;
    int64_t expires_at;
    uint32_t max_uses, uses_left;
    size_t len;
    uint32_t version;
} model_entry;

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static unsigned byte(input *in)
{
    unsigned b;

    if (in->n == 0) {
        return 0;
    }
    b = *in->p++;
    in->n--;
    return b;
}

static void fill_record(unsigned char *rec, size_t len, unsigned key,
                        uint32_t version)
{
    size_t i;

    for (i = 0; i < len; i++) {
        rec[i] = (unsigned char)(key * 37u + version * 11u + i * 7u
                                 + (i >> 8));
    }
}

static void make_key(bearer_table_key_t *k, unsigned key, unsigned ns)
{
    memset(k, 0, sizeof(*k));
    memset(k->ns, (int)(0x40 + ns), sizeof(k->ns));
    /* deliberately close ids: the table must spread them itself */
    k->id[0] = (unsigned char)key;
    k->id[15] = (unsigned char)(key * 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char rec[REC_MAX], buf[REC_MAX], want[REC_MAX];
    static const uint32_t sizes[] = { 1, 7, 64, 300, 1024 };
    model_entry model[NKEYS];
    input in = { data, size };
    uint32_t nslots;
    size_t bytes;
    void *mem;
    bearer_table_t t, t2;
    int corrupt_mode, corrupted = 0, writer_died = 0, ops = 0;
    int64_t now = 1000;
    unsigned mode;

    if (size < 1) {
        return 0;
    }
    mode = byte(&in);
    nslots = sizes[mode % 5];
    corrupt_mode = (mode / 5) % 2;
    bytes = bearer_table_bytes(nslots);
    mem = malloc(bytes);
    FUZZ_CHECK(mem != NULL);
    /* garbage first: format must not depend on the memory's content */
    memset(mem, 0xA5, bytes);
    bearer_table_format(mem, nslots, &t);
    FUZZ_CHECK(bearer_table_attach(mem, bytes, nslots, &t2)
               == BEARER_TABLE_OK);
    FUZZ_CHECK(t2.base == t.base && t2.nslots == nslots);
    FUZZ_CHECK(bearer_table_attach(mem, bytes, nslots + 1, &t2)
               == BEARER_TABLE_CORRUPT);
    FUZZ_CHECK((unsigned char *)t.base >= (unsigned char *)mem
               && (unsigned char *)t.base + HDR_BYTES
                  + (size_t)nslots * BEARER_TABLE_SLOT_SIZE
                  <= (unsigned char *)mem + bytes);
    memset(model, 0, sizeof(model));

    while (in.n > 0 && ops++ < 200) {
        unsigned op = byte(&in);
        unsigned k = byte(&in) % NKEYS;
        bearer_table_key_t key;
        model_entry *m = &model[k];
        bearer_table_found_t found;
        bearer_table_status st;
        size_t len = 0, cap;

        make_key(&key, k, (op >> 7) & corrupt_mode);
        if ((op >> 7) & corrupt_mode) {
            /* another namespace: never the model's keys */
            m = NULL;
        }

        switch (op % 8) {
        case 0: case 1: {        /* insert (upsert) */
            unsigned lo = byte(&in), hi = byte(&in), ttl = byte(&in);
            unsigned uses = byte(&in);
            size_t rlen = ((hi << 8) | lo) % (op & 0x40 ? REC_MAX : 1200);
            uint32_t max_uses = uses % 4;
            int evictable = (uses >> 4) & 1;
            uint32_t version = m ? m->version + 1 : 0;

            fill_record(rec, rlen, k, version);
            st = bearer_table_insert(&t, &key, now, now + (int64_t)ttl,
                                     max_uses, max_uses, evictable, rec, rlen);
            FUZZ_CHECK(st == BEARER_TABLE_OK || st == BEARER_TABLE_FULL
                       || st == BEARER_TABLE_TOO_BIG);
            if (rlen > 16384) {
                FUZZ_CHECK(st == BEARER_TABLE_TOO_BIG);
            }
            /* any insert may take a cache copy's (evictable) slot */
            if (st == BEARER_TABLE_OK) {
                unsigned j;
                for (j = 0; j < NKEYS; j++) {
                    if (model[j].live && model[j].evictable) {
                        model[j].may_be_missing = 1;
                    }
                }
            }
            if (m && st == BEARER_TABLE_OK) {
                m->live = 1;
                m->uncertain = 0;
                m->may_be_missing = 0;
                m->evictable = evictable;
                m->expires_at = now + (int64_t)ttl;
                m->max_uses = max_uses;
                m->uses_left = max_uses;
                m->len = rlen;
                m->version = version;
            }
            break;
        }
        case 2: {                /* remove */
            int was_live = m && m->live && !m->uncertain && !m->may_be_missing
                           && m->expires_at > now
                           && !(m->max_uses > 0 && m->uses_left == 0);

            st = bearer_table_remove(&t, &key, now);
            FUZZ_CHECK(st == BEARER_TABLE_OK || st == BEARER_TABLE_MISSING);
            if (m && !corrupted) {
                if (was_live) {
                    FUZZ_CHECK(st == BEARER_TABLE_OK);
                }
                else if (!m->live) {
                    FUZZ_CHECK(st == BEARER_TABLE_MISSING);
                }
                m->live = 0;
                m->uncertain = 0;
                m->may_be_missing = 0;
            }
            break;
        }
        case 3: case 4: {        /* lookup, then maybe take a use */
            cap = (op & 0x20) ? 512 : REC_MAX;
            memset(&found, 0, sizeof(found));
            st = bearer_table_lookup(&t, &key, now, buf, cap, &len, &found);
            FUZZ_CHECK(st == BEARER_TABLE_OK || st == BEARER_TABLE_MISSING
                       || st == BEARER_TABLE_TOO_BIG
                       || st == BEARER_TABLE_BUSY);
            if (st == BEARER_TABLE_OK) {
                FUZZ_CHECK(len <= cap);
                FUZZ_CHECK(found.slot < nslots);
            }
            if (st == BEARER_TABLE_TOO_BIG) {
                FUZZ_CHECK(len > cap);
            }
            if (m && !corrupted) {
                int present = m->live && m->expires_at > now
                              && !(m->max_uses > 0 && m->uses_left == 0);

                if (st == BEARER_TABLE_OK || st == BEARER_TABLE_TOO_BIG) {
                    /* never anything but the record last written */
                    FUZZ_CHECK(m->live && present);
                    FUZZ_CHECK(len == m->len);
                }
                if (st == BEARER_TABLE_OK) {
                    fill_record(want, m->len, k, m->version);
                    FUZZ_CHECK(memcmp(buf, want, len) == 0);
                    FUZZ_CHECK(found.expires_at == m->expires_at);
                    FUZZ_CHECK(found.max_uses == m->max_uses);
                    FUZZ_CHECK(found.uses_left == m->uses_left);
                }
                if (!m->uncertain && !m->may_be_missing) {
                    if (present) {
                        FUZZ_CHECK(st == BEARER_TABLE_OK
                                   || st == BEARER_TABLE_TOO_BIG);
                    }
                    else {
                        FUZZ_CHECK(st == BEARER_TABLE_MISSING
                                   || (writer_died
                                       && st == BEARER_TABLE_BUSY));
                    }
                }
                else if (m->may_be_missing && !m->uncertain) {
                    FUZZ_CHECK(st != BEARER_TABLE_BUSY || writer_died);
                }
            }
            if (st == BEARER_TABLE_OK && (op & 0x10)) {
                bearer_table_status u;

                u = bearer_table_consume_use(&t, found.slot,
                                             found.generation);
                FUZZ_CHECK(u == BEARER_TABLE_OK
                           || u == BEARER_TABLE_EXHAUSTED
                           || u == BEARER_TABLE_MISSING
                           || u == BEARER_TABLE_BUSY);
                if (m && !corrupted) {
                    /* the lookup just read this key's current record */
                    FUZZ_CHECK(u == BEARER_TABLE_OK);
                    if (m->max_uses > 0) {
                        m->uses_left--;
                    }
                }
                /* a stale handle takes nothing */
                u = bearer_table_consume_use(&t, found.slot,
                                             found.generation + 1);
                FUZZ_CHECK(u == BEARER_TABLE_MISSING
                           || u == BEARER_TABLE_BUSY);
                FUZZ_CHECK(bearer_table_consume_use(&t, nslots,
                                                    found.generation)
                           == BEARER_TABLE_MISSING);
            }
            break;
        }
        case 5:                  /* time passes */
            now += byte(&in) % 64;
            break;
        case 6: {                /* a writer dies mid-write */
            unsigned idx = (byte(&in) | (byte(&in) << 8)) % nslots;
            uint32_t *seq = (uint32_t *)((unsigned char *)t.base + HDR_BYTES
                                         + (size_t)idx
                                           * BEARER_TABLE_SLOT_SIZE);
            unsigned j;

            /* little-endian word 0: the low half is the counter */
            __atomic_store_n(seq, *seq | 1u, __ATOMIC_RELEASE);
            writer_died = 1;
            for (j = 0; j < NKEYS; j++) {
                model[j].uncertain = 1;
            }
            break;
        }
        default:                 /* corrupt_mode: arbitrary bytes anywhere */
            if (corrupt_mode) {
                size_t span = HDR_BYTES + (size_t)nslots
                              * BEARER_TABLE_SLOT_SIZE;
                size_t off = ((size_t)byte(&in) << 16
                              | (size_t)byte(&in) << 8 | byte(&in)) % span;
                unsigned n = byte(&in) % 16, j;

                for (j = 0; j < n && off + j < span; j++) {
                    ((unsigned char *)t.base)[off + j] = (unsigned char)byte(&in);
                }
                corrupted = 1;
                if (bearer_table_attach(mem, bytes, nslots, &t2)
                    != BEARER_TABLE_OK) {
                    /* as store.c does after a restart */
                    bearer_table_format(mem, nslots, &t);
                    memset(model, 0, sizeof(model));
                }
            }
            break;
        }

        if (!corrupted) {
            bearer_table_stats_t stats;

            bearer_table_stats(&t, &stats);
            FUZZ_CHECK(stats.nslots == nslots);
            FUZZ_CHECK(stats.used_slots <= nslots);
            FUZZ_CHECK(stats.hits + stats.misses <= stats.lookups);
        }
    }
    free(mem);
    return 0;
}
