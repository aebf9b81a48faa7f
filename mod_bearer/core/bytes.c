/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bytes.c - base64url, wiping and constant-time comparison
 * (include/bearer_bytes.h).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "bearer_bytes.h"

static const char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of a base64url character, or -1 (bearer_bytes.h). */
const signed char bearer_base64url_values[256] = {
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

int bearer_base64url_decode_exact(const char *in, size_t len,
                                  unsigned char *out, size_t n)
{
    unsigned long bits = 0;
    int nbits = 0;
    size_t i, o = 0;

    if (bearer_base64url_len(n) != len) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        int v = bearer_base64url_value((unsigned char)in[i]);
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
