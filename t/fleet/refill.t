# SPDX-License-Identifier: Apache-2.0
# A memcached server that comes back empty is refilled within a minute,
# with no request arriving (docs/fleet.md, "A server that comes back
# empty"): three memcached, two Apaches; tokens minted (some with
# max_uses) and some revoked; memcached 1 killed and restarted empty; no
# request is sent while the test waits (reading memcached directly) until
# it holds the tombstones and the copies back (60 s at most); then
# memcached 2 is killed: every live token still passes on both Apaches,
# and no revoked token comes back.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A nap elapsed);
use Time::HiRes ();

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(replicas => 2);
my ($N, $R) = (45, 9);
my $LIMIT = 60;

plan tests => 10;

my (@live, @revoked);
for my $n (1 .. $N) {
    my %body = (scopes => ['a']);
    $body{max_uses} = 100 if $n % 5 == 0;
    my $t = $f->mint_ok($n % 2 ? $A : $B, \%body);
    $t->{max_uses} = $body{max_uses};
    push @live, $t;
}
@revoked = splice(@live, 0, $R);
my @gone = grep { $_->code != 204 } map { $f->revoke($_ % 2 ? $A : $B, $revoked[$_]) } 0 .. $#revoked;
is(scalar(@gone), 0, "$N tokens minted over A and B, $R of them revoked");

# The tokens whose two copies are on memcached 1 and 2: with no refill,
# killing both loses them.
my @pair = grep { join(' ', sort $f->holders($f->token_key($_))) eq '0 1' } @live;
ok(@pair >= 1, scalar(@pair) . ' live tokens have their copies on memcached 1 and 2');

# Each Apache's refill task records every server's start when it first
# looks (every 5 s): it must have looked once before the restart.
nap(6);
$f->crash_mc(0);
$f->restart_mc(0);
my $t0 = Time::HiRes::time();

# No request: poll memcached 1 itself until it holds every tombstone and
# every live token has two copies again.
my ($missing_tomb, $single) = (0, 0);
while (elapsed($t0) < $LIMIT + 5) {
    $missing_tomb = grep { !defined $f->mc_get(0, $f->token_key($_)) } @revoked;
    $single = grep { $f->holders($f->token_key($_)) < 2 } @live;
    last if !$missing_tomb && !$single;
    nap(1);
}
my $took = elapsed($t0);
ok($missing_tomb == 0, "memcached 1 restarted empty got every tombstone back ($missing_tomb missing)");
ok($single == 0, "every live token has two copies again ($single with one)");
ok($took <= $LIMIT, sprintf('within %d s, without requests (%.1f s)', $LIMIT, $took));
my @limited_on_1 = grep { $_->{max_uses} && grep { $_ == 0 } $f->holders($f->token_key($_)) } @live;
my $no_counter = grep { !defined $f->mc_get(0, $f->uses_key($_)) } @limited_on_1;
is($no_counter, 0, scalar(@limited_on_1) . ' max_uses tokens copied back to memcached 1 have their use counter there too');
note($_) for map { $f->log_lines($_, qr/BRR00162/) } 0, 1;
ok(scalar(grep { $f->log_lines($_, qr/BRR00162/) } 0, 1) >= 1, 'an Apache logged the refill (BRR00162)');

$f->crash_mc(1);
is($f->failures($A, PATH_A, @live), '', 'memcached 2 killed: every live token passes on A');
is($f->failures($B, PATH_A, @live), '', 'and on B');
my @back = grep { $f->code($A, PATH_A, $_) != 401 || $f->code($B, PATH_A, $_) != 401 } @revoked;
is(scalar(@back), 0, 'no revoked token comes back: 401 on A and B');

$f->stop;
