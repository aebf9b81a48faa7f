# SPDX-License-Identifier: Apache-2.0
# Hostile HTTP input in fleet mode: the generator of
# t/hostile/random.t (BearerTest::Hostile) against virtual hosts with
# BearerMemcache set, on three real memcached servers, in four phases:
#
#   up          all three servers up: never a 5xx
#   stopped     memcached 1 stopped (SIGSTOP: it keeps its connections and
#               answers nothing): never a 5xx, replicas and the quorum
#               cover it
#   quorum      memcached 1 and 2 stopped: one server answers, fewer than
#               the quorum (2), so memcached is in outage for reads
#   all         memcached 3 killed too: no server answers
#
# In the two outage phases a 503 (with Retry-After; JSON
# "temporarily_unavailable" on the endpoint) is allowed only for a request
# that needs memcached (a token of ours with a good checksum, or the
# operator's GET/DELETE of an id, or a mint), and a mint that got one is
# sent again once the servers are back: it must get its 201 (so the 503
# was not a refusal in disguise). Per BearerOutage: the `stale` host keeps
# honouring the live tokens it has cached, the `closed` host answers 503
# for them.
#
# Two name-based virtual hosts share one secret and the three servers:
# stale.fleet.test (BearerOutage stale) and closed.fleet.test (BearerOutage
# closed); each request goes to one at random. The main server is in
# embedded mode and answers nothing here. BearerCacheRecheck 0, so every
# request with a token asks memcached.
#
# Among the credentials the generator sends are real tokens minted in fleet
# mode, sent whole: live ones of several scopes, revoked ones, ones whose
# value an attacker overwrote on every replica (gone: 401), and ones whose
# value was overwritten on one replica only (the other copy decides: they
# stay live). Their answers are exact.
#
# The seed is printed (on STDERR with the offending requests when a phase
# fails); BEARER_HOSTILE_SEED=n reruns the same requests,
# BEARER_HOSTILE_FLEET_COUNT=n changes how many (default 3000: 40 % up,
# 25 % stopped, 15 % quorum, 20 % all).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(FLEET_SECRET nap);
use BearerTest::Hostile ();
use BearerTest::Httpd ();
use BearerTest::Ports ();
use BearerTest::Secrets ();
use File::Temp ();

my $seed  = $ENV{BEARER_HOSTILE_SEED} // (time ^ $$) % 1_000_000;
my $count = $ENV{BEARER_HOSTILE_FLEET_COUNT} // 3000;
srand($seed);
my %phase_count = (up => int($count * 0.4), stopped => int($count * 0.25),
                   quorum => int($count * 0.15));
$phase_count{all} = $count - $phase_count{up} - $phase_count{stopped} - $phase_count{quorum};

plan tests => 27;
diag("hostile input, fleet mode: seed $seed, $count requests "
     . "(BEARER_HOSTILE_SEED=$seed to repeat)");

# ---- the fleet: three memcached servers, one Apache with two vhosts -----------

# BearerTest::Fleet for the memcached servers and for reading and writing
# them from outside; the Apache is our own (Fleet's Apaches configure the
# main server, not a virtual host).
my $f = BearerTest::Fleet->start(apaches => 0);
my @names = map { $f->mc($_)->hostport } 0 .. 2;
my $dir = File::Temp::tempdir('hostile-fleet-XXXXXX', DIR => $ENV{BEARER_T_RUN});
chmod 0711, $dir;
my $secret = "$dir/secret";
BearerTest::Secrets::write_private($secret, FLEET_SECRET . "\n");
my $port = BearerTest::Ports::free_port();
my %host = (stale => 'stale.fleet.test', closed => 'closed.fleet.test');

# BearerMemcacheTimeout 1000 ms: long enough that a healthy memcached on a
# loaded 2-core machine is not taken for a stopped one (that would turn
# "stopped" into an outage and its 503s into failures), short enough that
# the probes of stopped servers keep the file quick (each costs the request
# that makes it the whole timeout, once every 3 s or so per server).
sub vhost {
    my ($mode, @servers) = @_;
    return <<EOF;
<VirtualHost 127.0.0.1:$port>
    ServerName $host{$mode}
    BearerSecretFile "$secret"
    BearerMemcache @servers
    BearerMemcacheTimeout 1000
    BearerCacheRecheck 0
    BearerOutage $mode
</VirtualHost>
EOF
}

my $web = BearerTest::Httpd->start(port => $port, conf => <<EOF
StartServers 2
ServerLimit 4
<IfModule !mpm_prefork_module>
    ThreadsPerChild 8
    MinSpareThreads 8
    MaxSpareThreads 32
    MaxRequestWorkers 32
</IfModule>
# The first vhost answers any other Host too. The second lists the servers
# in another order: placement depends on their names only.
@{[ vhost('stale', @names) ]}
@{[ vhost('closed', reverse @names) ]}
# As in t/conf/extra.conf.in (the generator's expectations rely on these).
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
    BearerIssuableScopes stream:start stream:view chat:write
    BearerDefaultScopes stream:view
</Location>
<Location /p>
    AuthType Bearer
    AuthzSendForbiddenOnFailure On
    AuthName "platform"
</Location>
<Location /p/any>
    Require valid-user
</Location>
<Location /p/view>
    Require bearer-scope stream:start stream:view
</Location>
<Location /p/both>
    <RequireAll>
        Require bearer-scope stream:view
        Require bearer-scope chat:write
    </RequireAll>
</Location>
<Location /p/op>
    Require bearer-operator
</Location>
EOF
);

# The two virtual hosts join the fleet's Apaches, reached by their Host
# header: $f->request and $f->mint_on work on them.
my %at = map { $_ => $f->attach($web, host => $host{$_}) } qw(stale closed);

# call($mode, METHOD => $path, token => $t, json => $ref) on one vhost.
sub call {
    my ($mode, @rest) = @_;
    return $f->request($at{$mode}, @rest);
}

sub mint_on {
    my ($mode, $scopes) = @_;
    return $f->mint_on($at{$mode}, { scopes => $scopes });
}

# ---- the tokens the generator knows -------------------------------------------

# The server stopped in the "one stopped" phase (and again in the outage):
# the first one, as the stale host lists them. The outage also stops the
# second; the third stays up throughout.
my ($K, $J, $L) = (0, 1, 2);
my @known;
sub known {
    my ($t, $what, $state, $scopes) = @_;
    push @known, { token => $t->{access_token}, id => $t->{token_id}, what => $what,
                   state => $state, scopes => $scopes };
    return $t;
}

my @scope_sets = ([ 'stream:view' ], [ 'chat:write' ], [ 'stream:view', 'chat:write' ],
                  [ 'stream:start' ], []);
my $i = 0;
for my $scopes (@scope_sets) {
    known(mint_on($i++ % 2 ? 'closed' : 'stale', $scopes), 'live', 'live', $scopes);
}
for my $n (1 .. 2) {
    my $t = known(mint_on($n % 2 ? 'stale' : 'closed', ['stream:view']), 'revoked', 'gone', []);
    my $res = call($n % 2 ? 'closed' : 'stale', DELETE => token_path($t->{token_id}),
                   token => OPERATOR_TOKEN);
    die "revoking $t->{token_id}: " . $res->code . "\n" unless $res->code == 204;
}

# Values an attacker wrote: garbage, and another token's sealed value.
my $other = mint_on('stale', ['chat:write']);
my $other_value = $f->mc_get(($f->holders($f->token_key($other)))[0], $f->token_key($other));
my @garbage = ('garbage ' x 10, $other_value);
for my $n (0 .. 1) {
    my $t = known(mint_on('closed', ['stream:view']), 'overwritten-everywhere', 'gone', []);
    $f->mc_set($_, $f->token_key($t), $garbage[$n]) for $f->holders($f->token_key($t));
}

# Before the run: every known token answers as it should on both hosts (this
# also drops the overwritten ones from each host's cache, as a real read
# would have).
my @wrong;
for my $t (@known) {
    for my $mode (qw(stale closed)) {
        my $want = $t->{state} eq 'live' ? 200 : 401;
        my $got = call($mode, GET => '/p/any/r.txt', token => $t->{token})->code;
        push @wrong, "$t->{what} token $t->{id} on $host{$mode}: $got, not $want" if $got != $want;
    }
}
is(scalar @wrong, 0, 'before the run: ' . scalar(@known) . ' known tokens (live, revoked, '
   . 'overwritten on every replica) answer 200 / 401 on both hosts') or diag(join "\n", @wrong);
ok(scalar(grep { /BRR00090/ } split /\n/, $web->log),
   'the overwritten values were seen and logged (BRR00090)');

# Overwritten on one replica only, the one on the server that will be
# stopped: the copy on the other server decides, so they stay live (their
# first read repairs the bad copy).
for my $n (0 .. 1) {
    my $t;
    for (1 .. 20) {
        $t = mint_on($n ? 'stale' : 'closed', ['stream:view']);
        last if grep { $_ == $K } $f->holders($f->token_key($t));
    }
    die "no token placed on memcached 1 in 20 mints\n"
        unless grep { $_ == $K } $f->holders($f->token_key($t));
    known($t, 'overwritten-on-one', 'live', ['stream:view']);
    $f->mc_set($K, $f->token_key($t), $garbage[$n]);
}

# Material for the generator's mutations and its item paths.
my $good = mint_on('stale', ['stream:view']);

my $h = BearerTest::Hostile->new(
    port  => $port,
    hosts => [ map { { host => $host{$_}, outage => $_ } } qw(stale closed) ],
    good  => $good,
    known => \@known);

# ---- the phases --------------------------------------------------------------------

# A failing phase prints its seed and its first offending requests and
# answers on STDERR (shown by a run without -verbose too: BearerTest::loud),
# and writes every one of them, with the phase's counts, to
# t/logs/hostile-fleet-<seed>.txt (no token values: problems are redacted,
# requests are named by their header names).
my %run;
my $problem_file = Apache::Test::vars('t_logs') . "/hostile-fleet-$seed.txt";
sub phase_problems_ok {
    my ($phase, $run, $name, @problems) = @_;
    my $ok = is(scalar @problems, 0, $name);
    unless ($ok) {
        BearerTest::loud("failed: $name (BEARER_HOSTILE_SEED=$seed repeats the run; "
                         . @problems . " answers, all in $problem_file):",
                         @problems[0 .. ($#problems > 9 ? 9 : $#problems)]);
        diag(join "\n", @problems[0 .. ($#problems > 19 ? 19 : $#problems)]);
        if (open my $fh, '>>', $problem_file) {
            print {$fh} map { "$_\n" } "not ok: $name (seed $seed, $count requests)",
                $h->report($run, $phase), @problems, '';
            close $fh;
        }
    }
    return $ok;
}

sub phase_ok {
    my ($phase, $run, $fivexx_name) = @_;
    diag($_) for $h->report($run, $phase);
    is($run->{answered}, $phase_count{$phase},
       "$phase: $phase_count{$phase} requests sent (seed $seed), each answered");
    phase_problems_ok($phase, $run, "$phase: $fivexx_name", $h->problems($run, '5xx'));
    phase_problems_ok($phase, $run, "$phase: every answer a 4xx with a precise error, or a success "
                      . 'where one is due; known tokens exactly as they should',
                      $h->problems($run, 'other'));
}

# How many times each server was logged as answering again (BRR00084).
sub back_counts {
    my $log = $web->log;
    return map { my $n = $_; scalar grep { /BRR00084/ && /\Q$n\E/ } split /\n/, $log } @names;
}

# Each phase draws its requests from its own seed: how many probes the
# stopped phase's first loop below needs depends on timing, and must not
# change what the later phases send (BEARER_HOSTILE_SEED reruns them all).
my %phase_seed = (up => 0, stopped => 1, quorum => 2, all => 3);
sub phase_srand { srand($seed + 1_000_003 * $phase_seed{ $_[0] }) }

phase_srand('up');
$run{up} = $h->run($phase_count{up});
phase_ok(up => $run{up}, 'no 5xx answer, all memcached servers up');

# The request that finds a server stopped waits for the timeout, then must
# answer as if the server were already known to be down: for a token no
# server holds (a forged one with a good checksum), 401, not 503. Forged
# tokens (and the operator's GET of forged ids) one after another, until
# one of them has found the stopped server: each of 2 in 3 has it among its
# first two servers, so within a few requests.
$f->pause_mc($K);
my (@found_by, $found);
for my $n (1 .. 30) {
    # which kind comes first depends on the seed: runs cover both
    my $res = ($n + $seed) % 2
        ? call('stale', GET => '/p/any/r.txt', token => forge_token())
        : call('closed', GET => token_path(BearerTest::b64url(join '', map { chr int rand 256 } 1 .. 16)),
               token => OPERATOR_TOKEN);
    push @found_by, [ ($n + $seed) % 2 ? 401 : 404, $res->code ];
    $found = grep { /BRR00083/ && /\Q$names[$K]\E/ } split /\n/, $web->log;
    last if $found;
}
note('answers (expected got): ' . join ', ', map { "@$_" } @found_by);
ok($found && !grep({ $_->[0] != $_->[1] } @found_by),
   'stopped: up to the request that found memcached 1 stopped, forged tokens get 401 and '
   . 'forged ids 404, never 503')
    or diag('found: ' . ($found ? 'yes' : 'no') . '; answers (expected got): '
            . join ', ', map { "@$_" } @found_by);

phase_srand('stopped');
$run{stopped} = $h->run($phase_count{stopped});
phase_ok(stopped => $run{stopped}, 'no 5xx answer, memcached 1 of 3 stopped');
ok(scalar(grep { /BRR00083/ && /\Q$names[$K]\E/ } split /\n/, $web->log),
   'stopped: the Apache found memcached 1 unreachable (BRR00083): the phase was real');

for my $phase (qw(quorum all)) {
    # The third server is killed, not stopped: a stopped server costs the
    # request that probes it the whole timeout, every 3 s or so, and three
    # of them would keep this one client waiting nearly all the time.
    $phase eq 'quorum' ? $f->pause_mc($J) : $f->crash_mc($L);
    phase_srand($phase);
    $run{$phase} = $h->run($phase_count{$phase}, outage => 1);
    phase_ok($phase => $run{$phase},
             'no 5xx but 503s, with Retry-After, to requests that need memcached');
    my $n503 = 0;
    $n503 += $_->{503} // 0 for values %{ $run{$phase}{seen} };
    ok($n503 > 0, "$phase: $n503 requests got 503: the outage was real");
}
my $seen = $h->{known_seen}{outage} || {};
my $honoured = 0;
$honoured += $seen->{stale}{$_} for grep { /^live (?:200|403)$/ } keys %{ $seen->{stale} || {} };
ok($honoured > 0 && ($seen->{closed}{'live 503'} // 0) > 0,
   'outage: live known tokens were honoured from the cache on the stale host '
   . "($honoured times) and got 503 on the closed one") or diag(explain($seen));

# Back: each server is found again by the next request that probes it (one
# every 2 s per server): requests with a token until each has been logged
# answering again.
my @before = back_counts();
$f->resume_mc($_) for $K, $J;
$f->restart_mc($L);
my @back = back_counts();
my $until = time + 30;
while (time < $until && grep { $back[$_] <= $before[$_] } 0 .. 2) {
    call($_, GET => '/p/any/r.txt', token => $known[0]{token}) for qw(stale closed);
    nap(0.2);
    @back = back_counts();
}
ok(!grep({ $back[$_] <= $before[$_] } 0 .. 2),
   'resumed: the Apache finds all three servers answering again (BRR00084)')
    or diag("before: @before, now: @back");
my ($replayed, @replay_problems) = $h->replay_outage_mints;
ok($replayed > 0 && !@replay_problems,
   "every mint that got 503 in the outage ($replayed, not none) gets its 201 now")
    or diag(join "\n", @replay_problems[0 .. ($#replay_problems > 9 ? 9 : $#replay_problems)]);

# ---- over all phases ------------------------------------------------------------------

my $by_cat = $h->counts(values %run);
ok(($by_cat->{auth} // 0) > $count / 10 && ($by_cat->{'auth-binary'} // 0) > 10
   && ($by_cat->{body} // 0) > $count / 10 && ($by_cat->{'method-path'} // 0) > $count / 20
   && ($by_cat->{truncated} // 0) + ($by_cat->{'slow-truncated'} // 0) > 5
   && ($by_cat->{'slow-whole'} // 0) + ($by_cat->{'slow-truncated'} // 0) > 5,
   'every case was sent: Authorization headers, binary bytes, bodies, methods and paths, '
   . 'slow and truncated bodies') or diag(explain($by_cat));
# What the known tokens got, by memcached's state and host: "state status" x n.
for my $p (sort keys %{ $h->{known_seen} }) {
    for my $m (sort keys %{ $h->{known_seen}{$p} }) {
        my $c = $h->{known_seen}{$p}{$m};
        diag("known tokens, $p, $m host: " . join ', ', map { "$_ x $c->{$_}" } sort keys %$c);
    }
}
my $known_checks = 0;
for my $p (values %{ $h->{known_seen} }) { for my $m (values %$p) { $known_checks += $_ for values %$m } }
ok($known_checks > $count / 25, "known tokens were sent whole and checked exactly ($known_checks times)");

# The fleet still works: a mint on one host passes on the other.
my $t1 = mint_on('stale', ['stream:view']);
my $t2 = mint_on('closed', ['stream:view']);
is(call('closed', GET => '/p/view/r.txt', token => $t1->{access_token})->code
   . ' ' . call('stale', GET => '/p/view/r.txt', token => $t2->{access_token})->code,
   '200 200', 'afterwards both hosts mint tokens that work on the other');

my ($died, $emerg) = BearerTest::Hostile::log_troubles($web->dir . '/error_log', 0);
is(scalar @$died, 0, 'no child died (no "exit signal" in the error log)')
    or diag(@$died[0 .. ($#$died > 4 ? 4 : $#$died)]);
is(scalar @$emerg, 0, 'the module logged nothing critical')
    or diag(redact(join '', @$emerg[0 .. ($#$emerg > 4 ? 4 : $#$emerg)]));

# No token, operator token or secret in the log.
my $log = $web->log;
my @leaks;
for my $t ($f->minted, map { { access_token => $_ } } keys %{ $h->{fresh} }) {
    push @leaks, 'a token' if index($log, $t->{access_token}) >= 0;
}
for my $s (OPERATOR_TOKEN, OPERATOR_TOKEN_2, FLEET_SECRET) {
    push @leaks, 'an operator token or the secret' if index($log, $s) >= 0;
}
push @leaks, 'something shaped like a token' if $log =~ /bt_[A-Za-z0-9_-]{49}(?![A-Za-z0-9_-])/;
is(scalar @leaks, 0, 'the error log holds no token, operator token or secret')
    or diag(join ', ', @leaks);

$web->stop;
$f->stop;
