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

#include "bearer_bytes.h"
#include "bearer_mac.h"
#include "bearer_token.h"

#define CHECKSUM_BYTES 4

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
        if (bearer_base64url_value((unsigned char)random_text[i]) < 0) {
            return 0;
        }
    }
    /* 43 characters carry 258 bits for 256: mint never sets the last 2,
     * so a token that does is a copy with a typo, not one of ours. */
    if ((bearer_base64url_value((unsigned char)random_text[BEARER_RANDOM_CHARS - 1])
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
    return bearer_base64url_decode_exact(s, len, scratch, sizeof(scratch)) == 0;
}

int bearer_token_id_decode(const char *id, size_t len,
                           unsigned char out[BEARER_ID_BYTES])
{
    unsigned char decoded[BEARER_ID_BYTES];

    /* Decode aside so that out is untouched when the id is malformed. */
    if (id == NULL || bearer_base64url_decode_exact(id, len, decoded,
                                             sizeof(decoded)) != 0) {
        return -1;
    }
    memcpy(out, decoded, sizeof(decoded));
    return 0;
}
