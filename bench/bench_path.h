/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/bench_path.h - what microbench.c and scaling.c both measure, in
 * one place: a table in anonymous shared memory filled with live tokens
 * under a fixed secret, and one validation of a token, as credentials.c,
 * store.c and authz.c do it for a request in embedded mode:
 *
 *   bearer_header_parse        "Bearer <token>" (RFC 6750 grammar)
 *   bearer_mac_keyed           HMAC-SHA256(secret, token)
 *   bearer_token_id_from_mac   the 22-character id
 *   bearer_secret_equal        against one operator MAC (constant time)
 *   bearer_token_well_formed   prefix, length, alphabet, checksum
 *   bearer_table_lookup        the token's slot
 *   bearer_entry_decode        the record
 *   bearer_scope_list_has      Require bearer-scope stream:view
 *
 * Static functions in a header: each program is one file linked with the
 * module's pure sources (bench/bench.mk), and the validation is inlined
 * into each program's loop as it was when each had its own copy.
 */
#ifndef BENCH_PATH_H
#define BENCH_PATH_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bearer_bytes.h"
#include "bearer_entry.h"
#include "bearer_header.h"
#include "bearer_mac.h"
#include "bearer_scope.h"
#include "bearer_table.h"
#include "bearer_token.h"

#define BENCH_PREFIX "bt_"
#define BENCH_SCOPE  "stream:view"

typedef struct {
    unsigned char secret[48];           /* fixed: numbers must not depend
                                           on the run */
    bearer_mac_key mac_key;             /* made once, as the module does */
    unsigned char op_mac[BEARER_MAC_BYTES];
    unsigned char ns[8];
    char header[16 + BEARER_TOKEN_MAX + 1];  /* "Bearer <one live token>" */
    int64_t now;
    bearer_table_t table;
    void *mem;                          /* the table's mapping */
    size_t bytes;
} bench_path;

static double bench_clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The secret and its MACs, an nslots table holding ntokens live tokens of
 * scope BENCH_SCOPE, and the header presenting the middle one. 0, or -1
 * with what failed on stderr. */
static int bench_path_setup(bench_path *p, const char *name, unsigned nslots,
                            unsigned ntokens)
{
    char token[BEARER_TOKEN_MAX + 1];
    unsigned char mac[BEARER_MAC_BYTES], rec[256];
    size_t len, rec_len, i;
    unsigned t;

    memset(p, 0, sizeof(*p));
    p->now = (int64_t)time(NULL);
    for (i = 0; i < sizeof(p->secret); i++) {
        p->secret[i] = (unsigned char)(i * 7 + 1);
    }
    if (bearer_mac_key_init(&p->mac_key, p->secret, sizeof(p->secret)) != 0
        || bearer_mac_keyed(&p->mac_key, "mod_bearer namespace v1", 23, mac)
           != 0
        || bearer_mac_keyed(&p->mac_key, "operator-token-of-the-bench-000",
                            31, p->op_mac) != 0) {
        fprintf(stderr, "%s: HMAC setup failed\n", name);
        return -1;
    }
    memcpy(p->ns, mac, sizeof(p->ns));

    /* the table in anonymous shared memory, as store.c has it */
    p->bytes = bearer_table_bytes(nslots);
    p->mem = mmap(NULL, p->bytes, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->mem == MAP_FAILED) {
        perror("mmap");
        return -1;
    }
    bearer_table_format_zeroed(p->mem, nslots, &p->table);

    for (t = 0; t < ntokens; t++) {
        bearer_table_key_t key;
        bearer_entry_t e;

        if (bearer_token_mint(BENCH_PREFIX, token, &len) != 0
            || bearer_mac_keyed(&p->mac_key, token, len, mac) != 0) {
            fprintf(stderr, "%s: minting failed\n", name);
            return -1;
        }
        memset(&e, 0, sizeof(e));
        e.issued_at = p->now;
        e.expires_at = p->now + 3600;
        e.scope = BENCH_SCOPE;
        e.scope_len = strlen(BENCH_SCOPE);
        rec_len = bearer_entry_encode(&e, rec, sizeof(rec));
        memcpy(key.ns, p->ns, sizeof(key.ns));
        memcpy(key.id, mac, sizeof(key.id));
        if (rec_len == 0
            || bearer_table_insert(&p->table, &key, p->now, e.expires_at, 0,
                                   0, 0, rec, rec_len) != BEARER_TABLE_OK) {
            fprintf(stderr, "%s: setup insert failed\n", name);
            return -1;
        }
        /* the request always presents the same token */
        if (t == ntokens / 2) {
            snprintf(p->header, sizeof(p->header), "Bearer %s", token);
        }
    }
    return 0;
}

/* One validation of p->header against table (p->table or another view of
 * it); mac_alt, when given, replaces the module's HMAC call. 0 if the
 * token passed. */
static inline int bench_validate(const bench_path *p,
                                 const bearer_table_t *table,
                                 int (*mac_alt)(const void *, size_t,
                                                unsigned char *))
{
    const char *tok;
    size_t tok_len, rec_len = 0;
    unsigned char mac[BEARER_MAC_BYTES], buf[512];
    char id[BEARER_ID_CHARS + 1];
    bearer_table_found_t found;
    bearer_table_key_t key;
    bearer_entry_t e;
    int rc;

    if (bearer_header_parse(p->header, &tok, &tok_len)
        != BEARER_CRED_PRESENT) {
        return -1;
    }
    rc = mac_alt ? mac_alt(tok, tok_len, mac)
                 : bearer_mac_keyed(&p->mac_key, tok, tok_len, mac);
    if (rc != 0) {
        return -1;
    }
    bearer_token_id_from_mac(mac, id);
    if (bearer_secret_equal(mac, p->op_mac, BEARER_MAC_BYTES)) {
        return -1;                      /* not an operator token */
    }
    if (!bearer_token_well_formed(BENCH_PREFIX, 3, tok, tok_len)) {
        return -1;
    }
    memcpy(key.ns, p->ns, sizeof(key.ns));
    memcpy(key.id, mac, sizeof(key.id));
    if (bearer_table_lookup(table, &key, p->now, buf, sizeof(buf), &rec_len,
                            &found) != BEARER_TABLE_OK
        || bearer_entry_decode(buf, rec_len, &e) != 0
        || !bearer_scope_list_has(e.scope, e.scope_len, BENCH_SCOPE,
                                  strlen(BENCH_SCOPE))) {
        return -1;
    }
    return 0;
}

#endif
