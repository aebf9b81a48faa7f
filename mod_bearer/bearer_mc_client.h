/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_mc_client.h - a small memcached client (text protocol over APR
 * sockets) whose every exchange is bounded by BearerMemcacheTimeout.
 *
 * apr_memcache cannot hold that bound: after connecting it sets its socket
 * timeout to -1, so a memcached that accepts but never answers (SIGSTOP)
 * blocks a request forever, and its API offers no way to change that.
 * Here one deadline covers a whole batch: requests to every server are
 * sent first (one connection per server, its requests pipelined), then
 * the answers read, each socket wait clipped to what is left of the
 * deadline.
 *
 * Server health is shared by every child of this host (shared memory): a
 * server that failed is skipped until its retry time, when one request
 * probes it (with its own requests, and the meta no-op "mn" when none of
 * them is an mg; "mn" also goes to a server not yet seen to answer the
 * meta protocol: a server without it answers ERROR, and everything it
 * answered in that batch counts as failed). A server that missed a write mod_bearer needed it to see (a
 * tombstone, a use) is "dirty": the keys it missed are deleted from it
 * before it is used again or as soon as a probe reaches it (flush_all when
 * there were more than this host keeps track of), so a value it kept from
 * before cannot come back (see docs/design.md); the clean-up goes ahead of
 * the requests on the same connection and holds up no other server.
 *
 * Its parts: mc_health.c, mc_journal.c, mc_conn.c, mc_batch.c
 * (bearer_mc_internal.h). It knows nothing of what the values hold.
 */
#ifndef BEARER_MEMCACHE_H
#define BEARER_MEMCACHE_H

#include "bearer_private.h"
#include "bearer_mc_reply.h"        /* bearer_mc_status; the answers' parser */

typedef enum {
    BEARER_MC_GET,              /* sent as "mg <key> v c O<n>": sets cas */
    BEARER_MC_ADD,
    BEARER_MC_SET,
    BEARER_MC_CAS,              /* set only if unchanged since a GET (cas) */
    BEARER_MC_INCR,
    BEARER_MC_STATS,            /* "stats": lines, each "STAT name value" */
    BEARER_MC_METADUMP          /* "lru_crawler metadump all": a line a key;
                                   BAD_VALUE when the crawler is busy */
} bearer_mc_kind;

typedef struct {
    /* request */
    int server;                     /* index in the registry */
    bearer_mc_kind kind;
    const char *key;
    const unsigned char *value;     /* ADD / SET */
    apr_size_t value_len;
    apr_int64_t expires_at;         /* ADD / SET: Unix seconds */
    apr_uint64_t delta;             /* INCR */
    apr_uint64_t cas;               /* CAS: from the GET; GET: set */
    apr_size_t value_max;           /* GET: a longer value is BAD_VALUE */
    /* result */
    bearer_mc_status status;
    unsigned char *data;            /* GET: the value, in the pool */
    apr_size_t data_len;
    apr_uint64_t number;            /* INCR: the new value */
    apr_array_header_t *lines;      /* STATS, METADUMP: char *, in the pool */
} bearer_mc_op;

/* post_config: number the distinct servers of every virtual host (sets
 * bearer_memcache_server.index) and find or create their shared health. */
int bearer_mc_post_config(apr_pool_t *pconf, server_rec *s);

/* Sets the servers-up/down and outage gauges from the shared health (the
 * metrics segment must exist: call after both post_configs). */
void bearer_mc_publish_health(void);

/* child_init: this child's connection stacks. */
void bearer_mc_child_init(apr_pool_t *pchild, server_rec *s);

/* Runs every op, in parallel, until deadline (absolute); sets each op's
 * status. A deadline already past sends nothing (every op FAILED). A
 * server that has not answered by the deadline is marked down only when
 * the batch gave it at least a quarter of timeout (BearerMemcacheTimeout): a
 * batch that starts late in its request's budget and runs out is the
 * request's doing, not the server's, and its ops just fail. */
void bearer_mc_run(server_rec *s, apr_pool_t *pool, bearer_mc_op *ops,
                   int nops, apr_time_t deadline,
                   apr_interval_time_t timeout);

/* 1 if the server is believed reachable now (not marked down). */
int bearer_mc_server_up(int server);

/* Marks a server dirty: it missed a write to key that it had to see (a
 * tombstone, a use). Before its next use by this host the keys it missed
 * are deleted from it (or, past what the host keeps track of, it is
 * flushed). */
void bearer_mc_mark_missed(int server, const char *key);

/* The server's start as this host last saw it (its "stats": the time it
 * started, its pid), for the refill of a server that came back empty;
 * 0 and 0 until first seen. Shared by the children. */
void bearer_mc_seen_start(int server, apr_int64_t *started,
                          apr_uint32_t *pid);
void bearer_mc_set_seen_start(int server, apr_int64_t started,
                              apr_uint32_t pid);

/* 1 once this child's connections are set up (child_init done): a
 * thread the child runs on its own (the refill) waits for it. */
int bearer_mc_child_ready(void);

/* The registry: how many servers, and each one's "host:port". */
int bearer_mc_server_count(void);
const char *bearer_mc_server_name(int server);

#endif
