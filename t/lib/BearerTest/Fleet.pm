# SPDX-License-Identifier: Apache-2.0
package BearerTest::Fleet;
#
# A fleet for the fleet-mode tests of t/fleet/: memcached servers and
# Apache instances sharing them, all children of the test file, all on
# 127.0.0.1. Each test file starts its own and stops it at the end; END
# stops everything also when the file dies, and TERM, INT, HUP and PIPE
# make it exit through END (BearerTest::Httpd and BearerTest::Memcached).
#
#   use BearerTest::Fleet qw(PATH_ANY PATH_A PATH_B);
#   my $f = BearerTest::Fleet->start(recheck => 1);    # 3 memcached, A and B
#   my $t = $f->mint_on(0, { scopes => ['a'] });       # minted on A
#   $f->logs_hold_no_secret_ok;                        # none of them logged
#   is($f->code(1, PATH_A, $t), 200, 'B accepts it');
#   $f->stop;
#
# Every Apache gets: the same BearerSecretFile (unless `secret => 'other'`),
# the suite's operator token file, BearerMemcache with every server (each
# Apache lists them in another order: placement must depend on the names
# only), the token endpoint at /auth/v1/access-tokens (any scope
# issuable), and three protected paths: PATH_ANY (any token), PATH_A
# (scope a), PATH_B (scope b). Apaches are numbered 0, 1, 2 ... and named
# A, B, C ... in test names.
#
# Token values never reach the test output: name tokens by token_id.

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp ();
use HTTP::Request ();
use IO::Socket::INET ();
use Digest::SHA ();
use JSON::PP ();
use MIME::Base64 ();
use LWP::UserAgent ();
use POSIX ();
use Test::More ();
use Time::HiRes ();

use BearerTest ();
use BearerTest::Httpd ();
use BearerTest::Memcached ();
use BearerTest::Secrets ();

our @EXPORT_OK = qw(PATH_ANY PATH_A PATH_B FLEET_SECRET OTHER_SECRET PREFORK_ROOM
                    MEMCACHE_SLACK HTTP_MARGIN wait_bound elapsed nap);

use constant PATH_ANY => '/p/any/r.txt';     # Require valid-user
use constant PATH_A   => '/p/view/r.txt';    # Require bearer-scope a
use constant PATH_B   => '/p/both/r.txt';    # Require bearer-scope b

# Test-only BearerSecretFile contents: the fleet's, and another fleet's.
use constant FLEET_SECRET => 'test-only secret shared by the fleet, 0123456789abcdef';
use constant OTHER_SECRET => 'test-only secret of some other fleet, fedcba9876543210';

# The bound on one request's wait for memcached (the contract's fleet
# promises: BearerMemcacheTimeout plus 50 ms, whatever fails during the
# request), and what a test adds to it when it times a request from the
# outside. Every per-request time limit of the fleet tests is
# wait_bound($timeout_ms): the timeout, plus MEMCACHE_SLACK, plus
# HTTP_MARGIN.
#
# HTTP_MARGIN is the one margin of those tests, stated here only: what a
# request costs besides waiting on memcached, timed around the request
# alone (never a fork, a start-up or a sleep): the loopback HTTP exchange
# over a fresh connection, LWP, the round trips to the servers that do
# answer, and both ends being scheduled on a 2-core machine shared with
# other test runs and load clients. Unloaded, such a request takes 2-20 ms;
# under t/fleet/load_faults.t's six clients, one that waited on nothing
# took up to 0.29 s (once 0.72 s under prefork, where a request can queue
# for a free process: such a delay on top of a timeout would fail a
# bound). It stays under the shortest timeout the tests use
# (500 ms) by more than MEMCACHE_SLACK, so that a request that waits a
# second timeout is always caught.
use constant MEMCACHE_SLACK => 0.05;     # s, the contract's
use constant HTTP_MARGIN    => 0.35;     # s, ours

sub wait_bound {
    my ($timeout_ms) = @_;
    return $timeout_ms / 1000 + MEMCACHE_SLACK + HTTP_MARGIN;
}

# `conf` for the load tests: under prefork (make test-mpms) a process
# serves one request at a time, so each Apache gets room for every client
# at once, also while requests wait on a stopped memcached, and a wall
# time measures the module, not a queue.
use constant PREFORK_ROOM => <<'EOF';
<IfModule mpm_prefork_module>
    StartServers 8
    ServerLimit 16
    MaxRequestWorkers 16
    MinSpareServers 4
    MaxSpareServers 16
</IfModule>
EOF

my $owner = $$;
my @fleets;

# Signals end the file through exit, so that every END block runs and stops
# the servers (a default TERM would leave them running). SIGPIPE comes when
# t/TEST.PL went away (killed): stdout and stderr are pipes to it, so from
# then on every write fails; it is ignored so that the writes of the END
# blocks cannot kill us before the servers are stopped.
sub install_signal_handlers {
    my %num = (HUP => 1, INT => 2, PIPE => 13, TERM => 15);
    for my $sig (keys %num) {
        $SIG{$sig} = sub {
            return unless $$ == $owner;
            $SIG{PIPE} = 'IGNORE';
            print STDERR "# caught SIG$sig: stopping the fleet\n";
            exit 128 + $num{$sig};
        };
    }
    return;
}

# start(%options):
#   memcached => n            servers (default 3)
#   apaches   => n | [\%o..]  Apache instances (default 2); per-Apache
#                             options override the fleet-wide ones below
#   replicas, timeout, recheck, outage => BearerMemcacheReplicas,
#                             BearerMemcacheTimeout, BearerCacheRecheck,
#                             BearerOutage (undef: the module's default)
#                             timeout defaults to 2000 ms here, not 250: on
#                             a loaded machine a healthy memcached can take
#                             longer than 250 ms, and a test that is not
#                             about timeouts must not see servers go down
#   secret    => 'fleet' | 'other'
#   conf      => more configuration lines
sub start {
    my ($class, %o) = @_;
    install_signal_handlers();
    my $run = $ENV{BEARER_T_RUN}
        or die "BEARER_T_RUN is not set: run the suite through t/TEST.PL\n";
    %o = (timeout => 2000, %o);
    my $self = bless { mc => [], web => [], host => [], minted => [], opts => \%o }, $class;
    push @fleets, $self;

    my $dir = File::Temp::tempdir('fleet-XXXXXX', DIR => $run);
    chmod 0711, $dir;
    $self->{secret_file} = {
        fleet => "$dir/secret-fleet",
        other => "$dir/secret-other",
    };
    BearerTest::Secrets::write_private($self->{secret_file}{fleet}, FLEET_SECRET . "\n");
    BearerTest::Secrets::write_private($self->{secret_file}{other}, OTHER_SECRET . "\n");

    my $nmc = defined $o{memcached} ? $o{memcached} : 3;
    $self->{mc} = [ BearerTest::Memcached->start_many($nmc) ];

    my $apaches = defined $o{apaches} ? $o{apaches} : 2;
    $apaches = [ map { {} } 1 .. $apaches ] unless ref $apaches;
    for my $i (0 .. $#$apaches) {
        push @{ $self->{web} },
            BearerTest::Httpd->start(conf => $self->apache_conf($i, $apaches->[$i]));
    }
    $self->{ua} = LWP::UserAgent->new(keep_alive => 0, timeout => 30,
                                      requests_redirectable => []);
    return $self;
}

sub apache_conf {
    my ($self, $i, $own) = @_;
    my %o = (%{ $self->{opts} }, %$own);
    my @names = map { $_->hostport } @{ $self->{mc} };
    # Each Apache lists the servers in another order.
    my $k = $i % (@names || 1);
    @names = (@names[$k .. $#names], @names[0 .. $k - 1]);
    @names = reverse @names if $i % 2;
    my $secret = $self->{secret_file}{ $o{secret} || 'fleet' };

    my $conf = qq{BearerSecretFile "$secret"\n};
    $conf .= "BearerMemcache @names\n" if @names;
    $conf .= "BearerMemcacheReplicas $o{replicas}\n" if defined $o{replicas};
    $conf .= "BearerMemcacheTimeout $o{timeout}\n"   if defined $o{timeout};
    $conf .= "BearerCacheRecheck $o{recheck}\n"      if defined $o{recheck};
    $conf .= "BearerOutage $o{outage}\n"             if defined $o{outage};
    $conf .= <<'EOF';
# a few children and threads: several processes share the cache, and a
# loaded 2-core machine is not swamped
StartServers 2
ServerLimit 4
# thread directives only where the MPM has threads (the suite also runs
# under prefork)
<IfModule !mpm_prefork_module>
    ThreadsPerChild 8
    MinSpareThreads 8
    MaxSpareThreads 32
    MaxRequestWorkers 32
</IfModule>
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /p>
    AuthType Bearer
    AuthzSendForbiddenOnFailure On
    AuthName "fleet"
    Require valid-user
</Location>
<Location /p/view>
    Require bearer-scope a
</Location>
<Location /p/both>
    Require bearer-scope b
</Location>
EOF
    $conf .= "$o{conf}\n" if defined $o{conf};
    return $conf;
}

# ---- the parts -----------------------------------------------------------------

# attach($web, host => 'name'): an Apache the test started itself
# (BearerTest::Httpd, e.g. with virtual hosts that share the fleet's
# servers) joins the fleet's Apaches, reached with that Host header;
# returns its number. The same Apache may be attached once per virtual
# host. stop() stops it too.
sub attach {
    my ($self, $web, %o) = @_;
    push @{ $self->{web} }, $web;
    $self->{host}[ $#{ $self->{web} } ] = $o{host};
    return $#{ $self->{web} };
}

sub mc       { $_[0]->{mc}[ $_[1] ] }
sub mcs      { @{ $_[0]->{mc} } }
sub web      { $_[0]->{web}[ $_[1] ] }
sub webs     { @{ $_[0]->{web} } }
sub name     { ('A' .. 'Z')[ $_[1] ] }
sub mc_name  { 'memcached ' . ($_[1] + 1) . ' (' . $_[0]->{mc}[ $_[1] ]->hostport . ')' }

# Kills memcached $k with SIGKILL (a crash: it loses what it held).
sub crash_mc {
    my ($self, $k) = @_;
    $self->{mc}[$k]->kill9;
    return;
}

# Starts memcached $k again, empty, on its old port.
sub restart_mc {
    my ($self, $k) = @_;
    my $port = $self->{mc}[$k]->port;
    $self->{mc}[$k]->stop;
    delete $self->{paused}{$k};
    $self->{mc}[$k] = BearerTest::Memcached->start(port => $port);
    return;
}

# SIGSTOP / SIGCONT: a stopped server keeps its connections and data but
# answers nothing. holders() leaves stopped servers out.
sub pause_mc  { $_[0]->{paused}{ $_[1] } = 1; $_[0]->{mc}[ $_[1] ]->pause }
sub resume_mc { delete $_[0]->{paused}{ $_[1] }; $_[0]->{mc}[ $_[1] ]->resume }

# Stops everything: every server is told at once (memcached takes ~0.8 s
# to exit), then each is waited for.
sub stop {
    my ($self) = @_;
    my %seen;
    my @all = grep { $_->pid && !$seen{ $_->pid }++ } @{ $self->{web} }, @{ $self->{mc} };
    for my $s (@all) {
        kill 'CONT', $s->pid;
        kill 'TERM', $s->pid;
    }
    $_->stop for @all;
    return;
}

END {
    local $?;
    return unless $$ == $owner;
    $_->stop for @fleets;
}

# ---- HTTP ------------------------------------------------------------------------

sub url {
    my ($self, $i, $path) = @_;
    return $self->{web}[$i]->url($path);
}

# request($i, METHOD => $path, token => $t, json => $ref) -> HTTP::Response;
# $res->{fleet_elapsed} holds its duration in seconds.
sub request {
    my ($self, $i, $method, $path, %o) = @_;
    my $r = HTTP::Request->new($method => $self->url($i, $path));
    $r->header(Host => $self->{host}[$i]) if defined $self->{host}[$i];
    $r->header(Authorization => "Bearer $o{token}") if defined $o{token};
    if (exists $o{json}) {
        $r->header('Content-Type' => 'application/json');
        $r->content(ref $o{json} ? JSON::PP->new->canonical->encode($o{json}) : $o{json});
    }
    $r->header('Content-Length' => length($r->content // ''))
        if $method eq 'POST' || length($r->content // '');
    my $t0 = Time::HiRes::time();
    my $res = $self->{ua}->request($r);
    $res->{fleet_elapsed} = Time::HiRes::time() - $t0;
    push @{ $self->{timings} }, [ $res->{fleet_elapsed}, $self->name($i) . " $method $path",
                                  $res->code ];
    return $res;
}

# Every request of this process is timed (around the request alone):
# time_mark() now, then requests_within_ok($mark, $timeout_ms, $name) is
# one test: each request sent since the mark took at most
# wait_bound($timeout_ms) (the slow ones are listed).
sub time_mark { scalar @{ $_[0]->{timings} || [] } }

sub requests_within_ok {
    my ($self, $mark, $timeout_ms, $name) = @_;
    my @all = @{ $self->{timings} || [] }[ $mark .. $#{ $self->{timings} || [] } ];
    my $limit = wait_bound($timeout_ms);
    my @slow = grep { $_->[0] > $limit } @all;
    my ($worst) = sort { $b <=> $a } map { $_->[0] } @all;
    my $ok = Test::More::ok(@all && !@slow, sprintf('%s: each of %d requests within %.2f s '
        . '(timeout %d ms + %d ms + HTTP margin %d ms; the slowest %.2f s)', $name, scalar @all,
        $limit, $timeout_ms, MEMCACHE_SLACK * 1000, HTTP_MARGIN * 1000, $worst // 0));
    Test::More::diag(join "\n", map { sprintf '%.2f s: %s => %s', @$_ } @slow) unless $ok;
    return $ok;
}

# POST to the endpoint of Apache $i as the operator: ($res, $json). A
# token handed out is recorded for t/logscan (BearerTest::record_tokens).
sub mint {
    my ($self, $i, $body) = @_;
    my $res = $self->request($i, POST => BearerTest::ENDPOINT,
                             token => BearerTest::OPERATOR_TOKEN,
                             json => $body || {});
    my $json = BearerTest::json_of($res);
    BearerTest::record_tokens($json) if $res->code == 201 && ref $json eq 'HASH';
    return ($res, $json);
}

# Dies unless the mint is a 201 with a token; returns the decoded body.
sub mint_ok {
    my ($self, $i, $body) = @_;
    my ($res, $json) = $self->mint($i, $body);
    unless ($res->code == 201 && ref $json eq 'HASH' && $json->{access_token}) {
        die "mint on " . $self->name($i) . " failed: " . BearerTest::describe($res) . "\n";
    }
    return $json;
}

# mint_ok, and the token joins the file's list of minted tokens (minted),
# which logs_hold_no_secret_ok looks for in the logs.
sub mint_on {
    my ($self, $i, $body) = @_;
    my $t = $self->mint_ok($i, $body);
    push @{ $self->{minted} }, $t;
    return $t;
}

# Adds tokens minted otherwise (e.g. by parallel processes) to that list.
sub note_minted {
    my ($self, @tokens) = @_;
    push @{ $self->{minted} }, @tokens;
    return;
}

sub minted { @{ $_[0]->{minted} } }

# GET $path on Apache $i with token $t (a hash from mint_ok, or a string).
sub check {
    my ($self, $i, $path, $t) = @_;
    return $self->request($i, GET => $path,
                          token => ref $t ? $t->{access_token} : $t);
}

sub code {
    my ($self, $i, $path, $t) = @_;
    return $self->check($i, $path, $t)->code;
}

# What tokens got on $path of Apache $i, other than 200: "3 x 401, 1 x 503",
# '' when every one passed.
sub failures {
    my ($self, $i, $path, @tokens) = @_;
    my %codes;
    for my $t (@tokens) {
        my $code = $self->code($i, $path, $t);
        $codes{$code}++ unless $code == 200;
    }
    return join ', ', map { "$codes{$_} x $_" } sort keys %codes;
}

# GET / DELETE of an id on the endpoint of Apache $i, as the operator.
sub info {
    my ($self, $i, $id) = @_;
    $id = $id->{token_id} if ref $id;
    return $self->request($i, GET => BearerTest::token_path($id),
                          token => BearerTest::OPERATOR_TOKEN);
}

sub revoke {
    my ($self, $i, $id) = @_;
    $id = $id->{token_id} if ref $id;
    return $self->request($i, DELETE => BearerTest::token_path($id),
                          token => BearerTest::OPERATOR_TOKEN);
}

# Runs $code->($n) in $procs processes at once (n = 0 .. $procs - 1); each
# returns a list of lines (no newlines). Returns all their lines.
sub parallel {
    my ($self, $procs, $code) = @_;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my @pids;
    for my $n (0 .. $procs - 1) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            my @lines = eval { $code->($n) };
            my $ok = open my $fh, '>', "$dir/out.$n";
            print {$fh} map { "$_\n" } @lines if $ok;
            close $fh if $ok;
            POSIX::_exit($ok && !$@ ? 0 : 1);
        }
        push @pids, $pid;
    }
    my $failed = 0;
    for my $pid (@pids) {
        waitpid $pid, 0;
        $failed++ if $?;
    }
    die "$failed of $procs processes failed\n" if $failed;
    my @out;
    for my $n (0 .. $procs - 1) {
        open my $fh, '<', "$dir/out.$n" or die "out.$n: $!";
        chomp(my @lines = <$fh>);
        push @out, @lines;
    }
    return @out;
}

# ---- logs --------------------------------------------------------------------------

sub error_log {
    my ($self, $i) = @_;
    open my $fh, '<', $self->{web}[$i]->dir . '/error_log' or return '';
    local $/;
    return <$fh> // '';
}

# The lines of Apache $i's error log matching every pattern given.
sub log_lines {
    my ($self, $i, @re) = @_;
    my @lines = split /\n/, $self->error_log($i);
    for my $re (@re) {
        @lines = grep { $_ =~ $re } @lines;
    }
    return @lines;
}

# One test: no token minted in this file (minted, and @$tokens if given),
# no operator token and no fleet secret in any Apache's error log.
sub logs_hold_no_secret_ok {
    my ($self, $more) = @_;
    my $tokens = [ $self->minted, @{ $more || [] } ];
    my @bad;
    for my $i (0 .. $#{ $self->{web} }) {
        my $log = $self->error_log($i);
        for my $t (@$tokens) {
            next unless index($log, $t->{access_token}) >= 0;
            push @bad, $self->name($i) . " logs the token $t->{token_id}";
        }
        for my $s (BearerTest::OPERATOR_TOKEN, BearerTest::OPERATOR_TOKEN_2,
                   FLEET_SECRET, OTHER_SECRET) {
            push @bad, $self->name($i) . " logs an operator token or a secret"
                if index($log, $s) >= 0;
        }
        push @bad, $self->name($i) . " logs something shaped like a token"
            if $log =~ /bt_[A-Za-z0-9_-]{49}(?![A-Za-z0-9_-])/;
    }
    my $ok = Test::More::ok(!@bad, 'no Apache of the fleet logged a token, '
        . 'an operator token or the secret');
    Test::More::diag(join "\n", @bad) unless $ok;
    return $ok;
}

# ---- memcached, seen from outside ---------------------------------------------------

sub mc_connect {
    my ($self, $k) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{mc}[$k]->port,
                                  Timeout => 5)
        or die "connect to " . $self->mc_name($k) . ": $!\n";
    return $s;
}

# Waits (at most 5 s) until $s has something to read.
sub mc_wait {
    my ($s) = @_;
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    select(my $rout = $rin, undef, undef, 5) > 0
        or die "memcached did not answer within 5 s (stopped?)\n";
    return;
}

sub mc_line {
    my ($s) = @_;
    my $line = '';
    while ($line !~ /\n\z/) {
        mc_wait($s);
        my $n = sysread($s, $line, 1, length $line);
        die "memcached closed the connection\n" unless $n;
    }
    $line =~ s/\r\n\z//;
    return $line;
}

# The raw value under $key on server $k, or undef.
sub mc_get {
    my ($self, $k, $key) = @_;
    my $s = $self->mc_connect($k);
    print {$s} "get $key\r\n";
    my $line = mc_line($s);
    return undef if $line eq 'END';
    $line =~ /^VALUE \S+ \d+ (\d+)/ or die "memcached: unexpected '$line'\n";
    my $len = $1;
    my $data = '';
    while (length($data) < $len + 2) {
        mc_wait($s);
        my $n = sysread($s, $data, $len + 2 - length($data), length $data);
        die "memcached: short read\n" unless $n;
    }
    substr($data, -2) = '';
    mc_line($s) eq 'END' or die "memcached: no END\n";
    return $data;
}

# Stores $value under $key on server $k (exptime $ttl seconds, default 3600).
sub mc_set {
    my ($self, $k, $key, $value, $ttl) = @_;
    my $s = $self->mc_connect($k);
    printf {$s} "set %s 0 %d %d\r\n%s\r\n", $key, $ttl || 3600, length $value, $value;
    my $line = mc_line($s);
    die "memcached set: $line\n" unless $line eq 'STORED';
    return;
}

sub mc_delete {
    my ($self, $k, $key) = @_;
    my $s = $self->mc_connect($k);
    print {$s} "delete $key\r\n";
    return mc_line($s) eq 'DELETED';
}

# Every key server $k holds (memcached's lru_crawler metadump). One dump
# can miss items that memcached is moving between its LRUs at that moment:
# this is the union of dumps taken until three in a row add nothing.
sub mc_keys {
    my ($self, $k) = @_;
    my %keys;
    my $quiet = 0;
    for my $try (1 .. 20) {
        my $before = keys %keys;
        $keys{$_} = 1 for $self->mc_dump($k);
        $quiet = keys(%keys) == $before ? $quiet + 1 : 0;
        last if $quiet >= 3;
        Time::HiRes::sleep(0.05);
    }
    return sort keys %keys;
}

sub mc_dump {
    my ($self, $k) = @_;
    my $s = $self->mc_connect($k);
    print {$s} "lru_crawler metadump all\r\n";
    my @keys;
    while (1) {
        my $line = mc_line($s);
        last if $line eq 'END';
        die "memcached metadump: $line\n" if $line =~ /^(?:ERROR|BUSY|CLIENT_ERROR)/;
        next unless $line =~ /^key=(\S+)/;
        (my $key = $1) =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
        push @keys, $key;
    }
    return @keys;
}

# The running (not stopped) servers (indices) holding $key.
sub holders {
    my ($self, $key) = @_;
    return grep { $self->{mc}[$_]->pid && !$self->{paused}{$_}
                  && defined $self->mc_get($_, $key) } 0 .. $#{ $self->{mc} };
}

sub token_key { 'bearer:' . (ref $_[1] ? $_[1]->{token_id} : $_[1]) }
sub uses_key  { 'bearer:uses:' . (ref $_[1] ? $_[1]->{token_id} : $_[1]) }

# The key of a subject's cut-off: the subject's keyed hash (docs/fleet.md,
# "Revoking every token of a subject"), never the subject itself.
sub subject_key {
    my ($self, $subject) = @_;
    return 'bearer:subject:' . MIME::Base64::encode_base64url(substr(
        Digest::SHA::hmac_sha256("mod_bearer subject v1\0$subject", FLEET_SECRET), 0, 16));
}

# DELETE ?subject= on Apache $i, as the operator.
sub revoke_subject {
    my ($self, $i, $subject) = @_;
    return $self->request($i, DELETE => BearerTest::ENDPOINT() . "?subject=$subject",
                          token => BearerTest::OPERATOR_TOKEN);
}

# The seconds memcached $k keeps $key for (meta get's t flag): -1 for
# ever, undef when it does not hold it.
sub mc_ttl {
    my ($self, $k, $key) = @_;
    my $s = $self->mc_connect($k);
    print {$s} "mg $key t\r\n";
    my $line = mc_line($s);
    return undef if $line =~ /^EN\b/;
    $line =~ /^HD .*\bt(-?\d+)/ or die "memcached mg: unexpected '$line'\n";
    return $1;
}

# ---- time ------------------------------------------------------------------------------

sub elapsed {
    my ($t0) = @_;
    return Time::HiRes::time() - $t0;
}

sub nap {
    Time::HiRes::sleep($_[0]);
}

1;
