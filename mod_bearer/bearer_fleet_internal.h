/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_fleet_internal.h - what fleet_store.c shares with fleet_refill.c
 * and fleet_subject.c: the key names, the placement of a token's copies,
 * one way to fill an op, the quorum, and the request's memcached budget.
 */
#ifndef BEARER_FLEET_INTERNAL_H
#define BEARER_FLEET_INTERNAL_H

#include "bearer_mc_client.h"

#define BEARER_FLEET_KEY_PREFIX      "bearer:"
#define BEARER_FLEET_USES_KEY_PREFIX "bearer:uses:"
#define BEARER_FLEET_SUBJECT_KEY_PREFIX "bearer:subject:"

/* The vhost's servers (registry indices) in this token's order: its
 * copies belong on the first BearerMemcacheReplicas of them. */
int *bearer_fleet_server_order(apr_pool_t *p, const bearer_server_conf *sconf,
                               const unsigned char id[BEARER_ID_BYTES]);

/* A subject's cut-off read (fleet_subject.c): the same get to every
 * server of the list; sent in a round of its own or with its token's. */
struct bearer_fleet_subject_read {
    unsigned char key[BEARER_SUBJECT_KEY_BYTES];
    const char *mkey;
    bearer_mc_op *ops;
    int nops;
    int sent;
};

/* Fills one op: a sealed record's size bounds what a GET accepts. */
void bearer_fleet_fill_op(bearer_mc_op *op, int server, bearer_mc_kind kind,
                          const char *key, const unsigned char *value,
                          apr_size_t value_len, apr_int64_t expires_at);

/* How many servers must answer before a live value is trusted:
 * min(BearerMemcacheReplicas, servers - 1), at least 1. */
int bearer_fleet_live_quorum(const bearer_server_conf *sconf);

/* One batch of the request, inside its one BearerMemcacheTimeout budget
 * (the first batch ends half-way to the deadline, later ones by it). */
void bearer_fleet_run_round(request_rec *r, const bearer_server_conf *sconf,
                            bearer_mc_op *ops, int nops);

/* A read of the request: as bearer_fleet_run_round, but in a DELETE a
 * read after the first batch gets half of what is left, so that the
 * revocation after its look-ups keeps time for its tombstones. */
void bearer_fleet_run_read(request_rec *r, const bearer_server_conf *sconf,
                           bearer_mc_op *ops, int nops);

/* A repair: half of what is left of the budget, none in a DELETE;
 * 0 when not sent. */
int bearer_fleet_run_repair(request_rec *r, const bearer_server_conf *sconf,
                            bearer_mc_op *ops, int nops);

/* fleet_refill.c: registers the refill of servers that come back empty
 * with mod_watchdog (a child singleton); post_config, after
 * bearer_mc_post_config. Without mod_watchdog it logs that there is no
 * refill and returns OK. */
int bearer_fleet_refill_register(apr_pool_t *pconf, server_rec *s);

#endif
