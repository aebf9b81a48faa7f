/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry_json.c - the optional fields of a client token's stored entry as
 * GET .../<token_id> and introspection both answer them: one place, so
 * the two answers cannot drift apart.
 */
#include "bearer_private.h"

#include <jansson.h>

int bearer_entry_optional_json(struct json_t *answer,
                               const bearer_token_info *token)
{
    const bearer_entry_t *e = &token->entry;
    int rc = 0;

    if (e->has_metadata) {
        json_t *metadata = json_loadb(e->metadata, e->metadata_len, 0, NULL);

        rc |= metadata ? json_object_set_new(answer, "metadata", metadata)
                       : -1;
    }
    if (e->max_uses > 0) {
        rc |= json_object_set_new(answer, "uses_left",
                                  json_integer(token->found.uses_left));
    }
    if (e->cidr_count > 0) {
        json_t *cidrs = bearer_cidrs_json(e);

        rc |= cidrs ? json_object_set_new(answer, "cidrs", cidrs) : -1;
    }
    return rc;
}
