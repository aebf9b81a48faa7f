/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cidr.c - parse, normalise and pack the address blocks of a token
 * (grammar and packed layout in include/bearer_cidr.h).
 *
 * inet_pton does the address itself; what is checked here first is only
 * what it would let through and we refuse (zone ids, anything but the
 * characters of an address), and the "/n" suffix.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "bearer_cidr.h"

/* The characters an IPv4 or IPv6 address may hold in text. */
static int address_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* "0".."max", decimal, no sign, no leading zero: -1 if not. */
static int parse_bits(const char *s, size_t len, int max)
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
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

/* Clears every bit after the first `bits` of addr[0..nbytes). */
static void clear_host_bits(unsigned char *addr, size_t nbytes, int bits)
{
    size_t i;

    for (i = 0; i < nbytes; i++) {
        int keep = bits - (int)(i * 8);

        if (keep <= 0) {
            addr[i] = 0;
        }
        else if (keep < 8) {
            addr[i] &= (unsigned char)(0xFF << (8 - keep));
        }
    }
}

static int host_bits_clear(const unsigned char *addr, size_t nbytes, int bits)
{
    unsigned char copy[16];

    memcpy(copy, addr, nbytes);
    clear_host_bits(copy, nbytes, bits);
    return memcmp(copy, addr, nbytes) == 0;
}

bearer_cidr_status bearer_cidr_parse(const char *s, size_t len,
                                     bearer_cidr_t *out)
{
    char text[BEARER_CIDR_TEXT_MAX + 1];
    const char *slash;
    size_t alen, i;
    int is_v6 = 0, bits;
    bearer_cidr_t c;

    if (s == NULL || out == NULL || len == 0 || len > BEARER_CIDR_TEXT_MAX) {
        return BEARER_CIDR_MALFORMED;
    }
    if (memchr(s, '%', len) != NULL) {
        return BEARER_CIDR_ZONE;
    }
    slash = memchr(s, '/', len);
    alen = slash ? (size_t)(slash - s) : len;
    if (alen == 0) {
        return BEARER_CIDR_MALFORMED;
    }
    for (i = 0; i < alen; i++) {
        if (!address_char((unsigned char)s[i])) {
            return BEARER_CIDR_MALFORMED;
        }
        is_v6 |= s[i] == ':';
    }
    memcpy(text, s, alen);
    text[alen] = '\0';

    memset(&c, 0, sizeof(c));
    if (is_v6) {
        c.family = 6;
        if (inet_pton(AF_INET6, text, c.addr) != 1) {
            return BEARER_CIDR_MALFORMED;
        }
    }
    else {
        /* glibc's inet_pton takes only the four-part dotted quad, each
         * part 0..255 without leading zeros: no "10.1", no octal. */
        c.family = 4;
        if (inet_pton(AF_INET, text, c.addr) != 1) {
            return BEARER_CIDR_MALFORMED;
        }
    }
    if (slash) {
        bits = parse_bits(slash + 1, len - alen - 1, is_v6 ? 128 : 32);
        if (bits < 0) {
            return BEARER_CIDR_PREFIX;
        }
    }
    else {
        bits = is_v6 ? 128 : 32;
    }
    c.bits = (unsigned char)bits;
    clear_host_bits(c.addr, is_v6 ? 16 : 4, bits);
    *out = c;
    return BEARER_CIDR_OK;
}

size_t bearer_cidr_address_text(const bearer_cidr_t *c, char *buf,
                                size_t cap)
{
    if (c == NULL || buf == NULL || cap < BEARER_CIDR_FORMAT_MAX
        || (c->family != 4 && c->family != 6)
        || inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, buf,
                     (socklen_t)cap) == NULL) {
        return 0;
    }
    return strlen(buf);
}

size_t bearer_cidr_format(const bearer_cidr_t *c, char *buf, size_t cap)
{
    size_t n = bearer_cidr_address_text(c, buf, cap);
    int bits;

    if (n == 0 || c->bits > (c->family == 4 ? 32 : 128)) {
        return 0;
    }
    bits = c->bits;
    buf[n++] = '/';
    if (bits >= 100) {
        buf[n++] = (char)('0' + bits / 100);
    }
    if (bits >= 10) {
        buf[n++] = (char)('0' + bits / 10 % 10);
    }
    buf[n++] = (char)('0' + bits % 10);
    buf[n] = '\0';
    return n;
}

void bearer_cidr_pack(const bearer_cidr_t *c,
                      unsigned char out[BEARER_CIDR_BYTES])
{
    out[0] = c->family;
    out[1] = c->bits;
    memcpy(out + 2, c->addr, 16);
}

int bearer_cidr_unpack(const unsigned char in[BEARER_CIDR_BYTES],
                       bearer_cidr_t *out)
{
    static const unsigned char zero[12];
    bearer_cidr_t c;

    c.family = in[0];
    c.bits = in[1];
    memcpy(c.addr, in + 2, 16);
    if (c.family == 4) {
        if (c.bits > 32 || memcmp(c.addr + 4, zero, 12) != 0
            || !host_bits_clear(c.addr, 4, c.bits)) {
            return -1;
        }
    }
    else if (c.family == 6) {
        if (c.bits > 128 || !host_bits_clear(c.addr, 16, c.bits)) {
            return -1;
        }
    }
    else {
        return -1;
    }
    *out = c;
    return 0;
}

int bearer_cidr_list_valid(const unsigned char *p, size_t n)
{
    bearer_cidr_t c;
    size_t i;

    if (p == NULL || n == 0 || n > BEARER_CIDRS_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (bearer_cidr_unpack(p + i * BEARER_CIDR_BYTES, &c) != 0) {
            return 0;
        }
    }
    return 1;
}

const char *bearer_cidr_reason(bearer_cidr_status st)
{
    switch (st) {
    case BEARER_CIDR_ZONE:
        return "an IPv6 zone id is not allowed";
    case BEARER_CIDR_PREFIX:
        return "the prefix length must be 0-32 (IPv4) or 0-128 (IPv6), "
               "in decimal";
    case BEARER_CIDR_MALFORMED:
        return "not an IPv4 dotted quad or IPv6 address, with an optional "
               "/prefix";
    default:
        return "valid";
    }
}
