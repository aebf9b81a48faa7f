/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_mc_internal.h - what the four files of the memcached client share,
 * and nothing else includes:
 *
 *   mc_health.c   the registry of servers and their health, shared by the
 *                 children of this host (up, down, when to probe again)
 *   mc_journal.c  the keys a server missed while unreachable, and its
 *                 clean-up state (bearer_mc_dirt)
 *   mc_conn.c     per-child connection stacks, each wait clipped to a
 *                 deadline
 *   mc_batch.c    one batch of text-protocol exchanges: plan, send, read
 *
 * The public interface is bearer_mc_client.h.
 */
#ifndef BEARER_MC_INTERNAL_H
#define BEARER_MC_INTERNAL_H

#include "bearer_mc_client.h"

#include "apr_network_io.h"
#include "apr_thread_mutex.h"

/* A server that failed is left alone this long before one request probes
 * it again: requests meanwhile skip it without waiting. */
#define BEARER_MC_RETRY_INTERVAL apr_time_from_sec(2)

/* A server's clean-up state (server_health.dirty). Only the request that
 * claimed the clean-up (DIRTY -> CLEANING) moves the state on from
 * CLEANING or CLEANING_AGAIN; everyone else only sets CLEAN -> DIRTY or
 * CLEANING -> CLEANING_AGAIN (mc_journal.c's note_dirty), so no claim is
 * ever lost. */
typedef enum {
    BEARER_MC_CLEAN = 0,
    BEARER_MC_DIRTY = 1,            /* the keys it missed must be deleted
                                       (or it flushed) before its next use */
    BEARER_MC_CLEANING = 2,         /* a request is doing that now: no one
                                       else may use it until it is done */
    BEARER_MC_CLEANING_AGAIN = 3    /* the same, and it missed more writes
                                       meanwhile: it stays dirty after */
} bearer_mc_dirt;

/* One cache line a server, in shared memory: every child of this host
 * sees the same state. Changed with atomics only. */
typedef struct {
    apr_int64_t retry_at;       /* while down: when the next probe may go */
    apr_int64_t started;        /* when the server (this process of it)
                                   started, as its "stats" say: the
                                   refill's mark, 0 not seen yet */
    apr_uint32_t down;          /* 1 while believed unreachable */
    apr_uint32_t dirty;         /* a bearer_mc_dirt */
    apr_uint32_t generation;    /* +1 at every failure: connections opened
                                   before one are not reused */
    apr_uint32_t pid;           /* with started: its process id */
    apr_uint32_t meta;          /* 1 once it answered the meta protocol
                                   (an mg or mn) since it was last marked
                                   down: until then "mn" goes along */
    char pad[28];
} bearer_mc_health;

typedef struct bearer_mc_conn bearer_mc_conn;
struct bearer_mc_conn {
    apr_pool_t *pool;           /* unmanaged: conns come and go per thread */
    apr_socket_t *sock;
    apr_uint32_t generation;    /* the server's when it was opened */
    bearer_mc_conn *next;
    apr_time_t deadline;        /* of the batch using it: bounds each wait */
    int reused;                 /* taken from the idle list for this batch */
    apr_size_t batch_bytes;     /* received since this batch took it */
    bearer_mc_reader rd;        /* what it received (mc_reply.c parses it) */
};

typedef struct {
    const char *host;
    apr_port_t port;
    const char *name;
    /* per child */
    apr_sockaddr_t *addr;
    apr_thread_mutex_t *lock;
    bearer_mc_conn *idle;
    int nidle;
} bearer_mc_server;

/* mc_health.c: the registry (post_config), the shared health. */
extern bearer_mc_server *bearer_mc_servers;
extern int bearer_mc_nservers;
extern bearer_mc_health *bearer_mc_healths;     /* NULL: no fleet */

int bearer_mc_may_use(int server, apr_time_t now);
void bearer_mc_mark_down(server_rec *s, int server, apr_status_t rv,
                         const char *what);
void bearer_mc_mark_up(server_rec *s, int server);

/* mc_journal.c: the missed keys, after the health array in the same
 * segment. */
apr_size_t bearer_mc_journal_bytes(void);       /* one server's */
void bearer_mc_journal_attach(void *base);

/* One clean-up of a dirty server, as planned by bearer_mc_cleanup_plan. */
typedef struct {
    int whole;                  /* with flush_all, not key by key */
    const char *why_whole;      /* ... and why (for the log) */
    int stalled;                /* stopping at an unfinished entry */
    int nkeys;                  /* deleting this many keys */
    apr_uint32_t upto;          /* the journal's head it cleans up to */
} bearer_mc_cleanup;

int bearer_mc_claim_cleanup(int server);
void bearer_mc_cleanup_failed(int server);
char *bearer_mc_cleanup_plan(apr_pool_t *pool, int server,
                             bearer_mc_cleanup *cu, apr_size_t *len);
void bearer_mc_cleanup_done(server_rec *s, int server,
                            const bearer_mc_cleanup *cu);

/* mc_conn.c: connections. */
bearer_mc_conn *bearer_mc_conn_acquire(int server, apr_time_t deadline,
                                       int fresh, apr_status_t *rv);
void bearer_mc_conn_release(int server, bearer_mc_conn *c);
void bearer_mc_conn_destroy(bearer_mc_conn *c);
apr_status_t bearer_mc_conn_send(bearer_mc_conn *c, apr_time_t deadline,
                                 const char *buf, apr_size_t len);
int bearer_mc_closed_by_peer(apr_status_t rv);

#endif
