/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of mc_reply.c: memcached's answers as the client reads them.
 * Every answer is fed whole and in pieces (1, 2, 7 bytes and the reader's
 * whole buffer at a time): the result must not depend on how the bytes
 * arrived.
 */
#include <check.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "bearer_mc_reply.h"

#define OPAQUE 7                    /* the O flag every mg here was sent */
#define VALUE_MAX 5437              /* what fleet_store.c accepts: a record */

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_initialize(), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
    apr_terminate();
}

/* A scripted server: its bytes in pieces of at most `chunk`, then `end`
 * (APR_SUCCESS: it closed the connection). */
typedef struct {
    const char *data;
    size_t len, pos, chunk;
    apr_status_t end;
} script;

static apr_status_t script_recv(void *ctx, char *buf, apr_size_t *len)
{
    script *s = ctx;
    size_t n = s->len - s->pos;

    if (n == 0) {
        *len = 0;
        return s->end;
    }
    if (n > s->chunk) {
        n = s->chunk;
    }
    if (n > *len) {
        n = *len;
    }
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    *len = n;
    return APR_SUCCESS;
}

static const size_t chunks[] = { BEARER_MC_READ_BUFFER, 1, 2, 7 };
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* The reader and script of the last read(), for looking further. */
static bearer_mc_reader rd;
static script src;

static void start(const char *data, size_t len, size_t chunk,
                  apr_status_t end)
{
    src.data = data;
    src.len = len;
    src.pos = 0;
    src.chunk = chunk;
    src.end = end;
    bearer_mc_reader_init(&rd, script_recv, &src);
}

static apr_status_t read_as(bearer_mc_reply_kind kind, apr_uint32_t opaque,
                            bearer_mc_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    reply->kind = kind;
    reply->opaque = opaque;
    reply->value_max = VALUE_MAX;
    return bearer_mc_read_reply(&rd, pool, reply);
}

/*
 * Reads one answer of this kind from data, in every piece size, and checks
 * the return value, the status (on success) and that all piece sizes agree
 * on everything. Returns the answer as read from whole bytes.
 */
static bearer_mc_reply expect_len(const char *data, size_t len,
                                  bearer_mc_reply_kind kind,
                                  apr_status_t want_rv,
                                  bearer_mc_status want_status)
{
    bearer_mc_reply first, r;
    size_t i;

    memset(&first, 0, sizeof(first));

    for (i = 0; i < NCHUNKS; i++) {
        apr_status_t rv;

        start(data, len, chunks[i], APR_SUCCESS);
        rv = read_as(kind, OPAQUE, &r);
        ck_assert_msg(rv == want_rv, "%.60s: %d instead of %d (pieces of %zu)",
                      data, rv, want_rv, chunks[i]);
        if (rv != APR_SUCCESS) {
            continue;
        }
        ck_assert_msg(r.status == want_status, "%.60s: status %d, not %d",
                      data, r.status, want_status);
        if (i == 0) {
            first = r;
            continue;
        }
        ck_assert_uint_eq(r.data_len, first.data_len);
        ck_assert_int_eq(r.data == NULL, first.data == NULL);
        if (r.data) {
            ck_assert(memcmp(r.data, first.data, r.data_len) == 0);
            ck_assert_int_eq(r.data[r.data_len], '\0');
        }
        ck_assert(r.cas == first.cas);
        ck_assert(r.number == first.number);
    }
    start(data, len, BEARER_MC_READ_BUFFER, APR_SUCCESS);
    if (want_rv == APR_SUCCESS) {
        return first;
    }
    memset(&r, 0, sizeof(r));
    return r;
}

static bearer_mc_reply expect(const char *data, bearer_mc_reply_kind kind,
                              apr_status_t want_rv,
                              bearer_mc_status want_status)
{
    return expect_len(data, strlen(data), kind, want_rv, want_status);
}

#define BROKEN(data, kind) expect((data), (kind), APR_EGENERAL, 0)
#define VALUE BEARER_MC_REPLY_VALUE

/* ---- mg ----------------------------------------------------------------- */

/* What memcached 1.6.18 answers to "mg <key> v c O7". */
START_TEST(value_with_cas)
{
    bearer_mc_reply r = expect("VA 5 c77 O7\r\nhello\r\n", VALUE, APR_SUCCESS,
                               BEARER_MC_OK);

    ck_assert_uint_eq(r.data_len, 5);
    ck_assert(memcmp(r.data, "hello", 5) == 0);
    ck_assert(r.cas == 77);
    ck_assert_int_eq(bearer_mc_reader_pending(&rd), 0);
}
END_TEST

/* The flags in any order; an empty value is a value. */
START_TEST(value_flags_in_any_order)
{
    bearer_mc_reply r = expect("VA 3 O7 c1\r\nabc\r\n", VALUE, APR_SUCCESS,
                               BEARER_MC_OK);

    ck_assert_uint_eq(r.data_len, 3);
    ck_assert(r.cas == 1);
    r = expect("VA 0 c0 O7\r\n\r\n", VALUE, APR_SUCCESS, BEARER_MC_OK);
    ck_assert_uint_eq(r.data_len, 0);
    ck_assert_int_eq(r.data[0], '\0');
    ck_assert(r.cas == 0);
}
END_TEST

/* The data block is taken by its length, whatever it holds. */
START_TEST(value_binary_data)
{
    static const char answer[] = "VA 12 c5 O7\r\n"
                                 "\r\nEN O7\r\n\0\xff\r" "\r\n";
    bearer_mc_reply r = expect_len(answer, sizeof(answer) - 1, VALUE,
                                   APR_SUCCESS, BEARER_MC_OK);

    ck_assert_uint_eq(r.data_len, 12);
    ck_assert(memcmp(r.data, "\r\nEN O7\r\n\0\xff\r", 12) == 0);
}
END_TEST

/* A miss gives the opaque back (memcached 1.6.18 and later). */
START_TEST(miss)
{
    bearer_mc_reply r = expect("EN O7\r\n", VALUE, APR_SUCCESS,
                               BEARER_MC_NOT_FOUND);

    ck_assert(r.data == NULL);
    expect("EN O7 W\r\n", VALUE, APR_SUCCESS, BEARER_MC_NOT_FOUND);
    BROKEN("EN O8\r\n", VALUE);
    BROKEN("EN O7 \r\n", VALUE);
    BROKEN("EN  O7\r\n", VALUE);
    BROKEN("EN O7 O7\r\n", VALUE);
    BROKEN("EN W\r\n", VALUE);
    BROKEN("EN\tO7\r\n", VALUE);
    BROKEN("ENO7\r\n", VALUE);
    BROKEN("END\r\n", VALUE);           /* the text protocol's miss */
}
END_TEST

/* The opaque is what ties an answer to its request now that the key is
 * not echoed: another one is an answer out of step. */
START_TEST(opaque_mismatch)
{
    BROKEN("VA 5 c77 O8\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O70\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O\r\nhello\r\n", VALUE);
    /* exactly as sent: no leading zero, no sign */
    BROKEN("VA 5 c77 O07\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O+7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O7x\r\nhello\r\n", VALUE);
    /* missing */
    BROKEN("VA 5 c77\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 o7\r\nhello\r\n", VALUE);
    /* a large opaque, exactly */
    {
        bearer_mc_reply r;

        start("EN O4294967295\r\n", 16, BEARER_MC_READ_BUFFER, APR_SUCCESS);
        ck_assert_int_eq(read_as(VALUE, 4294967295u, &r), APR_SUCCESS);
        ck_assert_int_eq(r.status, BEARER_MC_NOT_FOUND);
        start("EN O0\r\n", 7, BEARER_MC_READ_BUFFER, APR_SUCCESS);
        ck_assert_int_eq(read_as(VALUE, 0, &r), APR_SUCCESS);
        start("EN O00\r\n", 8, BEARER_MC_READ_BUFFER, APR_SUCCESS);
        ck_assert_int_eq(read_as(VALUE, 0, &r), APR_EGENERAL);
    }
}
END_TEST

/* A hit must carry its cas unique: fleet_store.c's repairs use it. */
START_TEST(missing_cas)
{
    BROKEN("VA 5 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c-1 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c1x O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 C77 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5\r\nhello\r\n", VALUE);
    BROKEN("VA\r\n", VALUE);
}
END_TEST

START_TEST(repeated_flag)
{
    BROKEN("VA 5 c77 O7 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 c78 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O7 W W\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O7 t5 t5\r\nhello\r\n", VALUE);
}
END_TEST

/* Flags memcached adds on its own (W, X, Z) or a later version may add
 * are read past; a flag must still start with a letter. */
START_TEST(unknown_flag_ignored)
{
    bearer_mc_reply r = expect("VA 5 c77 W O7 X Z t-1 k:bearer\r\nhello\r\n",
                               VALUE, APR_SUCCESS, BEARER_MC_OK);

    ck_assert(r.cas == 77);
    ck_assert(memcmp(r.data, "hello", 5) == 0);
    BROKEN("VA 5 c77 O7 7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O7 -x\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O7 \xc3\xa9\r\nhello\r\n", VALUE);
}
END_TEST

/* Spaces: one between fields, none at the end. */
START_TEST(value_spacing)
{
    BROKEN("VA 5 c77  O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77 O7 \r\nhello\r\n", VALUE);
    BROKEN("VA  5 c77 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5c77 O7\r\nhello\r\n", VALUE);
    BROKEN(" VA 5 c77 O7\r\nhello\r\n", VALUE);
    BROKEN("va 5 c77 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5 c77\tO7\r\nhello\r\n", VALUE);
}
END_TEST

/* A server without meta commands answers ERROR: not a broken answer but
 * a distinct error, so that the server is marked down with that reason.
 * One before 1.6.18 answers a miss with a bare EN: a miss. */
START_TEST(no_meta_protocol)
{
    expect("ERROR\r\n", VALUE, APR_ENOTIMPL, 0);
    expect("EN\r\n", VALUE, APR_SUCCESS, BEARER_MC_NOT_FOUND);
    /* only to a mg, only exactly */
    BROKEN("ERROR\r\n", BEARER_MC_REPLY_STORE);
    BROKEN("ERROR \r\n", VALUE);
    BROKEN("ERROR unknown command\r\n", VALUE);
    BROKEN("CLIENT_ERROR bad command line format\r\n", VALUE);
    BROKEN("SERVER_ERROR out of memory\r\n", VALUE);
}
END_TEST

/* Longer than the caller keeps: skipped, and the next answer still reads. */
START_TEST(value_over_value_max)
{
    size_t n = VALUE_MAX + 1;
    char *answer = apr_psprintf(pool, "VA %" APR_SIZE_T_FMT " c9 O7\r\n", n);
    size_t head = strlen(answer);
    char *all = apr_palloc(pool, head + n + 32);
    bearer_mc_reply r;
    size_t len;

    memcpy(all, answer, head);
    memset(all + head, 'v', n);
    memcpy(all + head + n, "\r\nSTORED\r\n", 10);
    len = head + n + 10;
    r = expect_len(all, len, VALUE, APR_SUCCESS, BEARER_MC_BAD_VALUE);
    ck_assert(r.data == NULL);
    ck_assert_int_eq(read_as(VALUE, OPAQUE, &r), APR_SUCCESS);
    ck_assert_int_eq(r.status, BEARER_MC_BAD_VALUE);
    ck_assert_int_eq(read_as(BEARER_MC_REPLY_STORE, 0, &r), APR_SUCCESS);
    ck_assert_int_eq(r.status, BEARER_MC_OK);
    ck_assert_int_eq(bearer_mc_reader_pending(&rd), 0);
}
END_TEST

/* memcached's item limit is the most a value can announce. */
START_TEST(value_lengths_past_the_limit)
{
    char *answer = apr_psprintf(pool, "VA %d c1 O7\r\n", BEARER_MC_ITEM_MAX);
    size_t head = strlen(answer);
    char *all = apr_palloc(pool, head + BEARER_MC_ITEM_MAX + 8);

    memcpy(all, answer, head);
    memset(all + head, 'x', BEARER_MC_ITEM_MAX);
    memcpy(all + head + BEARER_MC_ITEM_MAX, "\r\n", 2);
    start(all, head + BEARER_MC_ITEM_MAX + 2, BEARER_MC_READ_BUFFER,
          APR_SUCCESS);
    {
        bearer_mc_reply r;

        ck_assert_int_eq(read_as(VALUE, OPAQUE, &r), APR_SUCCESS);
        ck_assert_int_eq(r.status, BEARER_MC_BAD_VALUE);
        ck_assert_int_eq(bearer_mc_reader_pending(&rd), 0);
    }
    BROKEN(apr_psprintf(pool, "VA %d c1 O7\r\n", BEARER_MC_ITEM_MAX + 1),
           VALUE);
    BROKEN("VA 99999999999999999999 c1 O7\r\n", VALUE);
    BROKEN("VA 18446744073709551621 c1 O7\r\nabcde\r\n", VALUE);
}
END_TEST

START_TEST(value_negative_or_missing_numbers)
{
    BROKEN("VA -5 c1 O7\r\n", VALUE);
    BROKEN("VA +5 c1 O7\r\nhello\r\n", VALUE);
    BROKEN("VA c1 O7\r\nhello\r\n", VALUE);
    BROKEN("VA 5x c1 O7\r\nhello\r\n", VALUE);
    BROKEN("VA x c1 O7\r\nhello\r\n", VALUE);
}
END_TEST

/* The data block must be followed by CRLF, exactly, and nothing else:
 * no END. */
START_TEST(value_framing)
{
    BROKEN("VA 5 c1 O7\r\nhelloEN O7\r\n", VALUE);
    BROKEN("VA 5 c1 O7\r\nhello!\r\n", VALUE);
    BROKEN("VA 5 c1 O7\r\nhell\r\nEN O8\r\n", VALUE);
    BROKEN("VA 5 c1 O7\r\nhello\n", VALUE);
    /* the connection closes in the middle of the answer */
    expect("VA 5 c1 O7\r\nhel", VALUE, APR_EOF, 0);
    expect("VA 5 c1 O7\r\nhello", VALUE, APR_EOF, 0);
    expect("VA 5 c1 O7\r\nhello\r", VALUE, APR_EOF, 0);
    expect("VA 5 c1 O7", VALUE, APR_EOF, 0);
    /* the text protocol's answer: another key's, or ours, is no answer */
    BROKEN("VALUE bearer:AqdBWqtXER5NvTj5u8BJmQ 0 5 7\r\nhello\r\nEND\r\n",
           VALUE);
}
END_TEST

/* ---- add / set / cas ---------------------------------------------------- */

START_TEST(store_answers)
{
    expect("STORED\r\n", BEARER_MC_REPLY_STORE, APR_SUCCESS, BEARER_MC_OK);
    expect("NOT_STORED\r\n", BEARER_MC_REPLY_STORE, APR_SUCCESS,
           BEARER_MC_NOT_FOUND);
    expect("EXISTS\r\n", BEARER_MC_REPLY_STORE, APR_SUCCESS,
           BEARER_MC_NOT_FOUND);
    expect("NOT_FOUND\r\n", BEARER_MC_REPLY_STORE, APR_SUCCESS,
           BEARER_MC_NOT_FOUND);
    BROKEN("STORED \r\n", BEARER_MC_REPLY_STORE);
    BROKEN("stored\r\n", BEARER_MC_REPLY_STORE);
    BROKEN("STORE\r\n", BEARER_MC_REPLY_STORE);
    BROKEN("STORED\n", BEARER_MC_REPLY_STORE);
    BROKEN("END\r\n", BEARER_MC_REPLY_STORE);
}
END_TEST

/* The client sends no delete or touch: their answers, and memcached's
 * errors, are broken answers to whatever it asked (ERROR to a mg says
 * more: no_meta_protocol). */
START_TEST(answers_to_requests_never_sent)
{
    static const char *const lines[] = {
        "DELETED\r\n", "TOUCHED\r\n", "ERROR\r\n",
        "CLIENT_ERROR bad data chunk\r\n",
        "SERVER_ERROR out of memory storing object\r\n",
        "SERVER_ERROR object too large for cache\r\n", "OK\r\n",
        "VERSION 1.6.18\r\n",
    };
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (strcmp(lines[i], "ERROR\r\n") != 0) {
            BROKEN(lines[i], BEARER_MC_REPLY_VALUE);    /* see below */
        }
        BROKEN(lines[i], BEARER_MC_REPLY_STORE);
        if (strncmp(lines[i], "CLIENT_ERROR", 12) != 0) {
            BROKEN(lines[i], BEARER_MC_REPLY_INCR);
        }
    }
}
END_TEST

/* ---- incr --------------------------------------------------------------- */

START_TEST(incr_numbers)
{
    bearer_mc_reply r = expect("0\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS,
                               BEARER_MC_OK);

    ck_assert(r.number == 0);
    r = expect("42\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS, BEARER_MC_OK);
    ck_assert(r.number == 42);
    r = expect("4294967296\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS,
               BEARER_MC_OK);
    ck_assert(r.number == 4294967296ULL);
    expect("NOT_FOUND\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS,
           BEARER_MC_NOT_FOUND);
    expect("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
           BEARER_MC_REPLY_INCR, APR_SUCCESS, BEARER_MC_BAD_VALUE);
    BROKEN("-1\r\n", BEARER_MC_REPLY_INCR);
    BROKEN("+1\r\n", BEARER_MC_REPLY_INCR);
    BROKEN(" 1\r\n", BEARER_MC_REPLY_INCR);
    BROKEN("1 \r\n", BEARER_MC_REPLY_INCR);
    BROKEN("1x\r\n", BEARER_MC_REPLY_INCR);
    BROKEN("\r\n", BEARER_MC_REPLY_INCR);
    BROKEN("STORED\r\n", BEARER_MC_REPLY_INCR);
}
END_TEST

/* ---- flush_all, version ------------------------------------------------- */

START_TEST(flush_and_version)
{
    expect("OK\r\n", BEARER_MC_REPLY_FLUSH, APR_SUCCESS, BEARER_MC_OK);
    BROKEN("ERROR\r\n", BEARER_MC_REPLY_FLUSH);
    BROKEN("OK \r\n", BEARER_MC_REPLY_FLUSH);
    expect("VERSION 1.6.18\r\n", BEARER_MC_REPLY_VERSION, APR_SUCCESS,
           BEARER_MC_OK);
    BROKEN("VERSION\r\n", BEARER_MC_REPLY_VERSION);
    BROKEN("END\r\n", BEARER_MC_REPLY_VERSION);
}
END_TEST

/* The probe of a server marked down: a server without meta commands says
 * ERROR, which must keep it down (APR_ENOTIMPL), not bring it up. */
START_TEST(meta_noop)
{
    expect("MN\r\n", BEARER_MC_REPLY_NOOP, APR_SUCCESS, BEARER_MC_OK);
    expect("ERROR\r\n", BEARER_MC_REPLY_NOOP, APR_ENOTIMPL, 0);
    BROKEN("MN \r\n", BEARER_MC_REPLY_NOOP);
    BROKEN("VERSION 1.4.25\r\n", BEARER_MC_REPLY_NOOP);
    BROKEN("EN\r\n", BEARER_MC_REPLY_NOOP);
}
END_TEST

/* ---- lines -------------------------------------------------------------- */

START_TEST(lines)
{
    char line[BEARER_MC_LINE_MAX];
    char *longest = apr_pstrcat(pool, "VERSION ",
                                apr_psprintf(pool, "%0*d",
                                             BEARER_MC_LINE_MAX - 1 - 8, 0),
                                NULL);
    char *too_long = apr_pstrcat(pool, longest, "0\r\n", NULL);
    char *unended = apr_pstrcat(pool, longest, "0", NULL);

    /* the longest line there is: 511 bytes before its CRLF, whole or in
     * pieces (it was refused when 512 bytes had come without the LF) */
    longest = apr_pstrcat(pool, longest, "\r\n", NULL);
    ck_assert_uint_eq(strlen(longest), BEARER_MC_LINE_MAX + 1);
    expect(longest, BEARER_MC_REPLY_VERSION, APR_SUCCESS, BEARER_MC_OK);
    BROKEN(too_long, BEARER_MC_REPLY_VERSION);
    /* 512 bytes and then nothing: the connection closed, not a bad line */
    ck_assert_uint_eq(strlen(unended), BEARER_MC_LINE_MAX);
    expect(unended, BEARER_MC_REPLY_VERSION, APR_EOF, 0);
    /* LF without CR, a lone LF, nothing at all */
    BROKEN("END\n", BEARER_MC_REPLY_VALUE);
    BROKEN("\n", BEARER_MC_REPLY_VALUE);
    expect("", BEARER_MC_REPLY_VALUE, APR_EOF, 0);
    expect("END\r", BEARER_MC_REPLY_VALUE, APR_EOF, 0);
    /* a line that never ends is refused once it cannot be one, without
     * waiting for more */
    {
        char *endless = apr_palloc(pool, 600);

        memset(endless, 'S', 600);
        start(endless, 600, 1, APR_TIMEUP);
        ck_assert_int_eq(bearer_mc_read_line(&rd, line), APR_EGENERAL);
        ck_assert_uint_le(src.pos, BEARER_MC_LINE_MAX + 1);
    }
}
END_TEST

/* A NUL inside a line is no answer (it used to end the comparison:
 * "STORED\0junk" read as STORED). */
START_TEST(nul_in_lines)
{
    expect_len("STORED\0junk\r\n", 13, BEARER_MC_REPLY_STORE, APR_EGENERAL,
               0);
    expect_len("STORED\0\r\n", 9, BEARER_MC_REPLY_STORE, APR_EGENERAL, 0);
    expect_len("EN O7\0\r\n", 8, VALUE, APR_EGENERAL, 0);
    expect_len("EN O7\0 O7\r\n", 11, VALUE, APR_EGENERAL, 0);
    expect_len("7\0\r\n", 4, BEARER_MC_REPLY_INCR, APR_EGENERAL, 0);
    expect_len("OK\0\r\n", 5, BEARER_MC_REPLY_FLUSH, APR_EGENERAL, 0);
    expect_len("VA 1 c1 O7\0\r\nx\r\n", 16, VALUE, APR_EGENERAL, 0);
    /* in the data block a NUL is data */
    {
        bearer_mc_reply r = expect_len("VA 1 c1 O7\r\n\0\r\n", 15, VALUE,
                                       APR_SUCCESS, BEARER_MC_OK);

        ck_assert_uint_eq(r.data_len, 1);
        ck_assert_int_eq(r.data[0], '\0');
    }
}
END_TEST

/* cas uniques and counters are 64-bit unsigned: read exactly, and a
 * number past 2^64 - 1 is no answer (they used to stop at 2^63 - 1). */
START_TEST(numbers_64_bit)
{
    bearer_mc_reply r;

    r = expect("VA 1 c18446744073709551615 O7\r\nx\r\n", VALUE, APR_SUCCESS,
               BEARER_MC_OK);
    ck_assert(r.cas == UINT64_MAX);
    r = expect("VA 1 c9223372036854775808 O7\r\nx\r\n", VALUE, APR_SUCCESS,
               BEARER_MC_OK);
    ck_assert(r.cas == 9223372036854775808ULL);
    r = expect("VA 1 c0000000000000000000000042 O7\r\nx\r\n", VALUE,
               APR_SUCCESS, BEARER_MC_OK);
    ck_assert(r.cas == 42);
    BROKEN("VA 1 c18446744073709551616 O7\r\nx\r\n", VALUE);
    r = expect("18446744073709551615\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS,
               BEARER_MC_OK);
    ck_assert(r.number == UINT64_MAX);
    r = expect("9223372036854775808\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS,
               BEARER_MC_OK);
    ck_assert(r.number == 9223372036854775808ULL);
    BROKEN("18446744073709551616\r\n", BEARER_MC_REPLY_INCR);
    BROKEN("99999999999999999999999\r\n", BEARER_MC_REPLY_INCR);
    r = expect("000000000000000000000000042\r\n", BEARER_MC_REPLY_INCR,
               APR_SUCCESS, BEARER_MC_OK);
    ck_assert(r.number == 42);
}
END_TEST

/* CLIENT_ERROR is a word: "CLIENT_ERRORS" is not memcached's error. */
START_TEST(client_error_word)
{
    expect("CLIENT_ERROR\r\n", BEARER_MC_REPLY_INCR, APR_SUCCESS,
           BEARER_MC_BAD_VALUE);
    BROKEN("CLIENT_ERRORS\r\n", BEARER_MC_REPLY_INCR);
    BROKEN("CLIENT_ERROR!cannot increment\r\n", BEARER_MC_REPLY_INCR);
}
END_TEST

/* What the recv callback says (a timeout, a reset) comes back as it is. */
START_TEST(socket_errors_come_back)
{
    bearer_mc_reply r;

    start("VA 5 c1 O7\r\nhe", 14, 100, APR_TIMEUP);
    ck_assert_int_eq(read_as(VALUE, OPAQUE, &r), APR_TIMEUP);
    start("", 0, 1, APR_ECONNRESET);
    ck_assert_int_eq(read_as(BEARER_MC_REPLY_STORE, 0, &r),
                     APR_ECONNRESET);
}
END_TEST

static apr_status_t overrunning_recv(void *ctx, char *buf, apr_size_t *len)
{
    *len += 1;
    return APR_SUCCESS;
}

/* A callback that claims more bytes than there was room for is refused. */
START_TEST(overrunning_callback)
{
    bearer_mc_reply r;

    bearer_mc_reader_init(&rd, overrunning_recv, NULL);
    memset(&r, 0, sizeof(r));
    r.kind = BEARER_MC_REPLY_STORE;
    ck_assert_int_eq(bearer_mc_read_reply(&rd, pool, &r), APR_EGENERAL);
}
END_TEST

/* ---- a batch: several answers on one connection, in the order asked ----- */

START_TEST(pipelined_batch)
{
    static const char answers[] =
        "OK\r\n"
        "VA 3 c11 O0\r\nabc\r\n"
        "EN O1\r\n"
        "STORED\r\n"
        "EXISTS\r\n"
        "7\r\n"
        "VERSION 1.6.18\r\n";
    static const bearer_mc_reply_kind kinds[] = {
        BEARER_MC_REPLY_FLUSH, BEARER_MC_REPLY_VALUE, BEARER_MC_REPLY_VALUE,
        BEARER_MC_REPLY_STORE, BEARER_MC_REPLY_STORE, BEARER_MC_REPLY_INCR,
        BEARER_MC_REPLY_VERSION,
    };
    static const bearer_mc_status statuses[] = {
        BEARER_MC_OK, BEARER_MC_OK, BEARER_MC_NOT_FOUND, BEARER_MC_OK,
        BEARER_MC_NOT_FOUND, BEARER_MC_OK, BEARER_MC_OK,
    };
    /* the opaques: the mg's index among the batch's ops */
    static const apr_uint32_t opaques[] = { 0, 0, 1, 2, 3, 4, 0 };
    size_t c, i;

    for (c = 0; c < NCHUNKS; c++) {
        bearer_mc_reply r;

        start(answers, sizeof(answers) - 1, chunks[c], APR_TIMEUP);
        for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
            ck_assert_int_eq(read_as(kinds[i], opaques[i], &r), APR_SUCCESS);
            ck_assert_int_eq(r.status, statuses[i]);
            if (kinds[i] == BEARER_MC_REPLY_INCR) {
                ck_assert(r.number == 7);
            }
        }
        ck_assert_int_eq(bearer_mc_reader_pending(&rd), 0);
        ck_assert_uint_eq(src.pos, src.len);
        /* nothing more comes: the callback's timeout */
        ck_assert_int_eq(read_as(BEARER_MC_REPLY_STORE, 0, &r), APR_TIMEUP);
    }
    /* two mg answers swapped: the first is caught by its opaque */
    for (c = 0; c < NCHUNKS; c++) {
        bearer_mc_reply r;

        start("EN O1\r\nVA 1 c5 O0\r\nx\r\n", 24, chunks[c], APR_TIMEUP);
        ck_assert_int_eq(read_as(VALUE, 0, &r), APR_EGENERAL);
    }
    /* bytes nobody asked for are left pending: the connection is out of
     * step (mc_batch.c closes it) */
    start("STORED\r\nSTORED\r\n", 16, BEARER_MC_READ_BUFFER, APR_SUCCESS);
    {
        bearer_mc_reply r;

        ck_assert_int_eq(read_as(BEARER_MC_REPLY_STORE, 0, &r),
                         APR_SUCCESS);
        ck_assert_int_eq(bearer_mc_reader_pending(&rd), 1);
    }
}
END_TEST

Suite *mc_reply_suite(void)
{
    Suite *s = suite_create("mc_reply");
    TCase *value = tcase_create("mg");
    TCase *others = tcase_create("store_incr_flush_version");
    TCase *framing = tcase_create("framing");

    tcase_add_checked_fixture(value, setup, teardown);
    tcase_add_checked_fixture(others, setup, teardown);
    tcase_add_checked_fixture(framing, setup, teardown);
    tcase_add_test(value, value_with_cas);
    tcase_add_test(value, value_flags_in_any_order);
    tcase_add_test(value, value_binary_data);
    tcase_add_test(value, miss);
    tcase_add_test(value, value_over_value_max);
    tcase_add_test(value, value_lengths_past_the_limit);
    tcase_add_test(value, value_negative_or_missing_numbers);
    tcase_add_test(value, opaque_mismatch);
    tcase_add_test(value, missing_cas);
    tcase_add_test(value, repeated_flag);
    tcase_add_test(value, unknown_flag_ignored);
    tcase_add_test(value, value_spacing);
    tcase_add_test(value, no_meta_protocol);
    tcase_add_test(value, value_framing);
    tcase_add_test(others, store_answers);
    tcase_add_test(others, answers_to_requests_never_sent);
    tcase_add_test(others, incr_numbers);
    tcase_add_test(others, flush_and_version);
    tcase_add_test(others, meta_noop);
    tcase_add_test(framing, lines);
    tcase_add_test(framing, nul_in_lines);
    tcase_add_test(value, numbers_64_bit);
    tcase_add_test(others, client_error_word);
    tcase_add_test(framing, socket_errors_come_back);
    tcase_add_test(framing, overrunning_callback);
    tcase_add_test(framing, pipelined_batch);
    suite_add_tcase(s, value);
    suite_add_tcase(s, others);
    suite_add_tcase(s, framing);
    return s;
}
