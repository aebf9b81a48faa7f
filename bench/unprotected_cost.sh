#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/unprotected_cost.sh - what mod_bearer costs a request to a location
# it does not protect: one httpd -X (prefork) under valgrind's callgrind,
# mod_bearer loaded and protecting /p, serves N requests for a static file
# outside /p (and, for comparison, N to its endpoint's neighbour /p, bare).
# Prints every function of mod_bearer.so that ran, with its calls and its
# own instructions (Ir), for the N unprotected requests.
#
#   sh bench/unprotected_cost.sh [N]        (default 200)
#
# Needs valgrind and curl. Everything runs in a temporary directory on
# 127.0.0.1 and is removed at the end.
set -eu
N=${1:-200}
TOP=$(cd "$(dirname "$0")/.." && pwd)
SO="$TOP/mod_bearer/.libs/mod_bearer.so"
MODS=/usr/lib/apache2/modules
[ -f "$SO" ] || { echo "build first: make -f Makefile.apxs" >&2; exit 2; }
DIR=$(mktemp -d)
chmod 755 "$DIR"
trap '[ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT; echo "$DIR" >&2
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$DIR/htdocs/p" "$DIR/logs" "$DIR/cg"
echo plain > "$DIR/htdocs/plain.txt"
echo protected > "$DIR/htdocs/p/r.txt"
# httpd refuses to serve as root: as root, the whole run is nobody's
AS=""
if [ "$(id -u)" = 0 ]; then
    AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
cat > "$DIR/httpd.conf" <<CONF
ServerRoot "$DIR"
PidFile "$DIR/logs/httpd.pid"
ErrorLog "$DIR/logs/error_log"
LogLevel warn
Listen 127.0.0.1:$PORT
ServerName 127.0.0.1
LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so
LoadModule authn_core_module  $MODS/mod_authn_core.so
LoadModule authz_core_module  $MODS/mod_authz_core.so
LoadModule authz_user_module  $MODS/mod_authz_user.so
LoadModule mime_module        $MODS/mod_mime.so
LoadModule bearer_module      $SO
TypesConfig /etc/mime.types
DocumentRoot "$DIR/htdocs"
<Directory "$DIR/htdocs">
    Require all granted
</Directory>
<Location /p>
    AuthType Bearer
    AuthzSendForbiddenOnFailure On
    Require bearer-scope stream:view
</Location>
CONF
[ -z "$AS" ] || chown -R nobody:nogroup "$DIR"
$AS valgrind --tool=callgrind --callgrind-out-file="$DIR/cg/out" \
    --collect-atstart=no --toggle-collect=ap_process_request \
    /usr/sbin/apache2 -X -f "$DIR/httpd.conf" >"$DIR/valgrind.log" 2>&1 &
VG=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/plain.txt"; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat "$DIR/valgrind.log"; exit 1; }
    sleep 0.1
done
URLS=""
j=1
while [ $j -lt "$N" ]; do URLS="$URLS http://127.0.0.1:$PORT/plain.txt"; j=$((j + 1)); done
# shellcheck disable=SC2086
curl -s $URLS >/dev/null
kill -TERM $VG
wait $VG || true
echo "mod_bearer.so functions run by $N requests to an unprotected file"
echo "(calls, own instructions):"
callgrind_annotate --inclusive=no --threshold=100 "$DIR/cg/out" 2>/dev/null \
    | grep 'mod_bearer' || echo "    none"
callgrind_annotate --threshold=100 "$DIR/cg/out" 2>/dev/null \
    | grep -m1 'PROGRAM TOTALS' || true
