/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_reply.c - memcached's answers: lines, data blocks, and what each
 * answer means (grammar in include/bearer_mc_reply.h). Everything here
 * reads bytes a memcached server (or whoever answers in its place) chose,
 * so every length is checked before it is used; fuzzed by fuzz/mc_reply.c.
 */
#include <string.h>

#include <apr_strings.h>

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

/* The flags of a meta answer, after its code (and size): " <flag>"*, each
 * flag a letter and the non-space bytes after it. Sets *cas from "c" and
 * checks "O" against the opaque asked with; others (memcached adds W, X,
 * Z to some answers, later versions may add more) are read past. 0 if
 * the flags are malformed (an empty flag: two spaces or a trailing
 * space; a flag that is not a letter; one repeated), if "O" is missing or
 * is not the opaque, or if want_cas and "c" is missing or is not a 64-bit
 * number. */
static int meta_flags(const char *p, apr_uint32_t opaque, int want_cas,
                      apr_uint64_t *cas)
{
    apr_uint64_t seen = 0;          /* a bit a letter: A-Z 0-25, a-z 26-51 */
    char expected[16];
    apr_size_t elen;
    int got_opaque = 0, got_cas = 0;

    elen = (apr_size_t)apr_snprintf(expected, sizeof(expected), "%u",
                                    (unsigned)opaque);
    while (*p != '\0') {
        const char *tok, *end;
        apr_size_t tlen;
        int bit;

        if (*p != ' ') {
            return 0;
        }
        tok = p + 1;
        end = strchr(tok, ' ');
        if (!end) {
            end = tok + strlen(tok);
        }
        tlen = (apr_size_t)(end - tok);
        if (*tok >= 'A' && *tok <= 'Z') {
            bit = *tok - 'A';
        }
        else if (*tok >= 'a' && *tok <= 'z') {
            bit = 26 + (*tok - 'a');
        }
        else {
            return 0;               /* an empty flag, or not a letter */
        }
        if (seen & ((apr_uint64_t)1 << bit)) {
            return 0;
        }
        seen |= (apr_uint64_t)1 << bit;
        if (*tok == 'O') {
            /* exactly what was sent: no sign, no leading zero */
            if (tlen - 1 != elen || memcmp(tok + 1, expected, elen) != 0) {
                return 0;
            }
            got_opaque = 1;
        }
        else if (*tok == 'c') {
            const char *after;

            if (!parse_number(tok + 1, &after, APR_UINT64_MAX, cas)
                    || after != end) {
                return 0;
            }
            got_cas = 1;
        }
        p = end;
    }
    return got_opaque && (got_cas || !want_cas);
}

/* The answer to "mg <key> v c O<opaque>": "VA <bytes> <flags>" with its
 * data block, or "EN <flags>" (grammar in bearer_mc_reply.h). */
static apr_status_t read_value(bearer_mc_reader *rd, apr_pool_t *pool,
                               bearer_mc_reply *reply, char *line)
{
    apr_uint64_t bytes;
    const char *p;
    apr_status_t rv;

    /* a server without meta commands */
    if (strcmp(line, "ERROR") == 0) {
        return APR_ENOTIMPL;
    }
    /* memcached 1.6.0 to 1.6.17 give no flags back on a miss: a bare EN
     * is a miss all the same. Taking it costs no safety: any server can
     * always answer a miss, and hits still carry their opaque. */
    if (strcmp(line, "EN") == 0) {
        reply->cas = 0;
        reply->status = BEARER_MC_NOT_FOUND;
        return APR_SUCCESS;
    }
    if (strncmp(line, "EN ", 3) == 0) {
        if (!meta_flags(line + 2, reply->opaque, 0, &reply->cas)) {
            return APR_EGENERAL;
        }
        reply->cas = 0;
        reply->status = BEARER_MC_NOT_FOUND;
        return APR_SUCCESS;
    }
    if (strncmp(line, "VA ", 3) != 0
            || !parse_number(line + 3, &p, BEARER_MC_ITEM_MAX, &bytes)
            || !meta_flags(p, reply->opaque, 1, &reply->cas)) {
        return APR_EGENERAL;
    }
    if (bytes > reply->value_max) {
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
    return rv == APR_SUCCESS && line[0] != '\0' ? APR_EGENERAL : rv;
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
    case BEARER_MC_REPLY_NOOP:
        if (strcmp(line, "ERROR") == 0) {
            return APR_ENOTIMPL;    /* a server without meta commands */
        }
        if (strcmp(line, "MN") != 0) {
            return APR_EGENERAL;
        }
        reply->status = BEARER_MC_OK;
        return APR_SUCCESS;
    }
    return APR_EGENERAL;
}
