/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/cidr.c - the address-block parser behind the mint field "cidrs"
 * (mod_bearer/core/cidr.c), a whole list at a time, and the packed form
 * stored in a token's record.
 *
 * Input: byte 0 picks the mode; the rest is a list of entries separated by
 * '\n' (as a client's JSON array would hand them over, one string each),
 * or, in mode 1, packed blocks as a record would hold them.
 *
 * Invariants:
 *  - an entry is accepted only if it is what the contract allows, judged
 *    by an independent model (IPv4: four decimal parts 0..255 without
 *    leading zeros; IPv6: only hex digits, ':' and '.'; no '%', no space;
 *    "/n" decimal without leading zero, within 0..32 / 0..128);
 *  - a refused entry leaves the output untouched;
 *  - an accepted one is canonical: host bits clear, packing and unpacking
 *    give it back, its text parses to the very same block (idempotent),
 *    the text ends in "/n" with n its prefix length;
 *  - a list of 1..16 accepted entries makes a record (entry.c) that
 *    decodes to the same blocks; 0 or 17+ never do;
 *  - unpack accepts only what pack of a parsed block could produce.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_cidr.h"
#include "bearer_entry.h"
#include "fuzz.h"

#define SENTINEL 0xA5

static int model_bits(const char *s, size_t len, int max)
{
    int v = 0;
    size_t i;

    if (len == 0 || len > 3 || (len > 1 && s[0] == '0')) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + s[i] - '0';
    }
    return v <= max ? v : -1;
}

static int model_v4(const char *s, size_t len)
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        size_t start = i;
        int v = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 4) {
            v = v * 10 + s[i] - '0';
            i++;
        }
        if (i == start || i - start > 3 || v > 255
            || (i - start > 1 && s[start] == '0')) {
            return 0;
        }
        if (part < 3) {
            if (i >= len || s[i] != '.') {
                return 0;
            }
            i++;
        }
    }
    return i == len;
}

/* What may be accepted at all (IPv6 is left to inet_pton within these
 * characters; only its shape is modelled). */
static int model_allows(const char *s, size_t len, int *v6, int *bits)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len, i;

    *v6 = 0;
    if (len == 0 || len > BEARER_CIDR_TEXT_MAX || alen == 0) {
        return 0;
    }
    for (i = 0; i < alen; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) {
            return 0;
        }
        *v6 |= c == ':';
    }
    if (!*v6 && !model_v4(s, alen)) {
        return 0;
    }
    *bits = slash ? model_bits(slash + 1, len - alen - 1, *v6 ? 128 : 32)
                  : (*v6 ? 128 : 32);
    return *bits >= 0;
}

static void check_one(const char *s, size_t len, bearer_cidr_t *out)
{
    bearer_cidr_t c, again, unpacked;
    unsigned char packed[BEARER_CIDR_BYTES];
    char text[BEARER_CIDR_FORMAT_MAX];
    int v6 = 0, bits = -1, allowed;
    bearer_cidr_status st;
    size_t n;

    memset(&c, SENTINEL, sizeof(c));
    st = bearer_cidr_parse(s, len, &c);
    allowed = model_allows(s, len, &v6, &bits);
    if (st != BEARER_CIDR_OK) {
        unsigned char marks[sizeof(c)];

        memset(marks, SENTINEL, sizeof(marks));
        FUZZ_CHECK(memcmp(&c, marks, sizeof(c)) == 0);
        /* IPv4 in the model's shape always parses */
        FUZZ_CHECK(!(allowed && !v6));
        FUZZ_CHECK(st == BEARER_CIDR_MALFORMED || st == BEARER_CIDR_ZONE
                   || st == BEARER_CIDR_PREFIX);
        FUZZ_CHECK(st != BEARER_CIDR_ZONE || memchr(s, '%', len) != NULL);
        return;
    }
    FUZZ_CHECK(allowed);
    FUZZ_CHECK(c.family == (v6 ? 6 : 4));
    FUZZ_CHECK(c.bits == bits);
    bearer_cidr_pack(&c, packed);
    FUZZ_CHECK(bearer_cidr_unpack(packed, &unpacked) == 0);
    FUZZ_CHECK(memcmp(&unpacked, &c, sizeof(c)) == 0);
    n = bearer_cidr_format(&c, text, sizeof(text));
    FUZZ_CHECK(n > 0 && n < sizeof(text) && strlen(text) == n);
    FUZZ_CHECK(bearer_cidr_parse(text, n, &again) == BEARER_CIDR_OK);
    FUZZ_CHECK(memcmp(&again, &c, sizeof(c)) == 0);
    {
        const char *slash = strrchr(text, '/');

        FUZZ_CHECK(slash != NULL && model_bits(slash + 1, strlen(slash + 1),
                                               128) == c.bits);
    }
    *out = c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char packed[(BEARER_CIDRS_MAX + 2) * BEARER_CIDR_BYTES];
    size_t count = 0, i = 1, refused = 0;

    if (size < 1) {
        return 0;
    }
    if (data[0] % 2 == 1) {
        /* packed blocks as a record holds them */
        for (i = 1; i + BEARER_CIDR_BYTES <= size; i += BEARER_CIDR_BYTES) {
            bearer_cidr_t c;
            unsigned char again[BEARER_CIDR_BYTES];

            if (bearer_cidr_unpack(data + i, &c) == 0) {
                bearer_cidr_pack(&c, again);
                FUZZ_CHECK(memcmp(again, data + i, BEARER_CIDR_BYTES) == 0);
            }
        }
        return 0;
    }
    while (i < size) {
        const uint8_t *end = memchr(data + i, '\n', size - i);
        size_t len = end ? (size_t)(end - (data + i)) : size - i;
        bearer_cidr_t c;

        memset(&c, 0, sizeof(c));
        check_one((const char *)data + i, len, &c);
        if (c.family == 4 || c.family == 6) {
            if (count < BEARER_CIDRS_MAX + 2) {
                bearer_cidr_pack(&c, packed + count * BEARER_CIDR_BYTES);
            }
            count++;
        }
        else {
            refused++;
        }
        i += len + 1;
    }
    if (refused == 0 && count > 0) {
        /* the list as a token's record holds it */
        static unsigned char rec[BEARER_ENTRY_MAX];
        bearer_entry_t e, d;
        size_t n;

        memset(&e, 0, sizeof(e));
        e.issued_at = 1;
        e.expires_at = 2;
        e.scope = "";
        e.cidrs = packed;
        e.cidr_count = count;
        n = bearer_entry_encode(&e, rec, sizeof(rec));
        if (count > BEARER_CIDRS_MAX) {
            FUZZ_CHECK(n == 0);
            FUZZ_CHECK(!bearer_cidr_list_valid(packed, BEARER_CIDRS_MAX + 1));
        }
        else {
            FUZZ_CHECK(n > 0);
            FUZZ_CHECK(bearer_cidr_list_valid(packed, count));
            FUZZ_CHECK(bearer_entry_decode(rec, n, &d) == 0);
            FUZZ_CHECK(d.cidr_count == count);
            FUZZ_CHECK(memcmp(d.cidrs, packed, count * BEARER_CIDR_BYTES)
                       == 0);
        }
    }
    return 0;
}
