/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/loader.c - put many live fleet-mode tokens straight into memcached.
 *
 * Minting a million tokens through the endpoint would take most of a
 * benchmark run, so this program makes them the way mod_bearer does and
 * writes the sealed values itself. Nothing is faked: it links the module's
 * own pure parts (token.c, entry.c, fleet_record.c) and
 *
 *   - mints each token with bearer_token_mint (RAND_bytes, checksum),
 *   - derives its id with bearer_mac_keyed + bearer_token_id_from_mac,
 *   - seals { issued_at, expires_at, scope } under "bearer:<id>" with
 *     bearer_record_seal_token and the fleet's secret,
 *   - stores it on the first `replicas` servers of the token's rendezvous
 *     order (the same hash as mod_bearer/fleet_store.c: FNV-1a of "host:port"
 *     as configured, xor the id's first 8 bytes, splitmix64 finaliser,
 *     highest score first), with the relative exptime mc_batch.c sends.
 *
 * A value placed on the wrong server, or sealed wrongly, makes the module
 * answer 401, so the benchmark's "no errors" check also checks this file.
 * The tokens go to a file (mode 0600) for wrk; nothing is printed but
 * counts and timings.
 *
 *   loader SECRET_FILE HOST:PORT[,HOST:PORT...] REPLICAS COUNT TTL SCOPE OUT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bearer_token.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"
#include "bearer_entry.h"
#include "bearer_fleet_record.h"
#include "bearer_hash.h"
#include "bearer_mac.h"

#define MAX_SERVERS 8
#define BATCH       2000              /* tokens between two sync points */
#define RELATIVE_EXPTIME_MAX 2592000  /* as mc_batch.c: over 30 days is a date */

typedef struct {
    char name[64];                    /* "host:port", as BearerMemcache spells it */
    int fd;
    char *out;
    size_t out_len, out_cap;
    uint64_t name_hash;
    unsigned long stored;
} server_t;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    return h;
}

static void die(const char *what)
{
    fprintf(stderr, "loader: %s\n", what);
    exit(1);
}

static void append(server_t *s, const void *p, size_t n)
{
    if (s->out_len + n > s->out_cap) {
        s->out_cap = (s->out_len + n) * 2;
        s->out = realloc(s->out, s->out_cap);
        if (!s->out) {
            die("out of memory");
        }
    }
    memcpy(s->out + s->out_len, p, n);
    s->out_len += n;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("write to memcached failed");
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Sends what is queued, then "version", and reads until its answer: every
 * other line before it is an error from a noreply set. Returns errors. */
static unsigned long sync_server(server_t *s)
{
    char buf[4096];
    size_t have = 0;
    unsigned long errors = 0;

    append(s, "version\r\n", 9);
    write_all(s->fd, s->out, s->out_len);
    s->out_len = 0;
    for (;;) {
        char *nl;
        ssize_t r = read(s->fd, buf + have, sizeof(buf) - 1 - have);

        if (r <= 0) {
            die("memcached closed the connection");
        }
        have += (size_t)r;
        buf[have] = '\0';
        while ((nl = strstr(buf, "\r\n")) != NULL) {
            size_t line = (size_t)(nl - buf) + 2;

            if (strncmp(buf, "VERSION ", 8) == 0) {
                return errors;
            }
            errors++;
            if (errors == 1) {
                fprintf(stderr, "loader: %s answered: %.*s\n", s->name,
                        (int)(line - 2), buf);
            }
            memmove(buf, buf + line, have - line + 1);
            have -= line;
        }
        if (have >= sizeof(buf) - 1) {
            have = 0;                     /* an over-long line: drop it */
        }
    }
}

static int connect_to(const char *hostport)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    struct sockaddr_in sa;
    int fd, one = 1;

    if (!colon || (size_t)(colon - hostport) >= sizeof(host)) {
        die("servers are host:port");
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        die("servers must be IPv4 addresses (loopback)");
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        die("cannot connect to a memcached server");
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static size_t read_secret(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        die("cannot open the secret file");
    }
    n = fread(buf, 1, cap, f);
    fclose(f);
    if (n > 0 && buf[n - 1] == '\n') {
        n--;                              /* as secrets.c: one newline dropped */
    }
    if (n < BEARER_SECRET_MIN) {
        die("secret shorter than 32 bytes");
    }
    return n;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    server_t servers[MAX_SERVERS];
    unsigned char secret[1024];
    bearer_mac_key mac_key;
    size_t secret_len;
    int nservers = 0, replicas, i;
    unsigned long count, n, errors = 0;
    long ttl;
    const char *scope;
    char list[512], *tok, *save = NULL;
    FILE *out;
    int out_fd;
    time_t t0 = time(NULL);
    double start = now_s();

    if (argc != 8) {
        fprintf(stderr, "usage: loader SECRET_FILE HOST:PORT[,...] REPLICAS "
                "COUNT TTL SCOPE OUT\n");
        return 2;
    }
    secret_len = read_secret(argv[1], secret, sizeof(secret));
    if (bearer_mac_key_init(&mac_key, secret, secret_len) != 0) {
        die("OpenSSL failed");
    }
    snprintf(list, sizeof(list), "%s", argv[2]);
    for (tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        server_t *s = &servers[nservers];

        if (nservers == MAX_SERVERS) {
            die("too many servers");
        }
        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", tok);
        s->name_hash = fnv1a(s->name);
        s->fd = connect_to(s->name);
        nservers++;
    }
    replicas = atoi(argv[3]);
    count = strtoul(argv[4], NULL, 10);
    ttl = atol(argv[5]);
    scope = argv[6];
    if (replicas < 1 || replicas > nservers || count == 0 || ttl < 60) {
        die("bad REPLICAS, COUNT or TTL");
    }

    out_fd = open(argv[7], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out_fd < 0 || !(out = fdopen(out_fd, "w"))) {
        die("cannot create the token file");
    }

    for (n = 0; n < count; n++) {
        char token[BEARER_TOKEN_MAX + 1], id[BEARER_ID_CHARS + 1];
        char key[8 + BEARER_ID_CHARS + 1], head[128];
        unsigned char mac[BEARER_MAC_BYTES], sealed[512];
        size_t token_len, sealed_len;
        uint64_t idv = 0, score[MAX_SERVERS];
        int order[MAX_SERVERS], j;
        bearer_entry_t entry;

        if (bearer_token_mint("bt_", token, &token_len) != 0
            || bearer_mac_keyed(&mac_key, token, token_len, mac) != 0) {
            die("OpenSSL failed");
        }
        bearer_token_id_from_mac(mac, id);
        snprintf(key, sizeof(key), "bearer:%s", id);

        memset(&entry, 0, sizeof(entry));
        entry.issued_at = (int64_t)t0;
        entry.expires_at = (int64_t)t0 + ttl;
        entry.scope = scope;
        entry.scope_len = strlen(scope);
        sealed_len = bearer_record_seal_token(secret, secret_len, key,
                                              strlen(key), &entry, sealed,
                                              sizeof(sealed));
        if (sealed_len == 0) {
            die("cannot seal a record");
        }

        /* rendezvous order, as fleet_store.c's server_order */
        for (j = 0; j < 8; j++) {
            idv = (idv << 8) | mac[j];      /* id bytes = mac[0..16) */
        }
        for (i = 0; i < nservers; i++) {
            uint64_t sc = bearer_mix64(servers[i].name_hash ^ idv);

            for (j = i; j > 0 && score[j - 1] < sc; j--) {
                score[j] = score[j - 1];
                order[j] = order[j - 1];
            }
            score[j] = sc;
            order[j] = i;
        }
        for (i = 0; i < replicas; i++) {
            server_t *s = &servers[order[i]];
            long exptime = ttl > RELATIVE_EXPTIME_MAX ? (long)entry.expires_at
                                                      : ttl;
            int hl = snprintf(head, sizeof(head), "set %s 0 %ld %zu noreply\r\n",
                              key, exptime, sealed_len);

            append(s, head, (size_t)hl);
            append(s, sealed, sealed_len);
            append(s, "\r\n", 2);
            s->stored++;
        }
        fprintf(out, "%s\n", token);
        bearer_wipe(token, sizeof(token));

        if ((n + 1) % BATCH == 0 || n + 1 == count) {
            for (i = 0; i < nservers; i++) {
                errors += sync_server(&servers[i]);
            }
        }
    }
    if (fclose(out) != 0) {
        die("cannot write the token file");
    }
    bearer_wipe(secret, sizeof(secret));
    bearer_mac_key_wipe(&mac_key);
    printf("loader: %lu tokens, %d replicas each, in %.1f s", count, replicas,
           now_s() - start);
    for (i = 0; i < nservers; i++) {
        printf("%s %s: %lu", i ? "," : ";", servers[i].name, servers[i].stored);
        close(servers[i].fd);
        free(servers[i].out);
    }
    printf("; errors %lu\n", errors);
    return errors ? 1 : 0;
}
