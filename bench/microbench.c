/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/microbench.c - the pure validation path, N times, for callgrind.
 *
 * One validation is bench/bench_path.h's: what credentials.c, store.c and
 * authz.c do for a request carrying a live client token in embedded mode,
 * with the module's own pure code (header.c, token.c, table.c, entry.c,
 * scope.c), the table probed being a 65,536-slot one in anonymous shared
 * memory holding 10,000 live tokens.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bench_path.h"

#define NSLOTS   65536u
#define NTOKENS  10000u

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

int main(int argc, char **argv)
{
    static bench_path p;
    unsigned long n, ok = 0;
    int use_ctxdup = argc > 2 && strcmp(argv[2], "ctxdup") == 0;
    double t0, t1, c0, c1;

    if (argc < 2 || (n = strtoul(argv[1], NULL, 10)) == 0) {
        fprintf(stderr, "usage: microbench N [module|ctxdup]\n");
        return 2;
    }
    if (bench_path_setup(&p, "microbench", NSLOTS, NTOKENS) != 0) {
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
        if (!keyed_ctx || EVP_MAC_init(keyed_ctx, p.secret, sizeof(p.secret),
                                       params) != 1) {
            fprintf(stderr, "microbench: EVP_MAC setup failed\n");
            return 1;
        }
        EVP_MAC_free(hmac);
    }

    t0 = bench_clock_s(CLOCK_MONOTONIC);
    c0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
    while (ok < n
           && bench_validate(&p, &p.table,
                             use_ctxdup ? mac_ctxdup : NULL) == 0) {
        ok++;
    }
    t1 = bench_clock_s(CLOCK_MONOTONIC);
    c1 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (ok != n) {
        fprintf(stderr, "microbench: validation %lu failed\n", ok);
        return 1;
    }
    /* CPU time is what other load on a shared machine disturbs least */
    printf("microbench: %lu validations (%s), %.0f ns of CPU each (%.0f ns "
           "wall, this run)\n", n, use_ctxdup ? "ctxdup" : "module",
           (c1 - c0) * 1e9 / (double)n, (t1 - t0) * 1e9 / (double)n);
    EVP_MAC_CTX_free(keyed_ctx);
    munmap(p.mem, p.bytes);
    return 0;
}
