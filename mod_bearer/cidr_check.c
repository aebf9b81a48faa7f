/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cidr_check.c - tokens bound to client addresses: is this request's
 * client (r->useragent_ip, so mod_remoteip applies) inside one of the
 * token's blocks, and the blocks as JSON for the endpoint's answers.
 *
 * The blocks were checked strictly and normalised at mint (cidr.c); the
 * matching itself is APR's apr_ipsubnet_create/apr_ipsubnet_test, which
 * also matches an IPv4 client seen as an IPv4-mapped IPv6 address.
 */
#include "bearer_private.h"
#include "bearer_cidr.h"

#include "apr_network_io.h"
#include "apr_strings.h"

#include <jansson.h>

static int in_subnet(request_rec *r, const char *addr, const char *bits)
{
    apr_ipsubnet_t *sub;

    return r->useragent_addr
           && apr_ipsubnet_create(&sub, addr, bits, r->pool) == APR_SUCCESS
           && apr_ipsubnet_test(sub, r->useragent_addr);
}

/* APR reads a prefix length of 0 as "no length" and then takes the text
 * as a netmask, which it accepts for IPv4 only: a /0 block, every address
 * of its family, is asked as the netmask 0.0.0.0, or as the two halves
 * ::/1 and 8000::/1. */
static int inside(request_rec *r, const bearer_cidr_t *c)
{
    char addr[BEARER_CIDR_FORMAT_MAX];

    if (bearer_cidr_address_text(c, addr, sizeof(addr)) == 0) {
        return 0;
    }
    if (c->bits == 0) {
        return c->family == 4 ? in_subnet(r, "0.0.0.0", "0.0.0.0")
                              : in_subnet(r, "::", "1")
                                || in_subnet(r, "8000::", "1");
    }
    return in_subnet(r, addr, apr_psprintf(r->pool, "%u",
                                           (unsigned)c->bits));
}

int bearer_cidrs_allow(request_rec *r, const bearer_entry_t *entry)
{
    apr_size_t i;

    for (i = 0; i < entry->cidr_count; i++) {
        bearer_cidr_t c;

        if (bearer_cidr_unpack(entry->cidrs + i * BEARER_CIDR_BYTES, &c) == 0
                && inside(r, &c)) {
            return 1;
        }
    }
    return entry->cidr_count == 0;
}

json_t *bearer_cidrs_json(const bearer_entry_t *entry)
{
    json_t *list;
    apr_size_t i;

    if (entry->cidr_count == 0 || !(list = json_array())) {
        return NULL;
    }
    for (i = 0; i < entry->cidr_count; i++) {
        char text[BEARER_CIDR_FORMAT_MAX];
        bearer_cidr_t c;

        if (bearer_cidr_unpack(entry->cidrs + i * BEARER_CIDR_BYTES, &c) != 0
                || bearer_cidr_format(&c, text, sizeof(text)) == 0
                || json_array_append_new(list, json_string(text)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}
