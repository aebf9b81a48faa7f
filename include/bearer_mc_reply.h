/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_mc_reply.h - reading memcached's answers (text protocol, and
 * the meta protocol's mg for reads): the framing and the meaning of each
 * answer, apart from the sockets they arrive on. mc_batch.c hands a
 * reader its bytes through a recv callback (a socket wait clipped to the
 * batch's deadline); the unit tests and the fuzzer hand it scripted bytes
 * in pieces of their choosing.
 *
 * Framing: answer lines end in CRLF and hold at most BEARER_MC_LINE_MAX - 1
 * bytes, none of them NUL; a value is a data block of exactly the length
 * its VA line announced, then CRLF. Numbers are decimal digits only:
 * bytes at most BEARER_MC_ITEM_MAX, cas and counters 64-bit unsigned; a
 * number out of its range makes the line no answer. The answers
 * mod_bearer reads, one per request in the order asked:
 *
 *   to "mg <key> v c O<n>" VA <bytes> <flags> CRLF
 *                          <bytes bytes> CRLF            -> OK, data, cas
 *                          (over value_max bytes: skipped -> BAD_VALUE)
 *                          EN <flags> CRLF               -> NOT_FOUND
 *                          EN alone (memcached before 1.6.18 gives no
 *                          flags back on a miss)         -> NOT_FOUND
 *                          ERROR (no meta commands)      -> APR_ENOTIMPL
 *   to add / set / cas     STORED                        -> OK
 *                          NOT_STORED, EXISTS, NOT_FOUND -> NOT_FOUND
 *   to "incr <key> <n>"    <decimal>                     -> OK, number
 *                          NOT_FOUND                     -> NOT_FOUND
 *                          CLIENT_ERROR ...              -> BAD_VALUE
 *                          (a counter that is not a number)
 *   to flush_all           OK
 *   to version             VERSION ...
 *   to mn (meta no-op)     MN
 *                          ERROR (no meta commands)      -> APR_ENOTIMPL
 *
 * <flags> of VA and EN: one or more, each a space then a letter and the
 * non-space bytes after it, in any order. O<n> must be there, exactly the
 * opaque sent (the decimal n, as written): the key is not echoed, so the
 * opaque is what ties an answer to its request. VA must carry c<cas>.
 * Other flags are read past (memcached adds W, X, Z to some answers).
 * A flag repeated, an empty flag (two spaces, a trailing space) or one
 * that does not start with a letter is no answer.
 *
 * Anything else (SERVER_ERROR, CLIENT_ERROR to a mg, another opaque, a
 * line too long, a data block without its CRLF) is a broken answer: the
 * connection is out of step and must not be used again.
 *
 * APR pools only (no httpd headers); values are copied into the caller's
 * pool.
 */
#ifndef BEARER_MC_REPLY_H
#define BEARER_MC_REPLY_H

#include <apr_errno.h>
#include <apr_pools.h>

/* Longest answer line, its CRLF excluded, is BEARER_MC_LINE_MAX - 1. */
#define BEARER_MC_LINE_MAX      512
#define BEARER_MC_READ_BUFFER   4096
/* memcached's own item limit: a longer value cannot be there. */
#define BEARER_MC_ITEM_MAX      (1024 * 1024)

typedef enum {
    BEARER_MC_OK = 0,        /* GET: a value; ADD/SET: stored; INCR: counted */
    BEARER_MC_NOT_FOUND,     /* GET miss; ADD: key exists; CAS: changed
                                or gone since; INCR: no key */
    BEARER_MC_BAD_VALUE,     /* the server answered with something we refuse
                                (oversized value, non-numeric counter) */
    BEARER_MC_FAILED         /* unreachable, timed out, or skipped as down */
} bearer_mc_status;

/* What answer to expect: what the request was. */
typedef enum {
    BEARER_MC_REPLY_VALUE,      /* mg <key> v c O<opaque> */
    BEARER_MC_REPLY_STORE,      /* add, set, cas */
    BEARER_MC_REPLY_INCR,       /* incr */
    BEARER_MC_REPLY_FLUSH,      /* flush_all */
    BEARER_MC_REPLY_VERSION,    /* version */
    BEARER_MC_REPLY_NOOP        /* mn: does the server speak the meta
                                   protocol (a probe)? */
} bearer_mc_reply_kind;

/* Fills buf with up to *len bytes and sets *len to how many came; an
 * error (timeout, reset) or APR_SUCCESS with *len 0 (the peer closed). */
typedef apr_status_t (*bearer_mc_recv_fn)(void *ctx, char *buf,
                                          apr_size_t *len);

typedef struct {
    bearer_mc_recv_fn recv;
    void *ctx;
    apr_size_t rpos, rlen;          /* unread bytes: buf[rpos..rlen) */
    char buf[BEARER_MC_READ_BUFFER];
} bearer_mc_reader;

typedef struct {
    /* what was asked */
    bearer_mc_reply_kind kind;
    apr_uint32_t opaque;            /* VALUE: the O flag sent with the mg */
    apr_size_t value_max;           /* VALUE: longer values are skipped */
    /* the answer */
    bearer_mc_status status;
    unsigned char *data;            /* VALUE: data_len bytes + a NUL, in the
                                       pool */
    apr_size_t data_len;
    apr_uint64_t cas;               /* VALUE: its cas unique (the c flag) */
    apr_uint64_t number;            /* INCR: the new value */
} bearer_mc_reply;

void bearer_mc_reader_init(bearer_mc_reader *rd, bearer_mc_recv_fn recv,
                           void *ctx);

/* 1 if bytes arrived that no answer has read yet (a connection in that
 * state is out of step). */
int bearer_mc_reader_pending(const bearer_mc_reader *rd);

/* One line without its CRLF, NUL-terminated, into line. APR_EGENERAL if
 * it is malformed or too long; the recv callback's error, or APR_EOF. */
apr_status_t bearer_mc_read_line(bearer_mc_reader *rd,
                                 char line[BEARER_MC_LINE_MAX]);

/* Exactly len bytes into dest, or skipped when dest is NULL. */
apr_status_t bearer_mc_read_exact(bearer_mc_reader *rd, char *dest,
                                  apr_size_t len);

/* Reads the whole answer to one request (reply->kind, opaque, value_max set
 * by the caller). APR_SUCCESS when the exchange completed (reply->status
 * says how); otherwise the connection is no longer usable: APR_EGENERAL
 * for a broken answer, APR_ENOTIMPL for a server without the meta
 * protocol as mod_bearer needs it (VALUE only), or the recv callback's
 * error, or APR_EOF. */
apr_status_t bearer_mc_read_reply(bearer_mc_reader *rd, apr_pool_t *pool,
                                  bearer_mc_reply *reply);

#endif
