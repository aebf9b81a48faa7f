# SPDX-License-Identifier: Apache-2.0
# A 201 is a token every host of the fleet honours (docs/fleet.md, "What a
# 201 promises"). A host trusts a live copy once min(replicas, servers - 1)
# servers answered: 2 with 3 servers and replicas 2. So with 1 of 3 servers
# live, a mint on Apache A answers 503 with Retry-After and leaves no token
# behind (the live server holds no live copy of it); with 2 of 3 live, it
# answers 201 and the token works on Apache B at once.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A nap);

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(recheck => 0, replicas => 2);
my $N = 6;

plan tests => 9;

# The token keys server $k holds whose value can still be read.
sub live_keys {
    my ($k) = @_;
    return grep { defined $f->mc_get($k, $_) } grep { /^bearer:/ } $f->mc_keys($k);
}

my $before = $f->mint_ok($A, { scopes => ['a'] });
is($f->code($B, PATH_A, $before), 200, 'all three servers up: a token minted on A passes on B');

$f->crash_mc(1);
$f->crash_mc(2);
my %had = map { $_ => 1 } live_keys(0);

my (@codes, @retry, $minted_json);
for (1 .. $N) {
    my ($res, $json) = $f->mint($A, { scopes => ['a'] });
    push @codes, $res->code;
    push @retry, $res->header('Retry-After') // '';
    $minted_json = $json if $res->code == 201;
}
is(join(' ', @codes), join(' ', ('503') x $N), "1 of 3 servers live: $N mints on A answer 503");
is(scalar(grep { $_ =~ /^\d+$/ } @retry), $N, 'each with Retry-After');
ok(!$minted_json, 'and none of them carries a token');
if ($minted_json) {
    is($f->code($B, PATH_A, $minted_json), 200, '(a 201 that B does not honour)');
}
else {
    pass('(no 201 to try on B)');
}

# What the refused mints wrote is taken back: nothing they wrote outlives
# the second their tombstone lives.
nap(2.5);
my @left = grep { !$had{$_} } live_keys(0);
is(scalar(@left), 0, 'the live server holds no key of a refused mint')
    or diag(scalar(@left) . ' keys left');

$f->restart_mc(1);
# Both Apaches find it again within their probe interval (2 s).
nap(2.5);
my @after;
for (1 .. $N) {
    my ($res, $json) = $f->mint($A, { scopes => ['a'] });
    push @after, [$res->code, $json];
}
is(join(' ', map { $_->[0] } @after), join(' ', ('201') x $N), "2 of 3 servers live: $N mints on A answer 201");
my @bad = grep { $_->[0] == 201 && $f->code($B, PATH_A, $_->[1]) != 200 } @after;
is(scalar(@bad), 0, 'and every one of those tokens passes on B at once');
my @alone = grep { $_->[0] == 201 && scalar($f->holders($f->token_key($_->[1]))) < 2 } @after;
is(scalar(@alone), 0, 'each is held by both live servers');

$f->stop;
