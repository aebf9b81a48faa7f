# SPDX-License-Identifier: Apache-2.0
# memcached in trouble (BearerOutage in docs/directives.md, docs/fleet.md):
#   - two servers of three stopped: minting answers 503 with Retry-After
#     (one server is fewer than a host needs answers to trust a live copy:
#     no 201 another host would refuse), and no token is left on the live
#     one;
#   - all three stopped: with BearerOutage stale (A) a token this Apache
#     has cached keeps passing until its own expiry, one it has not cached
#     gets 503 with Retry-After (never 401); with BearerOutage closed (B)
#     cached tokens get 503 too; minting, GET and DELETE by id get 503;
#   - memcached back: service resumes by itself, and no token was lost on
#     the way (also after a max_uses token was tried during the outage);
#   - all three killed and restarted empty: the tokens are gone (401 once
#     memcached answers again), minting works.
# BearerCacheRecheck 1: after 1.2 s a cached token is no longer trusted
# without asking memcached, so what follows shows the outage policy.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PATH_A nap wait_bound);
use Time::HiRes ();

my ($A, $B) = (0, 1);
my $TIMEOUT = 1000;      # ms: BearerMemcacheTimeout
my $f = BearerTest::Fleet->start(recheck => 1, timeout => $TIMEOUT,
                                 apaches => [ { outage => 'stale' }, { outage => 'closed' } ]);

plan tests => 38;

sub unavailable_ok {
    my ($res, $name) = @_;
    my $ok = Test::More::ok($res->code == 503 && ($res->header('Retry-After') // '') =~ /^\d+$/, $name);
    Test::More::diag(BearerTest::describe($res)) unless $ok;
    return $ok;
}

# --- before ------------------------------------------------------------------------------
my $short = $f->mint_on($A, { ttl => 15 });             # cached on A, expires soon
my $cached_a = $f->mint_on($B);                          # will be cached on A
my $cached_b = $f->mint_on($A);                          # will be cached on B
my $uncached = $f->mint_on($B);                          # never used on A
my $limited = $f->mint_on($A, { max_uses => 50 });       # cached on A
my @others = map { $f->mint_on($_ % 2 ? $A : $B) } 1 .. 20;
is($f->code($A, PATH_ANY, $short) . $f->code($A, PATH_ANY, $cached_a) . $f->code($A, PATH_ANY, $limited)
   . $f->code($B, PATH_ANY, $cached_b), '200200200200', 'tokens used on A and on B (now in their caches)');

# --- two of three stopped ------------------------------------------------------------------
# Eight mints at once, before A knows: with one server of three live, none
# may answer 201 (a host needs two answers to trust a live copy; docs/
# fleet.md, "What a 201 promises"), and none leaves a token behind.
my %had = map { $_ => 1 } $f->mc_keys(2);
$f->pause_mc(0);
$f->pause_mc(1);
my @rows = $f->parallel(8, sub {
    my ($res, $json) = $f->mint($A);
    return join ' ', $res->code, sprintf('%.2f', $res->{fleet_elapsed}),
        ($json && $json->{token_id} ? ($json->{token_id}, $json->{access_token}) : ());
});
my @degraded = map { my @x = split / /; +{ token_id => $x[2], access_token => $x[3] } }
               grep { /^201 / } @rows;
$f->note_minted(@degraded);
is(scalar(grep { /^503 / } @rows), 8, 'two servers of three stopped: 8 mints at once on A all get 503')
    or diag(join "\n", map { (split / /)[0] } @rows);
# Each request's own time (taken around the request in its process): at
# most one timeout + 50 ms for memcached, however many servers fail
# during it (docs/fleet.md, the fleet promises), + the tests' HTTP margin.
my @slow = grep { (split / /)[1] > wait_bound($TIMEOUT) } @rows;
ok(@rows == 8 && !@slow, sprintf 'each within %.2f s (BearerMemcacheTimeout %d ms + 50 ms '
   . '+ HTTP margin), the slowest %.2f s', wait_bound($TIMEOUT), $TIMEOUT,
   (sort { $b <=> $a } map { (split / /)[1] } @rows)[0] // 0)
    or diag('slow mints (s): ' . join ', ', map { (split / /)[1] } @slow);
my $mark = $f->time_mark;
nap(1.5);           # a refused mint's tombstone lives a second
my @left = grep { !$had{$_} && defined $f->mc_get(2, $_) } $f->mc_keys(2);
is(scalar @left, 0, 'none left a key on the live server') or diag("left: @left");
my ($res, $json) = $f->mint($A);
unavailable_ok($res, 'the next mint too (503 with Retry-After)');

# --- all three stopped ---------------------------------------------------------------------
$f->pause_mc(2);
nap(1.2);                                           # past BearerCacheRecheck
is($f->code($A, PATH_ANY, $cached_a), 200, 'all stopped, stale: a token cached on A passes on A');
is($f->code($A, PATH_ANY, $cached_b), 200, 'so does one A minted (cached when minted)');
unavailable_ok($f->check($A, PATH_ANY, $uncached), 'stale: a token A has not cached: 503 with Retry-After');
my $res2 = $f->check($A, PATH_ANY, $uncached);
is($res2->code, 503, 'again 503 (never 401: the token may be good)');
unavailable_ok($f->check($A, PATH_ANY, forge_token()),
               'a well-formed token nobody minted: 503 too (it cannot be told apart)');
is($f->code($A, PATH_ANY, corrupt_token($uncached->{access_token})), 401,
   'a token with a bad checksum: 401 (no store is asked)');
my $lim = $f->check($A, PATH_ANY, $limited);
ok($lim->code == 503, 'a cached max_uses token: 503, its use cannot be counted')
    or diag(BearerTest::describe($lim));

($res) = $f->mint($A);
unavailable_ok($res, 'stale: minting on A: 503');
unavailable_ok($f->info($A, $cached_a), 'GET by id on A: 503');
unavailable_ok($f->revoke($A, $cached_a), 'DELETE by id on A: 503');
is($f->code($A, PATH_ANY, $cached_a), 200, 'which did not revoke it on A');

unavailable_ok($f->check($B, PATH_ANY, $cached_b), 'closed: a token cached on B: 503');
unavailable_ok($f->check($B, PATH_ANY, $uncached), 'closed: one B has not cached: 503');
($res) = $f->mint($B);
unavailable_ok($res, 'closed: minting on B: 503');
unavailable_ok($f->info($B, $cached_b), 'GET by id on B: 503');

# The short-lived token passes on A until it expires, then no more.
my (%before, %after);
while (time <= $short->{expires_at} + 2) {
    my $code = $f->code($A, PATH_ANY, $short);
    my $now = time;
    if ($now < $short->{expires_at}) { $before{$code}++ }
    elsif ($now > $short->{expires_at}) { $after{$code}++ }
    nap(0.25);
}
ok(%before && join(',', sort keys %before) eq '200', 'stale: a cached token passes until its expiry...')
    or diag(join ', ', map { "$_ x $before{$_}" } sort keys %before);
ok(%after && !$after{200}, '...and not after it')
    or diag(join ', ', map { "$_ x $after{$_}" } sort keys %after);

$f->requests_within_ok($mark, $TIMEOUT, 'two, then three servers stopped: A and B');

# --- back ----------------------------------------------------------------------------------
# Each Apache asks a server again 2 s after it last failed: give them a few.
$mark = $f->time_mark;
$f->resume_mc($_) for 0 .. 2;
my @live = ($cached_a, $cached_b, $uncached, @others, @degraded);
my $bad;
ok(wait_until(10, sub {
        $bad = grep { $f->code($A, PATH_ANY, $_) != 200 || $f->code($B, PATH_ANY, $_) != 200 } @live;
        !$bad }),
   'all resumed: within 10 s every token minted before (and the one minted with two '
   . 'servers stopped) passes on A and B again: none was lost (' . scalar(@live) . ')')
    or diag("$bad do not");
is(($f->mint($A))[0]->code . ' ' . ($f->mint($B))[0]->code, '201 201', 'minting works again on A and B');
is($f->code($B, PATH_ANY, $limited), 200, 'the max_uses token passes again');
is((json_of($f->info($A, $limited)) || {})->{uses_left}, 48, 'and 2 of its uses were counted');
is(scalar(map { $f->log_lines($_, qr/BRR00085|BRR00135/) } $A, $B), 0,
   'no server was flushed: none missed a write it had to see');
my $t_new = $f->mint_on($B);
is($f->code($A, PATH_ANY, $t_new), 200, 'a token minted now on B passes on A');
status_is($f->revoke($A, $uncached), 204, 'DELETE by id works again');
is($f->code($A, PATH_ANY, $uncached), 401, 'A refuses that token at once');
ok(wait_until(1 + 1.5, sub { $f->code($B, PATH_ANY, $uncached) == 401 }),
   'and B within its BearerCacheRecheck (1 s, +1.5)');

# --- all killed: memcached restarted empty -------------------------------------------------
$f->crash_mc($_) for 0 .. 2;
nap(1.2);
is($f->code($A, PATH_ANY, $cached_a), 200, 'all killed, stale: a cached token still passes on A');
unavailable_ok($f->check($B, PATH_ANY, $cached_b), 'closed: 503 on B');
$f->restart_mc($_) for 0 .. 2;
ok(wait_until(8, sub { ($f->mint($A))[0]->code == 201 }), 'restarted (empty): minting on A works again');
ok(wait_until(4, sub { $f->code($A, PATH_ANY, $cached_a) == 401 }),
   'and the old tokens are gone once memcached answers: 401 on A (not served from its cache)');

$f->requests_within_ok($mark, $TIMEOUT, 'memcached back, then all killed and restarted: A and B');
$f->logs_hold_no_secret_ok;
$f->stop;
