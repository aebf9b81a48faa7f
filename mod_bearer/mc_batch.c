/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_batch.c - one batch of memcached exchanges under one deadline, in
 * three steps: plan (which servers this batch may use, the clean-up a
 * dirty one owes, the bytes each is sent), send (every server's bytes go
 * out before any answer is read, so the servers work in parallel and one
 * slow server costs the batch one wait; an idle connection the server had
 * closed is replaced and the bytes sent once more), read (each server's
 * answers in the order asked, parsed by mc_reply.c).
 */
#include "bearer_mc_internal.h"
#include "bearer_metrics.h"

#include "apr_strings.h"

#define RELATIVE_EXPTIME_MAX 2592000    /* memcached reads more as a date */

/* ---- the protocol --------------------------------------------------------- */

/* memcached reads an exptime over 30 days as a Unix date. */
static apr_int64_t exptime_of(apr_int64_t expires_at)
{
    apr_int64_t rel = expires_at - apr_time_sec(apr_time_now());

    if (rel < 1) {
        return 1;
    }
    return rel > RELATIVE_EXPTIME_MAX ? expires_at : rel;
}

/* The opaque an op's mg carries: its index in the batch's ops, so each
 * answer on a connection names the op it answers (unique among them). */
static apr_uint32_t opaque_of(int index)
{
    return (apr_uint32_t)index;
}

static const char *command_of(apr_pool_t *p, const bearer_mc_op *op,
                              int index, apr_size_t *len)
{
    const char *cmd = NULL;

    switch (op->kind) {
    case BEARER_MC_GET:
        /* mg, not gets: the answer does not echo the key and has no END
         * line; v the value, c the cas unique a repair can use, O ties
         * the answer to this op (a miss gives it back too) */
        cmd = apr_psprintf(p, "mg %s v c O%u\r\n", op->key,
                           (unsigned)opaque_of(index));
        break;
    case BEARER_MC_ADD:
    case BEARER_MC_SET:
    case BEARER_MC_CAS: {
        const char *head = op->kind == BEARER_MC_CAS
            ? apr_psprintf(p, "cas %s 0 %" APR_INT64_T_FMT " %" APR_SIZE_T_FMT
                           " %" APR_UINT64_T_FMT "\r\n", op->key,
                           exptime_of(op->expires_at), op->value_len, op->cas)
            : apr_psprintf(p, "%s %s 0 %" APR_INT64_T_FMT " %" APR_SIZE_T_FMT
                           "\r\n", op->kind == BEARER_MC_ADD ? "add" : "set",
                           op->key, exptime_of(op->expires_at),
                           op->value_len);
        apr_size_t head_len = strlen(head);
        char *buf = apr_palloc(p, head_len + op->value_len + 2);

        memcpy(buf, head, head_len);
        memcpy(buf + head_len, op->value, op->value_len);
        memcpy(buf + head_len + op->value_len, "\r\n", 2);
        *len = head_len + op->value_len + 2;
        return buf;
    }
    case BEARER_MC_INCR:
        cmd = apr_psprintf(p, "incr %s %" APR_UINT64_T_FMT "\r\n", op->key,
                           op->delta);
        break;
    case BEARER_MC_STATS:
        cmd = "stats\r\n";
        break;
    case BEARER_MC_METADUMP:
        cmd = "lru_crawler metadump all\r\n";
        break;
    }
    *len = strlen(cmd);
    return cmd;
}

/* One line ended by LF (metadump's key lines end so, not CRLF), the CR
 * before it dropped; APR_EGENERAL for a NUL or a line too long. */
static apr_status_t read_lf_line(bearer_mc_reader *rd,
                                 char line[BEARER_MC_LINE_MAX])
{
    apr_size_t n = 0;
    apr_status_t rv;
    char ch;

    for (;;) {
        rv = bearer_mc_read_exact(rd, &ch, 1);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (ch == '\n') {
            break;
        }
        if (ch == '\0' || n + 1 >= BEARER_MC_LINE_MAX) {
            return APR_EGENERAL;
        }
        line[n++] = ch;
    }
    if (n > 0 && line[n - 1] == '\r') {
        n--;
    }
    line[n] = '\0';
    return APR_SUCCESS;
}

/* The answer of "stats" or "lru_crawler metadump": lines up to "END",
 * each kept in op->lines. A metadump refused at once (the crawler busy,
 * or an older memcached without it) is one line: BAD_VALUE. */
static apr_status_t read_lines(bearer_mc_conn *c, apr_pool_t *pool,
                               bearer_mc_op *op)
{
    char line[BEARER_MC_LINE_MAX];
    apr_status_t rv;

    op->lines = apr_array_make(pool, 64, sizeof(char *));
    for (;;) {
        rv = read_lf_line(&c->rd, line);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (strcmp(line, "END") == 0) {
            op->status = BEARER_MC_OK;
            return APR_SUCCESS;
        }
        if (op->lines->nelts == 0
                && (strncmp(line, "BUSY", 4) == 0
                    || strncmp(line, "ERROR", 5) == 0
                    || strncmp(line, "CLIENT_ERROR", 12) == 0)) {
            op->status = BEARER_MC_BAD_VALUE;
            return APR_SUCCESS;
        }
        APR_ARRAY_PUSH(op->lines, char *) = apr_pstrdup(pool, line);
    }
}

/* Reads the answer to op (mc_reply.c); APR_SUCCESS when the exchange
 * completed (the status says how), an error when the connection is no
 * longer usable. */
static apr_status_t read_answer(bearer_mc_conn *c, apr_pool_t *pool,
                                bearer_mc_op *op, int index)
{
    bearer_mc_reply reply;
    apr_status_t rv;

    if (op->kind == BEARER_MC_STATS || op->kind == BEARER_MC_METADUMP) {
        return read_lines(c, pool, op);
    }
    memset(&reply, 0, sizeof(reply));
    reply.kind = op->kind == BEARER_MC_GET ? BEARER_MC_REPLY_VALUE
                 : op->kind == BEARER_MC_INCR ? BEARER_MC_REPLY_INCR
                 : BEARER_MC_REPLY_STORE;
    reply.opaque = opaque_of(index);
    reply.value_max = op->value_max;
    rv = bearer_mc_read_reply(&c->rd, pool, &reply);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    op->status = reply.status;
    if (op->kind == BEARER_MC_GET && reply.status != BEARER_MC_NOT_FOUND) {
        op->cas = reply.cas;
        if (reply.status == BEARER_MC_OK) {
            op->data = reply.data;
            op->data_len = reply.data_len;
        }
    }
    else if (op->kind == BEARER_MC_INCR && reply.status == BEARER_MC_OK) {
        op->number = reply.number;
    }
    return APR_SUCCESS;
}

/* The answer to flush_all or version, which this file sends itself. */
static apr_status_t read_own_answer(bearer_mc_conn *c, apr_pool_t *pool,
                                    bearer_mc_reply_kind kind)
{
    bearer_mc_reply reply;

    memset(&reply, 0, sizeof(reply));
    reply.kind = kind;
    return bearer_mc_read_reply(&c->rd, pool, &reply);
}

/* ---- batches -------------------------------------------------------------- */

/* How one batch uses one server: a single connection carries, in order,
 * the clean-up it owes (if dirty), then every op of the batch for it, then
 * the probe. One connection per server keeps the clean-up ahead of the
 * writes that follow it. */
typedef struct {
    int nops;                   /* ops of this batch for it */
    int allowed;                /* may be used now */
    int meta;                   /* an mg of this batch goes to it */
    int probe;                  /* down (its retry time has come) or not
                                   yet seen to speak the meta protocol,
                                   and no mg of this batch would show it:
                                   send "mn" */
    int cleanup;                /* this batch cleans it up first */
    bearer_mc_cleanup cu;       /* ... this way */
    int cleanup_done;           /* the clean-up's answer was read */
    const char *sent;           /* what this batch sends it */
    apr_size_t sent_len;
    bearer_mc_conn *conn;
} batch_server;

typedef struct {
    server_rec *s;
    apr_pool_t *pool;
    bearer_mc_op *ops;
    int nops;
    apr_time_t start;
    apr_time_t deadline;
    int patient;                /* gave each server at least a quarter
                                   of BearerMemcacheTimeout */
    int for_request;            /* a request's batch (its waits are
                                   observed), not the refill's */
    batch_server *bs;           /* one per server of the registry */
} batch;

/* The bytes one server is sent: its clean-up, its ops, its probe. */
static void plan_bytes(batch *b, int k)
{
    batch_server *bk = &b->bs[k];
    apr_size_t total = 0, len, off = 0, cleanup_len = 0;
    const char *cleanup = NULL;
    const char **cmds;
    apr_size_t *lens;
    char *buf;
    int n = 0, i;

    cmds = apr_palloc(b->pool, sizeof(*cmds) * (apr_size_t)(bk->nops + 1));
    lens = apr_palloc(b->pool, sizeof(*lens) * (apr_size_t)(bk->nops + 1));
    for (i = 0; i < b->nops; i++) {
        if (b->ops[i].server == k) {
            cmds[n] = command_of(b->pool, &b->ops[i], i, &len);
            lens[n] = len;
            total += len;
            n++;
        }
    }
    if (bk->cleanup) {
        cleanup = bearer_mc_cleanup_plan(b->pool, k, &bk->cu, &cleanup_len);
        total += cleanup_len;
    }
    if (bk->probe) {
        total += 4;
    }
    buf = apr_palloc(b->pool, total);
    if (bk->cleanup) {
        memcpy(buf, cleanup, cleanup_len);
        off = cleanup_len;
    }
    for (i = 0; i < n; i++) {
        memcpy(buf + off, cmds[i], lens[i]);
        off += lens[i];
    }
    if (bk->probe) {
        memcpy(buf + off, "mn\r\n", 4);
    }
    bk->sent = buf;
    bk->sent_len = total;
}

/* Which servers this batch may use, once per server: a down one only by
 * the one request that wins its probe. A down server this batch has
 * nothing for is probed all the same when its retry time has come:
 * requests only ask the first live servers of a token's order, so
 * without this a server that came back would never be asked again (and
 * Apaches that saw it fail would place and count tokens elsewhere than
 * those that did not). A probe empties a dirty server at once.
 *
 * The probe is the meta no-op, "mn", and rides along whenever a server
 * that is down, or not yet seen to speak the meta protocol (since this
 * host started or last marked it down), is asked nothing in it: a
 * server that answers the classic commands (version, stats, set) but
 * not mg (memcached before 1.6) must stay down, not come up and fail the
 * next read, and a write it took must not count. */
static void plan(batch *b)
{
    int i, k, claim;

    for (i = 0; i < b->nops; i++) {
        if (b->ops[i].server >= 0 && b->ops[i].server < bearer_mc_nservers) {
            b->bs[b->ops[i].server].nops++;
            b->bs[b->ops[i].server].meta |= b->ops[i].kind == BEARER_MC_GET;
        }
    }
    for (k = 0; k < bearer_mc_nservers; k++) {
        batch_server *bk = &b->bs[k];
        int down = (int)__atomic_load_n(&bearer_mc_healths[k].down,
                                        __ATOMIC_ACQUIRE);
        int known = (int)__atomic_load_n(&bearer_mc_healths[k].meta,
                                         __ATOMIC_ACQUIRE);

        if (bk->nops == 0 && !down) {
            continue;
        }
        if (!bearer_mc_may_use(k, b->start)) {
            continue;
        }
        bk->probe = (down || !known) && !bk->meta;
        claim = bearer_mc_claim_cleanup(k);
        bk->allowed = claim >= 0;
        bk->cleanup = claim > 0;
        if (bk->allowed) {
            plan_bytes(b, k);
        }
    }
}

/* The server failed this batch: its ops not read stay FAILED, a clean-up
 * it owed stays owed, and it is marked down. */
static void server_failed(batch *b, int k, apr_status_t rv, const char *what)
{
    batch_server *bk = &b->bs[k];

    if (bk->conn) {
        bearer_mc_conn_destroy(bk->conn);
        bk->conn = NULL;
    }
    if (bk->cleanup && !bk->cleanup_done) {
        bearer_mc_cleanup_failed(k);
    }
    if (!b->patient
            && (APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EAGAIN(rv))) {
        return;             /* the request's time ran out, not the server */
    }
    bearer_mc_mark_down(b->s, k, rv, what);
}

/* An idle connection that turned out closed by the server before it
 * answered anything of this batch: a memcached restarted since this child
 * last used it, not a failure of the server. */
static int may_resend(const bearer_mc_conn *c, apr_status_t rv)
{
    return c->reused && c->batch_bytes == 0 && bearer_mc_closed_by_peer(rv);
}

/* Sends the server's bytes again, once, on a new connection. */
static apr_status_t resend(batch *b, int k)
{
    batch_server *bk = &b->bs[k];
    apr_status_t rv;

    bearer_mc_conn_destroy(bk->conn);
    bk->conn = bearer_mc_conn_acquire(k, b->deadline, 1, &rv);
    if (!bk->conn) {
        return rv;
    }
    return bearer_mc_conn_send(bk->conn, b->deadline, bk->sent,
                               bk->sent_len);
}

static void send_to(batch *b, int k)
{
    batch_server *bk = &b->bs[k];
    apr_status_t rv;

    bk->conn = bearer_mc_conn_acquire(k, b->deadline, 0, &rv);
    if (bk->conn) {
        rv = bearer_mc_conn_send(bk->conn, b->deadline, bk->sent,
                                 bk->sent_len);
        if (rv != APR_SUCCESS && may_resend(bk->conn, rv)) {
            rv = resend(b, k);
        }
    }
    if (rv != APR_SUCCESS) {
        server_failed(b, k, rv, bk->conn ? "cannot send" : "cannot connect");
    }
}

/* Reads what one server answers to the batch, in the order sent: the
 * clean-up's answer, every op's, the probe's. An error leaves the ops not
 * read FAILED; the caller decides what the server's state becomes. */
static apr_status_t read_server_answers(batch *b, int k)
{
    batch_server *bk = &b->bs[k];
    bearer_mc_conn *c = bk->conn;
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (bk->cleanup && !bk->cleanup_done) {
        /* flush_all answers OK; the deletes (noreply) answer nothing, and
         * the version after them says they were done */
        rv = read_own_answer(c, b->pool, bk->cu.whole
                                         ? BEARER_MC_REPLY_FLUSH
                                         : BEARER_MC_REPLY_VERSION);
        if (rv == APR_SUCCESS) {
            bearer_mc_cleanup_done(b->s, k, &bk->cu);
            bk->cleanup_done = 1;
        }
    }
    for (i = 0; i < b->nops && rv == APR_SUCCESS; i++) {
        bearer_mc_op *op = &b->ops[i];

        if (op->server != k) {
            continue;
        }
        rv = read_answer(c, b->pool, op, i);
        if (rv != APR_SUCCESS) {
            op->status = BEARER_MC_FAILED;
        }
        else if (op->kind != BEARER_MC_STATS
                 && op->kind != BEARER_MC_METADUMP) {
            bearer_metrics_add(op->kind == BEARER_MC_GET
                               ? BEARER_M_MEMCACHE_GET
                               : op->kind == BEARER_MC_INCR
                                 ? BEARER_M_MEMCACHE_INCR
                                 : BEARER_M_MEMCACHE_SET, 1);
        }
    }
    if (bk->probe && rv == APR_SUCCESS) {
        rv = read_own_answer(c, b->pool, BEARER_MC_REPLY_NOOP);
    }
    return rv;
}

static void read_from(batch *b, int k)
{
    batch_server *bk = &b->bs[k];
    apr_status_t rv = read_server_answers(b, k);

    if (rv != APR_SUCCESS && may_resend(bk->conn, rv)) {
        rv = resend(b, k);
        if (rv != APR_SUCCESS) {
            server_failed(b, k, rv,
                          bk->conn ? "cannot send" : "cannot connect");
            return;
        }
        rv = read_server_answers(b, k);
    }
    if (rv == APR_ENOTIMPL) {
        int i;

        /* What it answered before its ERROR (a STORED, its stats) counts
         * for nothing: a copy on a server no read can reach must not
         * make a mint's or a revocation's quorum. */
        for (i = 0; i < b->nops; i++) {
            if (b->ops[i].server == k) {
                b->ops[i].status = BEARER_MC_FAILED;
            }
        }
        /* no APR error text: "not implemented on this platform" would
         * mislead; the reason says it all */
        server_failed(b, k, APR_SUCCESS, "does not know the meta protocol "
                      "(mg): memcached 1.6 or later is needed");
        return;
    }
    if (rv != APR_SUCCESS) {
        server_failed(b, k, rv,
                      APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EAGAIN(rv)
                      ? "no answer within BearerMemcacheTimeout"
                      : "broken answer");
        return;
    }
    bearer_mc_conn_release(k, bk->conn);
    bk->conn = NULL;
    bearer_mc_mark_up(b->s, k);
    if ((bk->probe || bk->meta)
            && !__atomic_load_n(&bearer_mc_healths[k].meta, __ATOMIC_ACQUIRE)) {
        /* it answered an mn or an mg: no more mn until it fails */
        __atomic_store_n(&bearer_mc_healths[k].meta, 1, __ATOMIC_RELEASE);
    }
    /* from the batch's start to this server's answers: what the request
     * waited for them */
    if (b->for_request) {
        bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS,
                               (apr_uint64_t)(apr_time_now() - b->start));
    }
}

void bearer_mc_run(server_rec *s, apr_pool_t *pool, bearer_mc_op *ops,
                   int nops, apr_time_t deadline,
                   apr_interval_time_t timeout)
{
    batch b;
    int i, k;

    for (i = 0; i < nops; i++) {
        ops[i].status = BEARER_MC_FAILED;
    }
    b.start = apr_time_now();
    if (!bearer_mc_healths || nops <= 0 || deadline <= b.start) {
        return;
    }
    b.s = s;
    b.pool = pool;
    b.ops = ops;
    b.nops = nops;
    b.deadline = deadline;
    b.patient = deadline - b.start >= timeout / 4;
    /* the refill's batches: a longer deadline, or its own commands */
    b.for_request = deadline - b.start <= timeout
                    && ops[0].kind != BEARER_MC_STATS
                    && ops[0].kind != BEARER_MC_METADUMP;
    b.bs = apr_pcalloc(pool, sizeof(*b.bs) * (apr_size_t)bearer_mc_nservers);

    plan(&b);
    for (k = 0; k < bearer_mc_nservers; k++) {
        if (b.bs[k].allowed) {
            send_to(&b, k);
        }
    }
    for (k = 0; k < bearer_mc_nservers; k++) {
        if (b.bs[k].conn) {
            read_from(&b, k);
        }
    }
}
