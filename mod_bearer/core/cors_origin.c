/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cors_origin.c - origins as browsers send them, and the methods and
 * headers of a CORS preflight (include/bearer_cors.h says what is
 * accepted and why). Runs at configuration time (parsing) and per request
 * (matching: plain string compares, no parsing of what a client sent).
 */
#include <string.h>

#include "bearer_cors.h"

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

const char *bearer_cors_status_text(bearer_cors_status st)
{
    switch (st) {
    case BEARER_CORS_OK:
        return "valid";
    case BEARER_CORS_EMPTY:
        return "is empty";
    case BEARER_CORS_TOO_LONG:
        return "is too long";
    case BEARER_CORS_BAD_SCHEME:
        return "has no valid scheme";
    case BEARER_CORS_NO_SEPARATOR:
        return "lacks '://' after the scheme";
    case BEARER_CORS_BAD_HOST:
        return "has no valid host (letters, digits, '-', '_' and '.', or "
               "an IPv6 address in brackets; no user info)";
    case BEARER_CORS_BAD_PORT:
        return "has a port that is not 1 to 65535";
    case BEARER_CORS_HAS_PATH:
        return "has a path, trailing slash, query or fragment (an origin "
               "is scheme://host[:port] only)";
    case BEARER_CORS_NULL_ORIGIN:
        return "is the opaque origin 'null', which any sandboxed page "
               "sends";
    }
    return "is not an origin";
}

/* Scans a host at in[i..len); returns the index after it, or 0 when it is
 * malformed (a host never starts at 0: a scheme and "://" come first). */
static size_t scan_host(const char *in, size_t i, size_t len)
{
    size_t start = i;

    if (i < len && in[i] == '[') {
        int colons = 0;

        for (i++; i < len && in[i] != ']'; i++) {
            unsigned char c = (unsigned char)in[i];

            if (c == ':') {
                colons++;
            }
            else if (!is_hex(c) && c != '.') {
                return 0;
            }
        }
        if (i >= len || colons < 2 || i - start < 3) {
            return 0;
        }
        return i + 1;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '.') {
            /* no empty label: not first, not after another dot, not last */
            if (i == start || in[i - 1] == '.') {
                return 0;
            }
            continue;
        }
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') {
            break;
        }
    }
    if (i == start || in[i - 1] == '.') {
        return 0;
    }
    return i;
}

bearer_cors_status bearer_cors_origin_parse(const char *in, size_t len,
                                            char *out, size_t cap,
                                            size_t *out_len)
{
    size_t i, scheme_len, host_start, host_end, port_start = 0, port_len = 0;
    size_t n = 0, k;
    unsigned long port = 0;

    out[0] = '\0';
    *out_len = 0;
    if (len == 0) {
        return BEARER_CORS_EMPTY;
    }
    if (len > BEARER_CORS_ORIGIN_MAX || cap < len + 1) {
        return BEARER_CORS_TOO_LONG;
    }
    if (len == 4 && memcmp(in, "null", 4) == 0) {
        return BEARER_CORS_NULL_ORIGIN;
    }

    /* scheme */
    if (!is_alpha((unsigned char)in[0])) {
        return BEARER_CORS_BAD_SCHEME;
    }
    for (i = 1; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-'
                && c != '.') {
            break;
        }
    }
    scheme_len = i;
    if (i == len || in[i] != ':') {
        return i == len ? BEARER_CORS_NO_SEPARATOR : BEARER_CORS_BAD_SCHEME;
    }
    if (len - i < 3 || in[i + 1] != '/' || in[i + 2] != '/') {
        return BEARER_CORS_NO_SEPARATOR;
    }

    /* host */
    host_start = i + 3;
    host_end = scan_host(in, host_start, len);
    if (host_end == 0) {
        return BEARER_CORS_BAD_HOST;
    }
    i = host_end;

    /* port */
    if (i < len && in[i] == ':') {
        port_start = ++i;
        while (i < len && is_digit((unsigned char)in[i])) {
            port = port * 10 + (unsigned long)(in[i] - '0');
            if (port > 65535) {
                return BEARER_CORS_BAD_PORT;
            }
            i++;
        }
        port_len = i - port_start;
        if (port_len == 0 || port == 0 || in[port_start] == '0') {
            return BEARER_CORS_BAD_PORT;
        }
    }
    if (i < len) {
        unsigned char c = (unsigned char)in[i];

        if (c == '/' || c == '?' || c == '#') {
            return BEARER_CORS_HAS_PATH;
        }
        /* '@' (user info) or any other character where the host ends */
        return port_len ? BEARER_CORS_BAD_PORT : BEARER_CORS_BAD_HOST;
    }

    /* the normal form: lower-case scheme and host, default port dropped */
    for (k = 0; k < host_end; k++) {
        out[n++] = lower(in[k]);
    }
    if (port_len
            && !(scheme_len == 4 && memcmp(out, "http", 4) == 0
                 && port == 80)
            && !(scheme_len == 5 && memcmp(out, "https", 5) == 0
                 && port == 443)) {
        out[n++] = ':';
        memcpy(out + n, in + port_start, port_len);
        n += port_len;
    }
    out[n] = '\0';
    *out_len = n;
    return BEARER_CORS_OK;
}

const char *bearer_cors_list_match(const bearer_cors_list *list,
                                   const char *origin)
{
    size_t i;

    if (!list || !origin || !*origin) {
        return NULL;
    }
    if (list->any) {
        return "*";
    }
    for (i = 0; i < list->count; i++) {
        if (strcmp(list->origins[i], origin) == 0) {
            return list->origins[i];
        }
    }
    return NULL;
}

static const char *const method_names[] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"
};

unsigned int bearer_cors_method(const char *m)
{
    size_t i;

    if (!m) {
        return 0;
    }
    for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        if (strcmp(m, method_names[i]) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

const char *bearer_cors_method_name(unsigned int bit)
{
    size_t i;

    for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        if (bit == 1u << i) {
            return method_names[i];
        }
    }
    return NULL;
}

/* 1 if s[0..len) equals name (lower case), ignoring ASCII case. */
static int same_name(const char *s, size_t len, const char *name)
{
    size_t i;

    if (strlen(name) != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (lower(s[i]) != name[i]) {
            return 0;
        }
    }
    return 1;
}

unsigned int bearer_cors_request_headers(const char *list, int *others)
{
    unsigned int bits = 0;
    const char *p = list;

    if (others) {
        *others = 0;
    }
    if (!list) {
        return 0;
    }
    while (*p) {
        const char *start, *end;

        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        start = p;
        while (*p && *p != ',') {
            p++;
        }
        end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        if (end == start) {
            continue;
        }
        if (same_name(start, (size_t)(end - start), "authorization")) {
            bits |= BEARER_CORS_H_AUTHORIZATION;
        }
        else if (same_name(start, (size_t)(end - start), "content-type")) {
            bits |= BEARER_CORS_H_CONTENT_TYPE;
        }
        else if (others) {
            *others = 1;
        }
    }
    return bits;
}

const char *bearer_cors_allow_headers(unsigned int bits)
{
    switch (bits & (BEARER_CORS_H_AUTHORIZATION
                    | BEARER_CORS_H_CONTENT_TYPE)) {
    case BEARER_CORS_H_AUTHORIZATION:
        return "Authorization";
    case BEARER_CORS_H_CONTENT_TYPE:
        return "Content-Type";
    case BEARER_CORS_H_AUTHORIZATION | BEARER_CORS_H_CONTENT_TYPE:
        return "Authorization, Content-Type";
    default:
        return NULL;
    }
}
