#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench/repro_cache_starves_mint.py - a finding of the benchmark, reproduced.

One Apache, BearerCacheEntries 1024 (the minimum), two virtual hosts: one
in embedded mode, one in fleet mode (one memcached). The fleet vhost reads
3,000 tokens once each (loaded by bench/.build/loader), which fills the
server's one table with evictable cache copies. Then the embedded vhost
mints. The contract says cache copies "may be evicted to make room"; the
table's insert only lets *evictable* inserts displace them, so the
embedded mint finds its probe window full and answers 503 (BRR00030).

Prints what it saw and exits 0 if the mint succeeded, 1 if it got 503.
Loopback only; stops what it starts.
"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def get(port, path, token, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Authorization": "Bearer " + token}
    if body:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def main():
    o = type("O", (), {"keep": False, "quick": True})()
    b = run.Bench(o)
    try:
        b.find_tools()
        b.tmp = run.tempfile.mkdtemp(prefix="mod_bearer-repro.")
        os.chmod(b.tmp, 0o711)
        b.write("htdocs/p/t.txt", run.FILE_BODY)
        for d in ("htdocs", "htdocs/p"):
            os.chmod(os.path.join(b.tmp, d), 0o755)
        op = run.base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        b.write("operator-tokens", op + "\n", 0o600)
        b.write("secret", run.base64.b64encode(os.urandom(48)) + b"\n", 0o600)
        mc = b.start_memcached("memcached")
        pe, pf = b.free_port(), b.free_port()
        ep = """    <Location /auth/v1/access-tokens>
        SetHandler bearer-tokens
    </Location>
    <Location /p/>
        AuthType Bearer
        Require valid-user
    </Location>"""
        conf = b.apache_conf("r", [
            "<VirtualHost 127.0.0.1:%d>\n%s\n</VirtualHost>" % (pe, ep),
            "<VirtualHost 127.0.0.1:%d>\n    BearerMemcache 127.0.0.1:%d\n"
            "    BearerSecretFile \"%s/secret\"\n%s\n</VirtualHost>" % (pf, mc, b.tmp, ep)],
            [pe, pf], 1024)
        b.start_apache("r", conf, pe)
        st, _ = get(pe, "/auth/v1/access-tokens", op, "POST")
        print("embedded mint before the fleet reads: %d" % st)
        tokfile = os.path.join(b.tmp, "fleet-tokens")
        r = run.subprocess.run([run.LOADER, os.path.join(b.tmp, "secret"),
                                "127.0.0.1:%d" % mc, "1", "3000", "3600", "stream:view",
                                tokfile], capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(r.stderr)
        ok = 0
        with open(tokfile) as f:
            for line in f:
                ok += get(pf, "/p/t.txt", line.strip())[0] == 200
        print("fleet vhost: %d of 3000 tokens read once each (200)" % ok)
        fails = 0
        for _ in range(20):
            st, data = get(pe, "/auth/v1/access-tokens", op, "POST")
            fails += st != 201
        print("embedded mints after the fleet reads: %d of 20 refused" % fails)
        with open(b.errlogs["r"]) as f:
            full = [l for l in f if "BRR00030" in l]
        if full:
            print("error log: %s" % full[-1].strip()[:400])
        return 1 if fails else 0
    finally:
        b.stop_all()


if __name__ == "__main__":
    sys.exit(main())
