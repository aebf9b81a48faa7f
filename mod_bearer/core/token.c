/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.c - client tokens: mint, check the public checksum, derive the id.
 *
 * The checksum is a CRC-32 of the token's text (prefix and the 43 random
 * characters), so anyone holding only the string can verify it; it is
 * there for typos and secret scanners, not for security (the table lookup
 * by the keyed id decides). The id is keyed, so only the server can
 * derive it.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "bearer_token.h"

#define CHECKSUM_BYTES 4

static const char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of a base64url character, or -1: one load a character
 * on the hot path (the unit tests check the table against the alphabet
 * above). */
static const signed char base64url_values[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0x00 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0x10 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,  /* 0x20 */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,  /* 0x30 */
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,  /* 0x40 */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,  /* 0x50 */
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,  /* 0x60 */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,  /* 0x70 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0x80 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0x90 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0xa0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0xb0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0xc0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0xd0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0xe0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 0xf0 */
};

static int base64url_value(unsigned char c)
{
    return base64url_values[c];
}

/* CRC-32 as zlib and PNG compute it (reflected polynomial 0xEDB88320,
 * initial and final value 0xFFFFFFFF), one table lookup a byte. The table
 * is entry n = the CRC register after shifting n through 8 times; the unit
 * tests check it against a bit-at-a-time reference. */
static const uint32_t crc32_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

/* The CRC register after data, from register crc (not inverted). */
static uint32_t crc32_run(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i < len; i++) {
        crc = crc32_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    }
    return crc;
}

uint32_t bearer_crc32(const void *data, size_t len)
{
    return crc32_run(0xFFFFFFFFu, data, len) ^ 0xFFFFFFFFu;
}

size_t bearer_base64url_len(size_t n)
{
    return (n / 3) * 4 + ((n % 3) == 0 ? 0 : (n % 3) + 1);
}

size_t bearer_base64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i = 0, o = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned long group = ((unsigned long)in[i] << 16)
                              | ((unsigned long)in[i + 1] << 8) | in[i + 2];
        out[o++] = base64url_alphabet[(group >> 18) & 0x3F];
        out[o++] = base64url_alphabet[(group >> 12) & 0x3F];
        out[o++] = base64url_alphabet[(group >> 6) & 0x3F];
        out[o++] = base64url_alphabet[group & 0x3F];
    }
    if (n - i == 1) {
        unsigned long group = (unsigned long)in[i] << 16;
        out[o++] = base64url_alphabet[(group >> 18) & 0x3F];
        out[o++] = base64url_alphabet[(group >> 12) & 0x3F];
    }
    else if (n - i == 2) {
        unsigned long group = ((unsigned long)in[i] << 16)
                              | ((unsigned long)in[i + 1] << 8);
        out[o++] = base64url_alphabet[(group >> 18) & 0x3F];
        out[o++] = base64url_alphabet[(group >> 12) & 0x3F];
        out[o++] = base64url_alphabet[(group >> 6) & 0x3F];
    }
    out[o] = '\0';
    return o;
}

/*
 * Decodes exactly len characters into out (bearer_base64url_len(n) == len
 * must hold for the caller's n). Fails on a character outside the
 * alphabet or on nonzero padding bits in the last character, so every
 * byte string has one text form.
 */
static int base64url_decode_exact(const char *in, size_t len,
                                  unsigned char *out, size_t n)
{
    unsigned long bits = 0;
    int nbits = 0;
    size_t i, o = 0;

    if (bearer_base64url_len(n) != len) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        int v = base64url_value((unsigned char)in[i]);
        if (v < 0) {
            return -1;
        }
        bits = (bits << 6) | (unsigned long)v;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out[o++] = (unsigned char)((bits >> nbits) & 0xFF);
        }
        bits &= (1UL << nbits) - 1;
    }
    if (bits != 0 || o != n) {
        return -1;
    }
    return 0;
}

int bearer_prefix_valid(const char *prefix)
{
    size_t i;

    if (prefix == NULL) {
        return 0;
    }
    for (i = 0; prefix[i] != '\0'; i++) {
        unsigned char c = (unsigned char)prefix[i];
        if (i >= BEARER_PREFIX_MAX) {
            return 0;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return i > 0;
}

/* The 6 checksum characters of prefix || random_text into out (+ NUL):
 * base64url of the CRC-32 of that text, big-endian. */
static void checksum_text(const char *prefix, size_t prefix_len,
                          const char *random_text,
                          char out[BEARER_CHECKSUM_CHARS + 1])
{
    unsigned char crc_bytes[CHECKSUM_BYTES];
    uint32_t crc;

    /* run over both parts in place: no copy of the token to wipe */
    crc = crc32_run(0xFFFFFFFFu, prefix, prefix_len);
    crc = crc32_run(crc, random_text, BEARER_RANDOM_CHARS) ^ 0xFFFFFFFFu;
    crc_bytes[0] = (unsigned char)(crc >> 24);
    crc_bytes[1] = (unsigned char)(crc >> 16);
    crc_bytes[2] = (unsigned char)(crc >> 8);
    crc_bytes[3] = (unsigned char)crc;
    bearer_base64url_encode(crc_bytes, CHECKSUM_BYTES, out);
}

int bearer_token_mint(const char *prefix, char *out, size_t *out_len)
{
    unsigned char random_bytes[BEARER_RANDOM_BYTES];
    char checksum[BEARER_CHECKSUM_CHARS + 1];
    size_t prefix_len;

    if (!bearer_prefix_valid(prefix)) {
        OPENSSL_cleanse(out, BEARER_TOKEN_MAX + 1);
        return -1;
    }
    prefix_len = strlen(prefix);

    if (RAND_bytes(random_bytes, sizeof(random_bytes)) != 1) {
        OPENSSL_cleanse(random_bytes, sizeof(random_bytes));
        OPENSSL_cleanse(out, BEARER_TOKEN_MAX + 1);
        return -1;
    }
    memcpy(out, prefix, prefix_len);
    bearer_base64url_encode(random_bytes, sizeof(random_bytes),
                            out + prefix_len);
    OPENSSL_cleanse(random_bytes, sizeof(random_bytes));

    checksum_text(prefix, prefix_len, out + prefix_len, checksum);
    memcpy(out + prefix_len + BEARER_RANDOM_CHARS, checksum,
           BEARER_CHECKSUM_CHARS + 1);
    *out_len = prefix_len + BEARER_BODY_CHARS;
    return 0;
}

int bearer_token_well_formed(const char *prefix, size_t prefix_len,
                             const char *token, size_t len)
{
    const char *random_text, *checksum_given;
    char checksum[BEARER_CHECKSUM_CHARS + 1];
    size_t i;

    if (prefix == NULL || token == NULL || prefix_len == 0
        || prefix_len > BEARER_PREFIX_MAX
        || len != prefix_len + BEARER_BODY_CHARS
        || memcmp(token, prefix, prefix_len) != 0) {
        return 0;
    }
    random_text = token + prefix_len;
    checksum_given = random_text + BEARER_RANDOM_CHARS;
    for (i = 0; i < BEARER_BODY_CHARS; i++) {
        if (base64url_value((unsigned char)random_text[i]) < 0) {
            return 0;
        }
    }
    /* 43 characters carry 258 bits for 256: mint never sets the last 2,
     * so a token that does is a copy with a typo, not one of ours. */
    if ((base64url_value((unsigned char)random_text[BEARER_RANDOM_CHARS - 1])
         & 0x3) != 0) {
        return 0;
    }
    /* the checksum is public: an ordinary comparison will do */
    checksum_text(prefix, prefix_len, random_text, checksum);
    return memcmp(checksum, checksum_given, BEARER_CHECKSUM_CHARS) == 0;
}

void bearer_token_id_from_mac(const unsigned char mac[BEARER_MAC_BYTES],
                              char id[BEARER_ID_CHARS + 1])
{
    bearer_base64url_encode(mac, BEARER_ID_BYTES, id);
}

int bearer_token_id_well_formed(const char *s, size_t len)
{
    unsigned char scratch[BEARER_ID_BYTES];

    if (s == NULL) {
        return 0;
    }
    return base64url_decode_exact(s, len, scratch, sizeof(scratch)) == 0;
}

int bearer_token_id_decode(const char *id, size_t len,
                           unsigned char out[BEARER_ID_BYTES])
{
    unsigned char decoded[BEARER_ID_BYTES];

    /* Decode aside so that out is untouched when the id is malformed. */
    if (id == NULL || base64url_decode_exact(id, len, decoded,
                                             sizeof(decoded)) != 0) {
        return -1;
    }
    memcpy(out, decoded, sizeof(decoded));
    return 0;
}

int bearer_secret_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void bearer_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        OPENSSL_cleanse(p, len);
    }
}
