/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_private.h - what the glue files of mod_bearer share: the module
 * record, config structures, the per-request authentication state, and the
 * functions one glue file offers another. Pure parts have their own headers
 * in include/.
 */
#ifndef BEARER_PRIVATE_H
#define BEARER_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"
#include "apr_global_mutex.h"
#include "apr_tables.h"
#include "mod_auth.h"

#include "bearer_token.h"
#include "bearer_mac.h"
#include "bearer_entry.h"
#include "bearer_table.h"
#include "bearer_cors.h"

extern module AP_MODULE_DECLARE_DATA bearer_module;
/* mod_bearer.c declares the module, which does this itself */
#ifndef BEARER_DECLARING_MODULE
APLOG_USE_MODULE(bearer);
#endif

/* Every log line carries a stable tag of ours; docs/log-tags.md lists them.
 * Numbers are never reused. */
#define BRRLOG(n) "BRR" #n ": "

#define BEARER_AUTH_TYPE        "Bearer"
#define BEARER_DEFAULT_REALM    "mod_bearer"
#define BEARER_HANDLER          "bearer-tokens"
#define BEARER_METRICS_HANDLER  "bearer-metrics"
#define BEARER_INTROSPECT_HANDLER "bearer-introspect"
#define BEARER_REVOKE_HANDLER     "bearer-revoke"
#define BEARER_DEFAULT_PREFIX   "bt_"

#define BEARER_DEFAULT_TTL      3600
#define BEARER_DEFAULT_MAX_TTL  86400
#define BEARER_TTL_LIMIT        (10L * 365 * 86400)   /* ten years */
#define BEARER_DEFAULT_ENTRIES  65536
#define BEARER_DEFAULT_TIMEOUT  250
#define BEARER_DEFAULT_RECHECK  2
#define BEARER_OPERATOR_MIN     32
#define BEARER_OPERATOR_MAX     512

typedef enum { BEARER_OUTAGE_STALE = 0, BEARER_OUTAGE_CLOSED } bearer_outage_policy;

typedef struct {
    const char *host;
    apr_port_t port;
    int index;                  /* in mc_health.c's registry (post_config) */
} bearer_memcache_server;

/* The key material of one secret: the HMAC key, and the namespace tag that
 * keeps the entries of different secrets apart in the one shared table. */
typedef struct {
    const unsigned char *key;
    apr_size_t key_len;
    bearer_mac_key mac;              /* HMAC states of key, made once */
    unsigned char ns[8];
    const char *origin;              /* file name, or "generated" */
} bearer_secret;

typedef struct {
    /* as configured (NULL / unset = inherit from the main server) */
    const char *operator_file;
    apr_array_header_t *operator_tokens;   /* const char *: plaintext until
                                              check_config turns them into
                                              MACs, then wiped */
    int operator_file_insecure;            /* group/other readable */
    const char *secret_file;
    const unsigned char *secret_bytes;
    apr_size_t secret_len;
    int secret_file_insecure;              /* group/other readable */
    apr_array_header_t *memcache;          /* bearer_memcache_server */
    int replicas;
    int timeout_ms;
    int recheck;
    bearer_outage_policy outage;
    const char *prefix;
    apr_uint32_t cache_entries;            /* main server only */
    unsigned int replicas_set:1, timeout_set:1, recheck_set:1, outage_set:1,
                 cache_entries_set:1;

    /* resolved in check_config */
    bearer_secret *secret;
    apr_array_header_t *operator_macs;     /* unsigned char[BEARER_MAC_BYTES] */
    apr_size_t prefix_len;
} bearer_server_conf;

/* BearerCORSOrigins of one context: the pure list, and the pool array
 * that holds its normalised origins while the directive is read. */
typedef struct {
    bearer_cors_list list;
    apr_array_header_t *origins;           /* const char * */
} bearer_cors_conf;

typedef struct {
    const char *location;                  /* the <Location> path, if any */
    apr_int64_t default_ttl;
    apr_int64_t max_ttl;
    apr_array_header_t *issuable_scopes;   /* const char *; NULL = any */
    const char *default_scopes;            /* normalised list */
    int forward_headers;
    const bearer_cors_conf *cors;          /* NULL: no CORS handling */
    unsigned int default_ttl_set:1, max_ttl_set:1, issuable_set:1,
                 default_scopes_set:1, forward_set:1;
} bearer_dir_conf;

/* config.c */
extern const command_rec bearer_cmds[];
void *bearer_create_server_conf(apr_pool_t *p, server_rec *s);
void *bearer_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *bearer_create_dir_conf(apr_pool_t *p, char *dir);
void *bearer_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* secrets.c: secret and operator token files */
const char *bearer_read_secret_file(apr_pool_t *p, const char *path,
                                    const unsigned char **key,
                                    apr_size_t *len, int *insecure);
const char *bearer_read_operator_file(apr_pool_t *p, const char *path,
                                      apr_array_header_t **tokens,
                                      int *insecure);
int bearer_resolve_secrets(apr_pool_t *pconf, server_rec *main_server);

/* ---- one request's authentication result ------------------------------ */

typedef enum {
    BEARER_KIND_CLIENT = 0,
    BEARER_KIND_OPERATOR
} bearer_kind;

typedef enum {
    BEARER_AUTH_OK = 0,
    BEARER_AUTH_NONE,          /* no bearer credentials: bare challenge */
    BEARER_AUTH_MALFORMED,     /* 400 invalid_request */
    BEARER_AUTH_INVALID,       /* 401 invalid_token */
    BEARER_AUTH_UNAVAILABLE    /* 503: the store cannot answer */
} bearer_auth_result;

/* A token as the request sees it; strings are in the request pool. */
typedef struct {
    bearer_kind kind;
    char id[BEARER_ID_CHARS + 1];
    unsigned char id_bytes[BEARER_ID_BYTES];
    bearer_entry_t entry;               /* client tokens only */
    bearer_table_found_t found;         /* client tokens only */
} bearer_token_info;

typedef struct {
    bearer_auth_result result;
    bearer_token_info *token;           /* when result == OK */
    const char *denied_scope;           /* 403 challenge: scopes of the
                                           failing Require line, or "" for
                                           bearer-operator; NULL = none */
} bearer_request_state;

/* r's own state, created on first use. */
bearer_request_state *bearer_request_state_get(request_rec *r);
/* The successful authentication that applies to r (r's own, or its main /
 * previous request's), or NULL. */
bearer_request_state *bearer_request_state_find(request_rec *r);

/* credentials.c: Authorization header -> token (no use is counted) */
bearer_auth_result bearer_authenticate(request_rec *r,
                                       const bearer_server_conf *sconf,
                                       bearer_token_info **out);
/* The same for credentials from anywhere (the OAuth endpoints' Basic and
 * client_secret): token[0..len) as sent. *out is set whenever the MAC could
 * be made (its id_bytes name what was presented), even when the answer is
 * not OK. fresh: as for bearer_store_lookup. */
bearer_auth_result bearer_identify(request_rec *r,
                                   const bearer_server_conf *sconf,
                                   const char *token, apr_size_t len,
                                   int fresh, bearer_token_info **out);

/* authn.c: AuthType Bearer (hooks registered by mod_bearer.c) */
int bearer_authn_strip_headers(request_rec *r);          /* header_parser */
int bearer_authn_check(request_rec *r);                  /* check_authn */
int bearer_authn_note_failure(request_rec *r,            /* note_auth_failure */
                              const char *auth_type);
void bearer_authn_error_challenge(request_rec *r);       /* insert_error_filter */

/* authz.c: the Require providers bearer-scope and bearer-operator */
extern const authz_provider bearer_scope_provider;
extern const authz_provider bearer_operator_provider;

/* endpoint.c */
int bearer_endpoint_handler(request_rec *r);
int bearer_endpoint_note_trace(request_rec *r);       /* translate_name */
int bearer_endpoint_refuse_trace(request_rec *r);     /* map_to_storage */

/* kept_shm.c: shared memory kept in the process pool across restarts */
typedef struct bearer_kept_shm bearer_kept_shm;
typedef enum {
    BEARER_SHM_KEPT,        /* found again, same size and signature */
    BEARER_SHM_NEW,         /* first made by this httpd run: zero-filled */
    BEARER_SHM_REPLACED     /* size or signature changed: made again */
} bearer_kept_shm_state;
apr_status_t bearer_kept_shm_get(apr_pool_t *process_pool, const char *name,
                                 const char *signature, apr_size_t bytes,
                                 bearer_kept_shm **out,
                                 bearer_kept_shm_state *state);
/* made again, same size, zero-filled (its contents failed a check) */
apr_status_t bearer_kept_shm_renew(apr_pool_t *process_pool,
                                   bearer_kept_shm *kept);
void *bearer_kept_shm_base(const bearer_kept_shm *kept);
apr_size_t bearer_kept_shm_size(const bearer_kept_shm *kept);
/* one pointer the owner keeps beside its segment (the table's mutex) */
void *bearer_kept_shm_owner_data(const bearer_kept_shm *kept);
void bearer_kept_shm_set_owner_data(bearer_kept_shm *kept, void *data);

/* observe.c: metrics segment, bearer-metrics handler, mod_status section */
int bearer_observe_post_config(server_rec *s);
int bearer_observe_metrics_handler(request_rec *r);      /* handler */
int bearer_observe_count_request(request_rec *r);        /* log_transaction */
int bearer_observe_status(request_rec *r, int flags);    /* mod_status */
void bearer_count_auth_result(bearer_auth_result result);

/* configcheck.c: checks over the whole configuration tree (check_config) */
int bearer_check_config_tree(apr_pool_t *ptemp, server_rec *s);

/* cors.c: CORS for browser clients (BearerCORSOrigins). Any handler a
 * browser calls across origins uses the two calls below; cors.c's opening
 * comment shows how. */
const char *bearer_cors_set_origins(cmd_parms *cmd, void *mconfig,
                                    const char *arg);
int bearer_cors_answer_preflight(request_rec *r, unsigned int methods);
void bearer_cors_add_headers(request_rec *r);
int bearer_cors_header_parser(request_rec *r);

/* respond.c: challenges and JSON answers */
const char *bearer_realm(request_rec *r);
void bearer_set_challenge(request_rec *r, const char *error,
                          const char *scope);
void bearer_set_basic_challenge(request_rec *r);
int bearer_send_json(request_rec *r, int status, const char *json,
                     int holds_token);
/* request_body.c: a request body of at most BEARER_BODY_MAX bytes */
char *bearer_read_body(request_rec *r, apr_size_t *len, int *status);
/* 503 temporarily_unavailable with Retry-After: 1 */
int bearer_send_unavailable(request_rec *r, const char *description);
const char *bearer_quotable_name(apr_pool_t *p, const char *name,
                                 apr_size_t len);
int bearer_send_error(request_rec *r, int status, const char *error,
                      const char *description);
/* A jansson value that lives as long as the pool (NULL stays NULL). */
struct json_t;
struct json_t *bearer_json_pooled(apr_pool_t *p, struct json_t *value);
/* Serialises value (jansson's buffer wiped: it may hold a token) and sends
 * it; 503 temporarily_unavailable when jansson is out of memory. */
int bearer_send_json_value(request_rec *r, int status,
                           const struct json_t *value, int holds_token);

/* store.c: the token store (embedded mode: the shared-memory table) */
typedef enum {
    BEARER_STORE_OK = 0,
    BEARER_STORE_MISSING,
    BEARER_STORE_EXHAUSTED,
    BEARER_STORE_FULL,
    BEARER_STORE_UNAVAILABLE
} bearer_store_status;

int bearer_store_pre_config(apr_pool_t *pconf);
int bearer_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *s);
void bearer_store_child_init(apr_pool_t *p, server_rec *s);
/* fresh: skip the shared-memory cache's trust window (fleet mode): the
 * endpoint's look-ups ask memcached every time. A token cut off by its
 * subject's revocation is MISSING here already (subject_cutoff.c). */
bearer_store_status bearer_store_lookup(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        bearer_token_info *token, int fresh);
bearer_store_status bearer_store_consume_use(request_rec *r,
                                             const bearer_server_conf *sconf,
                                             bearer_token_info *token);
bearer_store_status bearer_store_insert(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const char *id,
                                        const unsigned char id_bytes[BEARER_ID_BYTES],
                                        const bearer_entry_t *entry);
bearer_store_status bearer_store_revoke(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const bearer_token_info *token);

/* fleet_store.c: the memcached side of fleet mode */
#define BEARER_MAX_REPLICAS 16

typedef enum {
    BEARER_FLEET_LIVE = 0,      /* a valid copy, and no tombstone */
    BEARER_FLEET_REVOKED,       /* a tombstone on some replica */
    BEARER_FLEET_MISSING,       /* every replica answered: none has it */
    BEARER_FLEET_UNKNOWN        /* too few answers to tell: an outage */
} bearer_fleet_answer;

/* A subject's cut-off read, prepared before its token's own read so that
 * both go out in one round trip (fleet_subject.c; subject_cutoff.c
 * decides when one is needed). */
typedef struct bearer_fleet_subject_read bearer_fleet_subject_read;

int bearer_fleet_any_up(const bearer_server_conf *sconf);
/* Reads the token's copies; ride, when not NULL, is sent in the same
 * first round (and marked as sent). */
bearer_fleet_answer bearer_fleet_fetch(request_rec *r,
                                       const bearer_server_conf *sconf,
                                       bearer_token_info *token,
                                       bearer_fleet_subject_read *ride);
bearer_store_status bearer_fleet_insert(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const char *id,
                                        const unsigned char id_bytes[BEARER_ID_BYTES],
                                        const bearer_entry_t *entry);
bearer_store_status bearer_fleet_revoke(request_rec *r,
                                        const bearer_server_conf *sconf,
                                        const bearer_token_info *token);
bearer_store_status bearer_fleet_consume_use(request_rec *r,
                                             const bearer_server_conf *sconf,
                                             const bearer_token_info *token);
bearer_store_status bearer_fleet_uses_left(request_rec *r,
                                           const bearer_server_conf *sconf,
                                           bearer_token_info *token);

/* store.c: records other than tokens in the same table, under keys of
 * their own (subject cut-offs). put takes the writers' lock; evictable as
 * for tokens (a fleet-mode cache copy). */
bearer_table_status bearer_store_record_get(request_rec *r,
                                            const bearer_table_key_t *key,
                                            unsigned char *buf,
                                            apr_size_t cap, apr_size_t *len,
                                            bearer_table_found_t *found);
bearer_store_status bearer_store_record_put(request_rec *r,
                                            const bearer_table_key_t *key,
                                            apr_int64_t expires_at,
                                            int evictable,
                                            const unsigned char *rec,
                                            apr_size_t len);

/* subject_cutoff.c: revoking every token of a subject (one cut-off time
 * per subject, keyed by its keyed hash). check: BEARER_STORE_OK if the
 * token is not cut off, MISSING if it is (minted at or before its
 * subject's revocation), UNAVAILABLE if that cannot be told (fleet
 * outage). fresh: as for bearer_store_lookup (ask memcached now). */
bearer_store_status bearer_subject_check(request_rec *r,
                                         const bearer_server_conf *sconf,
                                         const bearer_token_info *token,
                                         int fresh,
                                         const bearer_fleet_subject_read *ahead);
/* Fleet mode, before a token's memcached read: the read of its subject's
 * cut-off that the check will need (this host's copy missing or older
 * than BearerCacheRecheck, or fresh), prepared from the token's cached
 * entry so that it rides in the same round; NULL when none is needed.
 * The check uses its answers only if it was sent and is for the same
 * subject; otherwise it reads the cut-off itself. */
bearer_fleet_subject_read *bearer_subject_read_ahead(request_rec *r,
                                                     const bearer_server_conf *sconf,
                                                     const bearer_entry_t *cached,
                                                     int fresh);
/* 1 if the token is cut off by its subject's revocation (the question
 * the introspection endpoint asks of an entry it holds), else 0; a fleet
 * that cannot say counts as cut off (never a guess for "active"). */
int bearer_subject_cut_off(request_rec *r, const bearer_server_conf *sconf,
                           const bearer_token_info *token);
bearer_store_status bearer_subject_revoke(request_rec *r,
                                          const bearer_server_conf *sconf,
                                          const bearer_dir_conf *dconf,
                                          const char *subject,
                                          apr_size_t subject_len);
/* fleet_subject.c: the cut-offs in memcached. fetch: 1 and *cut_off_usec
 * (0 = none) when enough servers answered, else 0. store: OK when at
 * least one server took it. */
int bearer_fleet_subject_fetch(request_rec *r,
                               const bearer_server_conf *sconf,
                               const unsigned char key[BEARER_SUBJECT_KEY_BYTES],
                               apr_int64_t *cut_off_usec);
/* The same in two steps, the round run in between by whoever sends it
 * (bearer_fleet_fetch); finish answers as fetch does, 0 if it was not
 * sent. */
bearer_fleet_subject_read *bearer_fleet_subject_read_prepare(request_rec *r,
                                                             const bearer_server_conf *sconf,
                                                             const unsigned char key[BEARER_SUBJECT_KEY_BYTES]);
int bearer_fleet_subject_read_finish(request_rec *r,
                                     const bearer_server_conf *sconf,
                                     const bearer_fleet_subject_read *rd,
                                     apr_int64_t *cut_off_usec);
/* 1 if rd reads key's cut-off and was sent. */
int bearer_fleet_subject_read_covers(const bearer_fleet_subject_read *rd,
                                     const unsigned char key[BEARER_SUBJECT_KEY_BYTES]);
bearer_store_status bearer_fleet_subject_store(request_rec *r,
                                               const bearer_server_conf *sconf,
                                               const unsigned char key[BEARER_SUBJECT_KEY_BYTES],
                                               apr_int64_t cut_off_usec,
                                               apr_int64_t keep_until);

/* cidr_check.c: tokens bound to client addresses. allowed: 1 if the
 * entry has no blocks or r->useragent_ip is inside one (APR's
 * apr_ipsubnet_test). json: the normalised blocks as a jansson array (a
 * new reference), or NULL when the entry has none or memory ran out:
 * what GET, the 201 and introspection return as "cidrs". */
int bearer_cidrs_allow(request_rec *r, const bearer_entry_t *entry);
struct json_t;
struct json_t *bearer_cidrs_json(const bearer_entry_t *entry);

/* entry_json.c: adds a client token's optional fields to answer, in this
 * order and each only when set: "metadata", "uses_left", "cidrs" (what GET
 * .../<token_id> and introspection end with). 0, or -1 when memory ran
 * out or the stored metadata is not JSON. */
int bearer_entry_optional_json(struct json_t *answer,
                               const bearer_token_info *token);

/* 0 and the table's statistics, or -1 before the table exists */
int bearer_store_table_stats(bearer_table_stats_t *out);

/* fault.c: faults on demand for t/fault/, in the fault build only; in
 * every other build the call is nothing. Called with the writers' lock
 * held, before a mint's table insert. */
#ifdef BEARER_FAULT_INJECTION
void bearer_fault_after_lock(request_rec *r,
                             const unsigned char id[BEARER_ID_BYTES]);
#else
#define bearer_fault_after_lock(r, id) ((void)0)
#endif

#endif
