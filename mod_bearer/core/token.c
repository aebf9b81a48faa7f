/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.c - client tokens: mint, check the public checksum, derive the id.
 *
 * The checksum is computed over the token's text (prefix and the 43
 * random characters), so anyone holding only the string can verify it;
 * the id is keyed, so only the server can derive it.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "bearer_mac.h"
#include "bearer_token.h"

#define CHECKSUM_BYTES 4

static const char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of a base64url character, or -1. Written as ranges
 * rather than a 256-entry table so it can be checked by eye. */
static int base64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
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

/* The 6 checksum characters of prefix || random_text into out (+ NUL). */
static int checksum_text(const char *prefix, size_t prefix_len,
                         const char *random_text,
                         char out[BEARER_CHECKSUM_CHARS + 1])
{
    unsigned char material[BEARER_PREFIX_MAX + BEARER_RANDOM_CHARS];
    unsigned char digest[EVP_MAX_MD_SIZE];
    int ok;

    if (prefix_len > BEARER_PREFIX_MAX) {
        return -1;
    }
    memcpy(material, prefix, prefix_len);
    memcpy(material + prefix_len, random_text, BEARER_RANDOM_CHARS);
    ok = bearer_sha256(material, prefix_len + BEARER_RANDOM_CHARS, digest);
    OPENSSL_cleanse(material, sizeof(material));
    if (ok != 0) {
        OPENSSL_cleanse(digest, sizeof(digest));
        return -1;
    }
    bearer_base64url_encode(digest, CHECKSUM_BYTES, out);
    OPENSSL_cleanse(digest, sizeof(digest));
    return 0;
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

    if (checksum_text(prefix, prefix_len, out + prefix_len, checksum) != 0) {
        OPENSSL_cleanse(out, BEARER_TOKEN_MAX + 1);
        return -1;
    }
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
    if (checksum_text(prefix, prefix_len, random_text, checksum) != 0) {
        return 0;
    }
    return CRYPTO_memcmp(checksum, checksum_given, BEARER_CHECKSUM_CHARS) == 0;
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
