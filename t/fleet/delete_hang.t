# SPDX-License-Identifier: Apache-2.0
# A DELETE that meets a hanging memcached server (SIGSTOP) only after its
# first round still revokes: docs/fleet.md promises that the requests that
# meet a hanging server first wait half of BearerMemcacheTimeout and go on
# with the others, with no error. Here the token's two servers answer the
# look-up's first round; the third server, stopped and still taken for up,
# is first met by the read of the token subject's cut-off (every server is
# asked). That read must leave the tombstones their time: 204 within the
# timeout + 50 ms (+ the tests' HTTP margin), not a 503 after the whole
# timeout, and the token is refused everywhere afterwards.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY nap wait_bound);

my ($A, $B) = (0, 1);
my $TIMEOUT = 1000;     # ms
my $LIMIT = wait_bound($TIMEOUT);
my $f = BearerTest::Fleet->start(replicas => 2, timeout => $TIMEOUT, recheck => 0);

plan tests => 4;

# Tokens with a subject, one for each server to stop: placed on the other
# two (placement depends on the names only: the same on A and B).
my %token;
for (1 .. 60) {
    my $t = $f->mint_on($B, { subject => "hang-$_" });
    my @on = $f->holders($f->token_key($t));
    next unless @on == 2;
    my ($off) = grep { my $k = $_; !grep { $_ == $k } @on } 0 .. 2;
    $token{$off} //= $t;
    last if keys %token == 3;
}
is(scalar keys %token, 3, 'for each server, a token with a subject held by the other two');

my (@answers, @refused);
for my $k (sort keys %token) {
    my $t = $token{$k};
    $f->pause_mc($k);
    my $res = $f->revoke($A, $t);
    push @answers, sprintf('%s stopped: %d in %.2f s', $f->mc_name($k), $res->code, $res->{fleet_elapsed});
    push @answers, '  ' . BearerTest::describe($res) if $res->code != 204;
    push @refused, join ' ', map { $f->code($_, PATH_ANY, $t) } $A, $B;
    $f->resume_mc($k);
    nap(2.2);           # past the probe: the server is used again
    $f->code($A, PATH_ANY, $f->mint_on($A, {})) for 1 .. 3;
}
is(scalar(grep { !/: 204 in / } grep { !/^  / } @answers), 0,
   'each DELETE whose first round missed the stopped server answers 204')
    or BearerTest::loud(@answers);
is(scalar(grep { / in (\S+) s/ && $1 > $LIMIT } @answers), 0,
   sprintf('each within %.2f s (timeout + 50 ms + HTTP margin)', $LIMIT))
    or BearerTest::loud(@answers);
is(join(', ', @refused), '401 401, 401 401, 401 401', 'each revoked token is refused on A and B');
note($_) for @answers;
$f->stop;
