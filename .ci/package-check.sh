#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# .ci/package-check.sh - builds the Debian package from a clean copy of the
# tree and checks it the way an admin uses it:
#
#   dpkg-buildpackage -us -uc -b, then lintian (no error, no warning),
#   apt-get install ./libapache2-mod-bearer_*.deb (the module must come
#   disabled), a2enmod bearer, a virtual host on a free loopback port with a
#   token endpoint and a protected location, apachectl configtest, start,
#   mint a token with curl (201) and use it (200), stop, apt-get purge, and
#   check that nothing of the package is left and that the system Apache
#   still passes configtest.
#
# It changes the system Apache for a minute and puts back what it changed
# (the site, the module, the package, a started Apache stopped), also when
# a step fails. Run as root with the system Apache stopped and mod_bearer
# not installed (neither this package nor `make install`'s files).
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=libapache2-mod-bearer
sysconf=/etc/apache2
files="/usr/lib/apache2/modules/mod_bearer.so $sysconf/mods-available/bearer.load $sysconf/mods-available/bearer.conf"
site=bearer-package-check
export DEBIAN_FRONTEND=noninteractive
say() { printf 'package-check: %s\n' "$*"; }
fail() { printf 'package-check: FAIL: %s\n' "$*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; }
# dpkg has some of it (installed, half-installed, its conffiles...)
known() {
    local s
    s=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) || return 1
    [ -n "$s" ] && [ "$s" != not-installed ]
}
. .ci/system-apache.sh

[ "$(id -u)" = 0 ] || fail "needs root: it installs the package into the system Apache"
apache_running && fail "the system Apache is running; this check starts and stops it, so it will not touch a running one"
known && fail "$pkg is installed already; this check installs and purges it, so it will not touch it"
for f in $files $sysconf/mods-enabled/bearer.load $sysconf/mods-enabled/bearer.conf; do
    if [ -e "$f" ] || [ -L "$f" ]; then
        fail "$f exists (make install?); this check would overwrite it"
    fi
done
[ -e "$sysconf/sites-available/$site.conf" ] && fail "$sysconf/sites-available/$site.conf exists"

build=$(mktemp -d /tmp/mod_bearer-package.XXXXXX)
work=$(mktemp -d /tmp/mod_bearer-pkgcheck.XXXXXX)
# apt reads the .deb as its own user (_apt); the workers read the docroot
chmod 755 "$build"
chmod 711 "$work"
started=
# a2enmod and the maintainer scripts keep state in /var/lib/apache2 and
# make its directories as needed: the ones this run made are removed again
state=/var/lib/apache2
find "$state" -type d 2>/dev/null | sort > "$work/state-dirs"
restore() {
    local st=$?
    set +e
    if [ -n "$started" ]; then
        apachectl stop >/dev/null 2>&1
        apache_wait_stopped
    fi
    if [ -e "$sysconf/sites-available/$site.conf" ]; then
        a2dissite -q -p "$site" >/dev/null 2>&1
        rm -f "$sysconf/sites-available/$site.conf"
    fi
    if known; then
        apt-get purge -y -q "$pkg" >/dev/null 2>&1
    fi
    find "$state" -depth -type d -empty 2>/dev/null | while IFS= read -r d; do
        grep -qxF "$d" "$work/state-dirs" || rmdir "$d"
    done
    rm -rf "$build" "$work"
    say "system restored ($site removed, $pkg purged, Apache stopped)"
    exit "$st"
}
trap restore EXIT

# ---- build from a clean copy: the tree's files, none of its build output
src="$build/src"
mkdir "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked and new files as they are now (so uncommitted edits are
    # tested too), without what .gitignore keeps out (build output)
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do
              [ -e "$f" ] && printf '%s\0' "$f"
          done \
        | xargs -0 cp --parents -t "$src"
else
    cp -a . "$src"
    make -s -C "$src" -f Makefile.apxs clean >/dev/null
fi
say "building the package in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$build/build.log" 2>&1 \
    || { tail -40 "$build/build.log"; fail "dpkg-buildpackage -us -uc -b"; }
arch=$(dpkg --print-architecture)
version=$(cd "$src" && dpkg-parsechangelog -S Version)
deb="$build/${pkg}_${version}_${arch}.deb"
changes="$build/${pkg}_${version}_${arch}.changes"
[ -f "$deb" ] || fail "dpkg-buildpackage made no $(basename "$deb")"
say "built $(basename "$deb")"

# lintian runs as root here and says so on stderr: that line is not a finding
lint_st=0
lintian --fail-on error,warning "$changes" > "$build/lintian.log" 2>&1 || lint_st=$?
sed -e '/running with root privileges is not recommended/d' \
    -e 's/^/package-check: lintian: /' "$build/lintian.log"
[ "$lint_st" -eq 0 ] || fail "lintian reports errors or warnings"
say "lintian: no error, no warning"

# ---- install: the module arrives disabled
apt-get install -y -q --no-install-recommends "$deb" > "$build/install.log" 2>&1 \
    || { cat "$build/install.log"; fail "apt-get install $deb"; }
installed || fail "$pkg is not installed after apt-get install"
for f in $files; do
    [ -f "$f" ] || fail "the package did not install $f"
done
so=$(awk '$1 == "LoadModule" { print $3 }' "$sysconf/mods-available/bearer.load")
[ "$so" = /usr/lib/apache2/modules/mod_bearer.so ] \
    || fail "bearer.load loads $so, not the installed /usr/lib/apache2/modules/mod_bearer.so"
[ -e "$sysconf/mods-enabled/bearer.load" ] && fail "installing the package enabled the module"
say "installed $files; the module is not enabled"

# ---- enable it, one virtual host, start
port=$(free_port)
token_file="$work/operator-tokens"
new_operator_token_file "$token_file"
mkdir -m 755 "$work/htdocs" "$work/htdocs/checked"
echo checked > "$work/htdocs/checked/index.html"
chmod 644 "$work/htdocs/checked/index.html"
write_check_site "$sysconf/sites-available/$site.conf" "$port" "$token_file" \
    .ci/package-check.sh "$work/htdocs"
a2enmod -q bearer >/dev/null
a2ensite -q "$site" >/dev/null
apachectl configtest 2>&1 | sed 's/^/package-check: configtest: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "apachectl configtest with bearer enabled"
started=1
apachectl start || fail "apachectl start"
apache_wait_port "$port"

# ---- mint (201) and use (200)
op=$(cat "$token_file")
status=$(curl -sS -o "$work/mint.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $op" "http://127.0.0.1:$port/auth/v1/access-tokens")
[ "$status" = 201 ] || fail "POST to the token endpoint: $status, expected 201"
token=$(sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' "$work/mint.json")
[ -n "$token" ] || fail "the 201 carried no access_token"
say "minted token $(sed -n 's/.*"token_id": *"\([^"]*\)".*/\1/p' "$work/mint.json") (201)"
status=$(curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/checked/")
if [ "$status" != 200 ] || [ "$(cat "$work/body")" != checked ]; then
    fail "the minted token on /checked/: $status, expected 200 and the file"
fi
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/checked/")
[ "$status" = 401 ] || fail "no token on /checked/: $status, expected 401"
say "the token gets 200 at the protected location, no token 401"

# ---- stop, remove the site, purge: nothing of the package is left
apachectl stop || fail "apachectl stop"
apache_wait_stopped
apache_running && fail "Apache still runs after apachectl stop"
started=
# -p: no "disabled by admin" mark of the site left in /var/lib/apache2
a2dissite -q -p "$site" >/dev/null
rm -f "$sysconf/sites-available/$site.conf"
apt-get purge -y -q "$pkg" > "$build/purge.log" 2>&1 \
    || { cat "$build/purge.log"; fail "apt-get purge $pkg"; }
known && fail "dpkg still has $pkg after purge"
for f in $files $sysconf/mods-enabled/bearer.load $sysconf/mods-enabled/bearer.conf \
         /usr/share/doc/$pkg "$state"/module/*/bearer "$state"/site/*/"$site"; do
    if [ -e "$f" ] || [ -L "$f" ]; then
        fail "$f is left after apt-get purge"
    fi
done
say "purged: no module, .load, .conf, mods-enabled link or docs left"
apachectl configtest 2>&1 | sed 's/^/package-check: configtest after purge: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "apachectl configtest after the purge"
say "PASS"
