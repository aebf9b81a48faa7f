# SPDX-License-Identifier: Apache-2.0
# .ci/system-apache.sh - what install-check.sh and package-check.sh both do
# to the system Apache, in one place: sourced by them, not run. They stop
# and start the same Apache and put the same things back, so the waiting,
# the operator token and the checked virtual host are written once.

pidfile=/var/run/apache2/apache2.pid

# the system Apache is up: its pid file names a live process
apache_running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# after apachectl stop: up to 5 s for the Apache to be gone (the caller
# says what it means if it is not)
apache_wait_stopped() {
    for _ in $(seq 50); do
        apache_running || break
        sleep 0.1
    done
}

# after apachectl start: up to 10 s for the port to answer
apache_wait_port() {
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && break
        sleep 0.1
    done
}

# a free loopback port, as the kernel hands one out
free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport'
}

# FILE: a new operator token, readable by its owner only
new_operator_token_file() {
    (umask 077; openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n' > "$1"; echo >> "$1")
}

# the configuration file CONF for one check: a virtual host on 127.0.0.1:PORT
# with a token endpoint (operator tokens in TOKEN_FILE) and /checked behind
# Require bearer-scope check:read; with DOCROOT, also that document root.
# WRITER names the script in the file's first line.
write_check_site() {
    local conf=$1 port=$2 token_file=$3 writer=$4 docroot=${5:-}
    {
        echo "# Written by $writer for one check; removed after it."
        echo "Listen 127.0.0.1:$port"
        echo "<VirtualHost 127.0.0.1:$port>"
        if [ -n "$docroot" ]; then
            echo "    DocumentRoot $docroot"
            echo "    <Directory $docroot>"
            echo "        Require all granted"
            echo "    </Directory>"
        fi
        cat <<EOF
    BearerOperatorTokenFile $token_file
    <Location /auth/v1/access-tokens>
        SetHandler bearer-tokens
        BearerDefaultScopes check:read
    </Location>
    <Location /checked>
        AuthType Bearer
        AuthzSendForbiddenOnFailure On
        Require bearer-scope check:read
    </Location>
</VirtualHost>
EOF
    } > "$conf"
}
