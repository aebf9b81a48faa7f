/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_client.c - the memcached client of fleet mode: a registry of servers,
 * their health shared by the children of this host, per-child connection
 * stacks, and batches of text-protocol exchanges under one deadline.
 * Interface and rationale: bearer_mc_client.h. The answers are parsed by
 * mc_reply.c (pure, fuzzed); this file feeds it the sockets' bytes.
 */
#include "bearer_mc_client.h"
#include "bearer_fleet_record.h"
#include "bearer_metrics.h"

#include "apr_network_io.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

/* A server that failed is left alone this long before one request probes
 * it again: requests meanwhile skip it without waiting. */
#define RETRY_INTERVAL     apr_time_from_sec(2)
/* Idle connections kept per server per child. */
#define IDLE_MAX           32
#define RELATIVE_EXPTIME_MAX 2592000    /* memcached reads more as a date */

#define HEALTH_USERDATA_KEY "mod_bearer-memcache-health"

/* Keys a server missed while unreachable, remembered per server so that
 * only those are deleted from it when it answers again (flush_all would
 * also take copies that are by now the last ones: a token whose other
 * replica was lost in an earlier crash and not yet read back). More than
 * this many between two uses of the server, and it is flushed after all. */
#define MISSED_MAX         4096
#define MISSED_KEY_MAX     40      /* "bearer:uses:" + a 22-character id */

/* server_health.dirty: 0 clean, 1 the keys it missed must be deleted (or,
 * when they cannot all be told, it must be flushed) before its next use,
 * 2 a request is doing that now (no one else may use it until it is done),
 * 3 the same, and it missed more writes meanwhile (so it must stay dirty
 * when that request is done). Only the request that claimed the clean-up
 * (DIRTY -> FLUSHING) moves the state on from 2 or 3; everyone else only
 * sets 0 -> 1 or 2 -> 3 (note_dirty), so no claim is ever lost. */
#define DIRTY           1
#define FLUSHING        2
#define FLUSHING_AGAIN  3

/* A journal entry whose writer took its index but has not published the
 * key this many seconds later belongs to a writer that died (a child
 * killed in between): the clean-up stops waiting and flushes the server. */
#define STALL_SECONDS   2

/* One cache line a server, in shared memory: every child of this host
 * sees the same state. Changed with atomics only. */
typedef struct {
    apr_int64_t retry_at;       /* while down: when the next probe may go */
    apr_uint32_t down;          /* 1 while believed unreachable */
    apr_uint32_t dirty;         /* DIRTY, FLUSHING, FLUSHING_AGAIN or 0
                                   (see claim_flush) */
    apr_uint32_t generation;    /* +1 at every failure: connections opened
                                   before one are not reused */
    char pad[44];
} server_health;

/* The keys one server missed: a ring in shared memory, after the health
 * array. A writer takes index `head` (atomic add), writes the key, then
 * publishes seq = 2 * index + 2; `done` is where the last clean-up got
 * to. A clean-up stops before an entry still being written (its writer
 * marks the server dirty again when done); an entry overwritten by a
 * later index (more than MISSED_MAX missed), or a key that did not fit,
 * makes it flush the server whole rather than trust it.
 *
 *   [server_health x n][missed_journal x n]
 *   missed_journal: head | done | pad | keys[MISSED_MAX]: seq | key[40]
 */
typedef struct {
    apr_uint32_t seq;
    char key[MISSED_KEY_MAX];
} missed_key;

typedef struct {
    apr_uint32_t head;          /* keys noted, ever */
    apr_uint32_t done;          /* keys dealt with (deleted or flushed) */
    apr_uint32_t stall_at;      /* 1 + the index a clean-up last found
                                   unfinished, 0 none (the clean-up that
                                   holds the claim alone uses these two) */
    apr_uint32_t stall_since;   /* when it first found it, in seconds */
    char pad[48];
    missed_key keys[MISSED_MAX];
} missed_journal;

typedef struct mc_conn mc_conn;
struct mc_conn {
    apr_pool_t *pool;           /* unmanaged: conns come and go per thread */
    apr_socket_t *sock;
    apr_uint32_t generation;    /* the server's when it was opened */
    mc_conn *next;
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
    mc_conn *idle;
    int nidle;
} mc_server;

static mc_server *servers;
static int nservers;
static server_health *health;
static missed_journal *journals;

int bearer_mc_server_count(void)
{
    return nservers;
}

const char *bearer_mc_server_name(int server)
{
    return servers[server].name;
}

/* ---- registry and shared health ------------------------------------------ */

static int register_server(apr_pool_t *p, apr_array_header_t *list,
                           bearer_memcache_server *conf)
{
    int i;

    for (i = 0; i < list->nelts; i++) {
        mc_server *known = &APR_ARRAY_IDX(list, i, mc_server);

        if (known->port == conf->port && strcasecmp(known->host,
                                                    conf->host) == 0) {
            return i;
        }
    }
    {
        mc_server *added = apr_array_push(list);

        memset(added, 0, sizeof(*added));
        added->host = conf->host;
        added->port = conf->port;
        added->name = apr_psprintf(p, "%s:%u", conf->host,
                                   (unsigned)conf->port);
    }
    return list->nelts - 1;
}

/* Servers up and down, and the outage flag (no server up), as gauges. */
static void publish_health(void)
{
    int up = 0, i;

    for (i = 0; i < nservers; i++) {
        up += !__atomic_load_n(&health[i].down, __ATOMIC_ACQUIRE);
    }
    bearer_metrics_set(BEARER_G_MEMCACHE_UP, up);
    bearer_metrics_set(BEARER_G_MEMCACHE_DOWN, nservers - up);
    bearer_metrics_set(BEARER_G_OUTAGE, nservers > 0 && up == 0);
}

int bearer_mc_post_config(apr_pool_t *pconf, server_rec *main_server)
{
    apr_array_header_t *list = apr_array_make(pconf, 4, sizeof(mc_server));
    apr_pool_t *process_pool = main_server->process->pool;
    bearer_kept_shm *seg;
    bearer_kept_shm_state state;
    const char *signature = "";
    server_rec *s;
    apr_size_t bytes;
    apr_status_t rv;
    int i;

    for (s = main_server; s; s = s->next) {
        bearer_server_conf *conf = ap_get_module_config(s->module_config,
                                                        &bearer_module);

        for (i = 0; conf->memcache && i < conf->memcache->nelts; i++) {
            bearer_memcache_server *m = &APR_ARRAY_IDX(conf->memcache, i,
                                                       bearer_memcache_server);

            m->index = register_server(pconf, list, m);
        }
    }
    servers = (mc_server *)list->elts;
    nservers = list->nelts;
    health = NULL;
    journals = NULL;
    if (nservers == 0) {
        return OK;
    }
    bytes = (sizeof(server_health) + sizeof(missed_journal))
            * (apr_size_t)nservers;
    for (i = 0; i < nservers; i++) {
        signature = apr_pstrcat(pconf, signature, servers[i].name, " ", NULL);
    }

    /* Like the token table, health outlives graceful restarts as long as
     * the server list (and the layout: a new build of the module) stays
     * the same. */
    rv = bearer_kept_shm_get(process_pool, HEALTH_USERDATA_KEY, signature,
                             bytes, &seg, &state);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, main_server,
                     BRRLOG(00080) "BearerMemcache: cannot create the "
                     "shared memory for %d servers' health", nservers);
        return !OK;
    }
    health = bearer_kept_shm_base(seg);
    journals = (missed_journal *)(health + nservers);
    return OK;
}

void bearer_mc_publish_health(void)
{
    if (health) {
        publish_health();
    }
}

static apr_status_t close_idle_connections(void *data)
{
    mc_server *srv = data;

    while (srv->idle) {
        mc_conn *c = srv->idle;

        srv->idle = c->next;
        apr_socket_close(c->sock);
        apr_pool_destroy(c->pool);
    }
    srv->nidle = 0;
    return APR_SUCCESS;
}

void bearer_mc_child_init(apr_pool_t *pchild, server_rec *s)
{
    int i;

    for (i = 0; i < nservers; i++) {
        mc_server *srv = &servers[i];
        apr_status_t rv;

        srv->idle = NULL;
        srv->nidle = 0;
        rv = apr_thread_mutex_create(&srv->lock, APR_THREAD_MUTEX_DEFAULT,
                                     pchild);
        if (rv != APR_SUCCESS) {
            srv->lock = NULL;
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BRRLOG(00081)
                         "memcached %s: cannot create a mutex; this child "
                         "will not use it", srv->name);
            continue;
        }
        rv = apr_sockaddr_info_get(&srv->addr, srv->host, APR_UNSPEC,
                                   srv->port, 0, pchild);
        if (rv != APR_SUCCESS) {
            srv->addr = NULL;
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, BRRLOG(00082)
                         "memcached %s: cannot resolve its address",
                         srv->name);
        }
        apr_pool_cleanup_register(pchild, srv, close_idle_connections,
                                  apr_pool_cleanup_null);
    }
}

int bearer_mc_server_up(int server)
{
    return health && !__atomic_load_n(&health[server].down, __ATOMIC_ACQUIRE);
}

/* 0 -> DIRTY, FLUSHING -> FLUSHING_AGAIN; DIRTY and FLUSHING_AGAIN stay.
 * Never overwrites a clean-up's claim, which would let a second clean-up
 * start while the first one runs and the first one's end mark the server
 * clean under the second. */
static void note_dirty(int server)
{
    apr_uint32_t cur = __atomic_load_n(&health[server].dirty,
                                       __ATOMIC_ACQUIRE);

    for (;;) {
        apr_uint32_t next = cur == 0 ? DIRTY
                            : cur == FLUSHING ? FLUSHING_AGAIN : cur;

        if (next == cur
                || __atomic_compare_exchange_n(&health[server].dirty, &cur,
                                               next, 0, __ATOMIC_ACQ_REL,
                                               __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}

void bearer_mc_mark_missed(int server, const char *key)
{
    missed_journal *j;
    missed_key *e;
    apr_uint32_t idx;
    apr_size_t len = strlen(key);

    if (!health) {
        return;
    }
    j = &journals[server];
    idx = __atomic_fetch_add(&j->head, 1, __ATOMIC_ACQ_REL);
    e = &j->keys[idx % MISSED_MAX];
    __atomic_store_n(&e->seq, 2 * idx + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    if (len < MISSED_KEY_MAX) {
        memcpy(e->key, key, len + 1);
    }
    else {
        e->key[0] = '\0';      /* cannot be told: the server is flushed */
    }
    __atomic_store_n(&e->seq, 2 * idx + 2, __ATOMIC_RELEASE);
    note_dirty(server);
}

/* May a request use this server now? Up: yes. Down: only the one request
 * that wins the probe once the retry time has come. */
static int may_use(int server, apr_time_t now)
{
    server_health *h = &health[server];
    apr_int64_t retry_at;

    if (!__atomic_load_n(&h->down, __ATOMIC_ACQUIRE)) {
        return 1;
    }
    retry_at = __atomic_load_n(&h->retry_at, __ATOMIC_ACQUIRE);
    if (now < retry_at) {
        return 0;
    }
    return __atomic_compare_exchange_n(&h->retry_at, &retry_at,
                                       now + RETRY_INTERVAL, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void mark_down(server_rec *s, int server, apr_status_t rv,
                      const char *what)
{
    server_health *h = &health[server];
    apr_uint32_t was_up = 0;

    __atomic_add_fetch(&h->generation, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&h->retry_at, apr_time_now() + RETRY_INTERVAL,
                     __ATOMIC_RELEASE);
    if (__atomic_compare_exchange_n(&h->down, &was_up, 1, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        /* once per outage, not once per request */
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, BRRLOG(00083)
                     "memcached %s is unreachable (%s); skipping it and "
                     "probing every %d s", servers[server].name, what,
                     (int)apr_time_sec(RETRY_INTERVAL));
        publish_health();
    }
    bearer_metrics_add(APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EAGAIN(rv)
                       ? BEARER_M_MEMCACHE_TIMEOUT : BEARER_M_MEMCACHE_ERROR,
                       1);
}

static void mark_up(server_rec *s, int server)
{
    apr_uint32_t was_down = 1;

    if (__atomic_compare_exchange_n(&health[server].down, &was_down, 0, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, BRRLOG(00084)
                     "memcached %s answers again", servers[server].name);
        publish_health();
    }
}

/* ---- connections ----------------------------------------------------------- */

/* What is left of the deadline, as a socket timeout. Past it, 0: a
 * non-blocking look at what has already arrived. */
static void clip_timeout(mc_conn *c, apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();

    apr_socket_timeout_set(c->sock, left > 0 ? left : 0);
}

/* The reader's source of bytes: the socket, each wait clipped to the
 * deadline of the batch using the connection. */
static apr_status_t conn_recv(void *ctx, char *buf, apr_size_t *len)
{
    mc_conn *c = ctx;
    apr_status_t rv;

    clip_timeout(c, c->deadline);
    rv = apr_socket_recv(c->sock, buf, len);
    c->batch_bytes += *len;
    return rv;
}

static void conn_destroy(mc_conn *c)
{
    apr_socket_close(c->sock);
    apr_pool_destroy(c->pool);
}

/* An idle connection of this child, or a new one. One opened before the
 * server last failed (in any child) is closed, not reused: after a
 * restart of memcached every idle connection to it is dead, and each
 * would otherwise fail once and mark the server down again. fresh: a
 * new connection whatever is idle (to send a batch again after an idle
 * one turned out closed). */
static mc_conn *conn_acquire(int server, apr_time_t deadline, int fresh,
                             apr_status_t *rv)
{
    mc_server *srv = &servers[server];
    apr_uint32_t generation = __atomic_load_n(&health[server].generation,
                                              __ATOMIC_ACQUIRE);
    mc_conn *c = NULL;
    apr_pool_t *p;

    if (!srv->lock || !srv->addr) {
        *rv = APR_EINIT;
        return NULL;
    }
    while (!fresh) {
        apr_thread_mutex_lock(srv->lock);
        c = srv->idle;
        if (c) {
            srv->idle = c->next;
            srv->nidle--;
        }
        apr_thread_mutex_unlock(srv->lock);
        if (!c || c->generation == generation) {
            break;
        }
        conn_destroy(c);
    }
    if (c) {
        c->deadline = deadline;
        c->reused = 1;
        c->batch_bytes = 0;
        return c;
    }

    *rv = apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    if (*rv != APR_SUCCESS) {
        return NULL;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    c->generation = generation;
    c->deadline = deadline;
    bearer_mc_reader_init(&c->rd, conn_recv, c);
    *rv = apr_socket_create(&c->sock, srv->addr->family, SOCK_STREAM,
                            APR_PROTO_TCP, p);
    if (*rv == APR_SUCCESS) {
        apr_socket_opt_set(c->sock, APR_TCP_NODELAY, 1);
        clip_timeout(c, deadline);
        *rv = apr_socket_connect(c->sock, srv->addr);
    }
    if (*rv != APR_SUCCESS) {
        if (c->sock) {
            apr_socket_close(c->sock);
        }
        apr_pool_destroy(p);
        return NULL;
    }
    return c;
}

static void conn_release(mc_server *srv, mc_conn *c)
{
    if (bearer_mc_reader_pending(&c->rd)) {
        conn_destroy(c);        /* unread bytes: out of step, never reuse */
        return;
    }
    apr_thread_mutex_lock(srv->lock);
    if (srv->nidle < IDLE_MAX) {
        c->next = srv->idle;
        srv->idle = c;
        srv->nidle++;
        c = NULL;
    }
    apr_thread_mutex_unlock(srv->lock);
    if (c) {
        conn_destroy(c);
    }
}

static apr_status_t send_all(mc_conn *c, apr_time_t deadline,
                             const char *buf, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv;

        clip_timeout(c, deadline);
        rv = apr_socket_send(c->sock, buf, &n);
        if (rv != APR_SUCCESS && n == 0) {
            return rv;
        }
        buf += n;
        len -= n;
    }
    return APR_SUCCESS;
}

/* ---- the protocol ------------------------------------------------------------ */

/* memcached reads an exptime over 30 days as a Unix date. */
static apr_int64_t exptime_of(apr_int64_t expires_at)
{
    apr_int64_t rel = expires_at - apr_time_sec(apr_time_now());

    if (rel < 1) {
        return 1;
    }
    return rel > RELATIVE_EXPTIME_MAX ? expires_at : rel;
}

static const char *command_of(apr_pool_t *p, const bearer_mc_op *op,
                              apr_size_t *len)
{
    const char *cmd = NULL;

    switch (op->kind) {
    case BEARER_MC_GET:
        /* gets: the answer carries the cas unique a repair can use */
        cmd = apr_pstrcat(p, "gets ", op->key, "\r\n", NULL);
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
    }
    *len = strlen(cmd);
    return cmd;
}

/* Reads the answer to op (mc_reply.c); APR_SUCCESS when the exchange
 * completed (the status says how), an error when the connection is no
 * longer usable. */
static apr_status_t read_answer(mc_conn *c, apr_pool_t *pool,
                                bearer_mc_op *op)
{
    bearer_mc_reply reply;
    apr_status_t rv;

    memset(&reply, 0, sizeof(reply));
    reply.kind = op->kind == BEARER_MC_GET ? BEARER_MC_REPLY_VALUE
                 : op->kind == BEARER_MC_INCR ? BEARER_MC_REPLY_INCR
                 : BEARER_MC_REPLY_STORE;
    reply.key = op->key;
    reply.value_max = BEARER_RECORD_MAX;
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
static apr_status_t read_own_answer(mc_conn *c, apr_pool_t *pool,
                                    bearer_mc_reply_kind kind)
{
    bearer_mc_reply reply;

    memset(&reply, 0, sizeof(reply));
    reply.kind = kind;
    return bearer_mc_read_reply(&c->rd, pool, &reply);
}

/* ---- batches ------------------------------------------------------------------ */

/* How one batch uses one server: a single connection carries, in order,
 * the clean-up it owes (if dirty), then every op of the batch for it. One
 * connection per server keeps the clean-up ahead of the writes that
 * follow it; sending every server's requests before reading any answer
 * keeps a server that does not answer (stopped) from holding up the
 * others. */
typedef struct {
    int nops;                   /* ops of this batch for it */
    int allowed;                /* may be used now */
    int probe;                  /* down, not asked by this batch, and its
                                   retry time has come: ask its version */
    int flush;                  /* this batch cleans it up first */
    int whole;                  /* ... with flush_all, not key by key */
    const char *why_whole;      /* ... and why (for the log) */
    int stalled;                /* ... stopping at an unfinished entry */
    int nkeys;                  /* ... deleting this many keys */
    apr_uint32_t upto;          /* the journal's head it cleans up to */
    int flush_done;             /* the clean-up's answer was read */
    const char *sent;           /* what this batch sends it, for a resend */
    apr_size_t sent_len;
    mc_conn *conn;
} batch_server;

/* Claims the flush of a dirty server: 1 when this batch must flush it, 0
 * when it is clean; -1 when another request is flushing it right now (it
 * must not be read until that is done). */
static int claim_flush(int server)
{
    apr_uint32_t expected = DIRTY;
    apr_uint32_t now = __atomic_load_n(&health[server].dirty,
                                       __ATOMIC_ACQUIRE);

    if (now == 0) {
        return 0;
    }
    if (now != DIRTY) {
        return -1;              /* another request is cleaning it up */
    }
    return __atomic_compare_exchange_n(&health[server].dirty, &expected,
                                       FLUSHING, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE) ? 1 : -1;
}

/* The clean-up did not happen: the server stays dirty. The caller holds
 * the claim (FLUSHING or FLUSHING_AGAIN), which only it may end. */
static void flush_failed(int server)
{
    __atomic_store_n(&health[server].dirty, DIRTY, __ATOMIC_RELEASE);
}

/* The commands that clean up a dirty server: "delete <key> noreply" for
 * each key it missed since the last clean-up, then "version" (its answer
 * says they were done, in order, before what follows on the connection);
 * or "flush_all" when the journal cannot tell every key: more than
 * MISSED_MAX of them, an entry overwritten or unreadable, or an entry
 * whose writer has not finished it for STALL_SECONDS. An entry being
 * written right now ends the clean-up before it; the server then stays
 * dirty, and the next clean-up goes on from there. */
static char *cleanup_of(apr_pool_t *pool, int server, batch_server *b,
                        apr_size_t *len)
{
    missed_journal *j = &journals[server];
    apr_uint32_t done = __atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
    apr_uint32_t head = __atomic_load_n(&j->head, __ATOMIC_ACQUIRE);
    apr_uint32_t count = head - done, idx;
    char *buf, *at;

    b->upto = head;
    b->nkeys = (int)count;
    b->whole = count > MISSED_MAX;
    b->why_whole = "more keys than it keeps track of";
    if (b->whole) {
        *len = 11;
        return apr_pstrdup(pool, "flush_all\r\n");
    }
    /* "delete " key " noreply\r\n" a key, "version\r\n" after them */
    buf = at = apr_palloc(pool, (apr_size_t)count * (MISSED_KEY_MAX + 16) + 10);
    for (idx = done; idx != head; idx++) {
        missed_key *e = &j->keys[idx % MISSED_MAX];
        apr_uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
        char key[MISSED_KEY_MAX];

        if ((apr_int32_t)(seq - (2 * idx + 2)) < 0) {
            /* its writer is still at it: this clean-up stops before it,
             * unless it has been so for STALL_SECONDS (a dead writer) */
            apr_uint32_t sec = (apr_uint32_t)apr_time_sec(apr_time_now());

            if (j->stall_at != idx + 1) {
                j->stall_at = idx + 1;
                j->stall_since = sec;
            }
            else if (sec - j->stall_since >= STALL_SECONDS) {
                b->whole = 1;
                b->why_whole = "an entry of its list was never finished";
                break;
            }
            b->stalled = 1;
            b->upto = idx;
            b->nkeys = (int)(idx - done);
            break;
        }
        /* a seqlock read: the key is the one of this index, complete;
         * a later index there means the ring went round (overflow) */
        memcpy(key, e->key, sizeof(key));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (seq != 2 * idx + 2
                || __atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq
                || key[0] == '\0' || !memchr(key, '\0', sizeof(key))) {
            b->whole = 1;
            b->why_whole = "an entry of its list was overwritten or could "
                           "not be read";
            break;
        }
        at = apr_cpystrn(at, "delete ", 8);
        at = apr_cpystrn(at, key, sizeof(key));
        at = apr_cpystrn(at, " noreply\r\n", 11);
    }
    if (b->whole) {
        *len = 11;
        return apr_pstrdup(pool, "flush_all\r\n");
    }
    at = apr_cpystrn(at, "version\r\n", 10);
    *len = (apr_size_t)(at - buf);
    return buf;
}

static apr_status_t read_flush_answer(server_rec *s, int server,
                                      const batch_server *b, mc_conn *c,
                                      apr_pool_t *pool)
{
    apr_uint32_t expected = FLUSHING, done;
    /* flush_all answers OK; the deletes (noreply) answer nothing, and the
     * version after them says they were done */
    apr_status_t rv = read_own_answer(c, pool, b->whole
                                               ? BEARER_MC_REPLY_FLUSH
                                               : BEARER_MC_REPLY_VERSION);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* Cleaned up to b->upto (only ever forward: two requests of two
     * children may have cleaned up at once). */
    done = __atomic_load_n(&journals[server].done, __ATOMIC_ACQUIRE);
    while ((apr_int32_t)(b->upto - done) > 0
           && !__atomic_compare_exchange_n(&journals[server].done, &done,
                                           b->upto, 0, __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE)) {
    }
    /* Clean, unless it missed more while we cleaned up (FLUSHING_AGAIN)
     * or this clean-up stopped at an unfinished entry: then it stays
     * dirty, and the next use goes on from b->upto. */
    if (b->stalled
            || !__atomic_compare_exchange_n(&health[server].dirty, &expected,
                                            0, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&health[server].dirty, DIRTY, __ATOMIC_RELEASE);
    }
    if (b->whole) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00085)
                     "memcached %s missed writes while unreachable that "
                     "this host cannot list key by key (%s; at most %d "
                     "are kept): flushed it before use (its tokens live on "
                     "in their other replicas and are copied back as they "
                     "are read)", servers[server].name, b->why_whole,
                     MISSED_MAX);
    }
    else if (b->nkeys > 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00135)
                     "memcached %s missed writes to %d key(s) while "
                     "unreachable: deleted them from it before use (they "
                     "are copied back from the other replicas as they are "
                     "read)", servers[server].name, b->nkeys);
    }
    return APR_SUCCESS;
}

/* A connection the peer closed or reset, rather than a slow or broken
 * answer. */
static int closed_by_peer(apr_status_t rv)
{
    return APR_STATUS_IS_EOF(rv) || APR_STATUS_IS_ECONNRESET(rv)
           || APR_STATUS_IS_EPIPE(rv) || APR_STATUS_IS_ECONNABORTED(rv);
}

/* Reads what one server answers to the batch, in the order sent: the
 * clean-up's answer, every op's, the probe's. An error leaves the ops not
 * read FAILED; the caller decides what the server's state becomes. */
static apr_status_t read_server_answers(server_rec *s, int k,
                                        batch_server *b, mc_conn *c,
                                        bearer_mc_op *ops, int nops,
                                        apr_pool_t *pool)
{
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (b->flush && !b->flush_done) {
        rv = read_flush_answer(s, k, b, c, pool);
        b->flush_done = rv == APR_SUCCESS;
    }
    for (i = 0; i < nops && rv == APR_SUCCESS; i++) {
        if (ops[i].server != k) {
            continue;
        }
        rv = read_answer(c, pool, &ops[i]);
        if (rv != APR_SUCCESS) {
            ops[i].status = BEARER_MC_FAILED;
        }
        else {
            bearer_metrics_add(ops[i].kind == BEARER_MC_GET
                               ? BEARER_M_MEMCACHE_GET
                               : ops[i].kind == BEARER_MC_INCR
                                 ? BEARER_M_MEMCACHE_INCR
                                 : BEARER_M_MEMCACHE_SET, 1);
        }
    }
    if (b->probe && rv == APR_SUCCESS) {
        rv = read_own_answer(c, pool, BEARER_MC_REPLY_VERSION);
    }
    return rv;
}

void bearer_mc_run(server_rec *s, apr_pool_t *pool, bearer_mc_op *ops,
                   int nops, apr_interval_time_t timeout)
{
    apr_time_t now = apr_time_now();
    apr_time_t deadline = now + timeout;
    batch_server *bs;
    int i, k;

    for (i = 0; i < nops; i++) {
        ops[i].status = BEARER_MC_FAILED;
    }
    if (!health || nops <= 0) {
        return;
    }
    bs = apr_pcalloc(pool, sizeof(*bs) * (apr_size_t)nservers);
    for (i = 0; i < nops; i++) {
        if (ops[i].server >= 0 && ops[i].server < nservers) {
            bs[ops[i].server].nops++;
        }
    }

    /* Which servers this batch may use, once per server: a down one only
     * by the one request that wins its probe. A down server this batch
     * has nothing for is probed all the same when its retry time has
     * come: requests only ask the first live servers of a token's order,
     * so without this a server that came back would never be asked again
     * (and Apaches that saw it fail would place and count tokens
     * elsewhere than those that did not). A probe empties a dirty
     * server at once. */
    for (k = 0; k < nservers; k++) {
        if (bs[k].nops == 0) {
            if (!__atomic_load_n(&health[k].down, __ATOMIC_ACQUIRE)
                    || !may_use(k, now)) {
                continue;
            }
            bs[k].probe = 1;
        }
        else if (!may_use(k, now)) {
            continue;
        }
        bs[k].flush = claim_flush(k);
        bs[k].allowed = bs[k].flush >= 0;
        bs[k].flush = bs[k].flush > 0;
    }

    /* First every request goes out, so that the servers work in
     * parallel and one slow server costs the batch one timeout. */
    for (k = 0; k < nservers; k++) {
        apr_size_t total = 0, len, off = 0, cleanup_len = 0;
        const char *cleanup = NULL;
        const char **cmds;
        apr_size_t *lens;
        char *buf;
        apr_status_t rv;
        int n = 0;

        if (!bs[k].allowed) {
            continue;
        }
        cmds = apr_palloc(pool, sizeof(*cmds) * (apr_size_t)(bs[k].nops + 1));
        lens = apr_palloc(pool, sizeof(*lens) * (apr_size_t)(bs[k].nops + 1));
        for (i = 0; i < nops; i++) {
            if (ops[i].server == k) {
                cmds[n] = command_of(pool, &ops[i], &len);
                lens[n] = len;
                total += len;
                n++;
            }
        }
        if (bs[k].flush) {
            cleanup = cleanup_of(pool, k, &bs[k], &cleanup_len);
            total += cleanup_len;
        }
        if (bs[k].probe) {
            total += 9;
        }
        buf = apr_palloc(pool, total);
        if (bs[k].flush) {
            memcpy(buf, cleanup, cleanup_len);
            off = cleanup_len;
        }
        for (i = 0; i < n; i++) {
            memcpy(buf + off, cmds[i], lens[i]);
            off += lens[i];
        }
        if (bs[k].probe) {
            memcpy(buf + off, "version\r\n", 9);
        }
        bs[k].sent = buf;
        bs[k].sent_len = total;
        bs[k].conn = conn_acquire(k, deadline, 0, &rv);
        if (bs[k].conn) {
            rv = send_all(bs[k].conn, deadline, buf, total);
            if (rv != APR_SUCCESS && bs[k].conn->reused
                    && closed_by_peer(rv)) {
                /* an idle connection to a memcached that restarted */
                conn_destroy(bs[k].conn);
                bs[k].conn = conn_acquire(k, deadline, 1, &rv);
                if (bs[k].conn) {
                    rv = send_all(bs[k].conn, deadline, buf, total);
                }
            }
            if (bs[k].conn && rv != APR_SUCCESS) {
                conn_destroy(bs[k].conn);
                bs[k].conn = NULL;
                mark_down(s, k, rv, "cannot send");
            }
            else if (!bs[k].conn) {
                mark_down(s, k, rv, "cannot connect");
            }
        }
        else {
            mark_down(s, k, rv, "cannot connect");
        }
        if (!bs[k].conn && bs[k].flush) {
            flush_failed(k);
        }
    }

    /* Then the answers, server by server, each in the order asked. */
    for (k = 0; k < nservers; k++) {
        mc_conn *c = bs[k].conn;
        apr_status_t rv;

        if (!c) {
            continue;
        }
        rv = read_server_answers(s, k, &bs[k], c, ops, nops, pool);
        if (rv != APR_SUCCESS && c->reused && c->batch_bytes == 0
                && closed_by_peer(rv)) {
            /* An idle connection the server had closed (a memcached
             * restarted since this child last used it): nothing of this
             * batch was answered, so it goes again, once, on a new
             * connection, before the server counts as failed. */
            conn_destroy(c);
            c = bs[k].conn = conn_acquire(k, deadline, 1, &rv);
            if (c && (rv = send_all(c, deadline, bs[k].sent,
                                    bs[k].sent_len)) == APR_SUCCESS) {
                rv = read_server_answers(s, k, &bs[k], c, ops, nops, pool);
            }
            if (!c) {
                if (bs[k].flush && !bs[k].flush_done) {
                    flush_failed(k);
                }
                mark_down(s, k, rv, "cannot connect");
                continue;
            }
        }
        if (rv != APR_SUCCESS && bs[k].flush && !bs[k].flush_done) {
            flush_failed(k);
        }
        if (rv != APR_SUCCESS) {
            /* the ops not read stay FAILED */
            conn_destroy(c);
            mark_down(s, k, rv,
                      APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EAGAIN(rv)
                      ? "no answer within BearerMemcacheTimeout"
                      : "broken answer");
            continue;
        }
        conn_release(&servers[k], c);
        mark_up(s, k);
        /* from the batch's start to this server's answers: what the
         * request waited for them */
        bearer_metrics_observe(BEARER_H_MEMCACHE_SECONDS,
                               (apr_uint64_t)(apr_time_now() - now));
    }
}
