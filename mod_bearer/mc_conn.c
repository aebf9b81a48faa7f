/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mc_conn.c - the memcached client's connections: per child and server, a
 * stack of idle ones (under a mutex: threads share it), each socket wait
 * clipped to the deadline of the batch using the connection. A connection
 * opened before the server last failed is never reused.
 */
#include "bearer_mc_internal.h"

/* Idle connections kept per server per child. */
#define IDLE_MAX           32

static apr_status_t close_idle_connections(void *data)
{
    bearer_mc_server *srv = data;

    while (srv->idle) {
        bearer_mc_conn *c = srv->idle;

        srv->idle = c->next;
        apr_socket_close(c->sock);
        apr_pool_destroy(c->pool);
    }
    srv->nidle = 0;
    return APR_SUCCESS;
}

/* Set once child_init is done (see bearer_mc_child_ready). */
static int child_ready;

int bearer_mc_child_ready(void)
{
    return __atomic_load_n(&child_ready, __ATOMIC_ACQUIRE);
}

void bearer_mc_child_init(apr_pool_t *pchild, server_rec *s)
{
    int i;

    for (i = 0; i < bearer_mc_nservers; i++) {
        bearer_mc_server *srv = &bearer_mc_servers[i];
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
    __atomic_store_n(&child_ready, 1, __ATOMIC_RELEASE);
}

/* What is left of the deadline, as a socket timeout. Past it, 0: a
 * non-blocking look at what has already arrived. */
static void clip_timeout(bearer_mc_conn *c, apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();

    apr_socket_timeout_set(c->sock, left > 0 ? left : 0);
}

/* The reader's source of bytes: the socket, each wait clipped to the
 * deadline of the batch using the connection. */
static apr_status_t conn_recv(void *ctx, char *buf, apr_size_t *len)
{
    bearer_mc_conn *c = ctx;
    apr_status_t rv;

    clip_timeout(c, c->deadline);
    rv = apr_socket_recv(c->sock, buf, len);
    c->batch_bytes += *len;
    return rv;
}

void bearer_mc_conn_destroy(bearer_mc_conn *c)
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
bearer_mc_conn *bearer_mc_conn_acquire(int server, apr_time_t deadline,
                                       int fresh, apr_status_t *rv)
{
    bearer_mc_server *srv = &bearer_mc_servers[server];
    apr_uint32_t generation =
        __atomic_load_n(&bearer_mc_healths[server].generation,
                        __ATOMIC_ACQUIRE);
    bearer_mc_conn *c = NULL;
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
        bearer_mc_conn_destroy(c);
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

void bearer_mc_conn_release(int server, bearer_mc_conn *c)
{
    bearer_mc_server *srv = &bearer_mc_servers[server];

    if (bearer_mc_reader_pending(&c->rd)) {
        /* unread bytes: out of step, never reuse */
        bearer_mc_conn_destroy(c);
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
        bearer_mc_conn_destroy(c);
    }
}

apr_status_t bearer_mc_conn_send(bearer_mc_conn *c, apr_time_t deadline,
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

/* A connection the peer closed or reset, rather than a slow or broken
 * answer. */
int bearer_mc_closed_by_peer(apr_status_t rv)
{
    return APR_STATUS_IS_EOF(rv) || APR_STATUS_IS_ECONNRESET(rv)
           || APR_STATUS_IS_EPIPE(rv) || APR_STATUS_IS_ECONNABORTED(rv);
}
