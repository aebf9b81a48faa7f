/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secrets.c - the secret and the operator tokens: read from their files at
 * configuration time, turned into keys and MACs in check_config, and never
 * written anywhere. Plaintext operator tokens live only between reading the
 * configuration and check_config; then they are wiped.
 */
#include "bearer_private.h"
#include "bearer_bytes.h"
#include "bearer_mac.h"
#include "bearer_header.h"

#include "apr_file_io.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include <openssl/rand.h>

/* Files larger than this are not secrets or token lists of ours. */
#define BEARER_SECRET_FILE_MAX   4096
#define BEARER_OPERATOR_FILE_MAX (1024 * 1024)

#define GENERATED_SECRET_KEY "mod_bearer-generated-secret"
#define NAMESPACE_LABEL      "mod_bearer namespace v1"

typedef struct {
    void *buf;
    apr_size_t len;
} wipe_ctx;

static apr_status_t wipe_cleanup(void *data)
{
    wipe_ctx *ctx = data;

    bearer_wipe(ctx->buf, ctx->len);
    return APR_SUCCESS;
}

/* Secrets read into a pool are wiped when that pool goes. */
static void wipe_on_cleanup_register(apr_pool_t *p, void *buf, apr_size_t len)
{
    wipe_ctx *ctx = apr_palloc(p, sizeof(*ctx));

    ctx->buf = buf;
    ctx->len = len;
    apr_pool_cleanup_register(p, ctx, wipe_cleanup, apr_pool_cleanup_null);
}

/* Reads a whole small file into the pool; NUL-terminated. */
static const char *slurp(apr_pool_t *p, const char *path, apr_size_t max,
                         char **out, apr_size_t *out_len, apr_finfo_t *finfo)
{
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t got = 0;
    char *buf;
    char errbuf[128];

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot open %s: %s", path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    rv = apr_file_info_get(finfo, APR_FINFO_SIZE | APR_FINFO_PROT
                           | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS || finfo->filetype != APR_REG) {
        apr_file_close(f);
        return apr_psprintf(p, "%s is not a regular file", path);
    }
    if ((apr_size_t)finfo->size > max) {
        apr_file_close(f);
        return apr_psprintf(p, "%s is larger than %" APR_SIZE_T_FMT " bytes",
                            path, max);
    }
    buf = apr_palloc(p, (apr_size_t)finfo->size + 1);
    wipe_on_cleanup_register(p, buf, (apr_size_t)finfo->size + 1);
    if (finfo->size > 0) {
        rv = apr_file_read_full(f, buf, (apr_size_t)finfo->size, &got);
    }
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(p, "cannot read %s: %s", path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    buf[got] = '\0';
    *out = buf;
    *out_len = got;
    return NULL;
}

/* Group or others may read or write it: a secret file should be 0600. */
static int readable_by_others(const apr_finfo_t *finfo)
{
    return (finfo->protection & (APR_GREAD | APR_GWRITE | APR_WREAD
                                 | APR_WWRITE)) != 0;
}

const char *bearer_read_secret_file(apr_pool_t *p, const char *path,
                                    const unsigned char **key,
                                    apr_size_t *len, int *insecure)
{
    apr_finfo_t finfo;
    char *buf;
    apr_size_t n;
    const char *err = slurp(p, path, BEARER_SECRET_FILE_MAX, &buf, &n,
                            &finfo);

    if (err) {
        return err;
    }
    /* an editor's trailing newline is not part of the key */
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
    }
    if (n < BEARER_SECRET_MIN) {
        return apr_psprintf(p, "%s holds %" APR_SIZE_T_FMT " bytes; a secret "
                            "needs at least %d (e.g. `openssl rand -base64 48 "
                            "> %s`)", path, n, BEARER_SECRET_MIN, path);
    }
    *key = (const unsigned char *)buf;
    *len = n;
    *insecure = readable_by_others(&finfo);
    return NULL;
}

const char *bearer_read_operator_file(apr_pool_t *p, const char *path,
                                      apr_array_header_t **tokens,
                                      int *insecure)
{
    apr_finfo_t finfo;
    char *buf, *line, *next;
    apr_size_t n;
    int lineno = 0;
    const char *err = slurp(p, path, BEARER_OPERATOR_FILE_MAX, &buf, &n,
                            &finfo);

    if (err) {
        return err;
    }
    if (strlen(buf) != n) {
        return apr_psprintf(p, "%s holds a NUL byte", path);
    }
    *tokens = apr_array_make(p, 2, sizeof(const char *));
    for (line = buf; line; line = next) {
        char *start, *end;

        lineno++;
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        start = line;
        while (apr_isspace(*start)) {
            start++;
        }
        end = start + strlen(start);
        while (end > start && apr_isspace(end[-1])) {
            *--end = '\0';
        }
        if (*start == '\0' || *start == '#') {
            continue;
        }
        /* never echo the line: it may be a real token with a typo */
        if (!bearer_is_b64token(start, (apr_size_t)(end - start))
                || end - start < BEARER_OPERATOR_MIN
                || end - start > BEARER_OPERATOR_MAX) {
            return apr_psprintf(p, "%s line %d is not a valid operator token "
                                "(an RFC 6750 b64token of %d to %d "
                                "characters)", path, lineno,
                                BEARER_OPERATOR_MIN, BEARER_OPERATOR_MAX);
        }
        APR_ARRAY_PUSH(*tokens, const char *) = start;
    }
    if ((*tokens)->nelts == 0) {
        return apr_psprintf(p, "%s holds no operator token", path);
    }
    *insecure = readable_by_others(&finfo);
    return NULL;
}

/* One random key per httpd run, kept in the process pool so that graceful
 * restarts (which re-read the configuration) find the same key again. No
 * cleanup of ours may sit in the process pool: this module is unloaded
 * before that pool goes, and the cleanup would call into unmapped code. */
static const unsigned char *generated_secret(server_rec *s)
{
    apr_pool_t *process_pool = s->process->pool;
    void *key = NULL;

    apr_pool_userdata_get(&key, GENERATED_SECRET_KEY, process_pool);
    if (!key) {
        key = apr_palloc(process_pool, BEARER_RANDOM_BYTES);
        if (RAND_bytes(key, BEARER_RANDOM_BYTES) != 1) {
            return NULL;
        }
        apr_pool_userdata_set(key, GENERATED_SECRET_KEY,
                              apr_pool_cleanup_null, process_pool);
    }
    return key;
}

static int resolve_one(apr_pool_t *pconf, server_rec *s,
                       const unsigned char *fallback_key)
{
    bearer_server_conf *conf = ap_get_module_config(s->module_config,
                                                    &bearer_module);
    bearer_secret *secret = apr_pcalloc(pconf, sizeof(*secret));
    unsigned char mac[BEARER_MAC_BYTES];
    int i;

    if (conf->secret_file) {
        secret->key = conf->secret_bytes;
        secret->key_len = conf->secret_len;
        secret->origin = conf->secret_file;
    }
    else {
        secret->key = fallback_key;
        secret->key_len = BEARER_RANDOM_BYTES;
        secret->origin = "generated";
    }
    /* the keyed states are as secret as the key: wiped with the pool */
    wipe_on_cleanup_register(pconf, &secret->mac, sizeof(secret->mac));
    if (bearer_mac_key_init(&secret->mac, secret->key, secret->key_len) != 0
        || bearer_mac_keyed(&secret->mac, NAMESPACE_LABEL,
                            sizeof(NAMESPACE_LABEL) - 1, mac) != 0) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, BRRLOG(00010)
                     "HMAC-SHA256 failed (OpenSSL)");
        return !OK;
    }
    memcpy(secret->ns, mac, sizeof(secret->ns));
    conf->secret = secret;

    conf->operator_macs = apr_array_make(pconf, 2, BEARER_MAC_BYTES);
    for (i = 0; conf->operator_tokens && i < conf->operator_tokens->nelts;
         i++) {
        const char *token = APR_ARRAY_IDX(conf->operator_tokens, i,
                                          const char *);

        if (bearer_mac_keyed(&secret->mac, token, strlen(token),
                             apr_array_push(conf->operator_macs)) != 0) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, BRRLOG(00011)
                         "HMAC-SHA256 failed (OpenSSL)");
            return !OK;
        }
    }
    if (!conf->prefix) {
        conf->prefix = BEARER_DEFAULT_PREFIX;
    }
    conf->prefix_len = strlen(conf->prefix);

    /* BearerMemcache without BearerSecretFile: configcheck.c refuses it
     * (BRR00123, with the directive's file and line) before this runs. */
    if (conf->memcache && conf->replicas_set
            && conf->replicas > conf->memcache->nelts) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, BRRLOG(00013)
                     "BearerMemcacheReplicas %d exceeds the %d server(s) of "
                     "BearerMemcache", conf->replicas, conf->memcache->nelts);
        return !OK;
    }
    if (conf->memcache && conf->replicas > conf->memcache->nelts) {
        conf->replicas = conf->memcache->nelts;
    }
    if (conf->operator_file && conf->operator_file_insecure) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00014)
                     "BearerOperatorTokenFile %s is readable or writable by "
                     "group or others; chmod 600 it", conf->operator_file);
    }
    if (conf->secret_file && conf->secret_file_insecure) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BRRLOG(00016)
                     "BearerSecretFile %s is readable or writable by group "
                     "or others; chmod 600 it", conf->secret_file);
    }
    return OK;
}

int bearer_resolve_secrets(apr_pool_t *pconf, server_rec *main_server)
{
    const unsigned char *fallback = generated_secret(main_server);
    server_rec *s;
    int i;

    if (!fallback) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server, BRRLOG(00015)
                     "RAND_bytes failed: cannot generate a secret");
        return !OK;
    }
    for (s = main_server; s; s = s->next) {
        if (resolve_one(pconf, s, fallback) != OK) {
            return !OK;
        }
    }
    /* The MACs are all we need from here on: wipe the plaintext tokens
     * (vhosts may share one array with the main server, so only now). */
    for (s = main_server; s; s = s->next) {
        bearer_server_conf *conf = ap_get_module_config(s->module_config,
                                                        &bearer_module);

        for (i = 0; conf->operator_tokens && i < conf->operator_tokens->nelts;
             i++) {
            char *token = APR_ARRAY_IDX(conf->operator_tokens, i, char *);

            bearer_wipe(token, strlen(token));
        }
        conf->operator_tokens = NULL;
    }
    return OK;
}
