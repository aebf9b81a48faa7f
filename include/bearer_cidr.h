/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_cidr.h - the client address blocks a token may be bound to.
 *
 * Accepted text, and nothing else (checked before any library sees it:
 * inet_pton, and later APR's apr_ipsubnet_create, take forms we refuse,
 * such as APR's partial "10.1" networks):
 *
 *   IPv4   a.b.c.d  or  a.b.c.d/n   dotted quad, 0..255 each, no leading
 *                                   zeros, n = 0..32
 *   IPv6   addr     or  addr/n      what inet_pton(AF_INET6) accepts, no
 *                                   zone id ("%eth0"), n = 0..128
 *
 * n is decimal without leading zeros; a bare address is /32 or /128. The
 * block's host bits are cleared (10.1.2.3/8 is 10.0.0.0/8: what is shown is
 * what matches). The normalised text is "a.b.c.d/n" or the RFC 5952 form
 * of inet_ntop with "/n".
 *
 * Packed form, as stored in a token's record (BEARER_CIDR_BYTES each):
 *
 *   +0  u8   family (4 or 6)
 *   +1  u8   prefix length
 *   +2  16   address, network order; IPv4 in the first 4 bytes, the rest 0
 *
 * Pure C (libc's inet_pton/inet_ntop); no httpd or APR headers.
 */
#ifndef BEARER_CIDR_H
#define BEARER_CIDR_H

#include <stddef.h>

#define BEARER_CIDRS_MAX       16
#define BEARER_CIDR_BYTES      18
/* Longest accepted entry and longest normalised text (with the NUL). */
#define BEARER_CIDR_TEXT_MAX   64
#define BEARER_CIDR_FORMAT_MAX 64

typedef struct {
    unsigned char family;       /* 4 or 6 */
    unsigned char bits;
    unsigned char addr[16];
} bearer_cidr_t;

typedef enum {
    BEARER_CIDR_OK = 0,
    BEARER_CIDR_MALFORMED,      /* not an address, or bad characters */
    BEARER_CIDR_ZONE,           /* an IPv6 zone id */
    BEARER_CIDR_PREFIX          /* prefix length missing, malformed or out
                                   of range */
} bearer_cidr_status;

/* Parses s[0..len) (no NUL needed) into *out. */
bearer_cidr_status bearer_cidr_parse(const char *s, size_t len,
                                     bearer_cidr_t *out);

/* Writes the normalised text into buf (at least BEARER_CIDR_FORMAT_MAX
 * bytes); returns its length, or 0 if c is not a valid block. */
size_t bearer_cidr_format(const bearer_cidr_t *c, char *buf, size_t cap);

/* The address alone, as text, and the prefix length as text: what
 * apr_ipsubnet_create takes. Same return convention as format. */
size_t bearer_cidr_address_text(const bearer_cidr_t *c, char *buf,
                                size_t cap);

void bearer_cidr_pack(const bearer_cidr_t *c,
                      unsigned char out[BEARER_CIDR_BYTES]);

/* 0 and *out on a canonical packed block (known family, prefix in range,
 * host bits and unused bytes zero), else -1. */
int bearer_cidr_unpack(const unsigned char in[BEARER_CIDR_BYTES],
                       bearer_cidr_t *out);

/* 1 if the packed blocks p[0..n) are all canonical and n is 1..16. */
int bearer_cidr_list_valid(const unsigned char *p, size_t n);

/* A short description of a status, for an error message. */
const char *bearer_cidr_reason(bearer_cidr_status st);

#endif
