/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_cors.h - CORS for browser clients: the origins an admin lists
 * (BearerCORSOrigins), matching a request's Origin against them, and the
 * methods and request headers a preflight may be allowed.
 *
 * An origin is configured as a browser serialises it (RFC 6454 sec. 6.2,
 * the Fetch standard):
 *
 *   origin = scheme "://" host [ ":" port ]
 *   scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
 *   host   = a DNS name or IPv4 address (letters, digits, '-', '_', '.',
 *            no empty label) or an IPv6 literal in brackets
 *   port   = 1 to 65535, no leading zero
 *
 * No path, no trailing slash, no user info, no query; "null" (an opaque
 * origin) is refused: listing it would trust every sandboxed page. The
 * parser normalises as a browser does: scheme and host to lower case, and
 * the default port of http (80) and https (443) dropped. A request's
 * Origin then matches only when it equals a normalised entry byte for
 * byte: browsers always send the normal form, so nothing is lost, and
 * nothing a client sent is ever compared loosely or echoed.
 *
 * Pure C, no allocation: callers pass buffers.
 */
#ifndef BEARER_CORS_H
#define BEARER_CORS_H

#include <stddef.h>

/* Longest origin accepted in the configuration, in bytes (no NUL). */
#define BEARER_CORS_ORIGIN_MAX 512

typedef enum {
    BEARER_CORS_OK = 0,
    BEARER_CORS_EMPTY,          /* nothing given */
    BEARER_CORS_TOO_LONG,       /* over BEARER_CORS_ORIGIN_MAX */
    BEARER_CORS_BAD_SCHEME,     /* no scheme, or a character outside it */
    BEARER_CORS_NO_SEPARATOR,   /* no "://" after the scheme */
    BEARER_CORS_BAD_HOST,       /* empty, a bad character, an empty label,
                                   user info, or a broken IPv6 literal */
    BEARER_CORS_BAD_PORT,       /* not 1 to 65535, or a leading zero */
    BEARER_CORS_HAS_PATH,       /* a path, a trailing slash, a query or a
                                   fragment */
    BEARER_CORS_NULL_ORIGIN     /* "null" */
} bearer_cors_status;

/* What went wrong, in words, for the directive's message. */
const char *bearer_cors_status_text(bearer_cors_status st);

/*
 * Validates in[0..len) as an origin and writes its normal form to out
 * (capacity cap, at least BEARER_CORS_ORIGIN_MAX + 1), NUL-terminated,
 * its length to *out_len. On an error out is left an empty string.
 */
bearer_cors_status bearer_cors_origin_parse(const char *in, size_t len,
                                            char *out, size_t cap,
                                            size_t *out_len);

/* The origins of one configuration: any = 1 for "*", else count normalised
 * origins. */
typedef struct {
    int any;
    size_t count;
    const char *const *origins;
} bearer_cors_list;

/*
 * The value for Access-Control-Allow-Origin when a request's Origin
 * header value (NUL-terminated) is listed: "*" under any, the configured
 * string that equals it byte for byte, else NULL. Never the request's own
 * text. Under any, an empty Origin is not a request across origins: NULL.
 */
const char *bearer_cors_list_match(const bearer_cors_list *list,
                                   const char *origin);

/* Methods a preflight may be allowed, as bits. */
#define BEARER_CORS_GET     0x01u
#define BEARER_CORS_HEAD    0x02u
#define BEARER_CORS_POST    0x04u
#define BEARER_CORS_PUT     0x08u
#define BEARER_CORS_PATCH   0x10u
#define BEARER_CORS_DELETE  0x20u
#define BEARER_CORS_ALL_METHODS 0x3fu

/*
 * The bit of an Access-Control-Request-Method value, 0 if it is none of
 * GET, HEAD, POST, PUT, PATCH, DELETE. Methods are case-sensitive (RFC
 * 9110 sec. 9.1), and browsers upper-case the standard ones except PATCH,
 * so "patch" is not PATCH.
 */
unsigned int bearer_cors_method(const char *m);
/* The canonical name of one method bit ("GET", ...), NULL otherwise. */
const char *bearer_cors_method_name(unsigned int bit);

/* Request headers a preflight may be allowed, as bits. */
#define BEARER_CORS_H_AUTHORIZATION 0x01u
#define BEARER_CORS_H_CONTENT_TYPE  0x02u

/*
 * The allowed headers named in an Access-Control-Request-Headers value
 * (a comma-separated list of field names, optional white space, any case),
 * as bits; *others set to 1 if it names any header outside them (may be
 * NULL). Empty elements are skipped.
 */
unsigned int bearer_cors_request_headers(const char *list, int *others);
/* The Access-Control-Allow-Headers value for bits: "Authorization",
 * "Content-Type", "Authorization, Content-Type", or NULL for none. */
const char *bearer_cors_allow_headers(unsigned int bits);

#endif
