/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/id.c - token ids as they arrive in URLs
 * (GET/DELETE /auth/v1/access-tokens/<token_id>): bearer_token_id_*.
 *
 * Invariants:
 *  - decode succeeds exactly when well_formed says so, and leaves the
 *    output untouched when it fails;
 *  - a decoded id re-encodes to the very same text (one text form per id,
 *    so two spellings can never name one token);
 *  - the input as 16 raw bytes encodes to an id that decodes back to them.
 */
#include <stdint.h>
#include <string.h>

#include "bearer_token.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char out[BEARER_ID_BYTES], mac[BEARER_MAC_BYTES];
    char again[BEARER_ID_CHARS + 1];
    int wf, rc;

    memset(out, 0xA5, sizeof(out));
    wf = bearer_token_id_well_formed((const char *)data, size);
    rc = bearer_token_id_decode((const char *)data, size, out);
    FUZZ_CHECK(wf == 0 || wf == 1);
    FUZZ_CHECK((rc == 0) == (wf == 1));
    if (rc == 0) {
        FUZZ_CHECK(size == BEARER_ID_CHARS);
        memset(mac, 0, sizeof(mac));
        memcpy(mac, out, sizeof(out));
        bearer_token_id_from_mac(mac, again);
        FUZZ_CHECK(memcmp(again, data, BEARER_ID_CHARS) == 0);
    }
    else {
        size_t i;

        for (i = 0; i < sizeof(out); i++) {
            FUZZ_CHECK(out[i] == 0xA5);
        }
    }

    /* raw bytes -> id -> bytes */
    memset(mac, 0, sizeof(mac));
    memcpy(mac, data, size < sizeof(mac) ? size : sizeof(mac));
    bearer_token_id_from_mac(mac, again);
    FUZZ_CHECK(bearer_token_id_decode(again, strlen(again), out) == 0);
    FUZZ_CHECK(memcmp(out, mac, BEARER_ID_BYTES) == 0);
    return 0;
}
