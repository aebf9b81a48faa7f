/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_bytes.h - small byte helpers every part uses: base64url without
 * padding (tokens, ids, X-Bearer-Metadata), wiping a buffer that held a
 * secret, and comparing secrets in constant time.
 *
 * Pure C over OpenSSL's crypto.h (OPENSSL_cleanse, CRYPTO_memcmp); no
 * httpd or APR headers, no allocation.
 */
#ifndef BEARER_BYTES_H
#define BEARER_BYTES_H

#include <stddef.h>

/* The 6-bit value of each base64url character, -1 for every other byte
 * (bytes.c; the unit tests check it against the alphabet). */
extern const signed char bearer_base64url_values[256];

/* The 6-bit value of a base64url character, or -1. Inline and one load:
 * the token check runs it over every character of every credential, and
 * a table beats a chain of range tests there. */
static inline int bearer_base64url_value(unsigned char c)
{
    return bearer_base64url_values[c];
}

/* base64url without padding: writes ceil(4n/3) chars and a NUL. out must
 * hold that plus one. Returns the number of characters written. */
size_t bearer_base64url_encode(const unsigned char *in, size_t n, char *out);

/* Length bearer_base64url_encode writes for n input bytes (without NUL). */
size_t bearer_base64url_len(size_t n);

/*
 * Decodes exactly len characters into the n bytes of out; len must be
 * bearer_base64url_len(n). 0, or -1 on a character outside the alphabet,
 * on nonzero padding bits in the last character (so every byte string
 * has one text form), or on a length that does not fit n.
 */
int bearer_base64url_decode_exact(const char *in, size_t len,
                                  unsigned char *out, size_t n);

/* Constant-time equality of two equal-length buffers (CRYPTO_memcmp):
 * 1 if equal, else 0 (unlike memcmp). */
int bearer_secret_equal(const void *a, const void *b, size_t len);

/* Overwrite a buffer that held a secret, in a way the compiler keeps
 * (OPENSSL_cleanse). */
void bearer_wipe(void *p, size_t len);

#endif
