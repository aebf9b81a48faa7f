# SPDX-License-Identifier: Apache-2.0
# A fleet check asks memcached in one round trip: with BearerCacheRecheck 0
# (memcached asked on every request), each check of a token with a
# subject sends the token's read to its two first servers and its
# subject's cut-off read to all three servers in the same round: for every
# one of the checks, bearer_memcached_rounds_total grows by exactly 1 and
# memcached counts exactly 5 gets (2 + 3), the token's first servers 2
# each. A token without a subject: 1 round, 2 gets. And the cut-off read
# that rides along decides: a subject revoked on B is refused on A with
# that one round.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY);

my ($A, $B) = (0, 1);
my $CHECKS = 10;
my $f = BearerTest::Fleet->start(recheck => 0, conf => <<'EOF');
<Location /metrics>
    SetHandler bearer-metrics
</Location>
EOF

plan tests => 4 * $CHECKS + 7;

sub rounds {
    my $res = $f->request($A, GET => '/metrics');
    my ($n) = ($res->decoded_content // '') =~ /^bearer_memcached_rounds_total (\d+)$/m;
    die "no bearer_memcached_rounds_total in /metrics\n" unless defined $n;
    return $n;
}

# cmd_get of each memcached server, from its own stats
sub gets_by_server {
    my @n;
    for my $k (0 .. $f->mcs - 1) {
        my $s = $f->mc_connect($k);
        print {$s} "stats\r\n";
        my $gets;
        while ((my $line = BearerTest::Fleet::mc_line($s)) ne 'END') {
            $gets = $1 if $line =~ /^STAT cmd_get (\d+)$/;
        }
        die "no cmd_get in the stats of " . $f->mc_name($k) . "\n" unless defined $gets;
        push @n, $gets;
    }
    return @n;
}

sub sum { my $s = 0; $s += $_ for @_; $s }

# One check on A; returns (status, rounds it took, gets per server).
sub measured_check {
    my ($t) = @_;
    my $r0 = rounds();
    my @g0 = gets_by_server();
    my $code = $f->code($A, PATH_ANY, $t);
    my @g1 = gets_by_server();
    my $r1 = rounds();
    return ($code, $r1 - $r0, map { $g1[$_] - $g0[$_] } 0 .. $#g0);
}

my $alice = $f->mint_ok($B, { subject => 'alice-one-round' });
my $anon  = $f->mint_ok($B);
# the first check on A finds no copy in its table (it cannot know the
# subject yet) and caches one; the checks after it are the steady state
is($f->code($A, PATH_ANY, $alice) . ' ' . $f->code($A, PATH_ANY, $anon), '200 200',
   'both tokens work on A (now cached there)');

my @holders = sort { $a <=> $b } $f->holders($f->token_key($alice));
is(scalar @holders, 2, 'the token with a subject sits on two of the three servers');

for my $n (1 .. $CHECKS) {
    my ($code, $rounds, @gets) = measured_check($alice);
    is($code, 200, "check $n of the token with a subject: 200");
    is($rounds, 1, "check $n: one round trip to memcached");
    is(sum(@gets), 5, "check $n: 5 gets in it (the token on 2 servers, the cut-off on 3)");
    is(join(' ', map { $gets[$_] } @holders), '2 2',
       "check $n: each of the token's servers got both of its gets");
}

my ($code, $rounds, @gets) = measured_check($anon);
is("$code $rounds " . sum(@gets), '200 1 2',
   'a token without a subject: 200, one round, 2 gets');

my $res = $f->request($B, DELETE => ENDPOINT . '?subject=alice-one-round',
                      token => OPERATOR_TOKEN);
is($res->code, 204, 'the subject revoked on B: 204');
($code, $rounds, @gets) = measured_check($alice);
is("$code $rounds", '401 1',
   'on A, its token is refused at once, by the cut-off read in the same round');
is(sum(@gets), 5, 'and that round held the 5 gets');
is($f->code($A, PATH_ANY, $anon), 200, 'the token without a subject still works');

$f->stop;
