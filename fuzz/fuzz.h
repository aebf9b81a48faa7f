/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - what every fuzz target of mod_bearer shares.
 *
 * A target asserts invariants, not only "no crash": FUZZ_CHECK aborts
 * with the failed condition, which libFuzzer reports as a crash and saves
 * the input for (fuzz/regressions/ keeps such inputs for good).
 */
#ifndef BEARER_FUZZ_H
#define BEARER_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

#endif
