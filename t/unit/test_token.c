/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of token.c: minting, checksum, ids, base64url.
 *
 * The known answers were computed outside this code, with Python's zlib
 * and hmac modules:
 *   random = base64url(bytes 0x00..0x1f)
 *   checksum = base64url(zlib.crc32(b'bt_<random>').to_bytes(4, 'big'))
 *   id = base64url(hmac.new(KAT_SECRET, b'<token>', sha256).digest()[:16])
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "bearer_token.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"

#define KAT_RANDOM  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define KAT_TOKEN   "bt_" KAT_RANDOM "bRSoJA"
/* The same random part under prefix "x". */
#define KAT_TOKEN_X "x" KAT_RANDOM "HtdIfw"
#define KAT_SECRET  "0123456789abcdef0123456789abcdef"
#define KAT_MAC_HEX "3644a30447d5c2ef3a51362e0d49321c" \
                    "e2482601a1c8ec296d5493c18081a3eb"
#define KAT_ID      "NkSjBEfVwu86UTYuDUkyHA"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void hex_of(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xF];
    }
    out[2 * n] = '\0';
}

static int well_formed(const char *prefix, const char *token, size_t len)
{
    return bearer_token_well_formed(prefix, strlen(prefix), token, len);
}

START_TEST(test_prefix_valid)
{
    ck_assert_int_eq(bearer_prefix_valid("bt_"), 1);
    ck_assert_int_eq(bearer_prefix_valid("x"), 1);
    ck_assert_int_eq(bearer_prefix_valid("_"), 1);
    ck_assert_int_eq(bearer_prefix_valid("Az09_"), 1);
    ck_assert_int_eq(bearer_prefix_valid("abcdefghijklmnop"), 1);
    ck_assert_int_eq(bearer_prefix_valid("abcdefghijklmnopq"), 0);
    ck_assert_int_eq(bearer_prefix_valid(""), 0);
    ck_assert_int_eq(bearer_prefix_valid(NULL), 0);
    ck_assert_int_eq(bearer_prefix_valid("bt-"), 0);
    ck_assert_int_eq(bearer_prefix_valid("b t"), 0);
    ck_assert_int_eq(bearer_prefix_valid("bt."), 0);
    ck_assert_int_eq(bearer_prefix_valid("\xc3\xa9"), 0);
}
END_TEST

START_TEST(test_known_token_well_formed)
{
    ck_assert_uint_eq(strlen(KAT_TOKEN), 3 + BEARER_BODY_CHARS);
    ck_assert_int_eq(well_formed("bt_", KAT_TOKEN, strlen(KAT_TOKEN)), 1);
    ck_assert_int_eq(well_formed("x", KAT_TOKEN_X, strlen(KAT_TOKEN_X)), 1);
    /* The checksum covers the prefix: same random, other prefix. */
    ck_assert_int_eq(well_formed("x", "x" KAT_RANDOM "bRSoJA",
                                 strlen(KAT_TOKEN) - 2), 0);
}
END_TEST

START_TEST(test_mint_round_trip)
{
    char token[BEARER_TOKEN_MAX + 1];
    char other[BEARER_TOKEN_MAX + 1];
    size_t len = 0, other_len = 0;
    size_t i;

    ck_assert_int_eq(bearer_token_mint("bt_", token, &len), 0);
    ck_assert_uint_eq(len, 3 + BEARER_BODY_CHARS);
    ck_assert_uint_eq(strlen(token), len);
    ck_assert(memcmp(token, "bt_", 3) == 0);
    for (i = 3; i < len; i++) {
        ck_assert_ptr_nonnull(strchr(alphabet, token[i]));
    }
    ck_assert_int_eq(well_formed("bt_", token, len), 1);

    ck_assert_int_eq(bearer_token_mint("bt_", other, &other_len), 0);
    ck_assert_int_eq(well_formed("bt_", other, other_len), 1);
    ck_assert(memcmp(token, other, len) != 0);
}
END_TEST

START_TEST(test_mint_longest_prefix)
{
    char token[BEARER_TOKEN_MAX + 1];
    size_t len = 0;

    ck_assert_int_eq(bearer_token_mint("abcdefghijklmnop", token, &len), 0);
    ck_assert_uint_eq(len, BEARER_TOKEN_MAX);
    ck_assert_uint_eq(strlen(token), BEARER_TOKEN_MAX);
    ck_assert_int_eq(well_formed("abcdefghijklmnop", token, len), 1);
}
END_TEST

START_TEST(test_mint_bad_prefix)
{
    char token[BEARER_TOKEN_MAX + 1];
    size_t len = 0;

    memset(token, 'q', sizeof(token));
    ck_assert_int_eq(bearer_token_mint("b-t", token, &len), -1);
    ck_assert_int_eq(token[0], 0);
    ck_assert_int_eq(bearer_token_mint("", token, &len), -1);
}
END_TEST

/* Every character of a token replaced by every other byte: never well
 * formed. Run on the known token and on a fresh one. */
static void check_every_flip(const char *prefix, const char *token)
{
    char copy[BEARER_TOKEN_MAX + 1];
    size_t len = strlen(token);
    size_t i;
    int c;

    for (i = 0; i < len; i++) {
        for (c = 1; c < 256; c++) {
            if ((char)c == token[i]) {
                continue;
            }
            memcpy(copy, token, len + 1);
            copy[i] = (char)c;
            ck_assert_msg(well_formed(prefix, copy, len) == 0,
                          "flip at %zu to %d accepted", i, c);
        }
    }
}

START_TEST(test_every_flip_rejected_known)
{
    check_every_flip("bt_", KAT_TOKEN);
}
END_TEST

START_TEST(test_every_flip_rejected_minted)
{
    char token[BEARER_TOKEN_MAX + 1];
    size_t len;

    ck_assert_int_eq(bearer_token_mint("bt_", token, &len), 0);
    check_every_flip("bt_", token);
}
END_TEST

START_TEST(test_wrong_shape)
{
    char buf[BEARER_TOKEN_MAX + 8];
    size_t len = strlen(KAT_TOKEN);

    /* Other prefix, or none. */
    ck_assert_int_eq(well_formed("bx_", KAT_TOKEN, len), 0);
    ck_assert_int_eq(well_formed("bt", KAT_TOKEN, len), 0);
    ck_assert_int_eq(well_formed("bt_", &KAT_TOKEN[3], len - 3), 0);
    ck_assert_int_eq(bearer_token_well_formed("", 0, KAT_TOKEN, len), 0);
    /* Lengths. */
    ck_assert_int_eq(well_formed("bt_", KAT_TOKEN, len - 1), 0);
    memcpy(buf, KAT_TOKEN, len);
    buf[len] = 'A';
    ck_assert_int_eq(well_formed("bt_", buf, len + 1), 0);
    ck_assert_int_eq(well_formed("bt_", "", 0), 0);
    ck_assert_int_eq(well_formed("bt_", NULL, 0), 0);
    /* Two adjacent characters swapped. */
    memcpy(buf, KAT_TOKEN, len + 1);
    buf[10] = KAT_TOKEN[11];
    buf[11] = KAT_TOKEN[10];
    ck_assert_int_eq(well_formed("bt_", buf, len), 0);
}
END_TEST

START_TEST(test_random_padding_bits)
{
    /* "8" is 60 = 0b111100 and "9" is 61: same bytes if the 2 padding
     * bits were ignored. Mint never sets them, so "9" is refused even
     * with a checksum computed over it (zlib.crc32 of
     * 'bt_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9'). */
    const char *tampered =
        "bt_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9" "GhOYsg";
    ck_assert_int_eq(well_formed("bt_", tampered, strlen(tampered)), 0);
}
END_TEST

START_TEST(test_mac_rfc4231)
{
    /* RFC 4231 test case 2. */
    unsigned char mac[BEARER_MAC_BYTES];
    char hex[2 * BEARER_MAC_BYTES + 1];

    ck_assert_int_eq(bearer_mac((const unsigned char *)"Jefe", 4,
                                "what do ya want for nothing?", 28, mac), 0);
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c7"
                          "5a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(test_mac_and_id_known_answer)
{
    unsigned char mac[BEARER_MAC_BYTES];
    char hex[2 * BEARER_MAC_BYTES + 1];
    char id[BEARER_ID_CHARS + 1];
    unsigned char id_bytes[BEARER_ID_BYTES];

    ck_assert_int_eq(bearer_mac((const unsigned char *)KAT_SECRET,
                                strlen(KAT_SECRET), KAT_TOKEN,
                                strlen(KAT_TOKEN), mac), 0);
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, KAT_MAC_HEX);

    memset(id, 'q', sizeof(id));
    bearer_token_id_from_mac(mac, id);
    ck_assert_str_eq(id, KAT_ID);
    ck_assert_int_eq(bearer_token_id_well_formed(id, strlen(id)), 1);

    ck_assert_int_eq(bearer_token_id_decode(id, strlen(id), id_bytes), 0);
    ck_assert(memcmp(id_bytes, mac, BEARER_ID_BYTES) == 0);
}
END_TEST

START_TEST(test_mac_empty)
{
    /* HMAC-SHA256 with empty key and message, a published value. */
    unsigned char mac[BEARER_MAC_BYTES];
    char hex[2 * BEARER_MAC_BYTES + 1];

    ck_assert_int_eq(bearer_mac(NULL, 0, NULL, 0, mac), 0);
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "b613679a0814d9ec772f95d778c35fc5"
                          "ff1697c493715653c6c712144292c5ad");
    ck_assert_int_eq(bearer_mac(NULL, 1, "", 0, mac), -1);
    ck_assert_int_eq(bearer_mac((const unsigned char *)"k", 1, NULL, 1, mac),
                     -1);
}
END_TEST

START_TEST(test_id_well_formed)
{
    char id[BEARER_ID_CHARS + 1];
    const char *p;

    ck_assert_int_eq(bearer_token_id_well_formed(KAT_ID, 22), 1);
    ck_assert_int_eq(bearer_token_id_well_formed(KAT_ID, 21), 0);
    ck_assert_int_eq(bearer_token_id_well_formed(KAT_ID "A", 23), 0);
    ck_assert_int_eq(bearer_token_id_well_formed("", 0), 0);
    ck_assert_int_eq(bearer_token_id_well_formed(NULL, 0), 0);
    ck_assert_int_eq(bearer_token_id_well_formed("self", 4), 0);

    /* Characters outside base64url, anywhere. */
    memcpy(id, KAT_ID, sizeof(id));
    id[5] = '+';
    ck_assert_int_eq(bearer_token_id_well_formed(id, 22), 0);
    id[5] = '/';
    ck_assert_int_eq(bearer_token_id_well_formed(id, 22), 0);
    id[5] = '=';
    ck_assert_int_eq(bearer_token_id_well_formed(id, 22), 0);
    id[5] = '\0';
    ck_assert_int_eq(bearer_token_id_well_formed(id, 22), 0);

    /* The last character holds 2 data bits and 4 padding bits: only the
     * four characters whose padding is zero are allowed. */
    memcpy(id, KAT_ID, sizeof(id));
    for (p = alphabet; *p != '\0'; p++) {
        int value = (int)(p - alphabet);
        id[21] = *p;
        ck_assert_msg(bearer_token_id_well_formed(id, 22)
                      == ((value & 0xF) == 0), "last char %c", *p);
    }
}
END_TEST

START_TEST(test_id_decode)
{
    unsigned char bytes[BEARER_ID_BYTES];
    unsigned char back[BEARER_ID_BYTES];
    char id[BEARER_ID_CHARS + 1];
    int i;

    for (i = 0; i < BEARER_ID_BYTES; i++) {
        bytes[i] = (unsigned char)(0xF0 + i);
    }
    ck_assert_uint_eq(bearer_base64url_encode(bytes, sizeof(bytes), id), 22);
    ck_assert_int_eq(bearer_token_id_decode(id, 22, back), 0);
    ck_assert(memcmp(bytes, back, sizeof(bytes)) == 0);

    /* Malformed ids leave out alone. */
    memset(back, 0xAA, sizeof(back));
    id[21] = 'B';
    ck_assert_int_eq(bearer_token_id_decode(id, 22, back), -1);
    ck_assert_int_eq(bearer_token_id_decode(id, 21, back), -1);
    ck_assert_int_eq(bearer_token_id_decode(NULL, 22, back), -1);
    for (i = 0; i < BEARER_ID_BYTES; i++) {
        ck_assert_int_eq(back[i], 0xAA);
    }
}
END_TEST

START_TEST(test_base64url_vectors)
{
    /* RFC 4648 section 10 vectors, in the URL-safe alphabet without '='. */
    static const struct {
        const char *in;
        const char *out;
    } vectors[] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" },
    };
    static const unsigned char high[] = { 0xFB, 0xFF, 0xBF };
    char out[16];
    size_t i;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        size_t n = strlen(vectors[i].in);
        ck_assert_uint_eq(bearer_base64url_encode(
                              (const unsigned char *)vectors[i].in, n, out),
                          strlen(vectors[i].out));
        ck_assert_str_eq(out, vectors[i].out);
        ck_assert_uint_eq(bearer_base64url_len(n), strlen(vectors[i].out));
    }
    /* The two characters that differ from standard base64. */
    ck_assert_uint_eq(bearer_base64url_encode(high, sizeof(high), out), 4);
    ck_assert_str_eq(out, "-_-_");
}
END_TEST

START_TEST(test_base64url_len)
{
    ck_assert_uint_eq(bearer_base64url_len(0), 0);
    ck_assert_uint_eq(bearer_base64url_len(1), 2);
    ck_assert_uint_eq(bearer_base64url_len(2), 3);
    ck_assert_uint_eq(bearer_base64url_len(3), 4);
    ck_assert_uint_eq(bearer_base64url_len(4), 6);
    ck_assert_uint_eq(bearer_base64url_len(BEARER_ID_BYTES), BEARER_ID_CHARS);
    ck_assert_uint_eq(bearer_base64url_len(BEARER_RANDOM_BYTES),
                      BEARER_RANDOM_CHARS);
}
END_TEST

START_TEST(test_secret_equal_and_wipe)
{
    unsigned char a[40], b[40];

    memset(a, 7, sizeof(a));
    memset(b, 7, sizeof(b));
    ck_assert_int_eq(bearer_secret_equal(a, b, sizeof(a)), 1);
    b[39] ^= 1;
    ck_assert_int_eq(bearer_secret_equal(a, b, sizeof(a)), 0);
    ck_assert_int_eq(bearer_secret_equal(a, b, 39), 1);
    b[0] ^= 0x80;
    ck_assert_int_eq(bearer_secret_equal(a, b, 39), 0);
    ck_assert_int_eq(bearer_secret_equal(a, b, 0), 1);

    bearer_wipe(a, sizeof(a));
    memset(b, 0, sizeof(b));
    ck_assert(memcmp(a, b, sizeof(a)) == 0);
    bearer_wipe(NULL, 0);
}
END_TEST

/* bearer_crc32 is zlib's CRC-32: its published check value, and a
 * bit-at-a-time reference over every byte value, every length to 300 and
 * every byte value in every place of an 8-byte step (which checks every
 * entry of token.c's eight tables). */
static uint32_t reference_crc32(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (b = 0; b < 8; b++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
    }
    return crc ^ 0xFFFFFFFFu;
}

START_TEST(test_crc32)
{
    unsigned char data[300];
    size_t i, n;

    ck_assert_uint_eq(bearer_crc32("123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(bearer_crc32("", 0), 0);
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (unsigned char)(i * 7 + (i >> 3));
    }
    for (i = 0; i < 256; i++) {
        unsigned char one = (unsigned char)i;
        ck_assert_uint_eq(bearer_crc32(&one, 1), reference_crc32(&one, 1));
    }
    for (n = 0; n <= sizeof(data); n++) {
        ck_assert_uint_eq(bearer_crc32(data, n), reference_crc32(data, n));
    }
    /* every byte value in every place of an 8-byte step: each entry of
     * each of the eight tables */
    for (n = 0; n < 8; n++) {
        for (i = 0; i < 256; i++) {
            unsigned char step[9] = { 0 };

            step[n] = (unsigned char)i;
            ck_assert_uint_eq(bearer_crc32(step, 8), reference_crc32(step, 8));
            ck_assert_uint_eq(bearer_crc32(step, 9), reference_crc32(step, 9));
        }
    }
}
END_TEST

/* Every byte value in one place of the body: only the 64 characters of
 * the alphabet are accepted (with the checksum recomputed each time), which
 * checks token.c's table of character values. */
START_TEST(test_body_alphabet_exact)
{
    char token[BEARER_TOKEN_MAX + 1];
    size_t len = strlen(KAT_TOKEN);
    int c;

    for (c = 1; c < 256; c++) {
        uint32_t crc;
        unsigned char be[4];

        memcpy(token, KAT_TOKEN, len + 1);
        token[3 + 20] = (char)c;
        crc = bearer_crc32(token, 3 + BEARER_RANDOM_CHARS);
        be[0] = (unsigned char)(crc >> 24);
        be[1] = (unsigned char)(crc >> 16);
        be[2] = (unsigned char)(crc >> 8);
        be[3] = (unsigned char)crc;
        bearer_base64url_encode(be, 4, token + 3 + BEARER_RANDOM_CHARS);
        ck_assert_msg(well_formed("bt_", token, len)
                      == (strchr(alphabet, c) != NULL), "byte %d", c);
    }
}
END_TEST

Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("token");

    tcase_add_test(tc, test_prefix_valid);
    tcase_add_test(tc, test_known_token_well_formed);
    tcase_add_test(tc, test_mint_round_trip);
    tcase_add_test(tc, test_mint_longest_prefix);
    tcase_add_test(tc, test_mint_bad_prefix);
    tcase_add_test(tc, test_every_flip_rejected_known);
    tcase_add_test(tc, test_every_flip_rejected_minted);
    tcase_add_test(tc, test_wrong_shape);
    tcase_add_test(tc, test_random_padding_bits);
    tcase_add_test(tc, test_mac_rfc4231);
    tcase_add_test(tc, test_mac_and_id_known_answer);
    tcase_add_test(tc, test_mac_empty);
    tcase_add_test(tc, test_id_well_formed);
    tcase_add_test(tc, test_id_decode);
    tcase_add_test(tc, test_base64url_vectors);
    tcase_add_test(tc, test_base64url_len);
    tcase_add_test(tc, test_secret_equal_and_wipe);
    tcase_add_test(tc, test_crc32);
    tcase_add_test(tc, test_body_alphabet_exact);
    suite_add_tcase(s, tc);
    return s;
}
