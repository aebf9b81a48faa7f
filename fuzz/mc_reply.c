/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/mc_reply.c - memcached's answers as the fleet client reads them
 * (mod_bearer/core/mc_reply.c): whatever a memcached server, or whoever answers
 * in its place, sends back on a connection.
 *
 * Input:
 *   byte 0   bits 0-1: mode (0, 1 raw answers; 2, 3 answers built from
 *            the input, then maybe damaged); bit 2: the batch starts with
 *            a clean-up, flush_all or (bit 6) deletes ended by version;
 *            bit 3: it ends with the probe "mn" (mc_batch.c sends all of
 *            these itself); bits 4-5: how built answers are damaged
 *   byte 1   how many requests (1-8)
 *   next     one byte a request: 0-2 mg, add/set/cas, incr (mod 3);
 *            the mg's opaque is its index in the batch, or with bit 2
 *            4294967295 minus it (the largest); bit 6 a small value_max
 *            (so that skipping values is reached cheaply)
 *   next     the piece pattern: how the bytes arrive in the second read
 *   rest     the bytes the server sends (raw), or what to build them from
 *
 * The batch is read as bearer_mc_run does: the flush's answer, each
 * request's answer in order, the probe's, stopping at the first error.
 *
 * Invariants:
 *  - the bytes arriving whole or in pieces (down to one byte at a time)
 *    give the same results: the same answers, the same errors, the same
 *    bytes consumed after each answer;
 *  - the results agree with an independent model of the protocol written
 *    here from memcached's protocol.txt (strict grammar: the meta
 *    answers' flags each once, O exactly the opaque sent, c a 64-bit
 *    number and required on VA, other flags read past; a bare EN is a
 *    miss; ERROR to a mg is APR_ENOTIMPL; numbers in range; lines of at most
 *    BEARER_MC_LINE_MAX - 1 bytes; an error is APR_EOF only when the
 *    bytes ran out before the answer could be judged);
 *  - answers built from the input read back exactly as built;
 *  - a value is kept only when at most value_max bytes, NUL-terminated,
 *    in the pool; everything else is skipped.
 */
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "bearer_fleet_record.h"
#include "bearer_mc_reply.h"
#include "fuzz.h"

#define STEPS_MAX 10                /* flush + 8 requests + version */
#define STREAM_MAX 65536

static apr_pool_t *root;

typedef struct {
    bearer_mc_reply_kind kind;
    uint32_t opaque;
    apr_size_t value_max;
} request;

/* What reading one answer gave. */
typedef struct {
    apr_status_t rv;
    bearer_mc_status status;
    const unsigned char *data;      /* into the pool, or into the stream */
    size_t data_len;
    uint64_t cas, number;
    size_t consumed;                /* bytes of the stream up to its end */
} outcome;

/* ---- the bytes, as the socket would give them --------------------------- */

typedef struct {
    const unsigned char *data;
    size_t len, pos;
    unsigned pattern;               /* 0: whole; else pieces, see next */
    uint32_t rng;
} feed;

static apr_status_t feed_recv(void *ctx, char *buf, apr_size_t *len)
{
    feed *f = ctx;
    size_t n = f->len - f->pos;

    if (n == 0) {
        *len = 0;
        return APR_SUCCESS;         /* the server closed the connection */
    }
    if (f->pattern != 0) {
        size_t piece;

        f->rng ^= f->rng << 13;
        f->rng ^= f->rng >> 17;
        f->rng ^= f->rng << 5;
        /* pattern 1: a byte at a time; larger ones: up to that many */
        piece = 1 + f->rng % f->pattern;
        if (n > piece) {
            n = piece;
        }
    }
    if (n > *len) {
        n = *len;
    }
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    *len = n;
    return APR_SUCCESS;
}

/* Reads the batch; returns how many answers were read (the last one may
 * be the error that ended it). */
static int read_batch(const request *reqs, int nreqs,
                      const unsigned char *data, size_t len,
                      unsigned pattern, apr_pool_t *pool, outcome *out)
{
    static bearer_mc_reader rd;
    feed f;
    int i;

    f.data = data;
    f.len = len;
    f.pos = 0;
    f.pattern = pattern;
    f.rng = 0x9e3779b9u ^ pattern;
    bearer_mc_reader_init(&rd, feed_recv, &f);
    for (i = 0; i < nreqs; i++) {
        bearer_mc_reply r;

        memset(&r, 0, sizeof(r));
        r.kind = reqs[i].kind;
        r.opaque = reqs[i].opaque;
        r.value_max = reqs[i].value_max;
        memset(&out[i], 0, sizeof(out[i]));
        out[i].rv = bearer_mc_read_reply(&rd, pool, &r);
        FUZZ_CHECK(rd.rpos <= rd.rlen && rd.rlen <= sizeof(rd.buf));
        FUZZ_CHECK(f.pos <= f.len);
        if (out[i].rv != APR_SUCCESS) {
            return i + 1;
        }
        FUZZ_CHECK(r.status == BEARER_MC_OK || r.status == BEARER_MC_NOT_FOUND
                   || r.status == BEARER_MC_BAD_VALUE);
        out[i].status = r.status;
        out[i].data = r.data;
        out[i].data_len = r.data_len;
        out[i].cas = r.cas;
        out[i].number = r.number;
        out[i].consumed = f.pos - (rd.rlen - rd.rpos);
        FUZZ_CHECK((size_t)bearer_mc_reader_pending(&rd)
                   == (rd.rlen != rd.rpos));
        if (r.data) {
            /* kept only for a value within value_max, NUL-terminated */
            FUZZ_CHECK(r.kind == BEARER_MC_REPLY_VALUE
                       && r.status == BEARER_MC_OK);
            FUZZ_CHECK(r.data_len <= r.value_max);
            FUZZ_CHECK(r.data[r.data_len] == '\0');
        }
        FUZZ_CHECK(r.status != BEARER_MC_OK || r.kind != BEARER_MC_REPLY_VALUE
                   || r.data != NULL);
    }
    return nreqs;
}

/* ---- the model ---------------------------------------------------------- */

/* What a model step sees: the whole stream and where it is. */
typedef struct {
    const unsigned char *s;
    size_t len, pos;
} model;

/* A line per the framing: APR_SUCCESS with [*start, *start + *n) the
 * content; APR_EOF when the bytes ran out before an LF or the limit. */
static apr_status_t model_line(model *m, const unsigned char **start,
                               size_t *n)
{
    size_t k;

    /* The LF of the longest line is byte BEARER_MC_LINE_MAX: the content
     * (at most BEARER_MC_LINE_MAX - 1 bytes) and the CR before it. */
    for (k = 0; m->pos + k < m->len && k <= BEARER_MC_LINE_MAX; k++) {
        if (m->s[m->pos + k] == '\n') {
            break;
        }
    }
    if (k > BEARER_MC_LINE_MAX) {
        return APR_EGENERAL;
    }
    if (m->pos + k == m->len) {
        return APR_EOF;
    }
    if (k == 0 || m->s[m->pos + k - 1] != '\r') {
        return APR_EGENERAL;
    }
    *start = m->s + m->pos;
    *n = k - 1;
    m->pos += k + 1;
    /* memcached never sends a NUL in a line */
    return memchr(*start, '\0', *n) ? APR_EGENERAL : APR_SUCCESS;
}

static int is(const unsigned char *l, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(l, word, n) == 0;
}

static int starts(const unsigned char *l, size_t n, const char *word)
{
    return n >= strlen(word) && memcmp(l, word, strlen(word)) == 0;
}

/* Decimal digits at *p (at least one), at most max; advances *p. */
static int model_number(const unsigned char *l, size_t n, size_t *p,
                        uint64_t max, uint64_t *v)
{
    size_t start = *p;

    *v = 0;
    while (*p < n && l[*p] >= '0' && l[*p] <= '9') {
        unsigned d = l[*p] - '0';

        if (*v > (max - d) / 10) {
            return 0;
        }
        *v = *v * 10 + d;
        (*p)++;
    }
    return *p > start;
}

/* The flags of a meta answer from l[p]: (" " flag)* to the end of the
 * line, a flag a letter and the bytes up to the next space. 1 if they are
 * well formed, none repeats, O is there and its digits are exactly the
 * decimal of opaque, and (when want_cas) c is there with a 64-bit number
 * into *cas. */
static int model_flags(const unsigned char *l, size_t n, size_t p,
                       uint32_t opaque, int want_cas, uint64_t *cas)
{
    char want[16];
    int seen[256] = { 0 };
    int has_o = 0, has_c = 0;

    snprintf(want, sizeof(want), "%lu", (unsigned long)opaque);
    while (p < n) {
        size_t q, end;
        unsigned char letter;

        if (l[p] != ' ' || p + 1 >= n) {
            return 0;
        }
        p++;
        letter = l[p];
        if (!((letter >= 'a' && letter <= 'z')
              || (letter >= 'A' && letter <= 'Z')) || seen[letter]++) {
            return 0;
        }
        for (end = p + 1; end < n && l[end] != ' '; end++) {
        }
        if (letter == 'O') {
            if (end - p - 1 != strlen(want)
                    || memcmp(l + p + 1, want, strlen(want)) != 0) {
                return 0;
            }
            has_o = 1;
        }
        else if (letter == 'c') {
            q = p + 1;
            if (!model_number(l, n, &q, UINT64_MAX, cas) || q != end) {
                return 0;
            }
            has_c = 1;
        }
        p = end;
    }
    return has_o && (has_c || !want_cas);
}

static void model_step(model *m, const request *rq, outcome *o)
{
    const unsigned char *l;
    size_t n, p;
    uint64_t bytes, cas;

    memset(o, 0, sizeof(*o));
    o->rv = model_line(m, &l, &n);
    if (o->rv != APR_SUCCESS) {
        return;
    }
    o->rv = APR_EGENERAL;
    switch (rq->kind) {
    case BEARER_MC_REPLY_VALUE:
        if (is(l, n, "ERROR")) {
            o->rv = APR_ENOTIMPL;
            return;
        }
        if (is(l, n, "EN")) {          /* memcached before 1.6.18 */
            o->status = BEARER_MC_NOT_FOUND;
            break;
        }
        if (starts(l, n, "EN ")) {
            if (!model_flags(l, n, 2, rq->opaque, 0, &cas)) {
                return;
            }
            o->status = BEARER_MC_NOT_FOUND;
            break;
        }
        p = 3;
        if (!starts(l, n, "VA ")
                || !model_number(l, n, &p, BEARER_MC_ITEM_MAX, &bytes)
                || !model_flags(l, n, p, rq->opaque, 1, &o->cas)) {
            return;
        }
        if (m->len - m->pos < bytes) {
            o->rv = APR_EOF;
            return;
        }
        if (bytes <= rq->value_max) {
            o->status = BEARER_MC_OK;
            o->data = m->s + m->pos;
            o->data_len = (size_t)bytes;
        }
        else {
            o->status = BEARER_MC_BAD_VALUE;
        }
        m->pos += (size_t)bytes;
        o->rv = model_line(m, &l, &n);
        if (o->rv != APR_SUCCESS) {
            return;
        }
        if (n != 0) {
            o->rv = APR_EGENERAL;
            return;
        }
        break;
    case BEARER_MC_REPLY_STORE:
        if (is(l, n, "STORED")) {
            o->status = BEARER_MC_OK;
        }
        else if (is(l, n, "NOT_STORED") || is(l, n, "EXISTS")
                 || is(l, n, "NOT_FOUND")) {
            o->status = BEARER_MC_NOT_FOUND;
        }
        else {
            return;
        }
        break;
    case BEARER_MC_REPLY_INCR:
        p = 0;
        if (is(l, n, "NOT_FOUND")) {
            o->status = BEARER_MC_NOT_FOUND;
        }
        else if (is(l, n, "CLIENT_ERROR") || starts(l, n, "CLIENT_ERROR ")) {
            o->status = BEARER_MC_BAD_VALUE;
        }
        else if (model_number(l, n, &p, UINT64_MAX, &o->number) && p == n) {
            o->status = BEARER_MC_OK;
        }
        else {
            return;
        }
        break;
    case BEARER_MC_REPLY_FLUSH:
        if (!is(l, n, "OK")) {
            return;
        }
        o->status = BEARER_MC_OK;
        break;
    case BEARER_MC_REPLY_VERSION:
        if (!starts(l, n, "VERSION ")) {
            return;
        }
        o->status = BEARER_MC_OK;
        break;
    case BEARER_MC_REPLY_NOOP:
        if (is(l, n, "ERROR")) {
            o->rv = APR_ENOTIMPL;
            return;
        }
        if (!is(l, n, "MN")) {
            return;
        }
        o->status = BEARER_MC_OK;
        break;
    }
    o->rv = APR_SUCCESS;
    o->consumed = m->pos;
}

static int model_batch(const request *reqs, int nreqs,
                       const unsigned char *data, size_t len, outcome *out)
{
    model m;
    int i;

    m.s = data;
    m.len = len;
    m.pos = 0;
    for (i = 0; i < nreqs; i++) {
        model_step(&m, &reqs[i], &out[i]);
        if (out[i].rv != APR_SUCCESS) {
            return i + 1;
        }
    }
    return nreqs;
}

/* ---- answers built from the input --------------------------------------- */

typedef struct {
    const unsigned char *in;
    size_t len, pos;
} source;

static unsigned take(source *src)
{
    return src->pos < src->len ? src->in[src->pos++] : 0;
}

static uint64_t take64(source *src)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | take(src);
    }
    return v;
}

static size_t put(unsigned char *buf, size_t at, const char *text)
{
    size_t n = strlen(text);

    if (at + n <= STREAM_MAX) {
        memcpy(buf + at, text, n);
    }
    return at + n;
}

/* A well-formed answer to each request, chosen by the input; the expected
 * outcome of each in want[] (data pointing into buf). */
static size_t build(const request *reqs, int nreqs, source *src,
                    unsigned char *buf, outcome *want)
{
    size_t at = 0;
    char num[64];
    int i;

    for (i = 0; i < nreqs; i++) {
        unsigned choice = take(src);
        outcome *o = &want[i];

        memset(o, 0, sizeof(*o));
        o->rv = APR_SUCCESS;
        switch (reqs[i].kind) {
        case BEARER_MC_REPLY_VALUE: {
            /* the flags memcached gives back, in an order of the input's
             * choosing, and maybe ones it adds on its own */
            char opq[24], cas[32];
            const char *flags[4];
            int nflags = 0, f;

            snprintf(opq, sizeof(opq), " O%lu",
                     (unsigned long)reqs[i].opaque);
            if (choice % 4 == 0) {
                o->status = BEARER_MC_NOT_FOUND;
                at = put(buf, at, "EN");
                at = put(buf, at, opq);
                if (choice & 8) {
                    at = put(buf, at, " W");
                }
                at = put(buf, at, "\r\n");
                break;
            }
            o->cas = choice & 16 ? take64(src) : take(src);
            snprintf(cas, sizeof(cas), " c%llu", (unsigned long long)o->cas);
            flags[nflags++] = choice & 32 ? opq : cas;
            flags[nflags++] = choice & 32 ? cas : opq;
            if (choice & 8) {
                flags[nflags++] = choice & 64 ? " X" : " t-1";
            }
            if (choice & 128) {
                flags[nflags++] = " Z";
            }
            {
                size_t bytes = take(src) << 8;
                size_t k;
                char head[32];

                bytes = (bytes | take(src)) % (reqs[i].value_max + 64);
                snprintf(head, sizeof(head), "VA %zu", bytes);
                at = put(buf, at, head);
                for (f = 0; f < nflags; f++) {
                    at = put(buf, at, flags[f]);
                }
                at = put(buf, at, "\r\n");
                if (at + bytes + 2 > STREAM_MAX) {
                    return STREAM_MAX + 1;
                }
                /* the data: input bytes, lines and EN included */
                for (k = 0; k < bytes; k++) {
                    buf[at + k] = (unsigned char)take(src);
                }
                if (bytes <= reqs[i].value_max) {
                    o->status = BEARER_MC_OK;
                    o->data = buf + at;
                    o->data_len = bytes;
                }
                else {
                    o->status = BEARER_MC_BAD_VALUE;
                }
                at += bytes;
                at = put(buf, at, "\r\n");
            }
            break;
        }
        case BEARER_MC_REPLY_STORE: {
            static const char *const words[] = {
                "STORED", "NOT_STORED", "EXISTS", "NOT_FOUND"
            };

            o->status = choice % 4 == 0 ? BEARER_MC_OK : BEARER_MC_NOT_FOUND;
            at = put(buf, at, words[choice % 4]);
            at = put(buf, at, "\r\n");
            break;
        }
        case BEARER_MC_REPLY_INCR:
            if (choice % 4 == 0) {
                o->status = BEARER_MC_NOT_FOUND;
                at = put(buf, at, "NOT_FOUND\r\n");
            }
            else if (choice % 4 == 1) {
                o->status = BEARER_MC_BAD_VALUE;
                at = put(buf, at, "CLIENT_ERROR cannot increment or "
                                  "decrement non-numeric value\r\n");
            }
            else {
                /* any 64-bit count: memcached's counters wrap at 2^64 */
                o->status = BEARER_MC_OK;
                o->number = choice % 4 == 2 ? take(src) : take64(src);
                snprintf(num, sizeof(num), "%llu\r\n",
                         (unsigned long long)o->number);
                at = put(buf, at, num);
            }
            break;
        case BEARER_MC_REPLY_FLUSH:
            o->status = BEARER_MC_OK;
            at = put(buf, at, "OK\r\n");
            break;
        case BEARER_MC_REPLY_VERSION:
            o->status = BEARER_MC_OK;
            at = put(buf, at, "VERSION 1.6.18\r\n");
            break;
        case BEARER_MC_REPLY_NOOP:
            o->status = BEARER_MC_OK;
            at = put(buf, at, "MN\r\n");
            break;
        }
        if (at > STREAM_MAX) {
            return at;
        }
        o->consumed = at;
    }
    return at;
}

/* ---- the target --------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&root, NULL) != APR_SUCCESS) {
        abort();
    }
    return 0;
}

static void same(const outcome *a, const outcome *b, int checks_data)
{
    if (a->rv != b->rv || (a->rv == APR_SUCCESS
                           && (a->status != b->status
                               || a->consumed != b->consumed))) {
        /* say what differs before the check below stops the run */
        fprintf(stderr, "answer: rv %d status %d consumed %zu / rv %d "
                "status %d consumed %zu\n", a->rv, a->status, a->consumed,
                b->rv, b->status, b->consumed);
    }
    FUZZ_CHECK(a->rv == b->rv);
    if (a->rv != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(a->status == b->status);
    FUZZ_CHECK(a->cas == b->cas);
    FUZZ_CHECK(a->number == b->number);
    FUZZ_CHECK(a->consumed == b->consumed);
    FUZZ_CHECK(a->data_len == b->data_len);
    FUZZ_CHECK((a->data == NULL) == (b->data == NULL));
    if (checks_data && a->data) {
        FUZZ_CHECK(memcmp(a->data, b->data, a->data_len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char built[STREAM_MAX];
    request reqs[STEPS_MAX];
    outcome whole[STEPS_MAX], pieces[STEPS_MAX], want[STEPS_MAX];
    int nreqs = 0, nops, n_whole, n_pieces, n_want, i;
    const unsigned char *stream;
    size_t stream_len, pos = 2;
    unsigned mode, pattern;
    apr_pool_t *pool;

    if (size < 3) {
        return 0;
    }
    mode = data[0];
    nops = 1 + data[1] % 8;
    if (size < 3 + (size_t)nops) {
        return 0;
    }
    if (mode & 4) {
        reqs[nreqs].kind = mode & 64 ? BEARER_MC_REPLY_VERSION
                                     : BEARER_MC_REPLY_FLUSH;
        reqs[nreqs].opaque = 0;
        reqs[nreqs++].value_max = 0;
    }
    for (i = 0; i < nops; i++) {
        unsigned d = data[pos++];
        static const bearer_mc_reply_kind kinds[] = {
            BEARER_MC_REPLY_VALUE, BEARER_MC_REPLY_STORE, BEARER_MC_REPLY_INCR
        };

        reqs[nreqs].kind = kinds[d % 3];
        /* as mc_batch.c numbers its ops (the flush is not one of them) */
        reqs[nreqs].opaque = d & 4 ? 4294967295u - (uint32_t)i : (uint32_t)i;
        reqs[nreqs++].value_max = d & 64 ? 16 : BEARER_RECORD_MAX;
    }
    if (mode & 8) {
        reqs[nreqs].kind = BEARER_MC_REPLY_NOOP;
        reqs[nreqs].opaque = 0;
        reqs[nreqs++].value_max = 0;
    }
    pattern = data[pos++];
    if (pattern == 0) {
        pattern = 1;
    }

    if ((mode & 3) < 2) {
        stream = data + pos;
        stream_len = size - pos;
        n_want = -1;
    }
    else {
        source src = { data + pos, size - pos, 0 };
        unsigned damage = (mode >> 4) & 3;

        stream_len = build(reqs, nreqs, &src, built, want);
        if (stream_len > STREAM_MAX) {
            return 0;
        }
        n_want = nreqs;
        /* damage 0: none; 1: cut short; 2: one byte changed; 3: a byte
         * put in. Where, and what, from the input's next bytes. */
        if (damage != 0 && stream_len > 0) {
            size_t at = take(&src) << 8;
            unsigned char b;

            at = (at | take(&src)) % stream_len;
            b = (unsigned char)take(&src);

            if (damage == 1) {
                stream_len = at;
            }
            else if (damage == 2) {
                built[at] ^= b ? b : 1;
            }
            else if (stream_len < STREAM_MAX) {
                memmove(built + at + 1, built + at, stream_len - at);
                built[at] = b;
                stream_len++;
            }
            n_want = -1;
        }
        stream = built;
    }

    if (apr_pool_create(&pool, root) != APR_SUCCESS) {
        abort();
    }
    n_whole = read_batch(reqs, nreqs, stream, stream_len, 0, pool, whole);
    n_pieces = read_batch(reqs, nreqs, stream, stream_len, pattern, pool,
                          pieces);

    /* how the bytes arrive changes nothing */
    FUZZ_CHECK(n_whole == n_pieces);
    for (i = 0; i < n_whole; i++) {
        same(&whole[i], &pieces[i], 1);
    }

    /* the independent model agrees */
    {
        outcome model_out[STEPS_MAX];
        int n_model = model_batch(reqs, nreqs, stream, stream_len,
                                  model_out);

        FUZZ_CHECK(n_model == n_whole);
        for (i = 0; i < n_whole; i++) {
            same(&whole[i], &model_out[i], 1);
        }
    }

    /* built answers, undamaged, read back as built */
    if (n_want >= 0) {
        FUZZ_CHECK(n_whole == n_want);
        for (i = 0; i < n_want; i++) {
            same(&whole[i], &want[i], 1);
        }
    }
    apr_pool_destroy(pool);
    return 0;
}
