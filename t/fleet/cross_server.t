# SPDX-License-Identifier: Apache-2.0
# Fleet mode across Apaches (docs/fleet.md): a token minted on one Apache
# works on the others at once; GET and DELETE by id work from any of them;
# a revocation takes effect at once on the Apache that made it and within
# BearerCacheRecheck seconds on the others (measured).
#
# Three memcached servers, three Apaches: A and B with BearerCacheRecheck 1,
# C with the default (2).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PATH_A PATH_B elapsed nap);
use Time::HiRes ();

my ($A, $B, $C) = (0, 1, 2);
my $f = BearerTest::Fleet->start(recheck => 1,
                                 apaches => [ {}, {}, { recheck => undef } ]);
my %recheck = ($A => 1, $B => 1, $C => 2);
# Margin on the revocation delay: requests on a loaded machine, and the
# second-granularity of the cache's clock.
my $MARGIN = 1.5;

plan tests => 29;

# Polls Apache $i with $t until it answers 401; returns (seconds from
# $since to the sending of the first request refused, or undef; the other
# codes seen meanwhile).
sub time_to_refusal {
    my ($i, $t, $since, $limit) = @_;
    my %other;
    while (elapsed($since) < $limit) {
        # when the request that is refused went out: what it took to come
        # back (a loaded machine) is not part of the delay
        my $sent = elapsed($since);
        my $code = $f->code($i, PATH_ANY, $t);
        return ($sent, \%other) if $code == 401;
        $other{$code}++;
        nap(0.05);
    }
    return (undef, \%other);
}

sub codes_text {
    my ($h) = @_;
    return join(', ', map { "$_ x $h->{$_}" } sort keys %$h) || 'none';
}

# --- minted on one, valid on the others at once ---------------------------------------
my $t = $f->mint_on($A, { scopes => ['a'], subject => 'alice', metadata => { plan => 'gold' } });
is($f->code($B, PATH_A, $t), 200, "minted on A, $t->{token_id} passes scope a on B at once");
is($f->code($C, PATH_A, $t), 200, 'and on C');
is($f->code($B, PATH_B, $t), 403, 'B still applies its scopes: 403 where b is required');

my $res = $f->info($B, $t);
my $json = json_of($res) || {};
ok($res->code == 200 && ($json->{subject} // '') eq 'alice' && ($json->{scope} // '') eq 'a'
   && ($json->{metadata}{plan} // '') eq 'gold' && ($json->{token_id} // '') eq $t->{token_id},
   'GET by id on B: 200 with the subject, scope and metadata given to A')
    or diag(BearerTest::describe($res));
ok(!exists $json->{access_token} && index($res->decoded_content, $t->{access_token}) < 0,
   'and without the token');

my (@on_a, @on_b);
push @on_a, $f->mint_on($A, { scopes => ['a'] }) for 1 .. 10;
push @on_b, $f->mint_on($B, { scopes => ['b'] }) for 1 .. 10;
my @bad = grep { $f->code($B, PATH_A, $_) != 200 } @on_a;
is(scalar @bad, 0, '10 tokens minted on A pass on B')
    or diag('refused: ' . join ' ', map { $_->{token_id} } @bad);
@bad = grep { $f->code($A, PATH_B, $_) != 200 || $f->code($C, PATH_B, $_) != 200 } @on_b;
is(scalar @bad, 0, '10 tokens minted on B pass on A and C')
    or diag('refused: ' . join ' ', map { $_->{token_id} } @bad);
@bad = grep { $f->code($A, PATH_A, $_) != 403 } @on_b;
is(scalar @bad, 0, 'and none of the scope-b tokens passes scope a anywhere')
    or diag('not 403: ' . join ' ', map { $_->{token_id} } @bad);

# --- DELETE by id on B of a token A minted and has cached -----------------------------
my $t2 = $f->mint_on($A);
is($f->code($A, PATH_ANY, $t2), 200, 'a second token works on A (now in its cache)');
my $since = Time::HiRes::time();
$res = $f->revoke($B, $t2);
status_is($res, 204, 'DELETE by id on B of the token minted on A: 204');
my @codes = map { $f->code($B, PATH_ANY, $t2) } 1 .. 5;
is("@codes", '401 401 401 401 401', 'B, which revoked it, refuses it at once (5 requests)');
status_is($f->info($A, $t2), 404, 'GET by id on A at once: 404 (the endpoint always reads memcached)');
status_is($f->revoke($A, $t2), 404, 'DELETE by id on A: 404, already revoked');
my ($delay, $seen) = time_to_refusal($A, $t2, $since, 10);
ok(defined $delay && $delay < $recheck{$A} + $MARGIN,
   "A refuses it within BearerCacheRecheck $recheck{$A} (+$MARGIN s)")
    or diag(defined $delay ? sprintf('after %.2f s', $delay) : 'still accepted after 10 s');
note(sprintf 'A refused it %.2f s after the DELETE on B; before: %s', $delay // -1, codes_text($seen));
ok(!grep({ $_ != 200 } keys %$seen), 'until then A answered 200 only (no 5xx)')
    or diag(codes_text($seen));

# --- DELETE on A: A refuses at once, B and C within their recheck -------------------------
my $t3 = $f->mint_on($A);
is($f->code($B, PATH_ANY, $t3) . $f->code($C, PATH_ANY, $t3), '200200',
   'a third token works on B and C (now in their caches)');
$since = Time::HiRes::time();
status_is($f->revoke($A, $t3), 204, 'DELETE by id on A: 204');
@codes = map { $f->code($A, PATH_ANY, $t3) } 1 .. 5;
is("@codes", '401 401 401 401 401', 'A refuses it at once, in every child (5 connections)');
for my $i ($B, $C) {
    my ($d, $s) = time_to_refusal($i, $t3, $since, 10);
    ok(defined $d && $d < $recheck{$i} + $MARGIN,
       $f->name($i) . " refuses it within BearerCacheRecheck $recheck{$i} (+$MARGIN s)")
        or diag(defined $d ? sprintf('after %.2f s', $d) : 'still accepted after 10 s');
    note(sprintf '%s refused it after %.2f s; before: %s', $f->name($i), $d // -1, codes_text($s));
}
status_is($f->info($B, $t3), 404, 'GET by id on B: 404');

# --- a client token logs itself out on B -------------------------------------------------
my $t4 = $f->mint_on($C, { scopes => ['a'] });
is($f->code($A, PATH_A, $t4), 200, 'a token minted on C works on A');
$res = $f->request($B, GET => token_path('self'), token => $t4->{access_token});
ok($res->code == 200 && (json_of($res) || {})->{token_id} eq $t4->{token_id},
   'GET self on B finds it')
    or diag(BearerTest::describe($res));
$since = Time::HiRes::time();
$res = $f->request($B, DELETE => token_path('self'), token => $t4->{access_token});
status_is($res, 204, 'DELETE self on B: 204');
is($f->code($B, PATH_A, $t4), 401, 'refused on B at once');
($delay) = time_to_refusal($A, $t4, $since, 10);
ok(defined $delay && $delay < $recheck{$A} + $MARGIN, 'and on A within its recheck')
    or diag(defined $delay ? sprintf('after %.2f s', $delay) : 'still accepted after 10 s');

# --- the other tokens were not touched ----------------------------------------------------
@bad = grep { $f->code($C, PATH_ANY, $_) != 200 } $t, @on_a, @on_b;
is(scalar @bad, 0, 'the 21 tokens never revoked still pass on C');
my @trouble = map { $f->log_lines($_, qr/BRR0008[3-5]|BRR00135/) } $A, $B, $C;
is(scalar @trouble, 0, 'no Apache saw a memcached server go down, or flushed one')
    or diag(join "\n", @trouble);
$f->logs_hold_no_secret_ok;

$f->stop;
