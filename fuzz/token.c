/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/token.c - the client token codec (mod_bearer/core/token.c): format,
 * public checksum, and the token id.
 *
 * Input: byte 0 picks a prefix (bt_, acme_, or a 16-character one); the
 * rest is a candidate token, checked as a client would present it.
 *
 * Invariants:
 *  - well_formed agrees with an independent reading of
 *    include/bearer_token.h: prefix, 43 base64url characters whose last
 *    has its 2 low bits clear, 6 checksum characters equal to base64url of
 *    the big-endian CRC-32 of prefix || random (computed here a bit at a
 *    time, apart from token.c's table).
 *  - The input's bytes, made into a token with that recipe, are
 *    well-formed; change any one character and they are not.
 *  - The id derived from a MAC is well-formed, decodes back to the MAC's
 *    first 16 bytes, and re-encodes to itself.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_token.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"
#include "fuzz.h"

static const char *const prefixes[] = { "bt_", "acme_", "ABCDEFGHIJ_12345" };

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64u_value(unsigned char c)
{
    const char *p = c ? strchr(b64u, c) : NULL;

    return p ? (int)(p - b64u) : -1;
}

static uint32_t crc32_bits(uint32_t crc, const char *p, size_t n)
{
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= (unsigned char)p[i];
        for (b = 0; b < 8; b++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
    }
    return crc;
}

static void checksum(const char *prefix, const char *random43, char out[7])
{
    unsigned char be[4];
    uint32_t crc;

    crc = crc32_bits(0xFFFFFFFFu, prefix, strlen(prefix));
    crc = crc32_bits(crc, random43, 43) ^ 0xFFFFFFFFu;
    be[0] = (unsigned char)(crc >> 24);
    be[1] = (unsigned char)(crc >> 16);
    be[2] = (unsigned char)(crc >> 8);
    be[3] = (unsigned char)crc;
    bearer_base64url_encode(be, 4, out);
}

static int model_well_formed(const char *prefix, const char *t, size_t len)
{
    size_t pl = strlen(prefix), i;
    char sum[7];

    if (len != pl + 49 || memcmp(t, prefix, pl) != 0) {
        return 0;
    }
    for (i = pl; i < len; i++) {
        if (b64u_value((unsigned char)t[i]) < 0) {
            return 0;
        }
    }
    if (b64u_value((unsigned char)t[pl + 42]) & 3) {
        return 0;
    }
    checksum(prefix, t + pl, sum);
    return memcmp(sum, t + pl + 43, 6) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *prefix;
    size_t pl, i;
    char tok[BEARER_TOKEN_MAX + 1];
    unsigned char random_bytes[32], mac[BEARER_MAC_BYTES], back[16];
    char id[BEARER_ID_CHARS + 1], id2[BEARER_ID_CHARS + 1];
    int wf;

    if (size < 1) {
        return 0;
    }
    prefix = prefixes[data[0] % 3];
    pl = strlen(prefix);

    /* 1. the input as a presented token */
    wf = bearer_token_well_formed(prefix, pl, (const char *)data + 1,
                                  size - 1);
    FUZZ_CHECK(wf == 0 || wf == 1);
    FUZZ_CHECK(wf == model_well_formed(prefix, (const char *)data + 1,
                                       size - 1));

    /* 2. the input's bytes as the random part of a token of ours */
    memset(random_bytes, 0, sizeof(random_bytes));
    memcpy(random_bytes, data + 1, size - 1 < 32 ? size - 1 : 32);
    memcpy(tok, prefix, pl);
    FUZZ_CHECK(bearer_base64url_encode(random_bytes, 32, tok + pl) == 43);
    checksum(prefix, tok + pl, tok + pl + 43);
    FUZZ_CHECK(strlen(tok) == pl + 49);
    FUZZ_CHECK(bearer_token_well_formed(prefix, pl, tok, pl + 49) == 1);
    /* any one character changed (position and value from the input) */
    if (size >= 3) {
        size_t pos = pl + data[1] % 49;
        char was = tok[pos];

        tok[pos] = b64u[data[2] % 64];
        FUZZ_CHECK(bearer_token_well_formed(prefix, pl, tok, pl + 49)
                   == (tok[pos] == was));
        tok[pos] = was;
    }
    FUZZ_CHECK(bearer_token_well_formed(prefix, pl, tok, pl + 48) == 0);

    /* 3. the id of the token, under a secret taken from the input */
    FUZZ_CHECK(bearer_mac(data, size, tok, pl + 49, mac) == 0);
    bearer_token_id_from_mac(mac, id);
    FUZZ_CHECK(strlen(id) == BEARER_ID_CHARS);
    FUZZ_CHECK(bearer_token_id_well_formed(id, BEARER_ID_CHARS) == 1);
    FUZZ_CHECK(bearer_token_id_decode(id, BEARER_ID_CHARS, back) == 0);
    FUZZ_CHECK(memcmp(back, mac, 16) == 0);
    for (i = 0; i < BEARER_ID_BYTES; i++) {
        mac[i] = back[i];
    }
    bearer_token_id_from_mac(mac, id2);
    FUZZ_CHECK(strcmp(id, id2) == 0);
    return 0;
}
