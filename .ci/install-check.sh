#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# .ci/install-check.sh - checks `make install` the way an admin uses it.
#
#   bash .ci/install-check.sh scratch   install into a scratch DESTDIR, check
#                                     the files, configtest a config that
#                                     loads them (safe anywhere)
#   bash .ci/install-check.sh system    install for real into the system
#                                     Apache, a2enmod bearer, configtest,
#                                     start, mint and check one token, stop,
#                                     a2dismod, and remove what was installed
#
# "system" changes /etc/apache2 and /usr/lib/apache2/modules for a minute and
# puts back what was there: it runs only with CI=true (CI's fresh machine)
# or BEARER_INSTALL_CHECK=system, as root, with the system Apache stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-scratch}
APXS=${APXS:-apxs}
libexec=$($APXS -q LIBEXECDIR)
sysconf=$($APXS -q SYSCONFDIR)
say() { printf 'install-check: %s\n' "$*"; }
fail() { printf 'install-check: FAIL: %s\n' "$*" >&2; exit 1; }
. .ci/system-apache.sh

scratch() {
    local conf
    dest=$(mktemp -d /tmp/mod_bearer-install.XXXXXX)
    trap 'rm -rf "$dest"' EXIT
    make -s -f Makefile.apxs install DESTDIR="$dest" >/dev/null
    for f in "$libexec/mod_bearer.so" "$sysconf/mods-available/bearer.load" \
             "$sysconf/mods-available/bearer.conf"; do
        [ -f "$dest$f" ] || fail "make install DESTDIR=$dest did not install $f"
        say "installed $dest$f"
    done
    # the installed bearer.load, pointed into DESTDIR, and bearer.conf
    conf="$dest/httpd.conf"
    {
        echo "ServerRoot $dest"
        echo "ServerName localhost"
        echo "ErrorLog /dev/stderr"
        echo "Listen 127.0.0.1:8999"
        echo "LoadModule mpm_event_module $libexec/mod_mpm_event.so"
        echo "LoadModule authn_core_module $libexec/mod_authn_core.so"
        echo "LoadModule authz_core_module $libexec/mod_authz_core.so"
        sed "s|$libexec/|$dest$libexec/|" "$dest$sysconf/mods-available/bearer.load"
        echo "Include $dest$sysconf/mods-available/bearer.conf"
    } > "$conf"
    apache2 -t -f "$conf" 2>&1 | sed 's/^/install-check: apache2 -t: /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail "configtest of the installed files"
    say "scratch install: PASS"
}

system_check() {
    [ "${CI:-}" = true ] || [ "${BEARER_INSTALL_CHECK:-}" = system ] \
        || fail "system mode changes the system Apache: CI=true or BEARER_INSTALL_CHECK=system only"
    [ "$(id -u)" = 0 ] || fail "system mode needs root"
    apache_running && fail "the system Apache is running; this check starts and stops it, so it will not touch a running one"
    files="$libexec/mod_bearer.so $sysconf/mods-available/bearer.load $sysconf/mods-available/bearer.conf"
    local port f token_file
    backup=$(mktemp -d /tmp/mod_bearer-backup.XXXXXX)
    work=$(mktemp -d /tmp/mod_bearer-syscheck.XXXXXX)
    chmod 711 "$work"
    site=bearer-install-check
    for f in $files; do
        [ -e "$f" ] && cp -p "$f" "$backup/$(basename "$f")"
    done
    restore() {
        set +e
        apachectl stop >/dev/null 2>&1
        apache_wait_stopped
        # -p: also forget them in a2query's state (/var/lib/apache2), so
        # that no "disabled by admin" mark outlives the check
        a2disconf -q -p "$site" >/dev/null 2>&1
        a2dismod -q -p bearer >/dev/null 2>&1
        rm -f "$sysconf/conf-available/$site.conf"
        for f in $files; do
            if [ -e "$backup/$(basename "$f")" ]; then
                cp -p "$backup/$(basename "$f")" "$f"
            else
                rm -f "$f"
            fi
        done
        rm -rf "$backup" "$work"
        say "system restored (module files, a2dismod bearer, a2disconf $site, Apache stopped)"
    }
    trap restore EXIT

    make -s -f Makefile.apxs install >/dev/null
    for f in $files; do
        [ -f "$f" ] || fail "make install did not install $f"
    done
    say "installed $files"

    port=$(free_port)
    token_file="$work/operator-tokens"
    new_operator_token_file "$token_file"
    write_check_site "$sysconf/conf-available/$site.conf" "$port" "$token_file" .ci/install-check.sh
    a2enmod -q bearer
    a2enconf -q "$site"
    apachectl configtest 2>&1 | sed 's/^/install-check: configtest: /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail "apachectl configtest with bearer enabled"
    apachectl start || fail "apachectl start"
    apache_wait_port "$port"
    local op json token status
    op=$(cat "$token_file")
    json=$(curl -sS -X POST -H "Authorization: Bearer $op" "http://127.0.0.1:$port/auth/v1/access-tokens")
    token=$(printf '%s' "$json" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
    [ -n "$token" ] || fail "the system Apache minted no token"
    say "minted token $(printf '%s' "$json" | sed -n 's/.*"token_id": *"\([^"]*\)".*/\1/p')"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/checked")
    # no file behind /checked: 404 means authentication and authorization passed
    [ "$status" = 404 ] || fail "the minted token on /checked: $status, expected 404 (passed auth, no file)"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token%?}x" "http://127.0.0.1:$port/checked")
    [ "$status" = 401 ] || fail "a damaged token on /checked: $status, expected 401"
    say "the token passes Require bearer-scope, a damaged one gets 401"
    say "system install: PASS"
}

case "$mode" in
    scratch) scratch ;;
    system) system_check ;;
    *) fail "usage: bash .ci/install-check.sh scratch|system" ;;
esac
