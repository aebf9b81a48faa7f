/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of mint_request.c: the JSON body of a mint request, and the
 * Content-Type check.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "bearer_mint_request.h"
#include "bearer_scope.h"
#include "bearer_cidr.h"
#include <stdio.h>

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_initialize(), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
    apr_terminate();
}

static bearer_req_status parse_len(const char *body, size_t len,
                                   bearer_mint_request_t *out,
                                   const char **description)
{
    return bearer_mint_request_parse(pool, body, len, out, description);
}

static bearer_req_status parse(const char *body, bearer_mint_request_t *out,
                               const char **description)
{
    return parse_len(body, strlen(body), out, description);
}

static int all_zero(const bearer_mint_request_t *r)
{
    return !r->has_scope && r->scope == NULL && r->scope_len == 0
           && !r->has_ttl && r->ttl == 0 && r->subject == NULL
           && r->subject_len == 0 && r->metadata == NULL
           && r->metadata_len == 0 && r->max_uses == 0;
}

/* A description must exist, start lower-case and have no control bytes. */
static void check_description(const char *description)
{
    const char *p;

    ck_assert_ptr_nonnull(description);
    ck_assert(description[0] >= 'a' && description[0] <= 'z');
    for (p = description; *p != '\0'; p++) {
        ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f,
                      "control byte in description");
    }
}

/* Parses body, expects status, and that the description contains want
 * (when want is given). The result is zeroed on any failure. */
static void expect_fail(const char *body, bearer_req_status status,
                        const char *want)
{
    bearer_mint_request_t r;
    const char *description = NULL;

    memset(&r, 0x33, sizeof(r));
    ck_assert_msg(parse(body, &r, &description) == status,
                  "status of %.80s", body);
    check_description(description);
    if (want != NULL) {
        ck_assert_msg(strstr(description, want) != NULL,
                      "description of %.80s: got \"%s\", want \"%s\"", body,
                      description, want);
    }
    ck_assert(all_zero(&r));
}

static void expect_invalid(const char *body, const char *want)
{
    expect_fail(body, BEARER_REQ_INVALID_REQUEST, want);
}

static bearer_mint_request_t expect_ok(const char *body)
{
    bearer_mint_request_t r;
    const char *description = "unset";

    memset(&r, 0x33, sizeof(r));
    ck_assert_msg(parse(body, &r, &description) == BEARER_REQ_OK,
                  "%.80s: %s", body, description ? description : "(null)");
    ck_assert_ptr_null(description);
    return r;
}

/* ---- empty and whole-body cases ---------------------------------------- */

START_TEST(test_empty_bodies)
{
    bearer_mint_request_t r;
    const char *description = "unset";

    memset(&r, 0x33, sizeof(r));
    ck_assert_int_eq(parse_len("", 0, &r, &description), BEARER_REQ_OK);
    ck_assert(all_zero(&r));
    ck_assert_ptr_null(description);

    memset(&r, 0x33, sizeof(r));
    ck_assert_int_eq(parse_len(NULL, 0, &r, NULL), BEARER_REQ_OK);
    ck_assert(all_zero(&r));

    r = expect_ok("  ");
    ck_assert(all_zero(&r));
    r = expect_ok(" \t\r\n ");
    ck_assert(all_zero(&r));
    r = expect_ok("{}");
    ck_assert(all_zero(&r));
    r = expect_ok(" \n{ }\n ");
    ck_assert(all_zero(&r));
}
END_TEST

START_TEST(test_body_not_nul_terminated)
{
    /* Only len bytes are read. */
    bearer_mint_request_t r;

    ck_assert_int_eq(parse_len("{}garbage", 2, &r, NULL), BEARER_REQ_OK);
    ck_assert_int_eq(parse_len("   {", 3, &r, NULL), BEARER_REQ_OK);
}
END_TEST

START_TEST(test_not_an_object)
{
    expect_invalid("[]", "must be a JSON object");
    expect_invalid("[{\"ttl\":1}]", "must be a JSON object");
    expect_invalid("\"ttl\"", "must be a JSON object");
    expect_invalid("1", "must be a JSON object");
    expect_invalid("null", "must be a JSON object");
    expect_invalid("true", "must be a JSON object");
}
END_TEST

START_TEST(test_not_json)
{
    expect_invalid("{", NULL);
    expect_invalid("{\"ttl\":}", "not valid JSON");
    expect_invalid("{'ttl': 1}", "not valid JSON");
    expect_invalid("{\"ttl\": 1,}", "not valid JSON");
    expect_invalid("ttl=60", "not valid JSON");
    expect_invalid("{} x", "after the JSON value");
    expect_invalid("{}{}", "after the JSON value");
    expect_invalid("{\"subject\": \"\xff\"}", "UTF-8");
    expect_invalid("{\"subject\": \"\xc3\"}", "UTF-8");
    /* Out of jansson's integer range. */
    expect_invalid("{\"ttl\": 99999999999999999999}", "out of range");
}
END_TEST

START_TEST(test_invalid_json_never_echoes_input)
{
    /* jansson's own messages quote the input; ours must not. */
    bearer_mint_request_t r;
    const char *description = NULL;
    const char *body = "{\"secret-looking-member\" \"value\"}";

    ck_assert_int_eq(parse(body, &r, &description),
                     BEARER_REQ_INVALID_REQUEST);
    check_description(description);
    ck_assert_ptr_null(strstr(description, "secret-looking"));
}
END_TEST

START_TEST(test_duplicate_keys)
{
    expect_invalid("{\"ttl\": 1, \"ttl\": 2}", "duplicate");
    expect_invalid("{\"metadata\": {\"a\": 1, \"a\": 1}}", "duplicate");
    expect_invalid("{\"metadata\": {\"x\": [{\"b\": 1, \"b\": 2}]}}",
                   "duplicate");
}
END_TEST

START_TEST(test_nul_rejected)
{
    bearer_mint_request_t r;
    const char *description = NULL;
    static const char raw[] = "{\"subject\": \"a\0b\"}";

    expect_invalid("{\"subject\": \"a\\u0000b\"}", "NUL");
    expect_invalid("{\"metadata\": {\"k\": \"\\u0000\"}}", "NUL");
    expect_invalid("{\"metadata\": {\"k\\u0000\": 1}}", "NUL");
    expect_invalid("{\"tt\\u0000l\": 1}", "NUL");

    /* A raw NUL byte inside the body. */
    ck_assert_int_eq(parse_len(raw, sizeof(raw) - 1, &r, &description),
                     BEARER_REQ_INVALID_REQUEST);
    check_description(description);
    ck_assert_int_eq(parse_len("{}\0", 3, &r, &description),
                     BEARER_REQ_INVALID_REQUEST);
    check_description(description);
}
END_TEST

/* ---- members --------------------------------------------------------------- */

START_TEST(test_unknown_member)
{
    expect_invalid("{\"foo\": 1}", "unknown member 'foo'");
    expect_invalid("{\"ttl\": 60, \"Scope\": \"a\"}", "unknown member 'Scope'");
    expect_invalid("{\"\": 1}", "unknown member ''");
    /* Even when another member is wrong too, the unknown one is named. */
    expect_invalid("{\"ttl\": -1, \"bogus\": 1}", "unknown member 'bogus'");
}

START_TEST(test_failure_keeps_nothing)
{
    /* Members read before the failing one leave no trace in the result. */
    expect_invalid("{\"scopes\": [\"a\"], \"subject\": \"u\", \"ttl\": 0}",
                   "'ttl'");
    expect_invalid("{\"ttl\": 5, \"subject\": \"u\", \"metadata\": {},"
                   " \"max_uses\": 0}", "'max_uses'");
    expect_invalid("{\"scope\": \"a\", \"ttl\": 5, \"metadata\": []}",
                   "'metadata'");
}
END_TEST
END_TEST

START_TEST(test_unknown_member_echo_limits)
{
    bearer_mint_request_t r;
    const char *description = NULL;
    char body[256];
    char name[128];
    const char *quote;

    /* 100-byte name: only 64 echoed. */
    memset(name, 'n', 100);
    name[100] = '\0';
    snprintf(body, sizeof(body), "{\"%s\": 1}", name);
    ck_assert_int_eq(parse(body, &r, &description),
                     BEARER_REQ_INVALID_REQUEST);
    quote = strchr(description, '\'');
    ck_assert_ptr_nonnull(quote);
    ck_assert_uint_eq(strspn(quote + 1, "n"), 64);
    ck_assert_int_eq(quote[65], '\'');

    /* Control characters are never echoed. */
    ck_assert_int_eq(parse("{\"a\\u0001\\n\\u001f\\u007fb\": 1}", &r,
                           &description), BEARER_REQ_INVALID_REQUEST);
    check_description(description);
    ck_assert_str_eq(description, "unknown member 'a????b'");

    /* The cut at 64 bytes falls inside a two-byte character: the echo
     * stops before it, so it stays valid UTF-8. */
    memset(name, 'a', 63);
    strcpy(name + 63, "\xc3\xa9zz");
    snprintf(body, sizeof(body), "{\"%s\": 1}", name);
    ck_assert_int_eq(parse(body, &r, &description),
                     BEARER_REQ_INVALID_REQUEST);
    quote = strchr(description, '\'');
    ck_assert_uint_eq(strspn(quote + 1, "a"), 63);
    ck_assert_int_eq(quote[64], '\'');

    /* A multi-byte character that ends exactly at 64 is kept. */
    memset(name, 'a', 62);
    strcpy(name + 62, "\xc3\xa9zz");
    snprintf(body, sizeof(body), "{\"%s\": 1}", name);
    ck_assert_int_eq(parse(body, &r, &description),
                     BEARER_REQ_INVALID_REQUEST);
    quote = strchr(description, '\'');
    ck_assert(memcmp(quote + 63, "\xc3\xa9'", 3) == 0);
}
END_TEST

START_TEST(test_all_members)
{
    bearer_mint_request_t r = expect_ok(
        "{\"scopes\": [\"b\", \"a\"], \"ttl\": 60, \"subject\": \"alice\","
        " \"metadata\": {\"plan\": \"pro\"}, \"max_uses\": 3}");

    ck_assert_int_eq(r.has_scope, 1);
    ck_assert_str_eq(r.scope, "b a");
    ck_assert_uint_eq(r.scope_len, 3);
    ck_assert_int_eq(r.has_ttl, 1);
    ck_assert(r.ttl == 60);
    ck_assert_str_eq(r.subject, "alice");
    ck_assert_uint_eq(r.subject_len, 5);
    ck_assert_str_eq(r.metadata, "{\"plan\":\"pro\"}");
    ck_assert_uint_eq(r.metadata_len, 14);
    ck_assert_uint_eq(r.max_uses, 3);
}
END_TEST

START_TEST(test_scopes_array)
{
    bearer_mint_request_t r;

    r = expect_ok("{\"scopes\": [\"stream:start\", \"stream:view\","
                  " \"stream:start\"]}");
    ck_assert_str_eq(r.scope, "stream:start stream:view");
    ck_assert_uint_eq(r.scope_len, strlen(r.scope));

    r = expect_ok("{\"scopes\": []}");
    ck_assert_int_eq(r.has_scope, 1);
    ck_assert_ptr_nonnull(r.scope);
    ck_assert_str_eq(r.scope, "");
    ck_assert_uint_eq(r.scope_len, 0);

    expect_invalid("{\"scopes\": \"a b\"}",
                   "member 'scopes' must be an array of strings");
    expect_invalid("{\"scopes\": [\"a\", 1]}",
                   "member 'scopes' must be an array of strings");
    expect_invalid("{\"scopes\": [[\"a\"]]}", "'scopes'");
    expect_invalid("{\"scopes\": [null]}", "'scopes'");
    expect_invalid("{\"scopes\": {}}", "'scopes'");
    expect_invalid("{\"scopes\": null}", "'scopes'");

    expect_fail("{\"scopes\": [\"a b\"]}", BEARER_REQ_INVALID_SCOPE,
                "scope 'a b' is not a valid scope-token");
    expect_fail("{\"scopes\": [\"\"]}", BEARER_REQ_INVALID_SCOPE,
                "scope ''");
    expect_fail("{\"scopes\": [\"ok\", \"q\\\"uote\"]}",
                BEARER_REQ_INVALID_SCOPE, "q\"uote");
    expect_fail("{\"scopes\": [\"back\\\\slash\"]}",
                BEARER_REQ_INVALID_SCOPE, "not a valid scope-token");
    expect_fail("{\"scopes\": [\"caf\xc3\xa9\"]}", BEARER_REQ_INVALID_SCOPE,
                "not a valid scope-token");
    expect_fail("{\"scopes\": [\"tab\\tbed\"]}", BEARER_REQ_INVALID_SCOPE,
                "scope 'tab?bed'");
}
END_TEST

START_TEST(test_scope_string)
{
    bearer_mint_request_t r;

    r = expect_ok("{\"scope\": \"  a  b a \"}");
    ck_assert_int_eq(r.has_scope, 1);
    ck_assert_str_eq(r.scope, "a b");
    ck_assert_uint_eq(r.scope_len, 3);

    r = expect_ok("{\"scope\": \"\"}");
    ck_assert_int_eq(r.has_scope, 1);
    ck_assert_str_eq(r.scope, "");
    ck_assert_uint_eq(r.scope_len, 0);

    expect_invalid("{\"scope\": [\"a\"]}", "member 'scope' must be a string");
    expect_invalid("{\"scope\": 1}", "member 'scope' must be a string");
    expect_invalid("{\"scope\": null}", "member 'scope' must be a string");
    expect_fail("{\"scope\": \"a b\\\"c d\"}", BEARER_REQ_INVALID_SCOPE,
                "scope 'b\"c'");
    expect_fail("{\"scope\": \"a\\tb\"}", BEARER_REQ_INVALID_SCOPE, NULL);
}
END_TEST

START_TEST(test_scope_and_scopes)
{
    expect_invalid("{\"scope\": \"a\", \"scopes\": [\"a\"]}",
                   "'scope' and 'scopes'");
    expect_invalid("{\"scopes\": [], \"scope\": \"\"}",
                   "'scope' and 'scopes'");
}
END_TEST

START_TEST(test_scope_limits)
{
    char *body;
    char token[BEARER_SCOPE_TOKEN_MAX + 2];
    bearer_mint_request_t r;
    int i;

    /* A scope-token of 128 bytes is fine, 129 is not. */
    memset(token, 't', sizeof(token));
    token[BEARER_SCOPE_TOKEN_MAX] = '\0';
    r = expect_ok(apr_psprintf(pool, "{\"scope\": \"%s\"}", token));
    ck_assert_uint_eq(r.scope_len, BEARER_SCOPE_TOKEN_MAX);
    token[BEARER_SCOPE_TOKEN_MAX] = 't';
    token[BEARER_SCOPE_TOKEN_MAX + 1] = '\0';
    expect_fail(apr_psprintf(pool, "{\"scopes\": [\"%s\"]}", token),
                BEARER_REQ_INVALID_SCOPE, "exceeds 128 bytes");

    /* 256 distinct 3-byte scopes: a 1023-byte list fits... */
    body = apr_pstrdup(pool, "{\"scope\": \"");
    for (i = 0; i < 256; i++) {
        body = apr_psprintf(pool, "%s %c%c%c", body, 'a' + i / 26 % 26,
                            'a' + i % 26, '0' + i / 676);
    }
    r = expect_ok(apr_pstrcat(pool, body, "\"}", NULL));
    ck_assert_uint_eq(r.scope_len, 1023);
    ck_assert_uint_eq(strlen(r.scope), 1023);
    /* ...and any one more does not. */
    expect_fail(apr_pstrcat(pool, body, " z\"}", NULL),
                BEARER_REQ_INVALID_SCOPE, "scope list exceeds 1024 bytes");
    /* Repeats cost nothing. */
    r = expect_ok(apr_pstrcat(pool, body, " aa0 aa0\"}", NULL));
    ck_assert_uint_eq(r.scope_len, 1023);
}
END_TEST

START_TEST(test_ttl)
{
    bearer_mint_request_t r;

    r = expect_ok("{\"ttl\": 1}");
    ck_assert_int_eq(r.has_ttl, 1);
    ck_assert(r.ttl == 1);
    r = expect_ok("{\"ttl\": 9223372036854775807}");
    ck_assert(r.ttl == INT64_MAX);

    expect_invalid("{\"ttl\": 0}", "member 'ttl' must be a positive integer");
    expect_invalid("{\"ttl\": -1}", "member 'ttl' must be a positive integer");
    expect_invalid("{\"ttl\": 60.0}", "'ttl'");
    expect_invalid("{\"ttl\": 1.5}", "'ttl'");
    expect_invalid("{\"ttl\": 6e1}", "'ttl'");
    expect_invalid("{\"ttl\": \"60\"}", "'ttl'");
    expect_invalid("{\"ttl\": true}", "'ttl'");
    expect_invalid("{\"ttl\": null}", "'ttl'");
    expect_invalid("{\"ttl\": [60]}", "'ttl'");
}
END_TEST

START_TEST(test_max_uses)
{
    bearer_mint_request_t r;

    r = expect_ok("{\"max_uses\": 1}");
    ck_assert_uint_eq(r.max_uses, 1);
    r = expect_ok("{\"max_uses\": 2147483647}");
    ck_assert_uint_eq(r.max_uses, 2147483647u);

    expect_invalid("{\"max_uses\": 2147483648}",
                   "member 'max_uses' must be an integer from 1 to "
                   "2147483647");
    expect_invalid("{\"max_uses\": 4294967297}", "'max_uses'");
    expect_invalid("{\"max_uses\": 0}", "'max_uses'");
    expect_invalid("{\"max_uses\": -1}", "'max_uses'");
    expect_invalid("{\"max_uses\": 1.0}", "'max_uses'");
    expect_invalid("{\"max_uses\": \"1\"}", "'max_uses'");
    expect_invalid("{\"max_uses\": false}", "'max_uses'");
}
END_TEST

START_TEST(test_subject)
{
    char subject[300];
    bearer_mint_request_t r;
    int i;

    r = expect_ok("{\"subject\": \"u\"}");
    ck_assert_str_eq(r.subject, "u");
    ck_assert_uint_eq(r.subject_len, 1);

    memset(subject, 's', 256);
    subject[256] = '\0';
    r = expect_ok(apr_psprintf(pool, "{\"subject\": \"%s\"}", subject));
    ck_assert_uint_eq(r.subject_len, 256);
    ck_assert_uint_eq(strlen(r.subject), 256);
    subject[256] = 's';
    subject[257] = '\0';
    expect_invalid(apr_psprintf(pool, "{\"subject\": \"%s\"}", subject),
                   "member 'subject' must be 1 to 256 bytes long");
    expect_invalid("{\"subject\": \"\"}", "'subject'");

    /* Bytes, not characters: 128 two-byte characters fill it. */
    subject[0] = '\0';
    for (i = 0; i < 128; i++) {
        strcat(subject, "\xc3\xa9");
    }
    r = expect_ok(apr_psprintf(pool, "{\"subject\": \"%s\"}", subject));
    ck_assert_uint_eq(r.subject_len, 256);
    expect_invalid(apr_psprintf(pool, "{\"subject\": \"%sx\"}", subject),
                   "256 bytes");
    /* An escaped character counts as its UTF-8 bytes. */
    r = expect_ok("{\"subject\": \"\\u00e9\"}");
    ck_assert_str_eq(r.subject, "\xc3\xa9");

    expect_invalid("{\"subject\": \"a\\nb\"}", "control characters");
    expect_invalid("{\"subject\": \"a\\rb\"}", "control characters");
    expect_invalid("{\"subject\": \"\\u0001\"}", "control characters");
    expect_invalid("{\"subject\": \"\\u001f\"}", "control characters");
    expect_invalid("{\"subject\": \"a\\u007f\"}", "control characters");
    expect_invalid("{\"subject\": \"\\t\"}", "control characters");
    r = expect_ok("{\"subject\": \" ~\"}");
    ck_assert_str_eq(r.subject, " ~");

    expect_invalid("{\"subject\": 1}", "member 'subject' must be a string");
    expect_invalid("{\"subject\": null}", "'subject'");
    expect_invalid("{\"subject\": [\"a\"]}", "'subject'");
}
END_TEST

START_TEST(test_metadata)
{
    bearer_mint_request_t r;

    r = expect_ok("{\"metadata\": {}}");
    ck_assert_str_eq(r.metadata, "{}");
    ck_assert_uint_eq(r.metadata_len, 2);

    /* Compact form, member order kept, nested arrays fine. */
    r = expect_ok("{\"metadata\": { \"z\" : [ 1 , [ 2 , [ 3 , { } ] ] ] ,"
                  "\n \"a\" : { \"b\" : null, \"c\": true } }}");
    ck_assert_str_eq(r.metadata,
                     "{\"z\":[1,[2,[3,{}]]],\"a\":{\"b\":null,\"c\":true}}");
    ck_assert_uint_eq(r.metadata_len, strlen(r.metadata));

    expect_invalid("{\"metadata\": []}",
                   "member 'metadata' must be an object");
    expect_invalid("{\"metadata\": \"{}\"}", "'metadata'");
    expect_invalid("{\"metadata\": null}", "'metadata'");
    expect_invalid("{\"metadata\": 1}", "'metadata'");
}
END_TEST

START_TEST(test_metadata_size)
{
    char value[4100];
    char *body;
    bearer_mint_request_t r;

    /* {"k":"<N x>"} is 8 + N bytes compact: N = 4088 makes 4096. The
     * spaces in the body don't count. */
    memset(value, 'x', 4088);
    value[4088] = '\0';
    body = apr_psprintf(pool, "{\"metadata\":  {  \"k\" :  \"%s\"  } }",
                        value);
    r = expect_ok(body);
    ck_assert_uint_eq(r.metadata_len, 4096);
    ck_assert_uint_eq(strlen(r.metadata), 4096);

    value[4088] = 'x';
    value[4089] = '\0';
    body = apr_psprintf(pool, "{\"metadata\": {\"k\": \"%s\"}}", value);
    expect_invalid(body, "member 'metadata' exceeds 4096 bytes as compact "
                         "JSON");
}
END_TEST

START_TEST(test_deep_nesting)
{
    /* Fine at moderate depth; refused (not crashed) past jansson's
     * limit. */
    char *body;
    char *open, *close;
    bearer_mint_request_t r;
    int depth;

    for (depth = 100; depth <= 5000; depth += 4900) {
        open = apr_palloc(pool, depth + 1);
        close = apr_palloc(pool, depth + 1);
        memset(open, '[', depth);
        memset(close, ']', depth);
        open[depth] = close[depth] = '\0';
        body = apr_psprintf(pool, "{\"metadata\": {\"a\": %s%s}}", open,
                            close);
        if (depth == 100) {
            r = expect_ok(body);
            ck_assert_uint_eq(r.metadata_len, 6 + 2 * 100);
        }
        else {
            expect_invalid(body, "nested too deeply");
        }
    }
}
END_TEST

START_TEST(test_description_optional)
{
    bearer_mint_request_t r;

    ck_assert_int_eq(parse("{\"ttl\": 0}", &r, NULL),
                     BEARER_REQ_INVALID_REQUEST);
    ck_assert_int_eq(parse("{\"scope\": \"\\\"\"}", &r, NULL),
                     BEARER_REQ_INVALID_SCOPE);
}
END_TEST

START_TEST(test_garbage_never_crashes)
{
    /* A cheap fuzz: pseudo-random bodies drawn from JSON-ish bytes, and
     * every prefix of a full request. Only the absence of crashes, leaks
     * and valgrind errors is checked, plus status sanity. */
    static const char alphabet[] = "{}[]\":, \\u0tlsubjectmdasope1-.e\x01\xff";
    const char *full = "{\"scopes\": [\"a\", \"b\"], \"ttl\": 60, "
                       "\"subject\": \"alice\", \"metadata\": {\"k\": [1]},"
                       " \"max_uses\": 3}";
    unsigned long seed = 12345;
    char body[64];
    bearer_mint_request_t r;
    const char *description;
    size_t len;
    int i, j;

    for (i = 0; i < 5000; i++) {
        len = (size_t)(i % (int)sizeof(body));
        for (j = 0; j < (int)len; j++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            body[j] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
        }
        description = NULL;
        switch (parse_len(body, len, &r, &description)) {
        case BEARER_REQ_OK:
            ck_assert_ptr_null(description);
            break;
        default:
            check_description(description);
            ck_assert(all_zero(&r));
        }
    }
    for (len = 0; len < strlen(full); len++) {
        bearer_req_status status = parse_len(full, len, &r, &description);
        ck_assert(len == 0 ? status == BEARER_REQ_OK
                           : status == BEARER_REQ_INVALID_REQUEST);
    }
    ck_assert_int_eq(parse_len(full, strlen(full), &r, &description),
                     BEARER_REQ_OK);
}
END_TEST

/* ---- Content-Type ------------------------------------------------------- */

START_TEST(test_content_type)
{
    ck_assert_int_eq(bearer_content_type_is_json("application/json"), 1);
    ck_assert_int_eq(bearer_content_type_is_json("Application/JSON"), 1);
    ck_assert_int_eq(bearer_content_type_is_json("application/json;"
                                                 "charset=utf-8"), 1);
    ck_assert_int_eq(bearer_content_type_is_json("application/json; "
                                                 "charset=UTF-8"), 1);
    ck_assert_int_eq(bearer_content_type_is_json("application/json ;x=y"), 1);
    ck_assert_int_eq(bearer_content_type_is_json(" application/json "), 1);
    ck_assert_int_eq(bearer_content_type_is_json("application/vnd.api+json"),
                     1);
    ck_assert_int_eq(bearer_content_type_is_json("application/merge-patch+JSON;"
                                                 " charset=utf-8"), 1);

    ck_assert_int_eq(bearer_content_type_is_json(NULL), 0);
    ck_assert_int_eq(bearer_content_type_is_json(""), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/+json"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/jsonx"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/json5"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/json-seq"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/x-json+xml"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/json x"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/json,text/html"),
                     0);
    ck_assert_int_eq(bearer_content_type_is_json("text/json"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("text/plain"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("json"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("application/x-www-form-"
                                                 "urlencoded"), 0);
    ck_assert_int_eq(bearer_content_type_is_json("multipart/form-data+json"),
                     0);
}
END_TEST

START_TEST(test_cidrs)
{
    bearer_mint_request_t r;
    const char *d = NULL;
    char body[1024];
    bearer_cidr_t c;
    int i, n;

    ck_assert_int_eq(parse("{\"cidrs\": [\"10.1.2.3/8\", \"::1\"]}", &r, &d),
                     BEARER_REQ_OK);
    ck_assert_uint_eq(r.cidr_count, 2);
    ck_assert_int_eq(bearer_cidr_unpack(r.cidrs, &c), 0);
    ck_assert_int_eq(c.family, 4);
    ck_assert_int_eq(c.bits, 8);
    ck_assert_int_eq(c.addr[1], 0);
    ck_assert_int_eq(bearer_cidr_unpack(r.cidrs + BEARER_CIDR_BYTES, &c), 0);
    ck_assert_int_eq(c.family, 6);

    ck_assert_int_eq(parse("{\"cidrs\": [\"127.0.0.1\", \"10.0.0.0/33\"]}",
                           &r, &d), BEARER_REQ_INVALID_REQUEST);
    check_description(d);
    ck_assert_ptr_nonnull(strstr(d, "entry 2 '10.0.0.0/33'"));
    ck_assert(all_zero(&r) && r.cidrs == NULL && r.cidr_count == 0);
    ck_assert_int_eq(parse("{\"cidrs\": [\"fe80::1%eth0\"]}", &r, &d),
                     BEARER_REQ_INVALID_REQUEST);
    ck_assert_ptr_nonnull(strstr(d, "zone"));
    ck_assert_int_eq(parse("{\"cidrs\": []}", &r, &d),
                     BEARER_REQ_INVALID_REQUEST);
    ck_assert_int_eq(parse("{\"cidrs\": \"10.0.0.0/8\"}", &r, &d),
                     BEARER_REQ_INVALID_REQUEST);
    ck_assert_int_eq(parse("{\"cidrs\": [8]}", &r, &d),
                     BEARER_REQ_INVALID_REQUEST);
    ck_assert_ptr_nonnull(strstr(d, "entry 1"));
    for (n = 16; n <= 17; n++) {
        size_t len = (size_t)snprintf(body, sizeof(body), "{\"cidrs\": [");

        for (i = 1; i <= n; i++) {
            len += (size_t)snprintf(body + len, sizeof(body) - len,
                                    "%s\"10.0.0.%d\"", i > 1 ? "," : "", i);
        }
        snprintf(body + len, sizeof(body) - len, "]}");
        ck_assert_int_eq(parse(body, &r, &d), n == 16
                         ? BEARER_REQ_OK : BEARER_REQ_INVALID_REQUEST);
    }
}
END_TEST

Suite *mint_request_suite(void)
{
    Suite *s = suite_create("mint_request");
    TCase *body = tcase_create("body");
    TCase *members = tcase_create("members");
    TCase *content_type = tcase_create("content_type");

    tcase_add_checked_fixture(body, setup, teardown);
    tcase_add_test(body, test_empty_bodies);
    tcase_add_test(body, test_body_not_nul_terminated);
    tcase_add_test(body, test_not_an_object);
    tcase_add_test(body, test_not_json);
    tcase_add_test(body, test_invalid_json_never_echoes_input);
    tcase_add_test(body, test_duplicate_keys);
    tcase_add_test(body, test_nul_rejected);
    tcase_add_test(body, test_deep_nesting);
    tcase_add_test(body, test_description_optional);
    tcase_add_test(body, test_garbage_never_crashes);
    suite_add_tcase(s, body);

    tcase_add_checked_fixture(members, setup, teardown);
    tcase_add_test(members, test_unknown_member);
    tcase_add_test(members, test_unknown_member_echo_limits);
    tcase_add_test(members, test_failure_keeps_nothing);
    tcase_add_test(members, test_all_members);
    tcase_add_test(members, test_scopes_array);
    tcase_add_test(members, test_scope_string);
    tcase_add_test(members, test_scope_and_scopes);
    tcase_add_test(members, test_scope_limits);
    tcase_add_test(members, test_ttl);
    tcase_add_test(members, test_max_uses);
    tcase_add_test(members, test_subject);
    tcase_add_test(members, test_metadata);
    tcase_add_test(members, test_metadata_size);
    tcase_add_test(members, test_cidrs);
    suite_add_tcase(s, members);

    tcase_add_test(content_type, test_content_type);
    suite_add_tcase(s, content_type);
    return s;
}
