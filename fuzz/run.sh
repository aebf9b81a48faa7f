#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz/run.sh - runs the fuzz targets built in fuzz/.build (see fuzz.mk).
#
#   sh fuzz/run.sh run TARGET...   fuzz each for $FUZZ_SECONDS
#   sh fuzz/run.sh ci TARGET...    replay fuzz/regressions/TARGET and the
#                                  seed corpus, then fuzz each for
#                                  $FUZZ_SECONDS
#
# One summary line a target (seconds, executions, corpus, crashes); the
# logs are in fuzz/.work/TARGET.log. Exits 1 if any target found anything
# (the input is then in fuzz/.work/TARGET-crash-*: copy it into
# fuzz/regressions/TARGET/ and fix the bug).
set -u
cd "$(dirname "$0")/.."

mode=$1
shift
seconds=${FUZZ_SECONDS:-120}
failed=0

# Longest input each target gets: what its callers can hand it (the
# endpoint's 16 KiB body limit for the JSON parser).
max_len() {
    case $1 in
        header) echo 8192 ;;
        token) echo 256 ;;
        id) echo 64 ;;
        scope) echo 4096 ;;
        mint_request) echo 16384 ;;
        entry) echo 5800 ;;
        cidr) echo 2048 ;;
        scope_wildcard) echo 512 ;;
        subject_query) echo 2048 ;;
        table) echo 2048 ;;
        fleet_record) echo 6000 ;;
        mc_reply) echo 12000 ;;
        form) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

printf '%-13s %8s %12s %10s %8s %8s\n' target seconds executions exec/s \
    corpus crashes
for t in "$@"; do
    bin=fuzz/.build/$t
    work=fuzz/.work/$t
    log=fuzz/.work/$t.log
    mkdir -p "$work"
    : > "$log"

    if [ "$mode" = ci ]; then
        # Each regression input and seed once: a fixed bug stays fixed.
        files=$(find fuzz/regressions/"$t" fuzz/corpus/"$t" -type f \
                    ! -name README.md 2>/dev/null | sort)
        if [ -n "$files" ]; then
            # shellcheck disable=SC2086
            if ! "$bin" -runs=1 $files >> "$log" 2>&1; then
                echo "fuzz: $t: a regression or seed input fails:" >&2
                tail -40 "$log" >&2
                failed=1
                continue
            fi
        fi
    fi

    start=$(date +%s)
    "$bin" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz/.work/$t-crash-" \
        "$work" fuzz/corpus/"$t" >> "$log" 2>&1
    rc=$?
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(sed -n 's/.*DONE.* corp: \([0-9]*\)\/.*/\1/p' "$log" | tail -1)
    crashes=0
    if [ $rc -ne 0 ] || grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' \
            -e 'invariant failed' "$log"; then
        crashes=1
        failed=1
    fi
    printf '%-13s %8s %12s %10s %8s %8s\n' "$t" $((end - start)) \
        "${execs:-?}" "${rate:-?}" "${corpus:-?}" "$crashes"
    if [ $crashes -ne 0 ]; then
        echo "fuzz: $t failed (exit $rc); the end of $log:" >&2
        tail -40 "$log" >&2
    fi
done

if [ $failed -ne 0 ]; then
    echo "fuzz: FAILED" >&2
    exit 1
fi
echo "fuzz: all targets ran, 0 crashes"
