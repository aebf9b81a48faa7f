/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_subject.h - revoking every token of a subject: the query string
 * of DELETE <collection>?subject=..., the subject's keyed hash, and the
 * "minted at or before the cut-off" rule.
 *
 * A subject is never a key anywhere (table, memcached, log): its keyed
 * hash is, the first 16 bytes of
 *   HMAC-SHA256(secret, "mod_bearer subject v1" || 0x00 || subject).
 *
 * Pure C; no httpd or APR headers.
 */
#ifndef BEARER_SUBJECT_H
#define BEARER_SUBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "bearer_entry.h"

typedef enum {
    BEARER_SUBJECT_Q_OK = 0,
    BEARER_SUBJECT_Q_MISSING,     /* no "subject" parameter, or no query */
    BEARER_SUBJECT_Q_EMPTY,       /* "subject=" */
    BEARER_SUBJECT_Q_TOO_LONG,    /* over BEARER_SUBJECT_MAX bytes decoded */
    BEARER_SUBJECT_Q_BAD_ESCAPE,  /* '%' not followed by two hex digits */
    BEARER_SUBJECT_Q_DUPLICATE,   /* "subject" given twice */
    BEARER_SUBJECT_Q_UNKNOWN      /* another parameter: *bad names it */
} bearer_subject_query_status;

/*
 * Parses a query string (r->args: without the '?', may be NULL), in
 * application/x-www-form-urlencoded form ('&' between parameters, '+' a
 * space, %XX an octet), in which the one parameter allowed is "subject".
 * On OK the decoded subject is in out[0..*out_len), out having at least
 * BEARER_SUBJECT_MAX bytes. On UNKNOWN, *bad / *bad_len (if not NULL)
 * point at the raw name of the first other parameter.
 */
bearer_subject_query_status
bearer_subject_query_parse(const char *query, char *out, size_t *out_len,
                           const char **bad, size_t *bad_len);

/* The subject's keyed hash into key; 0, or -1 if OpenSSL failed. */
int bearer_subject_key(const unsigned char *secret, size_t secret_len,
                       const char *subject, size_t subject_len,
                       unsigned char key[BEARER_SUBJECT_KEY_BYTES]);

/* A moment as microseconds since the epoch from seconds + microseconds;
 * saturates instead of overflowing. */
int64_t bearer_subject_usec(int64_t sec, uint32_t usec);

/* 1 if a token issued at e's issued time is cut off by a revocation of
 * its subject at cut_off_usec (issued at or before it), else 0. */
int bearer_subject_is_cut_off(const bearer_entry_t *e, int64_t cut_off_usec);

/* The stored cut-off: 8 bytes, big-endian microseconds. */
#define BEARER_CUTOFF_BYTES 8
void bearer_cutoff_encode(int64_t usec, unsigned char out[BEARER_CUTOFF_BYTES]);
int64_t bearer_cutoff_decode(const unsigned char in[BEARER_CUTOFF_BYTES]);

#endif
