/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_entry.h - the stored record of a client token, and its MAC.
 *
 * Encoded layout (all integers big-endian), version 1:
 *
 *   +0   u8   version (1)
 *   +1   u8   flags   (bit0 has_subject, bit1 has_metadata)
 *   +2   i64  issued_at   (Unix seconds)
 *   +10  i64  expires_at  (Unix seconds)
 *   +18  u32  max_uses    (0 = unlimited)
 *   +22  u16  subject length  S   (<= BEARER_SUBJECT_MAX)
 *   +24  u16  scope length    C   (<= BEARER_SCOPE_LIST_MAX)
 *   +26  u16  metadata length M   (<= BEARER_METADATA_MAX)
 *   +28  S bytes subject, C bytes scope list, M bytes metadata (compact JSON)
 *
 * The total must equal 28 + S + C + M exactly; anything else is malformed.
 * Strings are not NUL-terminated in the encoding.
 *
 * Version 2 carries what version 1 cannot; an entry that version 1 can
 * hold is always written as version 1 (one encoding per entry), so records
 * written before version 2 existed (kept across a graceful restart, or in
 * memcached) still read:
 *
 *   +0   u8   version (2)
 *   +1   u8   flags   (bit0 has_subject, bit1 has_metadata, bit2 has_cidrs,
 *                      bit3 has_subject_key: needs bit0)
 *   +2   i64  issued_at   (Unix seconds)
 *   +10  i64  expires_at  (Unix seconds)
 *   +18  u32  max_uses
 *   +22  u16  S   +24 u16 C   +26 u16 M   (as in version 1)
 *   +28  u32  issued_usec (0..999999: the microseconds of issued_at)
 *   +32  u8   N, the number of address blocks (1..16 with bit2, else 0)
 *   +33  u8   0
 *   +34  16 bytes subject key, if bit3 (bearer_subject.h)
 *        then S bytes subject, C bytes scope list, M bytes metadata,
 *        N * 18 bytes address blocks (packed as bearer_cidr.h says)
 *
 * A version 2 entry with none of issued_usec, blocks or subject key is
 * malformed (it has a version 1 encoding).
 *
 * A sealed entry (for memory we do not own, e.g. memcached) is the encoding
 * followed by HMAC-SHA256(secret, "bearer-entry-v1" || u16 keylen || key ||
 * encoding): the MAC binds the value to its storage key, so a value copied
 * to another key does not open.
 *
 * Pure C over OpenSSL; no httpd or APR headers; decode allocates nothing
 * (the decoded strings point into the caller's buffer).
 */
#ifndef BEARER_ENTRY_H
#define BEARER_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define BEARER_SUBJECT_MAX   256
#define BEARER_SUBJECT_KEY_BYTES 16
#define BEARER_METADATA_MAX  4096
#define BEARER_ENTRY_HEADER  28
#define BEARER_ENTRY_HEADER_V2 34
/* Largest encoding: version 2 header + subject key + subject + scope list
 * + metadata + 16 address blocks of 18 bytes. */
#define BEARER_ENTRY_MAX     (BEARER_ENTRY_HEADER_V2 \
                              + BEARER_SUBJECT_KEY_BYTES + BEARER_SUBJECT_MAX \
                              + 1024 + BEARER_METADATA_MAX + 16 * 18)
#define BEARER_ENTRY_MAC_BYTES 32
#define BEARER_ENTRY_SEALED_MAX (BEARER_ENTRY_MAX + BEARER_ENTRY_MAC_BYTES)

typedef struct {
    int64_t issued_at;
    int64_t expires_at;
    uint32_t max_uses;          /* 0 = unlimited */
    int has_subject;
    const char *subject;  size_t subject_len;
    const char *scope;    size_t scope_len;     /* normalised list */
    int has_metadata;
    const char *metadata; size_t metadata_len;  /* compact JSON object */
    /* version 2 */
    uint32_t issued_usec;       /* 0..999999, added to issued_at */
    int has_subject_key;        /* keyed hash of the subject, to look up
                                   its revocation cut-off without an HMAC */
    unsigned char subject_key[BEARER_SUBJECT_KEY_BYTES];
    size_t cidr_count;          /* 0, or 1..16 packed blocks at cidrs */
    const unsigned char *cidrs;
} bearer_entry_t;

/* Bytes bearer_entry_encode will write, or 0 if a field is over its limit
 * or the entry is one decode would refuse (a has_ flag and its length
 * disagree: set <=> length > 0; issued_at > expires_at). */
size_t bearer_entry_encoded_len(const bearer_entry_t *e);

/* Encodes into buf; returns bytes written, or 0 if cap is too small or
 * bearer_entry_encoded_len gives 0. */
size_t bearer_entry_encode(const bearer_entry_t *e, unsigned char *buf,
                           size_t cap);

/* Decodes buf[0..len); 0 on success, -1 if malformed (wrong version,
 * unknown flags, a flag and its length disagreeing, lengths that don't add
 * up, a field over its limit, issued > expires). *e is set only on
 * success. */
int bearer_entry_decode(const unsigned char *buf, size_t len,
                        bearer_entry_t *e);

/* Appends the MAC: out must hold len + BEARER_ENTRY_MAC_BYTES; enc and out
 * may be the same buffer. Returns the sealed length, or 0 if OpenSSL
 * failed. */
size_t bearer_entry_seal(const unsigned char *secret, size_t secret_len,
                         const char *key, size_t key_len,
                         const unsigned char *enc, size_t len,
                         unsigned char *out);

/* Checks the MAC of a sealed value in constant time: returns the length of
 * the encoding inside (sealed_len - 32) if it verifies, else -1. */
long bearer_entry_open(const unsigned char *secret, size_t secret_len,
                       const char *key, size_t key_len,
                       const unsigned char *sealed, size_t sealed_len);

#endif
