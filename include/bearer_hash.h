/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bearer_hash.h - the one 64-bit mixing function of mod_bearer, used where
 * a token id (already uniform: an HMAC) is combined with something else
 * and must still spread evenly: the table's probe start (table.c) and the
 * rendezvous order of memcached servers (fleet_store.c, bench/loader.c,
 * which must agree with each other bit for bit).
 */
#ifndef BEARER_HASH_H
#define BEARER_HASH_H

#include <stdint.h>

/* splitmix64's finaliser: every input bit reaches every output bit */
static inline uint64_t bearer_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

#endif
