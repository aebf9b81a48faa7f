/* SPDX-License-Identifier: Apache-2.0 */
/*
 * configcheck.c - mistakes that no single directive can see, caught in
 * check_config (which `apachectl configtest` runs too), each reported with
 * the directive, its file and its line:
 *
 *   - SetHandler bearer-tokens (or bearer-introspect) where no operator
 *     token file applies: every call would get 401;
 *   - Require bearer-scope / bearer-operator in a section that no
 *     AuthType Bearer can reach: every request would fail;
 *   - Require bearer-scope / bearer-operator where AuthzSendForbiddenOnFailure
 *     is set neither On nor Off: authz_core would answer a live token that
 *     lacks the scope 401, where RFC 6750 (and mod_bearer's contract) says
 *     403 insufficient_scope, and only the admin may change authz_core's
 *     settings;
 *   - BearerMemcache without BearerSecretFile: a fleet must share a key;
 *   - BearerDefaultScopes naming a scope that the BearerIssuableScopes
 *     applying to the same section do not allow (wildcards included).
 *
 * It walks httpd's configuration tree (ap_conftree), where <IfModule>,
 * <IfDefine> and Include have already been resolved. Sections that only
 * match at request time (regex sections, <If>, .htaccess files) cannot be
 * judged here; the rule for Require is therefore one-sided: it fails only
 * when *no* AuthType Bearer anywhere could merge into the section.
 */
#include "bearer_private.h"
#include "bearer_scope.h"
#include "bearer_oauth.h"
#include "http_core.h"

#include "apr_strings.h"

typedef struct {
    const ap_directive_t *node;
    const ap_directive_t *section;   /* nearest per-dir section, or NULL */
    const ap_directive_t *vhost;     /* <VirtualHost>, or NULL = main */
} found_t;

typedef struct {
    apr_array_header_t *handlers;    /* SetHandler bearer-tokens */
    apr_array_header_t *requires;    /* Require bearer-* */
    apr_array_header_t *authtypes;   /* AuthType (any) */
    apr_array_header_t *memcaches;   /* BearerMemcache */
    apr_array_header_t *forbiddens;  /* AuthzSendForbiddenOnFailure */
    apr_array_header_t *issuables;   /* BearerIssuableScopes */
    apr_array_header_t *defaults;    /* BearerDefaultScopes */
} walk_t;

/* Sections whose directives merge into a request's per-dir config. */
static int is_dir_section(const ap_directive_t *d)
{
    static const char *const names[] = {
        "<Location", "<LocationMatch", "<Directory", "<DirectoryMatch",
        "<Files", "<FilesMatch", "<If", "<ElseIf", "<Else", "<Proxy",
        "<ProxyMatch", NULL
    };
    int i;

    for (i = 0; names[i]; i++) {
        if (strcasecmp(d->directive, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The first word of a directive's arguments, unquoted, without the '>'
 * that ends a section's opening line. */
static const char *first_arg(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args ? d->args : "";
    char *word = ap_getword_conf(p, &args);
    apr_size_t n = strlen(word);

    if (*d->directive == '<' && n > 0 && word[n - 1] == '>') {
        word[n - 1] = '\0';
    }
    return word;
}

static void walk(apr_pool_t *p, const ap_directive_t *d,
                 const ap_directive_t *section, const ap_directive_t *vhost,
                 walk_t *w)
{
    for (; d; d = d->next) {
        found_t f = { d, section, vhost };

        /* bearer-revoke is left out: public clients need no operator */
        if (strcasecmp(d->directive, "SetHandler") == 0
                && (strcasecmp(first_arg(p, d), BEARER_HANDLER) == 0
                    || strcasecmp(first_arg(p, d),
                                  BEARER_INTROSPECT_HANDLER) == 0)) {
            APR_ARRAY_PUSH(w->handlers, found_t) = f;
        }
        else if (strcasecmp(d->directive, "Require") == 0) {
            const char *what = first_arg(p, d);

            if (strcasecmp(what, "not") == 0) {
                const char *args = d->args;

                ap_getword_conf(p, &args);
                what = ap_getword_conf(p, &args);
            }
            if (strncasecmp(what, "bearer-", 7) == 0) {
                APR_ARRAY_PUSH(w->requires, found_t) = f;
            }
        }
        else if (strcasecmp(d->directive, "AuthType") == 0) {
            APR_ARRAY_PUSH(w->authtypes, found_t) = f;
        }
        else if (strcasecmp(d->directive, "BearerMemcache") == 0) {
            APR_ARRAY_PUSH(w->memcaches, found_t) = f;
        }
        else if (strcasecmp(d->directive,
                            "AuthzSendForbiddenOnFailure") == 0) {
            APR_ARRAY_PUSH(w->forbiddens, found_t) = f;
        }
        else if (strcasecmp(d->directive, "BearerIssuableScopes") == 0) {
            APR_ARRAY_PUSH(w->issuables, found_t) = f;
        }
        else if (strcasecmp(d->directive, "BearerDefaultScopes") == 0) {
            APR_ARRAY_PUSH(w->defaults, found_t) = f;
        }
        if (d->first_child) {
            walk(p, d->first_child, is_dir_section(d) ? d : section,
                 strcasecmp(d->directive, "<VirtualHost") == 0 ? d : vhost,
                 w);
        }
    }
}

/* The server_rec a <VirtualHost> node made (NULL node: the main server). */
static server_rec *server_of(server_rec *main_server,
                             const ap_directive_t *vhost)
{
    server_rec *s;

    if (!vhost) {
        return main_server;
    }
    for (s = main_server->next; s; s = s->next) {
        if (s->defn_line_number == (unsigned)vhost->line_num && s->defn_name
                && strcmp(s->defn_name, vhost->filename) == 0) {
            return s;
        }
    }
    return NULL;
}

static const bearer_server_conf *conf_of(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &bearer_module);
}

static const char *where(apr_pool_t *p, const ap_directive_t *d)
{
    return apr_psprintf(p, "on line %d of %s", d->line_num, d->filename);
}

static const char *section_name(apr_pool_t *p, const ap_directive_t *s)
{
    return apr_psprintf(p, "%s %s> (line %d)", s->directive,
                        first_arg(p, s), s->line_num);
}

/* ---- SetHandler bearer-tokens ------------------------------------------ */

static int check_handlers(apr_pool_t *p, server_rec *main_server,
                          const walk_t *w)
{
    int i, failed = 0;
    int any_operator = 0;
    server_rec *s;

    for (s = main_server; s; s = s->next) {
        any_operator |= conf_of(s)->operator_file != NULL;
    }
    for (i = 0; i < w->handlers->nelts; i++) {
        const found_t *f = &APR_ARRAY_IDX(w->handlers, i, found_t);
        server_rec *s2 = server_of(main_server, f->vhost);

        /* A main-server section serves every virtual host too: it is
         * wrong only when no server at all has operator tokens. */
        if (f->vhost ? (s2 && !conf_of(s2)->operator_file) : !any_operator) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server,
                         BRRLOG(00120) "SetHandler %s %s: no "
                         "BearerOperatorTokenFile applies to %s, so every "
                         "call would get 401; set one in it or in the main "
                         "server", first_arg(p, f->node),
                         where(p, f->node),
                         f->vhost ? apr_psprintf(p, "the virtual host of "
                                                 "line %d", f->vhost->line_num)
                                  : "any server");
            failed = 1;
        }
    }
    return failed;
}

/* ---- Require bearer-* without AuthType Bearer -------------------------- */

static int is_bearer_type(apr_pool_t *p, const ap_directive_t *d)
{
    return strcasecmp(first_arg(p, d), BEARER_AUTH_TYPE) == 0;
}

/* A <Location> with a literal path (not ~ regex, not LocationMatch),
 * outside any other section: its path, else NULL. */
static const char *literal_location(apr_pool_t *p,
                                    const ap_directive_t *section)
{
    const char *path;

    if (!section || strcasecmp(section->directive, "<Location") != 0) {
        return NULL;
    }
    if (section->parent && strcasecmp(section->parent->directive,
                                      "<VirtualHost") != 0) {
        return NULL;
    }
    path = first_arg(p, section);
    return *path == '/' ? path : NULL;
}

/* prefix applies to path under <Location> matching (segment boundary) */
static int location_covers(const char *prefix, const char *path)
{
    apr_size_t n = strlen(prefix);

    while (n > 1 && prefix[n - 1] == '/') {
        n--;
    }
    return strncmp(prefix, path, n) == 0
           && (path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/');
}

/* Could the AuthType line a merge into the per-dir config of req's
 * section? Only two literal <Location>s can be told apart here. */
static int may_reach(apr_pool_t *p, const found_t *a, const found_t *req)
{
    const char *req_path, *a_path;

    /* a vhost sees its own sections and the main server's; a main-server
     * section also meets each vhost's sections */
    if (a->vhost && req->vhost && a->vhost != req->vhost) {
        return 0;
    }
    req_path = literal_location(p, req->section);
    a_path = literal_location(p, a->section);
    if (!req_path || !a_path) {
        return 1;   /* Directory, Files, regex, <If>, nested: could merge */
    }
    return location_covers(a_path, req_path);
}

/*
 * RFC 6750 answers a live token that lacks the scope with 403. authz_core
 * answers a failed Require after a successful authentication with 401,
 * unless AuthzSendForbiddenOnFailure is On for the section: only that
 * directive of authz_core's gives the 403, and it is the admin's to set.
 * So a bearer-* line needs it set, On (the contract's 403) or Off (the
 * admin chose 401, still with error="insufficient_scope"), in its section,
 * a section around it, or, as for AuthType, any section that may merge in.
 */
static int check_forbidden(apr_pool_t *p, server_rec *main_server,
                           const walk_t *w, const found_t *req)
{
    const ap_directive_t *sec;
    int i;

    for (sec = req->section; sec; sec = sec->parent) {
        for (i = 0; i < w->forbiddens->nelts; i++) {
            if (APR_ARRAY_IDX(w->forbiddens, i, found_t).section == sec) {
                return 0;       /* set here, On or Off: the admin's word */
            }
        }
    }
    for (i = 0; i < w->forbiddens->nelts; i++) {
        const found_t *f = &APR_ARRAY_IDX(w->forbiddens, i, found_t);

        if (strcasecmp(first_arg(p, f->node), "on") == 0
                && may_reach(p, f, req)) {
            return 0;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server, BRRLOG(00140)
                 "Require %s %s: AuthzSendForbiddenOnFailure is not set for "
                 "%s, so a valid token that fails this line would get 401 "
                 "instead of 403 insufficient_scope (RFC 6750); add "
                 "\"AuthzSendForbiddenOnFailure On\" to it (or Off to "
                 "answer 401)", req->node->args, where(p, req->node),
                 section_name(p, req->section));
    return 1;
}

static int check_requires(apr_pool_t *p, server_rec *main_server,
                          const walk_t *w)
{
    int i, j, failed = 0;

    for (i = 0; i < w->requires->nelts; i++) {
        const found_t *req = &APR_ARRAY_IDX(w->requires, i, found_t);
        const ap_directive_t *sec;
        const found_t *nearest = NULL;
        int reachable = 0;

        if (!req->section) {
            continue;       /* httpd itself refuses Require out of sections */
        }
        /* the section itself and the sections around it in the file */
        for (sec = req->section; sec && !nearest; sec = sec->parent) {
            for (j = 0; j < w->authtypes->nelts; j++) {
                const found_t *a = &APR_ARRAY_IDX(w->authtypes, j, found_t);

                if (a->section == sec) {
                    nearest = a;        /* the last one in it wins, as in */
                }                       /* httpd; any of them will do here */
            }
        }
        if (nearest) {
            if (is_bearer_type(p, nearest->node)) {
                failed |= check_forbidden(p, main_server, w, req);
                continue;
            }
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server,
                         BRRLOG(00121) "Require %s %s: the section "
                         "%s has AuthType %s (%s), so this line never "
                         "grants; use AuthType Bearer", req->node->args,
                         where(p, req->node), section_name(p, req->section),
                         first_arg(p, nearest->node),
                         where(p, nearest->node));
            failed = 1;
            continue;
        }
        for (j = 0; j < w->authtypes->nelts && !reachable; j++) {
            const found_t *a = &APR_ARRAY_IDX(w->authtypes, j, found_t);

            reachable = is_bearer_type(p, a->node) && may_reach(p, a, req);
        }
        if (!reachable) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server,
                         BRRLOG(00122) "Require %s %s: no AuthType Bearer "
                         "applies to %s, so every request would fail; add "
                         "AuthType Bearer to it or to an enclosing "
                         "<Location>", req->node->args, where(p, req->node),
                         section_name(p, req->section));
            failed = 1;
        }
        else {
            failed |= check_forbidden(p, main_server, w, req);
        }
    }
    return failed;
}

/* ---- BearerMemcache without BearerSecretFile; a fleet of two ------------ */

static int check_memcaches(apr_pool_t *p, server_rec *main_server,
                           const walk_t *w)
{
    int i, failed = 0;

    for (i = 0; i < w->memcaches->nelts; i++) {
        const found_t *f = &APR_ARRAY_IDX(w->memcaches, i, found_t);
        server_rec *s = server_of(main_server, f->vhost);

        if (s && !conf_of(s)->secret_file) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server,
                         BRRLOG(00123) "BearerMemcache %s: BearerSecretFile "
                         "is not set for %s; every server of a fleet must "
                         "share one secret", where(p, f->node),
                         f->vhost ? apr_psprintf(p, "the virtual host of "
                                                 "line %d", f->vhost->line_num)
                                  : "the main server");
            failed = 1;
        }
        /* A warning, not a failure: two servers work, but promise less
         * (docs/fleet.md, "A fleet of two"). */
        if (s && conf_of(s)->memcache && conf_of(s)->memcache->nelts == 2) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                         BRRLOG(00165) "BearerMemcache %s: a fleet of two "
                         "memcached servers trusts a lone live copy while "
                         "the other is away, so a server that missed a "
                         "revocation honours the token until the other "
                         "returns; three or more servers close that "
                         "(see fleet.md)", where(p, f->node));
        }
    }
    return failed;
}

/* ---- BearerDefaultScopes that may not be issued -------------------------- */

/* The lines of `lines` in section sec of vhost (sec NULL: the server's own
 * level), their words appended to out; 1 if there was any. */
static int words_of(apr_pool_t *p, const apr_array_header_t *lines,
                    const ap_directive_t *sec, const ap_directive_t *vhost,
                    apr_array_header_t *out, const found_t **first)
{
    int i, any = 0;

    for (i = 0; i < lines->nelts; i++) {
        const found_t *f = &APR_ARRAY_IDX(lines, i, found_t);
        const char *args;

        if (f->section != sec || (!sec && f->vhost != vhost)) {
            continue;
        }
        if (!any && first) {
            *first = f;
        }
        any = 1;
        for (args = f->node->args ? f->node->args : ""; *args; ) {
            const char *word = ap_getword_conf(p, &args);

            if (*word) {
                APR_ARRAY_PUSH(out, const char *) = word;
            }
        }
    }
    return any;
}

/*
 * What a directive's value is in section sec of vhost, as far as the file
 * tells: its own lines, else those of the nearest enclosing section that
 * has any, else of the last literal <Location> covering it, else the
 * virtual host's level, else the main server's. NULL: not set anywhere
 * that applies.
 */
static apr_array_header_t *effective(apr_pool_t *p,
                                     const apr_array_header_t *lines,
                                     const ap_directive_t *sec,
                                     const ap_directive_t *vhost,
                                     const found_t **first)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    const ap_directive_t *s2, *cover = NULL;
    const char *path;
    int i;

    for (s2 = sec; s2; s2 = s2->parent) {
        if (is_dir_section(s2) && words_of(p, lines, s2, vhost, out, first)) {
            return out;
        }
    }
    if ((path = literal_location(p, sec)) != NULL) {
        for (i = 0; i < lines->nelts; i++) {
            const found_t *f = &APR_ARRAY_IDX(lines, i, found_t);
            const char *fpath = literal_location(p, f->section);

            if (fpath && f->section != sec
                    && (!f->vhost || f->vhost == vhost)
                    && location_covers(fpath, path)) {
                cover = f->section;
            }
        }
        if (cover && words_of(p, lines, cover, vhost, out, first)) {
            return out;
        }
    }
    if (vhost && words_of(p, lines, NULL, vhost, out, first)) {
        return out;
    }
    return words_of(p, lines, NULL, NULL, out, first) ? out : NULL;
}

static int check_one_defaults(apr_pool_t *p, server_rec *main_server,
                              const walk_t *w, const found_t *at)
{
    const found_t *line = at;
    apr_array_header_t *defaults = effective(p, w->defaults, at->section,
                                             at->vhost, &line);
    apr_array_header_t *issuable = effective(p, w->issuables, at->section,
                                             at->vhost, NULL);
    int i, j;

    if (!defaults || !issuable) {
        return 0;
    }
    for (i = 0; i < defaults->nelts; i++) {
        const char *scope = APR_ARRAY_IDX(defaults, i, const char *);
        int ok = 0;

        for (j = 0; j < issuable->nelts && !ok; j++) {
            const char *pat = APR_ARRAY_IDX(issuable, j, const char *);

            ok = bearer_scope_pattern_match(pat, strlen(pat), scope,
                                            strlen(scope));
        }
        if (!ok) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, main_server,
                         BRRLOG(00228) "BearerDefaultScopes %s: '%s' is not "
                         "allowed by the BearerIssuableScopes that apply to "
                         "%s, so no default mint could succeed; list it "
                         "there (or a wildcard that covers it)",
                         where(p, line->node), scope,
                         at->section ? section_name(p, at->section)
                                     : "the server");
            return 1;
        }
    }
    return 0;
}

static int check_default_scopes(apr_pool_t *p, server_rec *main_server,
                                const walk_t *w)
{
    int i, failed = 0;

    /* every section where either directive is set: there the pair meets */
    for (i = 0; i < w->defaults->nelts; i++) {
        failed |= check_one_defaults(p, main_server, w,
                                     &APR_ARRAY_IDX(w->defaults, i, found_t));
    }
    for (i = 0; i < w->issuables->nelts && !failed; i++) {
        failed |= check_one_defaults(p, main_server, w,
                                     &APR_ARRAY_IDX(w->issuables, i,
                                                    found_t));
    }
    return failed;
}

int bearer_check_config_tree(apr_pool_t *ptemp, server_rec *s)
{
    walk_t w;
    int failed;

    w.handlers = apr_array_make(ptemp, 4, sizeof(found_t));
    w.requires = apr_array_make(ptemp, 16, sizeof(found_t));
    w.authtypes = apr_array_make(ptemp, 16, sizeof(found_t));
    w.memcaches = apr_array_make(ptemp, 2, sizeof(found_t));
    w.forbiddens = apr_array_make(ptemp, 16, sizeof(found_t));
    w.issuables = apr_array_make(ptemp, 4, sizeof(found_t));
    w.defaults = apr_array_make(ptemp, 4, sizeof(found_t));
    walk(ptemp, ap_conftree, NULL, NULL, &w);

    failed = check_handlers(ptemp, s, &w);
    failed |= check_requires(ptemp, s, &w);
    failed |= check_memcaches(ptemp, s, &w);
    failed |= check_default_scopes(ptemp, s, &w);
    return failed ? !OK : OK;
}
