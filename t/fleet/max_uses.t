# SPDX-License-Identifier: Apache-2.0
# max_uses across a fleet (docs/fleet.md: never more than max_uses
# successes, fleet-wide): uses are counted in memcached on the token's
# replicas, whichever Apache serves the request, in sequence and in
# parallel; the count survives the loss of one server; and it stays exact
# after a server was away for a while on one Apache only.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PATH_A nap);

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(timeout => 1000);

plan tests => 16;

# Requests $t on A and B in turn, $n times; returns the codes.
sub alternate {
    my ($t, $n, $path) = @_;
    return map { $f->code($_ % 2 ? $B : $A, $path || PATH_ANY, $t) } 0 .. $n - 1;
}

sub tally {
    my %n;
    $n{$_}++ for @_;
    return join ', ', map { "$n{$_} x $_" } sort keys %n;
}

# $procs processes at once, each sending its share of the requests of
# @$plan ([apache, token] pairs); returns every "token_id code".
sub in_parallel {
    my ($procs, $plan) = @_;
    return $f->parallel($procs, sub {
        my ($p) = @_;
        return map {
            my ($i, $t) = @{ $plan->[$_] };
            "$t->{token_id} " . $f->code($i, PATH_ANY, $t);
        } grep { $_ % $procs == $p } 0 .. $#$plan;
    });
}

# --- in sequence, alternating -----------------------------------------------------------------
my $t = $f->mint_on($A, { max_uses => 5 });
my @codes = alternate($t, 20);
is("@codes", join(' ', (200) x 5, (401) x 15), 'max_uses 5, 20 requests alternating A and B: '
   . 'the first 5 pass, the rest 401');

$t = $f->mint_on($B, { max_uses => 5 });
alternate($t, 2);
my @left = map { (json_of($f->info($_, $t)) || {})->{uses_left} } $A, $B;
is("@left", '3 3', 'after 2 uses, GET by id says uses_left 3 on A and on B');
@codes = alternate($t, 4);
is(tally(@codes), '3 x 200, 1 x 401', 'then exactly 3 more pass');
status_is($f->info($B, $t), 404, 'GET by id of the used-up token: 404');

# --- in parallel ------------------------------------------------------------------------------
$t = $f->mint_on($A, { max_uses => 5 });
my @out = in_parallel(8, [ map { [ $_ % 2 ? $A : $B, $t ] } 1 .. 40 ]);
my %codes;
$codes{ (split / /)[1] }++ for @out;
is($codes{200} || 0, 5, 'max_uses 5, 40 requests from 8 processes on A and B at once: exactly 5 pass')
    or diag(tally(map { (split / /)[1] } @out));
is(tally(grep { $_ != 200 } map { (split / /)[1] } @out), '35 x 401', 'the others get 401');

my @ten = map { $f->mint_on($_ % 2 ? $A : $B, { max_uses => 3 }) } 1 .. 10;
@out = in_parallel(8, [ map { my $t = $_; map { [ $_ % 2 ? $A : $B, $t ] } 1 .. 8 } @ten ]);
my %passed;
for (@out) {
    my ($id, $code) = split / /;
    $passed{$id}++ if $code == 200;
}
my @wrong = grep { ($passed{ $_->{token_id} } || 0) != 3 } @ten;
is(scalar @wrong, 0, '10 tokens with max_uses 3, 8 requests each, all at once: each passes exactly 3 times')
    or diag(join ', ', map { "$_->{token_id}: " . ($passed{ $_->{token_id} } || 0) } @wrong);

# --- a server away for a while, seen by A only ----------------------------------------------
# A finds it unreachable and skips it; B never noticed. Once it answers
# again and A had traffic for a few seconds, both must count on the same
# replicas again.
my @plain = map { $f->mint_on($B) } 1 .. 6;       # not in A's cache
my $away = 1;
$f->pause_mc($away);
$f->code($A, PATH_ANY, $_) for @plain;     # A finds it unreachable
$f->resume_mc($away);
my @down = $f->log_lines($A, qr/BRR00083/, qr/\Q${\ $f->mc($away)->hostport }\E/);
is(scalar @down, 1, 'A logged (BRR00083) that ' . $f->mc_name($away) . ' stopped answering');
my @up;
my $until = time + 8;
while (time < $until && !@up) {     # past the 2 s retry, with traffic on A
    $f->code($A, PATH_ANY, $_) for @plain;
    $f->mint($A);
    nap(0.2);
    @up = $f->log_lines($A, qr/BRR00084/, qr/\Q${\ $f->mc($away)->hostport }\E/);
}
is(scalar @up, 1, 'and (BRR00084) that it answers again, within 8 s of traffic');
my @twenty = map { $f->mint_on($_ % 2 ? $A : $B, { max_uses => 3 }) } 1 .. 20;
my %n;
for my $t (@twenty) {
    $n{ $t->{token_id} } = grep { $_ == 200 } alternate($t, 8);
}
@wrong = grep { $n{ $_->{token_id} } != 3 } @twenty;
is(scalar @wrong, 0, '20 tokens with max_uses 3, 8 requests each alternating A and B: each passes exactly 3 times')
    or diag(join ', ', map { "$_->{token_id}: $n{ $_->{token_id} }" } @wrong);
@wrong = grep { scalar($f->holders($f->uses_key($_))) < 2 } @twenty;
is(scalar @wrong, 0, 'each has its counter on 2 servers or more')
    or diag(scalar(@wrong) . ' have not');
my @errors = grep { $f->log_lines($_, qr/BRR00097/) } $A, $B;
is(scalar @errors, 0, 'no counter went missing from every replica (BRR00097)');

# --- one server lost: the count goes on from the other replica --------------------------------
my @pair = map { $f->mint_on($A, { max_uses => 6 }) } 1 .. 2;
my @uses = map { [ alternate($_, 3) ] } @pair;
is(join(' ', map { @$_ } @uses), join(' ', (200) x 6), 'two tokens with max_uses 6: 3 uses each');
# Kill a server holding the first token's counter but not the second's if
# there is one, so that each token loses one copy of its counter or none.
my @h0 = $f->holders($f->uses_key($pair[0]));
my @h1 = $f->holders($f->uses_key($pair[1]));
my ($victim) = (grep({ my $k = $_; grep { $_ == $k } @h1 } @h0), @h0);
$f->crash_mc($victim);
@codes = map { [ alternate($_, 6) ] } @pair;
is(join(' ', map { tally(@$_) } @codes), '3 x 200, 3 x 401 3 x 200, 3 x 401',
   'one of their counters\' servers killed: each passes exactly 3 more times, then 401');
$f->restart_mc($victim);
@codes = map { alternate($_, 2) } @pair;
is("@codes", '401 401 401 401', 'the server back (empty): still used up');

$f->logs_hold_no_secret_ok;
$f->stop;
