#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/deps.sh - the Debian packages the benchmark needs on top of .ci/deps
# (CI does not run the benchmark). Run as root: sudo sh bench/deps.sh.
# Idempotent: when all are installed it changes nothing and needs no network.
#
#   wrk                          the load generator (LuaJIT scripts)
#   gnuplot-nox                  the PNG in docs/benchmarks.md
#   valgrind                     make bench-micro (callgrind)
#   python3                      bench/run.py (standard library only)
#   apache2-utils                htpasswd, for the Basic peer
#   libapache2-mod-auth-openidc  the OAuth 2.0 resource-server peer
#   openssl                      a self-signed certificate for its stub
#   linux-perf                   optional: profiles of the hot path
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sh "$here/../.ci/deps"

packages="
    wrk gnuplot-nox valgrind python3 apache2-utils
    libapache2-mod-auth-openidc openssl linux-perf
"

missing=
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "bench/deps.sh: all packages are installed"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "bench/deps.sh: missing:$missing; run as root: sudo sh bench/deps.sh" >&2
    exit 1
fi
echo "bench/deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing
