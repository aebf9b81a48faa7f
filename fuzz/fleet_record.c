/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/fleet_record.c - the values mod_bearer keeps in memcached, as
 * they are read back (mod_bearer/core/fleet_record.c). Whoever can write to
 * memcached controls the whole value under any key, and can copy a value
 * from one key to another; only the secret can make a value open.
 *
 * Input: byte 0 the mode (mod 4), byte 1 the key (mod 4: a token's key,
 * another token's, a use counter's, or one taken from the input: a length
 * byte, then that many bytes); then, by mode:
 *
 *   0 forged   the rest is the value: it never opens (no one guesses a
 *              256-bit MAC), and nothing is written to the caller's entry
 *              or expiry
 *   1 token    the fields of an entry (issued, expires, max_uses, flags,
 *              three lengths, a capacity choice, a damage position, then
 *              the strings' bytes), sealed by bearer_record_seal_token
 *              into a buffer of the chosen capacity: refused exactly when
 *              the entry is invalid or the buffer too small, never
 *              written past; opened, the same fields come back, pointing
 *              into the value; damaged (cut short, a bit flipped, a byte
 *              added, grown past BEARER_RECORD_MAX, its kind changed,
 *              under another key, with another secret), it never opens
 *   2 tombstone an expiry, a capacity choice, a damage position: the same
 *              for bearer_record_seal_tombstone
 *   3 past the MAC  the rest (kind byte and body) sealed with the secret
 *              under the key by bearer_entry_seal, as only a holder of
 *              the secret could: what opens agrees with the layout in
 *              bearer_fleet_record.h (kind 1: a canonical entry, kind 2:
 *              exactly 8 bytes, no other kind, nothing over
 *              BEARER_RECORD_MAX), so the decoding behind the MAC check
 *              is fuzzed too
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bearer_fleet_record.h"
#include "bearer_scope.h"
#include "fuzz.h"

static const unsigned char secret[] = "fleet fuzz secret, 32 bytes long";
static const unsigned char other_secret[] = "another fleet's secret, 32 bytes";
#define SECRET_LEN 32

static const char token_key[] = "bearer:AqdBWqtXER5NvTj5u8BJmQ";
static const char other_token_key[] = "bearer:9mLJerLdylE9TOYkK6sW3g";
static const char uses_key[] = "bearer:uses:AqdBWqtXER5NvTj5u8BJmQ";

#define SENTINEL 0x5a

typedef struct {
    const uint8_t *in;
    size_t len, pos;
} source;

static unsigned take(source *src)
{
    return src->pos < src->len ? src->in[src->pos++] : 0;
}

static uint64_t take_be(source *src, int bytes)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < bytes; i++) {
        v = (v << 8) | take(src);
    }
    return v;
}

/* Two's complement without an implementation-defined conversion. */
static int64_t as_i64(uint64_t u)
{
    return u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
}

/* Opens and returns the kind; on failure checks that neither the entry
 * nor the expiry was written. */
static int open_as(const unsigned char *sec, const char *key, size_t key_len,
                   const unsigned char *value, size_t len,
                   bearer_entry_t *entry, int64_t *expires_at)
{
    unsigned char marks[sizeof(bearer_entry_t)];
    int kind;

    memset(entry, SENTINEL, sizeof(*entry));
    memset(expires_at, SENTINEL, sizeof(*expires_at));
    memset(marks, SENTINEL, sizeof(marks));
    kind = bearer_record_open(sec, SECRET_LEN, key, key_len, value, len,
                              entry, expires_at);
    FUZZ_CHECK(kind == 0 || kind == BEARER_RECORD_TOKEN
               || kind == BEARER_RECORD_TOMBSTONE
               || kind == BEARER_RECORD_CUTOFF);
    if (kind != BEARER_RECORD_TOKEN) {
        FUZZ_CHECK(memcmp(entry, marks, sizeof(*entry)) == 0);
    }
    if (kind != BEARER_RECORD_TOMBSTONE && kind != BEARER_RECORD_CUTOFF) {
        FUZZ_CHECK(memcmp(expires_at, marks, sizeof(*expires_at)) == 0);
    }
    return kind;
}

static int opens(const char *key, size_t key_len, const unsigned char *value,
                 size_t len)
{
    bearer_entry_t e;
    int64_t x;

    return open_as(secret, key, key_len, value, len, &e, &x);
}

/* A token's decoded strings lie inside the value's encoding. */
static void check_inside(const bearer_entry_t *e, const unsigned char *value,
                         size_t len)
{
    const unsigned char *lo = value + 1, *hi = value + len;

    FUZZ_CHECK(!e->has_subject
               || ((const unsigned char *)e->subject >= lo
                   && (const unsigned char *)e->subject + e->subject_len
                      <= hi));
    FUZZ_CHECK(e->scope_len == 0
               || ((const unsigned char *)e->scope >= lo
                   && (const unsigned char *)e->scope + e->scope_len <= hi));
    FUZZ_CHECK(!e->has_metadata
               || ((const unsigned char *)e->metadata >= lo
                   && (const unsigned char *)e->metadata + e->metadata_len
                      <= hi));
}

/*
 * A good sealed value of length len in buf (which has room for
 * BEARER_RECORD_MAX + 2 bytes), damaged every way a writer of memcached
 * can: none of it opens. pos chooses where to cut and which bit to flip.
 */
static void damage(const char *key, size_t key_len, unsigned char *buf,
                   size_t len, size_t pos)
{
    bearer_entry_t e;
    int64_t x;
    size_t at = pos % len;
    char other[256 + 8];

    /* cut short: at the input's position, by the MAC, by one byte */
    FUZZ_CHECK(opens(key, key_len, buf, at) == 0);
    FUZZ_CHECK(opens(key, key_len, buf, len - 1) == 0);
    FUZZ_CHECK(len < BEARER_ENTRY_MAC_BYTES
               || opens(key, key_len, buf, len - BEARER_ENTRY_MAC_BYTES)
                  == 0);
    /* one byte more */
    buf[len] = (unsigned char)pos;
    FUZZ_CHECK(opens(key, key_len, buf, len + 1) == 0);
    /* one bit flipped */
    buf[at] ^= (unsigned char)(1u << (pos / len % 8));
    FUZZ_CHECK(opens(key, key_len, buf, len) == 0);
    buf[at] ^= (unsigned char)(1u << (pos / len % 8));
    /* the other kind byte */
    buf[0] ^= BEARER_RECORD_TOKEN ^ BEARER_RECORD_TOMBSTONE;
    FUZZ_CHECK(opens(key, key_len, buf, len) == 0);
    buf[0] ^= BEARER_RECORD_TOKEN ^ BEARER_RECORD_TOMBSTONE;
    /* another secret */
    FUZZ_CHECK(open_as(other_secret, key, key_len, buf, len, &e, &x) == 0);
    /* copied under other keys: one byte changed, one more, one less, the
     * neighbouring kinds of key */
    if (key_len > 0 && key_len < sizeof(other) - 1) {
        memcpy(other, key, key_len);
        other[at % key_len] ^= 1;
        FUZZ_CHECK(opens(other, key_len, buf, len) == 0);
        other[at % key_len] ^= 1;
        other[key_len] = 'A';
        FUZZ_CHECK(opens(other, key_len + 1, buf, len) == 0);
        FUZZ_CHECK(opens(other, key_len - 1, buf, len) == 0);
    }
    if (key_len != sizeof(token_key) - 1
            || memcmp(key, token_key, key_len) != 0) {
        FUZZ_CHECK(opens(token_key, sizeof(token_key) - 1, buf, len) == 0);
    }
    if (key_len != sizeof(uses_key) - 1
            || memcmp(key, uses_key, key_len) != 0) {
        FUZZ_CHECK(opens(uses_key, sizeof(uses_key) - 1, buf, len) == 0);
    }
    /* still good after all that (the damage was undone) */
    FUZZ_CHECK(opens(key, key_len, buf, len) != 0);
}

/* The buffer's capacity for a value that needs `need` bytes. */
static size_t capacity(unsigned choice, size_t need)
{
    switch (choice % 4) {
    case 0:
        return need;
    case 1:                         /* too small, by 1 to 8 bytes */
        return need - 1 - (choice >> 2) % 8;     /* need >= 41 */
    case 2:
        return need + (choice >> 2);
    default:
        return BEARER_RECORD_MAX;
    }
}

static void token_mode(const char *key, size_t key_len, source *src)
{
    /* room for every length the input can give, valid or not */
    static unsigned char strings[BEARER_SUBJECT_MAX + BEARER_SCOPE_LIST_MAX
                                 + BEARER_METADATA_MAX + 120];
    bearer_entry_t in, out;
    unsigned flags, cap_choice;
    size_t pos, need, cap, len, i, total;
    int64_t x;
    int valid;
    unsigned char *buf;

    memset(&in, 0, sizeof(in));
    in.issued_at = as_i64(take_be(src, 8));
    in.expires_at = as_i64(take_be(src, 8));
    in.max_uses = (uint32_t)take_be(src, 4);
    flags = take(src);
    in.has_subject = flags & 1;
    in.has_metadata = (flags >> 1) & 1;
    in.subject_len = take_be(src, 2) % (BEARER_SUBJECT_MAX + 40);
    in.scope_len = take_be(src, 2) % (BEARER_SCOPE_LIST_MAX + 40);
    in.metadata_len = take_be(src, 2) % (BEARER_METADATA_MAX + 40);
    cap_choice = take(src);
    pos = take_be(src, 2);
    total = in.subject_len + in.scope_len + in.metadata_len;
    for (i = 0; i < total; i++) {
        strings[i] = src->pos < src->len ? (unsigned char)take(src) : 'x';
    }
    in.subject = (const char *)strings;
    in.scope = (const char *)strings + in.subject_len;
    in.metadata = (const char *)strings + in.subject_len + in.scope_len;

    /* the layout's rules, written out again */
    valid = (in.has_subject ? in.subject_len >= 1
                              && in.subject_len <= BEARER_SUBJECT_MAX
                            : in.subject_len == 0)
            && in.scope_len <= BEARER_SCOPE_LIST_MAX
            && (in.has_metadata ? in.metadata_len >= 1
                                  && in.metadata_len <= BEARER_METADATA_MAX
                                : in.metadata_len == 0)
            && in.issued_at <= in.expires_at;
    need = 1 + BEARER_ENTRY_HEADER + total + BEARER_ENTRY_MAC_BYTES;
    cap = capacity(cap_choice, need);
    /* exactly cap bytes, so that AddressSanitizer sees any write past */
    buf = malloc(cap > 0 ? cap : 1);
    FUZZ_CHECK(buf != NULL);
    len = bearer_record_seal_token(secret, SECRET_LEN, key, key_len, &in,
                                   buf, cap);
    if (!valid || cap < need) {
        FUZZ_CHECK(len == 0);
        free(buf);
        return;
    }
    FUZZ_CHECK(len == need && need <= BEARER_RECORD_MAX);
    FUZZ_CHECK(buf[0] == BEARER_RECORD_TOKEN);
    {
        /* room to damage it in */
        unsigned char *big = malloc(BEARER_RECORD_MAX + 2);

        FUZZ_CHECK(big != NULL);
        memcpy(big, buf, len);
        free(buf);
        buf = big;
    }

    FUZZ_CHECK(open_as(secret, key, key_len, buf, len, &out, &x)
               == BEARER_RECORD_TOKEN);
    FUZZ_CHECK(out.issued_at == in.issued_at);
    FUZZ_CHECK(out.expires_at == in.expires_at);
    FUZZ_CHECK(out.max_uses == in.max_uses);
    FUZZ_CHECK(out.has_subject == in.has_subject);
    FUZZ_CHECK(out.has_metadata == in.has_metadata);
    FUZZ_CHECK(out.subject_len == in.subject_len);
    FUZZ_CHECK(out.scope_len == in.scope_len);
    FUZZ_CHECK(out.metadata_len == in.metadata_len);
    FUZZ_CHECK(in.subject_len == 0
               || memcmp(out.subject, in.subject, in.subject_len) == 0);
    FUZZ_CHECK(in.scope_len == 0
               || memcmp(out.scope, in.scope, in.scope_len) == 0);
    FUZZ_CHECK(in.metadata_len == 0
               || memcmp(out.metadata, in.metadata, in.metadata_len) == 0);
    check_inside(&out, buf, len);

    damage(key, key_len, buf, len, pos);
    /* grown past the largest record: refused before any MAC is computed */
    if (len <= BEARER_RECORD_MAX) {
        memset(buf + len, 0, BEARER_RECORD_MAX + 1 - len);
        FUZZ_CHECK(opens(key, key_len, buf, BEARER_RECORD_MAX + 1) == 0);
    }
    free(buf);
}

static void tombstone_mode(const char *key, size_t key_len, source *src)
{
    int64_t expires = as_i64(take_be(src, 8)), x;
    size_t need = 1 + 8 + BEARER_ENTRY_MAC_BYTES;
    size_t cap = capacity(take(src), need), len, pos = take_be(src, 2);
    unsigned char *buf = malloc(cap > 0 ? cap : 1);
    unsigned char big[BEARER_RECORD_MAX + 2];
    bearer_entry_t e;

    FUZZ_CHECK(buf != NULL);
    len = bearer_record_seal_tombstone(secret, SECRET_LEN, key, key_len,
                                       expires, buf, cap);
    if (cap < need) {
        FUZZ_CHECK(len == 0);
        free(buf);
        return;
    }
    FUZZ_CHECK(len == need && buf[0] == BEARER_RECORD_TOMBSTONE);
    memcpy(big, buf, len);
    free(buf);
    FUZZ_CHECK(open_as(secret, key, key_len, big, len, &e, &x)
               == BEARER_RECORD_TOMBSTONE);
    FUZZ_CHECK(x == expires);
    damage(key, key_len, big, len, pos);
}

static void past_the_mac(const char *key, size_t key_len, const uint8_t *body,
                         size_t body_len)
{
    static unsigned char sealed[BEARER_RECORD_MAX + 64];
    static unsigned char again[BEARER_ENTRY_MAX];
    bearer_entry_t e;
    int64_t x;
    size_t len;
    int kind, want;

    if (body_len + BEARER_ENTRY_MAC_BYTES > sizeof(sealed)) {
        return;
    }
    len = bearer_entry_seal(secret, SECRET_LEN, key, key_len, body, body_len,
                            sealed);
    FUZZ_CHECK(len == body_len + BEARER_ENTRY_MAC_BYTES);
    kind = open_as(secret, key, key_len, sealed, len, &e, &x);

    /* the layout, written out again */
    if (len > BEARER_RECORD_MAX || body_len == 0) {
        want = 0;
    }
    else if (body[0] == BEARER_RECORD_TOMBSTONE
             || body[0] == BEARER_RECORD_CUTOFF) {
        want = body_len == 9 ? body[0] : 0;
    }
    else if (body[0] == BEARER_RECORD_TOKEN) {
        want = -1;                  /* whatever decodes: checked below */
    }
    else {
        want = 0;
    }
    if (want >= 0) {
        FUZZ_CHECK(kind == want);
    }
    if (kind == BEARER_RECORD_TOMBSTONE || kind == BEARER_RECORD_CUTOFF) {
        FUZZ_CHECK((uint64_t)x == (((uint64_t)body[1] << 56)
                                   | ((uint64_t)body[2] << 48)
                                   | ((uint64_t)body[3] << 40)
                                   | ((uint64_t)body[4] << 32)
                                   | ((uint64_t)body[5] << 24)
                                   | ((uint64_t)body[6] << 16)
                                   | ((uint64_t)body[7] << 8)
                                   | (uint64_t)body[8]));
    }
    if (kind == BEARER_RECORD_TOKEN) {
        /* only a canonical entry: it encodes back to the very bytes */
        size_t enc_len = body_len - 1;

        FUZZ_CHECK(body[0] == BEARER_RECORD_TOKEN);
        FUZZ_CHECK(enc_len >= BEARER_ENTRY_HEADER
                   && enc_len <= BEARER_ENTRY_MAX);
        FUZZ_CHECK(e.issued_at <= e.expires_at);
        FUZZ_CHECK(bearer_entry_encoded_len(&e) == enc_len);
        FUZZ_CHECK(bearer_entry_encode(&e, again, sizeof(again)) == enc_len);
        FUZZ_CHECK(memcmp(again, body + 1, enc_len) == 0);
        check_inside(&e, sealed, len - BEARER_ENTRY_MAC_BYTES);
    }
    else if (body_len > 0 && body[0] == BEARER_RECORD_TOKEN
             && len <= BEARER_RECORD_MAX) {
        /* refused: then it is no entry at all */
        FUZZ_CHECK(bearer_entry_decode(body + 1, body_len - 1, &e) != 0);
    }
    /* whatever it is, it belongs to its key and its secret only */
    if (kind != 0) {
        FUZZ_CHECK(open_as(other_secret, key, key_len, sealed, len, &e, &x)
                   == 0);
        FUZZ_CHECK(opens(other_token_key, sizeof(other_token_key) - 1,
                         sealed, len) == 0
                   || (key_len == sizeof(other_token_key) - 1
                       && memcmp(key, other_token_key, key_len) == 0));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    source src;
    const char *key;
    size_t key_len;

    if (size < 2 || size > BEARER_RECORD_MAX + 600) {
        return 0;
    }
    src.in = data;
    src.len = size;
    src.pos = 2;
    switch (data[1] % 4) {
    case 0:
        key = token_key;
        key_len = sizeof(token_key) - 1;
        break;
    case 1:
        key = other_token_key;
        key_len = sizeof(other_token_key) - 1;
        break;
    case 2:
        key = uses_key;
        key_len = sizeof(uses_key) - 1;
        break;
    default:
        /* any key a writer could use (memcached's keys: up to 250 bytes) */
        key_len = take(&src) % 251;
        if (src.pos + key_len > size) {
            return 0;
        }
        key = (const char *)data + src.pos;
        src.pos += key_len;
        break;
    }

    switch (data[0] % 4) {
    case 0: {
        bearer_entry_t e;
        int64_t x;

        FUZZ_CHECK(open_as(secret, key, key_len, data + src.pos,
                           size - src.pos, &e, &x) == 0);
        break;
    }
    case 1:
        token_mode(key, key_len, &src);
        break;
    case 2:
        tombstone_mode(key, key_len, &src);
        break;
    default:
        past_the_mac(key, key_len, data + src.pos, size - src.pos);
        break;
    }
    return 0;
}
