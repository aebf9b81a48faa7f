/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry.c - encode, decode and authenticate the stored record of a token.
 *
 * The layout is drawn in bearer_entry.h. Decoding trusts nothing: it is
 * run on bytes read back from memcached and is fuzzed, so every length is
 * checked against what is left before it is used.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bearer_cidr.h"
#include "bearer_entry.h"
#include "bearer_mac.h"
#include "bearer_scope.h"

#define ENTRY_VERSION       1
#define ENTRY_VERSION_2     2
#define FLAG_HAS_SUBJECT    0x01
#define FLAG_HAS_METADATA   0x02
#define FLAG_HAS_CIDRS      0x04
#define FLAG_HAS_SUBJECT_KEY 0x08
#define FLAGS_KNOWN         (FLAG_HAS_SUBJECT | FLAG_HAS_METADATA)
#define FLAGS_KNOWN_V2      (FLAGS_KNOWN | FLAG_HAS_CIDRS \
                             | FLAG_HAS_SUBJECT_KEY)
#define USEC_PER_SEC        1000000u
#define KEY_LEN_MAX         0xFFFF

/* Domain separation: this MAC can never be mistaken for a token id,
 * which is an HMAC under the same secret. */
static const char seal_label[] = "bearer-entry-v1";

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_i64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char)u;
        u >>= 8;
    }
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static uint32_t get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16)
           | ((uint32_t)p[2] << 8) | p[3];
}

static int64_t get_i64(const unsigned char *p)
{
    uint64_t u = 0;
    int i;

    for (i = 0; i < 8; i++) {
        u = (u << 8) | p[i];
    }
    /* Two's complement back to signed without relying on an
     * implementation-defined conversion of values above INT64_MAX. */
    if (u > (uint64_t)INT64_MAX) {
        return -(int64_t)(~u) - 1;
    }
    return (int64_t)u;
}

/*
 * A field's flag and its length must agree (flag set <=> length > 0), and
 * each length must be within its limit, so that every entry has exactly
 * one encoding.
 */
static int fields_valid(int has_subject, size_t subject_len,
                        size_t scope_len,
                        int has_metadata, size_t metadata_len)
{
    if (has_subject ? (subject_len == 0 || subject_len > BEARER_SUBJECT_MAX)
                    : subject_len != 0) {
        return 0;
    }
    if (has_metadata ? (metadata_len == 0
                        || metadata_len > BEARER_METADATA_MAX)
                     : metadata_len != 0) {
        return 0;
    }
    return scope_len <= BEARER_SCOPE_LIST_MAX;
}

/* What version 1 cannot hold makes an entry version 2. */
static int needs_v2(const bearer_entry_t *e)
{
    return e->issued_usec != 0 || e->cidr_count > 0 || e->has_subject_key;
}

size_t bearer_entry_encoded_len(const bearer_entry_t *e)
{
    size_t total;

    if (e == NULL
        || !fields_valid(e->has_subject, e->subject_len, e->scope_len,
                         e->has_metadata, e->metadata_len)
        || (e->subject_len > 0 && e->subject == NULL)
        || (e->scope_len > 0 && e->scope == NULL)
        || (e->metadata_len > 0 && e->metadata == NULL)
        || e->issued_at > e->expires_at
        || e->issued_usec >= USEC_PER_SEC
        || (e->has_subject_key && !e->has_subject)
        || (e->cidr_count > 0
            && !bearer_cidr_list_valid(e->cidrs, e->cidr_count))) {
        return 0;
    }
    total = e->subject_len + e->scope_len + e->metadata_len;
    if (!needs_v2(e)) {
        return BEARER_ENTRY_HEADER + total;
    }
    return BEARER_ENTRY_HEADER_V2
           + (e->has_subject_key ? BEARER_SUBJECT_KEY_BYTES : 0) + total
           + e->cidr_count * BEARER_CIDR_BYTES;
}

size_t bearer_entry_encode(const bearer_entry_t *e, unsigned char *buf,
                           size_t cap)
{
    size_t total = bearer_entry_encoded_len(e);
    size_t off = BEARER_ENTRY_HEADER;
    unsigned char flags = 0;
    int v2;

    if (total == 0 || buf == NULL || cap < total) {
        return 0;
    }
    v2 = needs_v2(e);
    if (e->has_subject) {
        flags |= FLAG_HAS_SUBJECT;
    }
    if (e->has_metadata) {
        flags |= FLAG_HAS_METADATA;
    }
    if (e->cidr_count > 0) {
        flags |= FLAG_HAS_CIDRS;
    }
    if (e->has_subject_key) {
        flags |= FLAG_HAS_SUBJECT_KEY;
    }
    buf[0] = v2 ? ENTRY_VERSION_2 : ENTRY_VERSION;
    buf[1] = flags;
    put_i64(buf + 2, e->issued_at);
    put_i64(buf + 10, e->expires_at);
    put_u32(buf + 18, e->max_uses);
    put_u16(buf + 22, (uint16_t)e->subject_len);
    put_u16(buf + 24, (uint16_t)e->scope_len);
    put_u16(buf + 26, (uint16_t)e->metadata_len);
    if (v2) {
        put_u32(buf + 28, e->issued_usec);
        buf[32] = (unsigned char)e->cidr_count;
        buf[33] = 0;
        off = BEARER_ENTRY_HEADER_V2;
        if (e->has_subject_key) {
            memcpy(buf + off, e->subject_key, BEARER_SUBJECT_KEY_BYTES);
            off += BEARER_SUBJECT_KEY_BYTES;
        }
    }
    if (e->subject_len > 0) {
        memcpy(buf + off, e->subject, e->subject_len);
        off += e->subject_len;
    }
    if (e->scope_len > 0) {
        memcpy(buf + off, e->scope, e->scope_len);
        off += e->scope_len;
    }
    if (e->metadata_len > 0) {
        memcpy(buf + off, e->metadata, e->metadata_len);
        off += e->metadata_len;
    }
    if (e->cidr_count > 0) {
        memcpy(buf + off, e->cidrs, e->cidr_count * BEARER_CIDR_BYTES);
        off += e->cidr_count * BEARER_CIDR_BYTES;
    }
    return off;
}

int bearer_entry_decode(const unsigned char *buf, size_t len,
                        bearer_entry_t *e)
{
    bearer_entry_t d;
    unsigned flags;
    size_t subject_len, scope_len, metadata_len, header, key_len = 0;
    size_t cidr_count = 0;
    const unsigned char *p;
    int v2;

    if (buf == NULL || e == NULL || len < BEARER_ENTRY_HEADER
        || (buf[0] != ENTRY_VERSION && buf[0] != ENTRY_VERSION_2)) {
        return -1;
    }
    v2 = buf[0] == ENTRY_VERSION_2;
    header = v2 ? BEARER_ENTRY_HEADER_V2 : BEARER_ENTRY_HEADER;
    flags = buf[1];
    if ((flags & ~(unsigned)(v2 ? FLAGS_KNOWN_V2 : FLAGS_KNOWN)) != 0
        || len < header) {
        return -1;
    }
    subject_len = get_u16(buf + 22);
    scope_len = get_u16(buf + 24);
    metadata_len = get_u16(buf + 26);
    if (!fields_valid((flags & FLAG_HAS_SUBJECT) != 0, subject_len, scope_len,
                      (flags & FLAG_HAS_METADATA) != 0, metadata_len)) {
        return -1;
    }
    memset(&d, 0, sizeof(d));
    if (v2) {
        d.issued_usec = get_u32(buf + 28);
        cidr_count = buf[32];
        if (d.issued_usec >= USEC_PER_SEC || buf[33] != 0
            || ((flags & FLAG_HAS_CIDRS) != 0) != (cidr_count > 0)
            || cidr_count > BEARER_CIDRS_MAX
            || ((flags & FLAG_HAS_SUBJECT_KEY)
                && !(flags & FLAG_HAS_SUBJECT))) {
            return -1;
        }
        key_len = (flags & FLAG_HAS_SUBJECT_KEY) ? BEARER_SUBJECT_KEY_BYTES
                                                 : 0;
    }
    /* Each length is at most 0xFFFF, so the sum cannot overflow. */
    if (len != header + key_len + subject_len + scope_len + metadata_len
               + cidr_count * BEARER_CIDR_BYTES) {
        return -1;
    }

    d.issued_at = get_i64(buf + 2);
    d.expires_at = get_i64(buf + 10);
    if (d.issued_at > d.expires_at) {
        return -1;
    }
    d.max_uses = get_u32(buf + 18);

    p = buf + header;
    if (key_len > 0) {
        d.has_subject_key = 1;
        memcpy(d.subject_key, p, BEARER_SUBJECT_KEY_BYTES);
        p += BEARER_SUBJECT_KEY_BYTES;
    }
    d.has_subject = (flags & FLAG_HAS_SUBJECT) != 0;
    d.subject = d.has_subject ? (const char *)p : NULL;
    d.subject_len = subject_len;
    p += subject_len;
    d.scope = (const char *)p;
    d.scope_len = scope_len;
    p += scope_len;
    d.has_metadata = (flags & FLAG_HAS_METADATA) != 0;
    d.metadata = d.has_metadata ? (const char *)p : NULL;
    d.metadata_len = metadata_len;
    p += metadata_len;
    if (cidr_count > 0) {
        if (!bearer_cidr_list_valid(p, cidr_count)) {
            return -1;
        }
        d.cidr_count = cidr_count;
        d.cidrs = p;
    }
    /* One encoding per entry: what version 1 can hold is version 1. */
    if (v2 && !needs_v2(&d)) {
        return -1;
    }

    /* Only a fully valid entry reaches the caller. */
    *e = d;
    return 0;
}

/*
 * HMAC-SHA256(secret, label || u16 key_len || key || enc) into mac, the
 * pieces hashed where they lie (mac.c: SHA-256 directly; the EVP_MAC way,
 * a provider fetch, a context and a parameter array a call, cost more
 * than the hashing on every memcached answer opened).
 */
static int seal_mac(const unsigned char *secret, size_t secret_len,
                    const char *key, size_t key_len,
                    const unsigned char *enc, size_t len,
                    unsigned char mac[BEARER_ENTRY_MAC_BYTES])
{
    unsigned char key_len_be[2];
    bearer_mac_piece pieces[4];

    if (secret == NULL || secret_len == 0 || key_len > KEY_LEN_MAX
        || (key == NULL && key_len != 0) || (enc == NULL && len != 0)) {
        return -1;
    }
    put_u16(key_len_be, (uint16_t)key_len);
    pieces[0].data = seal_label;
    pieces[0].len = sizeof(seal_label) - 1;
    pieces[1].data = key_len_be;
    pieces[1].len = sizeof(key_len_be);
    pieces[2].data = key;
    pieces[2].len = key_len;
    pieces[3].data = enc;
    pieces[3].len = len;
    return bearer_mac_pieces(secret, secret_len, pieces, 4, mac);
}

size_t bearer_entry_seal(const unsigned char *secret, size_t secret_len,
                         const char *key, size_t key_len,
                         const unsigned char *enc, size_t len,
                         unsigned char *out)
{
    unsigned char mac[BEARER_ENTRY_MAC_BYTES];

    if (out == NULL || len > (size_t)LONG_MAX - BEARER_ENTRY_MAC_BYTES) {
        return 0;
    }
    /* MAC first: out may overlap enc, and moving the bytes must not
     * change what was authenticated. */
    if (seal_mac(secret, secret_len, key, key_len, enc, len, mac) != 0) {
        return 0;
    }
    if (out != enc && len > 0) {
        memmove(out, enc, len);
    }
    memcpy(out + len, mac, BEARER_ENTRY_MAC_BYTES);
    return len + BEARER_ENTRY_MAC_BYTES;
}

long bearer_entry_open(const unsigned char *secret, size_t secret_len,
                       const char *key, size_t key_len,
                       const unsigned char *sealed, size_t sealed_len)
{
    unsigned char mac[BEARER_ENTRY_MAC_BYTES];
    size_t enc_len;
    int equal;

    if (sealed == NULL || sealed_len < BEARER_ENTRY_MAC_BYTES
        || sealed_len - BEARER_ENTRY_MAC_BYTES > (size_t)LONG_MAX) {
        return -1;
    }
    enc_len = sealed_len - BEARER_ENTRY_MAC_BYTES;
    if (seal_mac(secret, secret_len, key, key_len, sealed, enc_len, mac)
        != 0) {
        return -1;
    }
    equal = CRYPTO_memcmp(mac, sealed + enc_len, BEARER_ENTRY_MAC_BYTES) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return equal ? (long)enc_len : -1;
}
