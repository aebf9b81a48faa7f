/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/microbench.c - the pure validation path, N times, for callgrind.
 *
 * One validation does what credentials.c, store.c and authz.c do for a
 * request carrying a live client token in embedded mode, with the module's
 * own pure code (header.c, token.c, table.c, entry.c, scope.c):
 *
 *   bearer_header_parse        "Bearer <token>" (RFC 6750 grammar)
 *   bearer_mac                 HMAC-SHA256(secret, token)
 *   bearer_token_id_from_mac   the 22-character id
 *   bearer_secret_equal        against one operator MAC (constant time)
 *   bearer_token_well_formed   prefix, length, alphabet, checksum
 *   bearer_table_lookup        probe of a 65,536-slot table in anonymous
 *                              shared memory holding 10,000 live tokens
 *   bearer_entry_decode        the record
 *   bearer_scope_list_has      Require bearer-scope stream:view
 *
 * It leaves out what needs httpd: the request pool copies, apr_table_get of
 * the header, REMOTE_USER and the BEARER_* environment.
 *
 *   microbench N [module|ctxdup]
 *
 * "module" (default) is the module's path as it is. "ctxdup" replaces only
 * the HMAC call with an EVP_MAC context keyed once at start and duplicated
 * per validation (a thread-safe way to skip OpenSSL 3's per-call fetch), to
 * measure what that call costs; the module does not do this.
 *
 * Instructions per validation = (Ir(N2) - Ir(N1)) / (N2 - N1), so the
 * setup (table, 10,000 inserts, OpenSSL init) cancels out; bench/micro.sh
 * runs it under valgrind --tool=callgrind. Without valgrind it also prints
 * the wall time per validation on this machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bearer_entry.h"
#include "bearer_header.h"
#include "bearer_mac.h"
#include "bearer_scope.h"
#include "bearer_table.h"
#include "bearer_token.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"

#define NSLOTS   65536u
#define NTOKENS  10000u
#define PREFIX   "bt_"
#define SCOPE    "stream:view"

static EVP_MAC_CTX *keyed_ctx;

static int mac_ctxdup(const void *msg, size_t len,
                      unsigned char mac[BEARER_MAC_BYTES])
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(keyed_ctx);
    size_t out = 0;
    int ok = c && EVP_MAC_update(c, msg, len) == 1
             && EVP_MAC_final(c, mac, &out, BEARER_MAC_BYTES) == 1
             && out == BEARER_MAC_BYTES;

    EVP_MAC_CTX_free(c);
    return ok ? 0 : -1;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned char secret[48], ns_mac[BEARER_MAC_BYTES];
    bearer_mac_key mac_key;
    unsigned char op_mac[BEARER_MAC_BYTES];
    static char tokens[NTOKENS][BEARER_TOKEN_MAX + 1];
    char header[16 + BEARER_TOKEN_MAX + 1];
    bearer_table_t table;
    bearer_table_key_t key;
    void *mem;
    size_t bytes;
    unsigned long n, i, ok = 0;
    int use_ctxdup = argc > 2 && strcmp(argv[2], "ctxdup") == 0;
    int64_t now = (int64_t)time(NULL);
    double t0, t1, c0, c1;
    unsigned i_tok;

    if (argc < 2 || (n = strtoul(argv[1], NULL, 10)) == 0) {
        fprintf(stderr, "usage: microbench N [module|ctxdup]\n");
        return 2;
    }
    /* a fixed secret: the numbers must not depend on the run */
    for (i = 0; i < sizeof(secret); i++) {
        secret[i] = (unsigned char)(i * 7 + 1);
    }
    if (bearer_mac(secret, sizeof(secret), "mod_bearer namespace v1", 23,
                   ns_mac) != 0
        || bearer_mac(secret, sizeof(secret), "operator-token-of-the-bench-000",
                      31, op_mac) != 0) {
        return 1;
    }
    memcpy(key.ns, ns_mac, sizeof(key.ns));
    /* the module makes the HMAC states once, when the secret is loaded */
    if (bearer_mac_key_init(&mac_key, secret, sizeof(secret)) != 0) {
        return 1;
    }

    if (use_ctxdup) {
        EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM params[2];
        char digest[] = "SHA256";

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     digest, 0);
        params[1] = OSSL_PARAM_construct_end();
        keyed_ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
        if (!keyed_ctx || EVP_MAC_init(keyed_ctx, secret, sizeof(secret),
                                       params) != 1) {
            fprintf(stderr, "microbench: EVP_MAC setup failed\n");
            return 1;
        }
        EVP_MAC_free(hmac);
    }

    /* The table in anonymous shared memory, as store.c has it. */
    bytes = bearer_table_bytes(NSLOTS);
    mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
               -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    bearer_table_format_zeroed(mem, NSLOTS, &table);

    for (i_tok = 0; i_tok < NTOKENS; i_tok++) {
        unsigned char mac[BEARER_MAC_BYTES], rec[256];
        size_t len, rec_len;
        bearer_entry_t e;

        if (bearer_token_mint(PREFIX, tokens[i_tok], &len) != 0
            || bearer_mac(secret, sizeof(secret), tokens[i_tok], len, mac)
               != 0) {
            return 1;
        }
        memset(&e, 0, sizeof(e));
        e.issued_at = now;
        e.expires_at = now + 3600;
        e.scope = SCOPE;
        e.scope_len = strlen(SCOPE);
        rec_len = bearer_entry_encode(&e, rec, sizeof(rec));
        memcpy(key.id, mac, sizeof(key.id));
        if (rec_len == 0
            || bearer_table_insert(&table, &key, now, e.expires_at, 0, 0, 0,
                                   rec, rec_len) != BEARER_TABLE_OK) {
            fprintf(stderr, "microbench: setup insert failed\n");
            return 1;
        }
    }
    /* the request always presents the same token, as in case 2 */
    snprintf(header, sizeof(header), "Bearer %s", tokens[NTOKENS / 2]);

    t0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (i = 0; i < n; i++) {
        const char *tok;
        size_t tok_len, rec_len = 0;
        unsigned char mac[BEARER_MAC_BYTES], buf[512];
        char id[BEARER_ID_CHARS + 1];
        bearer_table_found_t found;
        bearer_entry_t e;
        int rc;

        if (bearer_header_parse(header, &tok, &tok_len) != BEARER_CRED_PRESENT) {
            break;
        }
        rc = use_ctxdup ? mac_ctxdup(tok, tok_len, mac)
                        : bearer_mac_keyed(&mac_key, tok, tok_len, mac);
        if (rc != 0) {
            break;
        }
        bearer_token_id_from_mac(mac, id);
        if (bearer_secret_equal(mac, op_mac, BEARER_MAC_BYTES)) {
            break;                          /* not an operator token */
        }
        if (!bearer_token_well_formed(PREFIX, 3, tok, tok_len)) {
            break;
        }
        memcpy(key.id, mac, sizeof(key.id));
        if (bearer_table_lookup(&table, &key, now, buf, sizeof(buf), &rec_len,
                                &found) != BEARER_TABLE_OK
            || bearer_entry_decode(buf, rec_len, &e) != 0
            || !bearer_scope_list_has(e.scope, e.scope_len, SCOPE,
                                      strlen(SCOPE))) {
            break;
        }
        ok++;
    }
    t1 = clock_s(CLOCK_MONOTONIC);
    c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (ok != n) {
        fprintf(stderr, "microbench: validation %lu failed\n", ok);
        return 1;
    }
    /* CPU time is what other load on a shared machine disturbs least */
    printf("microbench: %lu validations (%s), %.0f ns of CPU each (%.0f ns "
           "wall, this run)\n", n, use_ctxdup ? "ctxdup" : "module",
           (c1 - c0) * 1e9 / (double)n, (t1 - t0) * 1e9 / (double)n);
    EVP_MAC_CTX_free(keyed_ctx);
    munmap(mem, bytes);
    return 0;
}
