#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# .ci/standalone-check.sh - the repository stands alone: people clone it
# without anything beside it, so no tracked file may point outside it.
#
#   bash .ci/standalone-check.sh [DIR]    check the git checkout DIR (default:
#                                        this one); exit 1 on any finding
#   bash .ci/standalone-check.sh --self-test
#                                        also show it failing on a scratch
#                                        repository with one of each fault
#
# It fails on
#   - an empty tracked file (a stray shell redirect leaves one), except fuzz
#     seeds under fuzz/corpus/, where the empty input is a case on purpose;
#   - a tracked text file that names the folder of notes and designs beside
#     the repository, an absolute path of a build machine (a working copy
#     under the work tree, root's or a user's home), or an issue by number.
# The patterns are written so that this file does not match them itself.
set -euo pipefail

say() { printf 'standalone-check: %s\n' "$*"; }

# extended regular expressions (git grep -E), one a line, with why
patterns=(
    '\.\./shar[e]d'                                   # the folder beside the checkout
    'shar[e]d/(notes|design)'                         # its notes and designs
    '(^|[^[:alnum:]_.~-])/(work|root|home|Users)/'    # absolute paths of a build machine
    '[Ii]ssues? #?[0-9]'                              # tracker issues by number
)

check() {
    local dir=$1 bad=0 f hits p
    # empty tracked files
    while IFS= read -r -d '' f; do
        case "$f" in fuzz/corpus/*) continue ;; esac
        if [ -f "$dir/$f" ] && [ ! -L "$dir/$f" ] && [ ! -s "$dir/$f" ]; then
            say "empty tracked file: $f"
            bad=1
        fi
    done < <(git -C "$dir" ls-files -z)
    # text that points outside (-I: binary files are skipped)
    for p in "${patterns[@]}"; do
        if hits=$(git -C "$dir" grep -I -n -E -e "$p" -- . 2>/dev/null); then
            printf '%s\n' "$hits" | sed "s/^/standalone-check: points outside: /"
            bad=1
        fi
    done
    return "$bad"
}

if [ "${1:-}" = --self-test ]; then
    top=$(cd "$(dirname "$0")/.." && pwd)
    check "$top" || { say "FAIL"; exit 1; }
    say "PASS: $(git -C "$top" ls-files | wc -l) tracked files"
    # the check must be able to fail: a scratch repository with an empty
    # file, then one with each kind of line it must catch
    scratch=$(mktemp -d /tmp/mod_bearer-standalone.XXXXXX)
    trap 'rm -rf "$scratch"' EXIT
    git -C "$scratch" init -q
    echo 'fine text' > "$scratch/ok.txt"
    : > "$scratch/12"
    git -C "$scratch" add ok.txt 12
    if check "$scratch" >/dev/null; then
        say "the check passed a repository with an empty file"; exit 1
    fi
    rm "$scratch/12"
    git -C "$scratch" rm -q --cached 12
    # (the words in variables, so that this file does not match itself)
    beside=shared wdir=work hdir=home tracker=issue
    for line in "see ../$beside/x" "$beside/notes/x.md" \
                "built in /$wdir/main" "cloned to /$hdir/dev/src" \
                "as $tracker 5 asks"; do
        printf '%s\n' "$line" > "$scratch/bad.txt"
        git -C "$scratch" add bad.txt
        if check "$scratch" >/dev/null; then
            say "the check passed a file saying: $line"; exit 1
        fi
    done
    say "PASS (and it failed, as it must, on an empty file and on each kind of bad line)"
    exit 0
fi

dir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if check "$dir"; then
    say "PASS"
else
    say "FAIL: see above"
    exit 1
fi
