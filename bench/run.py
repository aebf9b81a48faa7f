#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench/run.py - mod_bearer's benchmark, on loopback, in one run.

    make -f Makefile.apxs bench                 full run; writes docs/
    make -f Makefile.apxs bench BENCH_QUICK=1   smoke check; docs untouched
    make -f Makefile.apxs bench-soak            10 min at full load, RSS
    make -f Makefile.apxs bench-micro           callgrind, per validation

It starts its own memcached servers and two Apaches of the same settings
(event MPM), each case on its own port (virtual hosts). Server a serves
mod_bearer's cases but 5c, the baseline and Basic. Server b serves the
million-token case (the table is one per server, and a table full of a
million tokens' cache copies would starve the embedded vhost's mints: see
docs/benchmarks.md) and mod_auth_openidc with its introspection stub (so
that mod_ssl's and mod_auth_openidc's hooks, which run on every request,
are not charged to mod_bearer's cases). Then it runs wrk for every case in
interleaved rounds and prints median req/s, the ratio to the unprotected
file, p99 latency and the spread across rounds. Every process it starts is
stopped at the end, also on failure and Ctrl-C. Only 127.0.0.1 is used.

Standard library only; run with Debian's /usr/bin/python3.
"""
import argparse
import base64
import datetime
import http.client
import json
import os
import platform
import pwd
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SO = os.path.join(TOP, "mod_bearer/.libs/mod_bearer.so")
LOADER = os.path.join(TOP, "bench/.build/loader")
LUA = os.path.join(TOP, "bench/wrk/req.lua")
DOC = os.path.join(TOP, "docs/benchmarks.md")
PNG = os.path.join(TOP, "docs/benchmarks.png")
RESULTS = os.path.join(TOP, "bench/results")

SCOPE = "stream:view"
FILE_BODY = b"mod_bearer benchmark: 32 bytes.\n"     # the tiny static file
MINT_BODY = b'{"scope": "stream:view", "subject": "bench-user", "ttl": 2}'
MANY = 10000
MILLION = 1000000
CACHE_ENTRIES = 65536           # server b: a million tokens against the default table size
CACHE_ENTRIES_A = 262144        # server a: room for 25 s of minting 2-second tokens

# name, label, target: the ratio the case should reach, "noerr" (no
# error answers) or None (no target: the baseline and the peers)
CASES = [
    ("plain", "1 unprotected static file (baseline)", None),
    ("emb", "2 embedded, one token (hot path)", 0.99),
    ("fleet", "3 fleet, recheck 2 s (shm hits)", None),
    ("fleet0", "4 fleet, BearerCacheRecheck 0", 0.80),
    ("emb10k", "5a embedded, 10,000 tokens", "noerr"),
    ("fleet10k", "5b fleet, 10,000 tokens, recheck 2 s", "noerr"),
    ("fleet1m", "5c fleet, 1,000,000 tokens, 65,536 slots", "noerr"),
    ("mintemb", "6a mint (POST), embedded", 0.5),
    ("mintfleet", "6b mint (POST), fleet, replicas 2", 0.3),
    ("basic", "7a peer: Basic, SHA1 htpasswd", None),
    ("oidcshm", "7b peer: mod_auth_openidc, shm", None),
    ("oidcmc", "7c peer: mod_auth_openidc, memcache", None),
]
PEERS = {"basic", "oidcshm", "oidcmc"}


def log(msg):
    print(msg, flush=True)


class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.procs = []            # (name, Popen), stopped in reverse order
        self.tmp = None
        self.notes = []            # lines for the output and docs
        self.skipped = {}          # case -> why
        self.ports = {}
        self.servers = {}          # apache name -> Popen
        self.errlogs = {}
        self.info = {}

    # ---- processes ----------------------------------------------------------
    def spawn(self, name, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append((name, p))
        return p

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 15
        for name, p in reversed(self.procs):
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                log("bench: %s (pid %d) did not stop on TERM: KILL" % (name, p.pid))
                p.kill()
                p.wait()
        self.procs = []
        if self.tmp and not self.opts.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ------------------------------------------------------------
    @staticmethod
    def free_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    @staticmethod
    def wait_port(port, proc, what, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            if proc.poll() is not None:
                raise SystemExit("bench: %s exited with %s" % (what, proc.returncode))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("bench: %s does not accept connections on %d" % (what, port))

    def write(self, rel, data, mode=0o644):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(path, mode)
        return path

    @staticmethod
    def which(*names):
        for n in names:
            if n and os.path.isfile(n) and os.access(n, os.X_OK):
                return n
            p = shutil.which(n) if n else None
            if p:
                return p
        return None

    # ---- setup --------------------------------------------------------------
    def find_tools(self):
        t = {}
        t["httpd"] = self.which(os.environ.get("APACHE_HTTPD"), "/usr/sbin/apache2",
                                "apache2", "httpd")
        t["wrk"] = self.which("wrk")
        t["memcached"] = self.which("memcached", "/usr/bin/memcached")
        t["htpasswd"] = self.which("htpasswd")
        t["gnuplot"] = self.which("gnuplot")
        missing = [k for k in ("httpd", "wrk", "memcached") if not t[k]]
        if missing:
            raise SystemExit("bench: missing %s: run sudo sh bench/deps.sh" % ", ".join(missing))
        if not os.path.isfile(SO):
            raise SystemExit("bench: %s is missing: make -f Makefile.apxs" % SO)
        if not os.path.isfile(LOADER):
            raise SystemExit("bench: %s is missing: make -f Makefile.apxs bench" % LOADER)
        moddir = subprocess.run(["apxs", "-q", "LIBEXECDIR"], capture_output=True,
                                text=True).stdout.strip() if self.which("apxs") else ""
        if not moddir or not os.path.isdir(moddir):
            moddir = "/usr/lib/apache2/modules"
        t["moddir"] = moddir
        t["openidc"] = os.path.join(moddir, "mod_auth_openidc.so")
        if not os.path.isfile(t["openidc"]):
            t["openidc"] = None
        self.tools = t

    def start_memcached(self, name):
        port = self.free_port()
        argv = [self.tools["memcached"], "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                "-m", "1024", "-c", "4096"]
        if os.getuid() == 0:
            argv[1:1] = ["-u", "nobody"]
        p = self.spawn(name, argv, stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(self.tmp, name + ".log"), "wb"))
        self.wait_port(port, p, name)
        return port

    def apache_conf(self, name, vhosts, listen, entries):
        t = self.tools
        md = t["moddir"]
        user = ""
        if os.getuid() == 0:
            grp = subprocess.run(["id", "-gn", "nobody"], capture_output=True,
                                 text=True).stdout.strip() or "nogroup"
            user = "User nobody\nGroup %s\n" % grp
        mods = ["mpm_event", "authn_core", "authz_core", "mime", "auth_basic",
                "authn_file", "authz_user"]
        load = "".join('LoadModule %s_module "%s/mod_%s.so"\n' % (m, md, m) for m in mods)
        load += 'LoadModule bearer_module "%s"\n' % SO
        if t["openidc"] and any("OIDC" in v for v in vhosts):
            load += 'LoadModule auth_openidc_module "%s"\n' % t["openidc"]
            load += 'LoadModule socache_shmcb_module "%s/mod_socache_shmcb.so"\n' % md
            load += 'LoadModule ssl_module "%s/mod_ssl.so"\n' % md
        run = os.path.join(self.tmp, "run-" + name)
        os.makedirs(run, exist_ok=True)
        os.chmod(run, 0o755)
        errlog = os.path.join(self.tmp, "error-%s.log" % name)
        self.errlogs[name] = errlog
        conf = """# generated by bench/run.py
ServerRoot "{tmp}"
DefaultRuntimeDir "{run}"
PidFile "{run}/httpd.pid"
ServerName 127.0.0.1
{user}{load}
ErrorLog "{errlog}"
LogLevel warn
# no access log: the benchmark measures the module, not log writes
TypesConfig /etc/mime.types
DocumentRoot "{tmp}/htdocs"
<Directory "{tmp}/htdocs">
    Options None
    AllowOverride None
</Directory>

# event MPM: two children of 32 threads that live for the whole run
StartServers 2
ServerLimit 2
ThreadLimit 32
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 8
MaxSpareThreads 64
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30

BearerOperatorTokenFile "{tmp}/operator-tokens"
BearerCacheEntries {entries}

{listen}
{vhosts}
""".format(tmp=self.tmp, run=run, user=user, load=load, errlog=errlog,
           entries=entries, listen="".join("Listen 127.0.0.1:%d\n" % p for p in listen),
           vhosts="\n".join(vhosts))
        return self.write("httpd-%s.conf" % name, conf)

    def start_apache(self, name, conf, port):
        out = open(os.path.join(self.tmp, "stderr-%s.log" % name), "wb")
        p = self.spawn("apache-" + name, [self.tools["httpd"], "-f", conf, "-DFOREGROUND"],
                       stdout=out, stderr=out)
        try:
            self.wait_port(port, p, "apache " + name)
        except SystemExit:
            out.close()
            sys.stderr.write(open(os.path.join(self.tmp, "stderr-%s.log" % name)).read())
            for f in (self.errlogs.get(name),):
                if f and os.path.exists(f):
                    sys.stderr.write(open(f).read())
            raise
        self.servers[name] = p

    def setup(self):
        o = self.opts
        self.find_tools()
        self.tmp = tempfile.mkdtemp(prefix="mod_bearer-bench.")
        os.chmod(self.tmp, 0o711)
        # files: the same tiny file under every path
        for d in ("plain", "p", "basic", "oidc"):
            self.write("htdocs/%s/t.txt" % d, FILE_BODY)
            os.chmod(os.path.join(self.tmp, "htdocs", d), 0o755)
        os.chmod(os.path.join(self.tmp, "htdocs"), 0o755)
        self.write("mint.json", MINT_BODY, 0o644)
        # secrets: the operator token, one fleet secret per fleet vhost
        self.operator = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        self.write("operator-tokens", "# bench\n%s\n" % self.operator, 0o600)
        self.write("cred/operator", self.operator + "\n", 0o600)
        for s in ("fleet", "fleet0", "fleet1m"):
            self.write("secret-" + s, base64.b64encode(os.urandom(48)) + b"\n", 0o600)

        # memcached: three for the fleet (replicas 2), one for the peer
        mc = [self.start_memcached("memcached-%d" % i) for i in (1, 2, 3)]
        self.mc = mc
        self.mc_names = ["127.0.0.1:%d" % p for p in mc]
        mc_line = "BearerMemcache " + " ".join(self.mc_names)

        P = self.ports
        for k in ("emb", "fleet", "fleet0", "oidcshm", "oidcmc", "stub", "fleet1m"):
            P[k] = self.free_port()
        peers_ok = True
        vh = []           # server a: mod_bearer's cases and Basic
        vh_b = []         # server b: the million tokens, mod_auth_openidc and its stub
        endpoint = """    <Location /auth/v1/access-tokens>
        SetHandler bearer-tokens
        BearerIssuableScopes stream:view stream:start
        BearerDefaultScopes stream:view
    </Location>"""
        protect = """    <Location /p/>
        AuthType Bearer
        AuthzSendForbiddenOnFailure On
        AuthName bench
        Require bearer-scope stream:view
    </Location>"""
        # Basic with an SHA1 htpasswd (a peer)
        basic = ""
        if self.tools["htpasswd"]:
            pw = secrets.token_urlsafe(12)
            subprocess.run([self.tools["htpasswd"], "-c", "-s", "-b",
                            os.path.join(self.tmp, "htpasswd"), "bench", pw],
                           check=True, capture_output=True)
            os.chmod(os.path.join(self.tmp, "htpasswd"), 0o644)
            self.write("cred/basic", base64.b64encode(("bench:" + pw).encode()) + b"\n", 0o600)
            basic = """    <Location /basic/>
        AuthType Basic
        AuthName bench
        AuthBasicProvider file
        AuthUserFile "{tmp}/htpasswd"
        Require valid-user
    </Location>""".format(tmp=self.tmp)
        else:
            self.skipped["basic"] = "htpasswd (apache2-utils) is not installed"
        vh.append("""<VirtualHost 127.0.0.1:{p}>
    # embedded mode: no BearerMemcache, generated secret
{endpoint}
{protect}
{basic}
</VirtualHost>""".format(p=P["emb"], endpoint=endpoint, protect=protect, basic=basic))
        for k, extra in (("fleet", ""), ("fleet0", "    BearerCacheRecheck 0\n")):
            vh.append("""<VirtualHost 127.0.0.1:{p}>
    # fleet mode
    {mc}
    BearerMemcacheReplicas 2
    BearerSecretFile "{tmp}/secret-{k}"
{extra}{endpoint}
{protect}
</VirtualHost>""".format(p=P[k], mc=mc_line, tmp=self.tmp, k=k, extra=extra,
                         endpoint=endpoint, protect=protect))

        # mod_auth_openidc as an OAuth 2.0 resource server; its introspection
        # endpoint is a static RFC 7662 answer served on another port
        if self.tools["openidc"]:
            self.mc_oidc = self.start_memcached("memcached-oidc")
            exp = int(time.time()) + 86400
            self.write("htdocs-stub/introspect", json.dumps(
                {"active": True, "scope": SCOPE, "sub": "bench-user",
                 "client_id": "bench", "exp": exp}) + "\n")
            os.chmod(os.path.join(self.tmp, "htdocs-stub"), 0o755)
            # mod_auth_openidc accepts only an https introspection endpoint
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", os.path.join(self.tmp, "stub.key"),
                            "-out", os.path.join(self.tmp, "stub.crt"), "-days", "2",
                            "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            os.chmod(os.path.join(self.tmp, "stub.key"), 0o600)
            self.oidc_token = secrets.token_urlsafe(32)
            self.write("cred/oidc", self.oidc_token + "\n", 0o600)
            vh_b.append("""<VirtualHost 127.0.0.1:{p}>
    # introspection stub for mod_auth_openidc (POST served as the static file)
    SSLEngine on
    SSLCertificateFile "{tmp}/stub.crt"
    SSLCertificateKeyFile "{tmp}/stub.key"
    DocumentRoot "{tmp}/htdocs-stub"
    <Directory "{tmp}/htdocs-stub">
        ForceType application/json
    </Directory>
    CustomLog "{tmp}/introspections.log" "%r %>s"
</VirtualHost>""".format(p=P["stub"], tmp=self.tmp))
            # mod_log_config is static on Debian; CustomLog is available
            for k, cache in (("oidcshm", "OIDCCacheType shm"),
                             ("oidcmc", 'OIDCCacheType memcache\n    OIDCMemCacheServers "127.0.0.1:%d"' % self.mc_oidc)):
                vh_b.append("""<VirtualHost 127.0.0.1:{p}>
    OIDCCryptoPassphrase "{pp}"
    {cache}
    OIDCOAuthClientID bench
    OIDCOAuthClientSecret bench-secret
    OIDCOAuthIntrospectionEndpoint https://127.0.0.1:{stub}/introspect
    OIDCOAuthSSLValidateServer Off
    OIDCOAuthIntrospectionEndpointAuth client_secret_basic
    OIDCOAuthTokenExpiryClaim exp absolute mandatory
    OIDCOAuthTokenIntrospectionInterval 60
    OIDCOAuthRemoteUserClaim sub
    <Location /oidc/>
        AuthType oauth20
        Require claim scope:stream:view
    </Location>
</VirtualHost>""".format(p=P[k], pp=secrets.token_urlsafe(24), cache=cache, stub=P["stub"]))
        else:
            why = "mod_auth_openidc is not installed (apt-get install libapache2-mod-auth-openidc)"
            self.skipped["oidcshm"] = self.skipped["oidcmc"] = why
            peers_ok = False

        listen_a = [P[k] for k in ("emb", "fleet", "fleet0")]
        listen_b = [P["fleet1m"]]
        if peers_ok:
            listen_b += [P["oidcshm"], P["oidcmc"], P["stub"]]
        conf_a = self.apache_conf("a", vh, listen_a, CACHE_ENTRIES_A)
        conf_b = self.apache_conf("b", vh_b + ["""<VirtualHost 127.0.0.1:{p}>
    # fleet mode, a million tokens in memcached, {n} slots of shared memory
    {mc}
    BearerMemcacheReplicas 2
    BearerSecretFile "{tmp}/secret-fleet1m"
{protect}
</VirtualHost>""".format(p=P["fleet1m"], n=CACHE_ENTRIES, mc=mc_line, tmp=self.tmp,
                         protect=protect)], listen_b, CACHE_ENTRIES)
        self.start_apache("a", conf_a, P["emb"])
        self.start_apache("b", conf_b, P["fleet1m"])
        log("bench: apache (event MPM, 2 x 32 threads) on ports %s; memcached on %s"
            % (", ".join("%s=%d" % kv for kv in sorted(P.items())), ", ".join(map(str, mc))))

        # tokens
        self.write("cred/emb", self.mint(P["emb"], 1)[0] + "\n", 0o600)
        self.write("cred/fleet", self.mint(P["fleet"], 1)[0] + "\n", 0o600)
        self.write("cred/fleet0", self.mint(P["fleet0"], 1)[0] + "\n", 0o600)
        t0 = time.time()
        self.write("cred/emb10k", "".join(x + "\n" for x in self.mint(P["emb"], MANY)), 0o600)
        self.write("cred/fleet10k", "".join(x + "\n" for x in self.mint(P["fleet"], MANY)), 0o600)
        self.info["mint10k_s"] = (time.time() - t0) / 2
        n1m = self.opts.million
        t0 = time.time()
        r = subprocess.run([LOADER, os.path.join(self.tmp, "secret-fleet1m"),
                            ",".join(self.mc_names), "2", str(n1m), "86400", SCOPE,
                            os.path.join(self.tmp, "cred/fleet1m")],
                           capture_output=True, text=True)
        self.info["load_s"] = time.time() - t0
        self.info["load_n"] = n1m
        self.info["loader"] = r.stdout.strip()
        if r.returncode != 0:
            raise SystemExit("bench: loader failed: %s %s" % (r.stdout, r.stderr))
        log("bench: minted 2 x %d tokens through the endpoint (%.1f s each); %s"
            % (MANY, self.info["mint10k_s"], self.info["loader"]))

        self.define_cases()
        self.check_cases()

    def mint(self, port, n):
        """n tokens through the endpoint, on one keep-alive connection."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        hdrs = {"Authorization": "Bearer " + self.operator,
                "Content-Type": "application/json"}
        body = json.dumps({"scope": SCOPE, "subject": "bench-user"})
        out = []
        for _ in range(n):
            conn.request("POST", "/auth/v1/access-tokens", body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 201:
                raise SystemExit("bench: mint on port %d answered %d: %s"
                                 % (port, resp.status, data[:200]))
            out.append(json.loads(data)["access_token"])
        conn.close()
        return out

    def define_cases(self):
        P, c = self.ports, os.path.join(self.tmp, "cred")
        mint = os.path.join(self.tmp, "mint.json")
        self.case = {
            "plain": (P["emb"], "GET", "/plain/t.txt", "none", "-", None),
            "emb": (P["emb"], "GET", "/p/t.txt", "Bearer", c + "/emb", None),
            "fleet": (P["fleet"], "GET", "/p/t.txt", "Bearer", c + "/fleet", None),
            "fleet0": (P["fleet0"], "GET", "/p/t.txt", "Bearer", c + "/fleet0", None),
            "emb10k": (P["emb"], "GET", "/p/t.txt", "Bearer", c + "/emb10k", None),
            "fleet10k": (P["fleet"], "GET", "/p/t.txt", "Bearer", c + "/fleet10k", None),
            "fleet1m": (P["fleet1m"], "GET", "/p/t.txt", "Bearer", c + "/fleet1m", None),
            "mintemb": (P["emb"], "POST", "/auth/v1/access-tokens", "Bearer", c + "/operator", mint),
            "mintfleet": (P["fleet"], "POST", "/auth/v1/access-tokens", "Bearer", c + "/operator", mint),
        }
        if "basic" not in self.skipped:
            self.case["basic"] = (P["emb"], "GET", "/basic/t.txt", "Basic", c + "/basic", None)
        if "oidcshm" not in self.skipped:
            self.case["oidcshm"] = (P["oidcshm"], "GET", "/oidc/t.txt", "Bearer", c + "/oidc", None)
            self.case["oidcmc"] = (P["oidcmc"], "GET", "/oidc/t.txt", "Bearer", c + "/oidc", None)
        self.order = [k for k, _, _ in CASES if k in self.case]
        if self.opts.only:
            # the baseline always runs: every ratio is against it
            wanted = set(self.opts.only.split(",")) | {"plain"}
            unknown = wanted - {k for k, _, _ in CASES}
            if unknown:
                raise SystemExit("bench: --only: no case named %s (names: %s)"
                                 % (", ".join(sorted(unknown)),
                                    ", ".join(k for k, _, _ in CASES)))
            self.order = [k for k in self.order if k in wanted]

    def check_cases(self):
        """One request per case, by hand, before any measurement."""
        for k in list(self.order):
            port, method, path, scheme, cred, body = self.case[k]
            hdrs = {}
            if scheme != "none":
                with open(cred) as f:
                    hdrs["Authorization"] = scheme + " " + f.readline().strip()
            data = None
            if body:
                data = open(body, "rb").read()
                hdrs["Content-Type"] = "application/json"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            got = resp.read()
            conn.close()
            want = 201 if method == "POST" else 200
            if resp.status != want:
                msg = "answers %d, not %d" % (resp.status, want)
                if k in PEERS:
                    self.skipped[k] = "set up, but a check request " + msg
                    self.order.remove(k)
                    log("bench: peer %s %s: left out" % (k, msg))
                    continue
                raise SystemExit("bench: case %s %s: %s" % (k, msg, got[:200]))
            if method == "GET" and got != FILE_BODY:
                raise SystemExit("bench: case %s served other content" % k)

    # ---- measuring ----------------------------------------------------------
    def cpu_sample(self):
        """(busy jiffies of the machine, jiffies used by this program's tree,
        {process name: jiffies of it and its children})."""
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = sum(v) - v[3] - v[4]             # all but idle and iowait
        stats = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        st = f.read().rsplit(")", 1)[1].split()
                    stats[int(d)] = (int(st[1]), sum(int(x) for x in st[11:15]))
                except (OSError, ValueError, IndexError):
                    pass
        kids = {}
        for pid, (ppid, _) in stats.items():
            kids.setdefault(ppid, []).append(pid)

        def tree(root):
            total, todo = 0, [root]
            while todo:
                pid = todo.pop()
                total += stats.get(pid, (0, 0))[1]
                todo.extend(kids.get(pid, []))
            return total
        groups = {name: tree(p.pid) for name, p in self.procs}
        return busy, tree(os.getpid()), groups

    def wrk(self, k, duration):
        o = self.opts
        port, method, path, scheme, cred, body = self.case[k]
        argv = [self.tools["wrk"], "-t%d" % o.threads, "-c%d" % o.connections,
                "-d%ds" % duration, "--latency", "-s", LUA,
                "http://127.0.0.1:%d%s" % (port, path), "--", method, path, scheme, cred]
        if body:
            argv.append(body)
        c0 = self.cpu_sample()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
        c1 = self.cpu_sample()
        m = re.search(r"^BENCH (.*)$", r.stdout, re.M)
        if r.returncode != 0 or not m:
            raise SystemExit("bench: wrk failed on %s: %s %s" % (k, r.stdout, r.stderr))
        d = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in m.group(1).split()}
        d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
        d["errors"] = d["connect"] + d["read"] + d["write"] + d["timeout"] + d["status"]
        # the share of the machine other programs took meanwhile (0..1)
        hz, ncpu = os.sysconf("SC_CLK_TCK"), os.cpu_count()
        d["foreign"] = max(0.0, ((c1[0] - c0[0]) - (c1[1] - c0[1])) / (hz * ncpu * d["duration_us"] / 1e6))
        # CPU time per request in Apache (parent and children) and memcached:
        # less sensitive to other load than req/s
        def per_req(prefix):
            j = sum(c1[2].get(n, 0) - c0[2].get(n, 0) for n in c1[2] if n.startswith(prefix))
            return j * 1e6 / hz / max(1, d["requests"])
        d["apache_us"] = per_req("apache-")
        d["mc_us"] = per_req("memcached-")
        return d

    def errlog_size(self):
        return {n: os.path.getsize(f) if os.path.exists(f) else 0
                for n, f in self.errlogs.items()}

    def measure(self):
        o = self.opts
        log("bench: warm-up, 1 s per case")
        for k in self.order:
            self.wrk(k, 1)
        before = self.errlog_size()
        self.runs = {k: [] for k in self.order}
        start = time.time()
        # Every case runs between two runs of the baseline, and its ratio is
        # taken against their mean: this machine's speed drifts by tens of
        # percent within a minute (seen with no other load at all), so a
        # baseline measured once a round, up to a minute away, cannot
        # resolve the few percent a case costs.
        cases = [k for k in self.order if k != "plain"]
        for r in range(o.rounds):
            rot = cases[r % len(cases):] + cases[:r % len(cases)]   # each round starts elsewhere
            before_run = self.wrk("plain", o.duration)
            before_run["base_rps"] = before_run["rps"]
            self.runs["plain"].append(before_run)
            for k in rot:
                d = self.wrk(k, o.duration)
                after_run = self.wrk("plain", o.duration)
                after_run["base_rps"] = after_run["rps"]
                d["base_rps"] = (before_run["rps"] + after_run["rps"]) / 2
                self.runs[k].append(d)
                self.runs["plain"].append(after_run)
                before_run = after_run
            log("bench: round %d/%d done (%.0f s)" % (r + 1, o.rounds, time.time() - start))
        self.logged = {}
        after = self.errlog_size()
        for name, f in self.errlogs.items():
            with open(f, errors="replace") as fh:
                fh.seek(before[name])
                lines = [l.rstrip() for l in fh if l.strip()]
            self.logged[name] = lines
        self.summarise()

    def summarise(self):
        self.rows = []
        base = statistics.median(d["rps"] for d in self.runs["plain"])
        for k, label, target in CASES:
            if k not in self.runs:
                self.rows.append({"case": k, "label": label, "skipped": self.skipped.get(k, "not run")})
                continue
            rs = [d["rps"] for d in self.runs[k]]
            med = statistics.median(rs)
            ratios = [d["rps"] / d["base_rps"] for d in self.runs[k]]
            row = {
                "case": k, "label": label, "rps": med, "ratio": statistics.median(ratios),
                "ratio_min": min(ratios), "ratio_max": max(ratios),
                "foreign": statistics.mean(d["foreign"] for d in self.runs[k]),
                "apache_us": statistics.median(d["apache_us"] for d in self.runs[k]),
                "mc_us": statistics.median(d["mc_us"] for d in self.runs[k]),
                "p99_ms": statistics.median(d["p99_us"] for d in self.runs[k]) / 1000,
                "p50_ms": statistics.median(d["p50_us"] for d in self.runs[k]) / 1000,
                "min": min(rs), "max": max(rs),
                "spread": (max(rs) - min(rs)) / med * 100,
                "errors": int(sum(d["errors"] for d in self.runs[k])),
                "non2xx": int(sum(d["status"] for d in self.runs[k])),
                "sockerr": int(sum(d["errors"] - d["status"] for d in self.runs[k])),
                "requests": int(sum(d["requests"] for d in self.runs[k])),
                "added_us": (1e6 / med - 1e6 / base),
                "target": target,
            }
            # a target counts the module's answers: non-2xx; socket errors
            # (the event MPM closing a keep-alive connection under load, seen
            # on the baseline and the peers too) are shown beside them
            if target == "noerr":
                row["met"] = row["non2xx"] == 0
            elif target is not None:
                row["met"] = row["ratio"] >= target and row["non2xx"] == 0
            self.rows.append(row)

    # ---- machine facts --------------------------------------------------------
    def machine(self):
        def first(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
            except Exception:
                return "?"
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem = "?"
        with open("/proc/meminfo") as f:
            mem = "%.1f GiB" % (int(f.readline().split()[1]) / 1048576)
        def deb(p):
            return first(["dpkg-query", "-W", "-f=${Version}", p]) or "not installed"
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": str(os.cpu_count()), "cpu": cpu, "mem": mem,
            "kernel": platform.release(),
            "os": first(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
            "apache": first([self.tools["httpd"], "-v"]).replace("Server version: ", ""),
            "openssl": first(["openssl", "version"]),
            "memcached": first([self.tools["memcached"], "-V"]),
            "wrk": first([self.tools["wrk"], "-v"]).split(" [")[0],
            "openidc": deb("libapache2-mod-auth-openidc"),
            "commit": first(["git", "-C", TOP, "describe", "--always", "--dirty"]),
        }

    def segments(self):
        """Anonymous shared mappings of server b's parent (its only one
        of 16 MB is the token table)."""
        out = []
        p = self.servers["b"]
        expect = 63 + 1152 + 256 * CACHE_ENTRIES
        with open("/proc/%d/maps" % p.pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[1].endswith("s") and "/dev/zero" in line:
                    a, b = (int(x, 16) for x in parts[0].split("-"))
                    out.append(b - a)
        return expect, out

    # ---- output ---------------------------------------------------------------
    def table_md(self):
        o = self.opts
        lines = ["| case | req/s (median) | ratio | ratio min-max | p99 ms | req/s spread (min-max) | Apache CPU us/req | memcached CPU us/req | non-2xx | socket errors | other load | target | |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
        for r in self.rows:
            if "skipped" in r:
                lines.append("| %s | - | - | - | - | - | - | - | - | - | - | | not measured: %s |" % (r["label"], r["skipped"]))
                continue
            t = r["target"]
            tgt = ("no error answers" if t == "noerr" else (">= %.2f" % t if t else ""))
            met = "" if t is None else ("met" if r["met"] else "**missed**")
            lines.append("| %s | %.0f | %.3f | %.3f-%.3f | %.2f | %.1f%% (%.0f-%.0f) | %.1f | %.1f | %d | %d | %.0f%% | %s | %s |" % (
                r["label"], r["rps"], r["ratio"], r["ratio_min"], r["ratio_max"], r["p99_ms"],
                r["spread"], r["min"], r["max"], r["apache_us"], r["mc_us"], r["non2xx"],
                r["sockerr"], r["foreign"] * 100, tgt, met))
        return "\n".join(lines)

    def plot(self):
        if not self.tools["gnuplot"]:
            self.notes.append("gnuplot is not installed: no plot")
            return None
        dat = os.path.join(self.tmp, "plot.dat")
        base = statistics.median(d["rps"] for d in self.runs["plain"])
        with open(dat, "w") as f:
            for i, r in enumerate(x for x in self.rows if "skipped" not in x):
                t = r["target"] if isinstance(r["target"], float) else "NaN"
                f.write('%d "%s" %.4f %.4f %.4f %.3f %s\n' % (
                    i, r["label"].replace('"', "'"), r["ratio"], r["ratio_min"],
                    r["ratio_max"], r["p99_ms"], t))
        os.makedirs(RESULTS, exist_ok=True)
        out = PNG if not (self.opts.quick or self.opts.only) else os.path.join(RESULTS, "quick.png")
        gp = """set terminal pngcairo noenhanced size 1200,680 font "sans,10"
set output "{out}"
set title "mod_bearer, req/s as a ratio to the unprotected file in the same round (median of {rounds} rounds, bars: min-max)\\n{sub}"
set style data histogram
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:1.15]
set ytics 0.1
set grid ytics
set xtics rotate by -30 left
set bmargin 12
set rmargin 26
set key top right
plot "{dat}" using 1:3:xtic(2) with boxes lc rgb "#4a7ab5" title "median ratio", \\
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0 title "min-max over rounds", \\
     "" using 1:7 with points pt 9 ps 1.6 lc rgb "#c0392b" title "target", \\
     "" using 1:($3+0.03):(sprintf("%.3f",$3)) with labels font "sans,9" notitle
""".format(out=out, rounds=self.opts.rounds, dat=dat,
           sub="wrk -t%d -c%d -d%ds, loopback, %s cores, %s" % (
               self.opts.threads, self.opts.connections, self.opts.duration,
               self.mach["nproc"], self.mach["cpu"]))
        gpf = os.path.join(self.tmp, "plot.gp")
        with open(gpf, "w") as f:
            f.write(gp)
        r = subprocess.run([self.tools["gnuplot"], gpf], capture_output=True, text=True)
        if r.returncode != 0:
            self.notes.append("gnuplot failed: " + r.stderr.strip()[:200])
            return None
        return out

    def report(self):
        o = self.opts
        self.mach = m = self.machine()
        expect, segs = self.segments()
        table = self.table_md()
        log("")
        log(table)
        log("")
        lines = []
        lines.append("Run of %s on %s: %s cores (%s), %s, kernel %s; %s; %s; %s; %s; "
                     "mod_auth_openidc %s; module at %s." % (
                         m["date"], m["os"], m["nproc"], m["cpu"], m["mem"], m["kernel"],
                         m["apache"], m["openssl"], m["memcached"], m["wrk"], m["openidc"],
                         m["commit"]))
        lines.append("")
        lines.append("Settings: wrk -t%d -c%d -d%ds --latency, %d rounds, the cases of a "
                     "round run one after another in an order rotated each round, each case between two "
                     "runs of case 1; one warm-up second per case first. Apache event MPM, 2 children x 32 threads, "
                     "KeepAlive On (unlimited requests), no access log, ErrorLog at warn. "
                     "Ratio = median over the rounds of (req/s / mean req/s of the two runs of case 1 "
                     "just before and just after it), so that the machine's drift cancels; "
                     "ratio min-max = its range "
                     "over the rounds; p99 = median over the rounds of wrk's 99th percentile; "
                     "req/s spread = (max - min) / median across rounds; non-2xx = answers "
                     "other than 2xx, socket errors = wrk's connect/read/write errors and "
                     "timeouts, each summed over all rounds; Apache / memcached CPU us/req = CPU "
                     "time (user + system, from /proc) of every Apache process (both servers) "
                     "or every memcached per request served, median over the rounds: the "
                     "cost of a case with less of the machine's noise; other load = the "
                     "share of both cores that processes outside this benchmark used during "
                     "the case's runs (from /proc/stat minus the benchmark's own process tree): "
                     "0%% means the machine was ours." % (o.threads, o.connections, o.duration, o.rounds))
        lines.append("")
        lines.append(table)
        lines.append("")
        base = [r for r in self.rows if r["case"] == "plain"][0]
        lines.append("Cost added per request, against case 1: from throughput (1/req/s - "
                     "1/req/s of case 1, wall time on the two shared cores) and from Apache's "
                     "CPU time per request (plus memcached's, where it serves the case):")
        lines.append("")
        for r in self.rows:
            if "skipped" in r or r["case"] == "plain":
                continue
            mc = ""
            if r["mc_us"] >= 0.5:
                mc = " + memcached %.1f us" % r["mc_us"]
            lines.append("- %s: %.1f us by throughput; Apache CPU %+.1f us%s" % (
                r["label"], r["added_us"], r["apache_us"] - base["apache_us"], mc))
        lines.append("")
        lines.append("Setup: 2 x %d tokens minted through the endpoint in %.1f s each; %s "
                     "(loading %d tokens took %.1f s, wall time of the loader)." % (
                         MANY, self.info["mint10k_s"], self.info["loader"],
                         self.info["load_n"], self.info["load_s"]))
        if "oidcshm" in self.case and os.path.exists(os.path.join(self.tmp, "introspections.log")):
            with open(os.path.join(self.tmp, "introspections.log")) as f:
                n = sum(1 for _ in f)
            lines.append("")
            nreq = sum(d["requests"] for k in ("oidcshm", "oidcmc") for d in self.runs.get(k, []))
            lines.append("mod_auth_openidc called the introspection stub %d times in the whole "
                         "run, against %d requests in the rounds of its two cases (plus the "
                         "warm-up): %.2f%%, so they measure its cache "
                         "(OIDCOAuthTokenIntrospectionInterval 60)." % (n, nreq, 100.0 * n / max(1, nreq)))
        lines.append("")
        page = 4096
        lines.append("Shared memory: server a (every case but 5c) has BearerCacheEntries %d, "
                     "so that 25 s of minting 2-second tokens at full speed never fills its "
                     "embedded table; server b (case 5c) has %d." % (CACHE_ENTRIES_A, CACHE_ENTRIES))
        lines.append("")
        lines.append("Shared memory: BearerCacheEntries %d gives bearer_table_bytes = 63 + 1152 "
                     "+ 256 x %d = %d bytes; apr_shm adds an 8-byte size word and the kernel "
                     "rounds to pages: %d expected. Anonymous shared mappings of the "
                     "million-token server's parent: %s bytes." % (
                         CACHE_ENTRIES, CACHE_ENTRIES, expect,
                         -(-(expect + 8) // page) * page, ", ".join(map(str, sorted(segs, reverse=True)))))
        for name, ls in self.logged.items():
            if ls:
                lines.append("")
                lines.append("Apache %s logged %d lines at warn or above during the rounds; "
                             "the first: `%s`" % (name, len(ls), ls[0][:300].replace("`", "'")))
            else:
                lines.append("")
                lines.append("Apache %s logged nothing at warn or above during the rounds." % name)
        for k, why in self.skipped.items():
            lines.append("")
            lines.append("Not measured: %s: %s." % (k, why))
        for n in self.notes:
            lines.append("")
            lines.append(n)
        text = "\n".join(lines)
        for l in lines[2:]:
            if l and not l.startswith("|"):
                log(l)
        png = self.plot()
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, "last.json"), "w") as f:
            json.dump({"machine": m, "rows": self.rows, "runs": self.runs, "info": self.info,
                       "opts": vars(o)}, f, indent=1)
        if o.quick or o.only:
            log("bench: %s: docs/benchmarks.md left as it is (plot: %s)"
                % ("quick mode" if o.quick else "some cases only", png))
            return
        update_doc("results", text + ("\n\n![req/s ratio per case](benchmarks.png)" if png else ""))
        log("bench: wrote docs/benchmarks.md%s" % (" and docs/benchmarks.png" if png else ""))

    def hold(self, seconds):
        for k in self.order:
            port, method, path, scheme, cred, body = self.case[k]
            log("%-10s %s -t%d -c%d -d10s -s %s http://127.0.0.1:%d%s -- %s %s %s %s %s" % (
                k, self.tools["wrk"], self.opts.threads, self.opts.connections, LUA, port,
                path, method, path, scheme, cred, body or ""))
        log("bench: apache a pid %d, b pid %d; holding for %d s (Ctrl-C stops)"
            % (self.servers["a"].pid, self.servers["b"].pid, seconds))
        time.sleep(seconds)

    # ---- soak -------------------------------------------------------------------
    def children(self, parent):
        kids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        st = f.read()
                    ppid = int(st.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == parent:
                    kids.append(int(d))
        return sorted(kids)

    @staticmethod
    def status(pid):
        out = {}
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmRSS", "RssAnon", "RssShmem", "RssFile", "Threads"):
                        out[k] = int(v.split()[0])
        except OSError:
            return None
        return out

    def soak(self, seconds):
        # server a: its cases in turn; server b (the million tokens) at the
        # same time, with a second wrk for the whole soak, so that both
        # servers' children are under load all along
        soak_cases = [k for k in self.order if k not in PEERS and k != "fleet1m"]
        chunk = 20 if not self.opts.quick else 5
        samples = {}      # (server, pid) -> list of (t, status)
        log("bench: soak: %d s at full load: server a with %s in turn, %d s each; server b "
            "with fleet1m all along (a second wrk, -t2 -c32); RSS every 10 s"
            % (seconds, ", ".join(soak_cases), chunk))
        start = time.time()
        log_before = self.errlog_size()
        port, method, path, scheme, cred, body = self.case["fleet1m"]
        side = subprocess.Popen([self.tools["wrk"], "-t2", "-c32", "-d%ds" % seconds, "-s", LUA,
                                 "http://127.0.0.1:%d%s" % (port, path), "--", method, path,
                                 scheme, cred], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(("wrk-b", side))

        def sample():
            t = time.time() - start
            for name in ("a", "b"):
                for pid in self.children(self.servers[name].pid):
                    st = self.status(pid)
                    if st:
                        samples.setdefault((name, pid), []).append((t, st))

        i = 0
        sample()
        next_sample = start + 10
        procs = []
        while time.time() - start < seconds:
            k = soak_cases[i % len(soak_cases)]
            i += 1
            port, method, path, scheme, cred, body = self.case[k]
            argv = [self.tools["wrk"], "-t%d" % self.opts.threads, "-c%d" % self.opts.connections,
                    "-d%ds" % chunk, "-s", LUA, "http://127.0.0.1:%d%s" % (port, path), "--",
                    method, path, scheme, cred] + ([body] if body else [])
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.procs.append(("wrk", p))
            while p.poll() is None:
                if time.time() >= next_sample:
                    sample()
                    next_sample += 10
                time.sleep(0.2)
            out = p.stdout.read()
            self.procs.remove(("wrk", p))
            m = re.search(r"^BENCH (.*)$", out, re.M)
            if m:
                d = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in m.group(1).split()}
                procs.append((k, d["requests"], d["status"],
                              d["connect"] + d["read"] + d["write"] + d["timeout"]))
        sample()
        out, _ = side.communicate(timeout=120)
        self.procs.remove(("wrk-b", side))
        m = re.search(r"^BENCH (.*)$", out, re.M)
        b_req = b_status = b_sock = 0
        if m:
            d = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in m.group(1).split()}
            b_req = d["requests"]
            b_status = d["status"]
            # wrk's own: connect/read/write errors and requests over its
            # 2 s timeout (a loaded machine), not answers of the module
            b_sock = d["connect"] + d["read"] + d["write"] + d["timeout"]
        total = sum(x[1] for x in procs)
        status = sum(x[2] for x in procs)
        sock = sum(x[3] for x in procs)
        # wrk's socket errors: the event MPM closing a keep-alive
        # connection under load, seen on the unprotected file too
        sock_cases = sorted({x[0] for x in procs if x[3]})
        lines = ["Soak of %s: %d s at full load. Server a: wrk -t%d -c%d over the cases %s in "
                 "turn, %d s each: %d requests, %d non-2xx answers, %d socket errors and "
                 "timeouts%s. Server b at "
                 "the same time: wrk -t2 -c32 on the million-token case (5c) all along: %d "
                 "requests, %d non-2xx answers, %d socket errors and timeouts. VmRSS and RssAnon (private memory) of every child, "
                 "sampled every 10 s from /proc/<pid>/status, in KiB:" % (
                     self.mach["date"], seconds, self.opts.threads, self.opts.connections,
                     ", ".join(soak_cases), chunk, total, status, sock,
                     " (in %s)" % ", ".join(sock_cases) if sock_cases else "",
                     b_req, b_status, b_sock),
                 "",
                 "| server | child pid | samples | VmRSS first | VmRSS last | VmRSS max | RssAnon first | RssAnon last | RssAnon max | RssShmem last |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for (name, pid), ss in sorted(samples.items()):
            v = [s["VmRSS"] for _, s in ss]
            a = [s["RssAnon"] for _, s in ss]
            lines.append("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d |" % (
                name, pid, len(ss), v[0], v[-1], max(v), a[0], a[-1], max(a), ss[-1][1]["RssShmem"]))
        full = [(name, pid) for (name, pid), ss in samples.items() if len(ss) < 0.9 * len(max(samples.values(), key=len))]
        if full:
            lines.append("")
            lines.append("Children that did not live for the whole soak: %s" % full)
        idle = [(name, pid) for (name, pid), ss in samples.items()
                if ss[-1][1]["VmRSS"] == ss[0][1]["VmRSS"] and ss[-1][1]["RssShmem"] < 1024]
        if idle:
            lines.append("")
            lines.append("Children that served nothing (their RSS never moved and they never "
                         "touched the table; the event MPM gave all connections to a sibling): "
                         "%s" % ", ".join("server %s child %d" % x for x in idle))
        # middle-to-end growth of private memory, per child
        lines.append("")
        for (name, pid), ss in sorted(samples.items()):
            half = [s["RssAnon"] for t, s in ss if t >= seconds / 2]
            if len(half) >= 2:
                lines.append("- server %s child %d: RssAnon from the middle of the soak to its end: "
                             "%+d KiB (%s)" % (name, pid, half[-1] - half[0], ", ".join(
                                 "%d min %d" % (t // 60, s["RssAnon"]) for t, s in ss
                                 if int(t) // 10 % 12 == 0)))
        for name, f in sorted(self.errlogs.items()):
            with open(f, errors="replace") as fh:
                fh.seek(log_before[name])
                logged = [l.rstrip() for l in fh if l.strip()]
            lines.append("")
            if logged:
                lines.append("Apache %s logged %d lines at warn or above during the soak; the "
                             "first: `%s`" % (name, len(logged), logged[0][:300].replace("`", "'")))
            else:
                lines.append("Apache %s logged nothing at warn or above during the soak." % name)
        text = "\n".join(lines)
        log(text)
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, "soak.json"), "w") as f:
            json.dump({"samples": {"%s/%d" % k: v for k, v in samples.items()},
                       "chunks": procs}, f)
        if not self.opts.quick:
            update_doc("soak", text)
            log("bench: wrote the soak section of docs/benchmarks.md")


def update_doc(section, text):
    begin, end = "<!-- bench:%s:begin -->" % section, "<!-- bench:%s:end -->" % section
    with open(DOC) as f:
        doc = f.read()
    if begin not in doc or end not in doc:
        raise SystemExit("bench: docs/benchmarks.md lacks the %s markers" % section)
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(DOC, "w") as f:
        f.write(head + begin + "\n" + text.rstrip() + "\n" + end + tail)


def micro(binary, quick):
    """Instructions per validation under callgrind, from two runs of N."""
    vg = shutil.which("valgrind")
    if not vg:
        raise SystemExit("bench: valgrind is missing: sudo sh bench/deps.sh")
    n1, n2 = (1000, 11000) if quick else (10000, 110000)
    tmp = tempfile.mkdtemp(prefix="mod_bearer-micro.")
    res = {}
    try:
        for variant in ("module", "ctxdup"):
            ir = []
            for n in (n1, n2):
                out = os.path.join(tmp, "cg.%s.%d" % (variant, n))
                r = subprocess.run([vg, "--tool=callgrind", "--callgrind-out-file=" + out,
                                    binary, str(n), variant], capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit("bench: microbench failed: " + r.stderr[-500:])
                with open(out) as f:
                    tot = [l for l in f if l.startswith("summary:") or l.startswith("totals:")]
                ir.append(int(tot[-1].split()[1]))
            res[variant] = (ir[1] - ir[0]) / (n2 - n1)
        # where they go: inclusive cost per validation, from both runs
        anns = [subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                                os.path.join(tmp, "cg.module.%d" % n)],
                               capture_output=True, text=True).stdout for n in (n1, n2)]
        wall = subprocess.run([binary, str(n2 * 10)], capture_output=True, text=True).stdout.strip()
        wall_dup = subprocess.run([binary, str(n2 * 10), "ctxdup"], capture_output=True,
                                  text=True).stdout.strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    want = ["bearer_mac_keyed", "SHA256_Update", "SHA256_Final", "checksum_text",
            "bearer_mac", "HMAC", "EVP_Q_mac", "EVP_MAC_fetch", "EVP_MAC_CTX_new",
            "EVP_MAC_init", "EVP_MAC_final", "EVP_MAC_CTX_free", "EVP_MAC_free",
            "ossl_method_store_fetch", "inner_evp_generic_fetch",
            "bearer_token_well_formed", "EVP_Digest", "bearer_table_lookup",
            "bearer_entry_decode", "bearer_header_parse", "bearer_scope_list_has",
            "bearer_token_id_from_mac", "CRYPTO_THREAD_read_lock", "CRYPTO_THREAD_unlock",
            "CRYPTO_malloc", "CRYPTO_free", "malloc", "free"]
    def functions(ann):
        found = {}
        for line in ann.splitlines():
            m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+\S*:(\S+?)(?:\s|$)", line) or \
                re.match(r"\s*([\d,]+)\s+\S*:(\S+?)(?:\s|$)", line)
            if m:
                fn = m.group(2).split("'")[0]
                if fn in want and fn not in found:
                    found[fn] = int(m.group(1).replace(",", ""))
        return found
    f1, f2 = functions(anns[0]), functions(anns[1])
    found = {fn: (f2[fn] - f1.get(fn, 0)) / (n2 - n1) for fn in f2}
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "?"
    lines = ["Instructions per validation (valgrind --tool=callgrind, Ir(%d) - Ir(%d) over "
             "%d validations, so setup cancels out): **%.0f**." % (n2, n1, n2 - n1, res["module"]),
             "",
             "Built with %s at -O2, %s, %s; run of %s." % (
                 first(["cc", "--version"]), first(["openssl", "version"]),
                 first([vg, "--version"]),
                 datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
             "",
             "For comparison, the same path with the HMAC done by a context keyed once "
             "and duplicated per call (EVP_MAC_CTX_dup, which allocates): %.0f "
             "instructions (%+.0f%% against the module, which copies two SHA-256 "
             "states made once per secret and finishes them; see include/bearer_mac.h)."
             % (res["ctxdup"], (res["ctxdup"] - res["module"]) / res["module"] * 100),
             "",
             "Inclusive instructions per validation, by function (module path, the same "
             "difference of two runs; a function called several times in one validation "
             "is summed; OpenSSL's share of malloc/free and locks is inside the HMAC and "
             "digest lines):",
             "",
             "| function | Ir per validation |",
             "|---|---:|"]
    for fn in want:
        if fn in found:
            lines.append("| `%s` | %.0f |" % (fn, found[fn]))
    lines.append("")
    lines.append("Wall time on the machine of this run (not under valgrind, so with the "
                 "CPU's SHA extensions; noisy): %s; the EVP_MAC_CTX_dup variant: %s." %
                 (wall.replace("microbench: ", ""), wall_dup.replace("microbench: ", "")))
    text = "\n".join(lines)
    print(text)
    if not quick:
        update_doc("micro", text)
        print("bench: wrote the callgrind section of docs/benchmarks.md")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 round of 1 s, 50,000 loaded tokens; docs untouched")
    ap.add_argument("--only", metavar="CASES",
                    help="only these cases (comma-separated names, e.g. fleet0,oidcmc) "
                         "and the baseline; docs untouched")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--duration", type=int, help="seconds per wrk run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--million", type=int, help="tokens loaded for case 5c")
    ap.add_argument("--soak", type=int, help="soak for this many seconds instead of the rounds")
    ap.add_argument("--micro", metavar="MICROBENCH", help="callgrind micro-benchmark only")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--hold", type=int, metavar="SECONDS",
                    help="after setup, print each case's wrk command and keep the servers "
                         "up this long (for profiling by hand), then stop")
    o = ap.parse_args()
    if o.micro:
        micro(o.micro, o.quick)
        return
    o.rounds = o.rounds or (1 if o.quick else 5)
    o.duration = o.duration or (1 if o.quick else 3)
    o.million = o.million or (50000 if o.quick else MILLION)
    if o.soak and o.quick:
        o.soak = min(o.soak, 30)
    if o.rounds < 1 or o.duration < 1 or o.rounds > 50 or o.duration > 600:
        raise SystemExit("bench: rounds 1-50, duration 1-600 s")

    b = Bench(o)

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    # SIGINT too: a shell's background job starts with it ignored
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        b.setup()
        b.mach = b.machine()
        if o.hold:
            b.hold(min(o.hold, 3600))
        elif o.soak:
            b.soak(o.soak)
        else:
            b.measure()
            b.report()
    except KeyboardInterrupt:
        log("bench: interrupted; stopping everything it started")
        b.stop_all()
        sys.exit(130)
    finally:
        b.stop_all()


if __name__ == "__main__":
    main()
