/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_reply.c - memcached's answers: lines, data blocks, and what each
 * answer means (grammar in include/bearer_mc_reply.h). Everything here
 * reads bytes a memcached server (or whoever answers in its place) chose,
 * so every length is checked before it is used; fuzzed by fuzz/mc_reply.c.
 */
#include <string.h>

#include "bearer_mc_reply.h"

void bearer_mc_reader_init(bearer_mc_reader *rd, bearer_mc_recv_fn recv,
                           void *ctx)
{
    rd->recv = recv;
    rd->ctx = ctx;
    rd->rpos = 0;
    rd->rlen = 0;
}

int bearer_mc_reader_pending(const bearer_mc_reader *rd)
{
    return rd->rpos != rd->rlen;
}

/* More bytes after the unread ones (moved to the front first). */
static apr_status_t fill(bearer_mc_reader *rd)
{
    apr_size_t n, room;
    apr_status_t rv;

    if (rd->rpos > 0) {
        memmove(rd->buf, rd->buf + rd->rpos, rd->rlen - rd->rpos);
        rd->rlen -= rd->rpos;
        rd->rpos = 0;
    }
    if (rd->rlen == sizeof(rd->buf)) {
        return APR_ENOSPC;
    }
    room = n = sizeof(rd->buf) - rd->rlen;
    rv = rd->recv(rd->ctx, rd->buf + rd->rlen, &n);
    if (n > room) {
        return APR_EGENERAL;        /* a callback that overran: never trust */
    }
    if (n > 0) {
        rd->rlen += n;
        return APR_SUCCESS;
    }
    return rv == APR_SUCCESS ? APR_EOF : rv;
}

apr_status_t bearer_mc_read_line(bearer_mc_reader *rd,
                                 char line[BEARER_MC_LINE_MAX])
{
    for (;;) {
        char *start = rd->buf + rd->rpos;
        apr_size_t avail = rd->rlen - rd->rpos;
        char *nl = memchr(start, '\n', avail);
        apr_status_t rv;

        if (nl) {
            apr_size_t len = (apr_size_t)(nl - start);

            /* memcached never puts a NUL in a line: one would end the
             * C string early and "STORED\0junk" read as STORED */
            if (len == 0 || start[len - 1] != '\r'
                    || len - 1 >= BEARER_MC_LINE_MAX
                    || memchr(start, '\0', len - 1) != NULL) {
                return APR_EGENERAL;
            }
            memcpy(line, start, len - 1);
            line[len - 1] = '\0';
            rd->rpos += len + 1;
            return APR_SUCCESS;
        }
        /* The longest line's LF is byte BEARER_MC_LINE_MAX (511 bytes,
         * CR, LF): only past that is there no line. Refusing earlier made
         * a 511-byte line good or bad by where the socket's reads split. */
        if (avail > BEARER_MC_LINE_MAX) {
            return APR_EGENERAL;
        }
        rv = fill(rd);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
}

apr_status_t bearer_mc_read_exact(bearer_mc_reader *rd, char *dest,
                                  apr_size_t len)
{
    while (len > 0) {
        apr_size_t avail = rd->rlen - rd->rpos;
        apr_status_t rv;

        if (avail == 0) {
            rv = fill(rd);
            if (rv != APR_SUCCESS) {
                return rv;
            }
            continue;
        }
        if (avail > len) {
            avail = len;
        }
        if (dest) {
            memcpy(dest, rd->buf + rd->rpos, avail);
            dest += avail;
        }
        rd->rpos += avail;
        len -= avail;
    }
    return APR_SUCCESS;
}

/* Decimal digits at p, at least one, into *v if the number is at most
 * max; *end after them. 0 if there is no digit or the number is larger
 * (apr_strtoi64 would stop at INT64_MAX and say nothing: memcached's
 * cas uniques and counters are 64-bit unsigned). */
static int parse_number(const char *p, const char **end, apr_uint64_t max,
                        apr_uint64_t *v)
{
    const char *start = p;
    apr_uint64_t n = 0;

    while (*p >= '0' && *p <= '9') {
        unsigned digit = (unsigned)(*p - '0');

        if (n > (max - digit) / 10) {
            return 0;
        }
        n = n * 10 + digit;
        p++;
    }
    *end = p;
    *v = n;
    return p > start;
}

/* Parses "VALUE <key> <flags> <bytes> [<cas unique>]" for our key: flags
 * 32-bit, bytes within memcached's item limit, cas 64-bit. -1 if it is
 * not that. */
static apr_int64_t value_length(const char *line, const char *key,
                                apr_uint64_t *cas)
{
    apr_size_t klen = strlen(key);
    const char *p;
    apr_uint64_t flags, bytes;

    if (strncmp(line, "VALUE ", 6) != 0 || strncmp(line + 6, key, klen) != 0
            || line[6 + klen] != ' ') {
        return -1;
    }
    p = line + 6 + klen + 1;
    if (!parse_number(p, &p, 0xFFFFFFFFu, &flags) || *p != ' '
            || !parse_number(p + 1, &p, BEARER_MC_ITEM_MAX, &bytes)) {
        return -1;
    }
    *cas = 0;
    if (*p == ' ') {
        if (!parse_number(p + 1, &p, APR_UINT64_MAX, cas)) {
            return -1;
        }
    }
    return *p == '\0' ? (apr_int64_t)bytes : -1;
}

/* The answer to "gets": END, or one VALUE with its data block and END. */
static apr_status_t read_value(bearer_mc_reader *rd, apr_pool_t *pool,
                               bearer_mc_reply *reply, char *line)
{
    apr_int64_t bytes;
    apr_status_t rv;

    if (strcmp(line, "END") == 0) {
        reply->status = BEARER_MC_NOT_FOUND;
        return APR_SUCCESS;
    }
    bytes = value_length(line, reply->key, &reply->cas);
    if (bytes < 0) {
        return APR_EGENERAL;
    }
    if ((apr_uint64_t)bytes > reply->value_max) {
        /* not ours: skip it without holding it */
        rv = bearer_mc_read_exact(rd, NULL, (apr_size_t)bytes);
        reply->status = BEARER_MC_BAD_VALUE;
    }
    else {
        reply->data = apr_palloc(pool, (apr_size_t)bytes + 1);
        reply->data_len = (apr_size_t)bytes;
        rv = bearer_mc_read_exact(rd, (char *)reply->data,
                                  (apr_size_t)bytes);
        reply->data[bytes] = '\0';
        reply->status = BEARER_MC_OK;
    }
    if (rv == APR_SUCCESS) {
        rv = bearer_mc_read_line(rd, line);         /* the data's CRLF */
    }
    if (rv == APR_SUCCESS && line[0] != '\0') {
        rv = APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) {
        rv = bearer_mc_read_line(rd, line);
    }
    return rv == APR_SUCCESS && strcmp(line, "END") != 0 ? APR_EGENERAL : rv;
}

static apr_status_t read_incr(bearer_mc_reply *reply, const char *line)
{
    const char *end;

    if (strcmp(line, "NOT_FOUND") == 0) {
        reply->status = BEARER_MC_NOT_FOUND;
    }
    else if (strncmp(line, "CLIENT_ERROR", 12) == 0
             && (line[12] == '\0' || line[12] == ' ')) {
        reply->status = BEARER_MC_BAD_VALUE;    /* a non-numeric counter */
    }
    else {
        /* memcached's counters wrap at 2^64 */
        if (!parse_number(line, &end, APR_UINT64_MAX, &reply->number)
                || *end != '\0') {
            return APR_EGENERAL;
        }
        reply->status = BEARER_MC_OK;
    }
    return APR_SUCCESS;
}

apr_status_t bearer_mc_read_reply(bearer_mc_reader *rd, apr_pool_t *pool,
                                  bearer_mc_reply *reply)
{
    char line[BEARER_MC_LINE_MAX];
    apr_status_t rv = bearer_mc_read_line(rd, line);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    switch (reply->kind) {
    case BEARER_MC_REPLY_VALUE:
        return read_value(rd, pool, reply, line);
    case BEARER_MC_REPLY_STORE:
        if (strcmp(line, "STORED") == 0) {
            reply->status = BEARER_MC_OK;
        }
        else if (strcmp(line, "NOT_STORED") == 0
                 || strcmp(line, "EXISTS") == 0
                 || strcmp(line, "NOT_FOUND") == 0) {
            reply->status = BEARER_MC_NOT_FOUND;
        }
        else {
            return APR_EGENERAL;
        }
        return APR_SUCCESS;
    case BEARER_MC_REPLY_INCR:
        return read_incr(reply, line);
    case BEARER_MC_REPLY_FLUSH:
        if (strcmp(line, "OK") != 0) {
            return APR_EGENERAL;
        }
        reply->status = BEARER_MC_OK;
        return APR_SUCCESS;
    case BEARER_MC_REPLY_VERSION:
        if (strncmp(line, "VERSION ", 8) != 0) {
            return APR_EGENERAL;
        }
        reply->status = BEARER_MC_OK;
        return APR_SUCCESS;
    }
    return APR_EGENERAL;
}
