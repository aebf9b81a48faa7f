# SPDX-License-Identifier: Apache-2.0
# The refill copies subjects' cut-offs too (docs/fleet.md, "A server that
# comes back empty"): three memcached, two Apaches; tokens minted for a
# subject on both, the subject revoked on A (the cut-off on all three
# servers); then each of the three servers in turn is killed, restarted
# empty and left to the refill, with no request in between (a check would
# read the cut-off and put it back itself). Each one must get the cut-off
# back, with the expiry the revocation gave it (not a new one); at the end no
# server holds a copy written before the first restart, and the revoked
# subject's tokens are still refused on A and B, while another subject's
# token and a token minted for the subject afterwards still pass.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A nap elapsed);
use Time::HiRes ();

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(replicas => 2);
my $LIMIT = 60;

plan tests => 12;

my @hers = map { $f->mint_ok($_ % 2 ? $A : $B, { scopes => ['a'], subject => 'carla-refill' }) } 1 .. 6;
my $other = $f->mint_ok($A, { scopes => ['a'], subject => 'dan-refill' });
my @warm = map { my $t = $_; map { $f->code($_, PATH_A, $t) } $A, $B } @hers, $other;
is(scalar(grep { $_ != 200 } @warm), 0, 'six tokens of carla-refill and one of dan-refill pass on A and B');

status_is($f->revoke_subject($A, 'carla-refill'), 204, 'DELETE ?subject=carla-refill on A: 204');
my $key = $f->subject_key('carla-refill');
my $revoked_at = Time::HiRes::time();
my @ttl0 = map { $f->mc_ttl($_, $key) } 0 .. 2;
ok(!grep({ !defined || $_ <= 0 } @ttl0), "the cut-off is on all three servers, with an expiry (@ttl0 s)")
    or diag(explain(\@ttl0));
my $later = $f->mint_ok($B, { scopes => ['a'], subject => 'carla-refill' });

# Each Apache's refill task records every server's start when it first
# looks (every 5 s): it must have looked once before the first restart.
nap(6);
for my $k (0 .. 2) {
    $f->crash_mc($k);
    $f->restart_mc($k);
    my $t0 = Time::HiRes::time();
    my $ttl;
    while (elapsed($t0) < $LIMIT + 5) {
        $ttl = $f->mc_ttl($k, $key);
        last if defined $ttl;
        nap(1);
    }
    my $took = elapsed($t0);
    # the same expiry as the copies written by the revocation: what they
    # had left then, less the time since. memcached keeps time in whole
    # seconds from its own start, and the module rounds to the second, so
    # each copy made from a copy may come out a second or so off (at most
    # +3 or -6 here, three copies deep); a new expiry would be a day from
    # now, 10 s or more above what is due by then.
    my $due = $ttl0[$k] - int(elapsed($revoked_at));
    ok(defined $ttl && $ttl <= $due + 3 && $ttl >= $due - 6,
       sprintf('memcached %d restarted empty got the cut-off back within %d s, without requests '
               . '(%.1f s), with the expiry of the copies it was taken from (%s s left, %d due)',
               $k + 1, $LIMIT, $took, $ttl // 'none', $due));
    # the next restart must not start before this one's tokens are back
    my $t1 = Time::HiRes::time();
    my $single;
    while (elapsed($t1) < $LIMIT) {
        $single = grep { $f->holders($f->token_key($_)) < 2 } @hers, $other, $later;
        last unless $single;
        nap(1);
    }
    is($single, 0, "and every token has its two copies again");
}
my @logged = map { $f->log_lines($_, qr/BRR00162/, qr/ 1 subject cut-off\(s\)/) } $A, $B;
note($_) for @logged;
ok(scalar(@logged) >= 3, 'the refills logged the cut-off they copied (BRR00162, three or more lines)');

# Every copy of the cut-off now on the servers was written by a refill:
# what the tokens get below depends on it.
nap(2.5);    # past BearerCacheRecheck: A and B ask memcached again
my @codes = map { my $t = $_; map { $f->code($_, PATH_A, $t) } $A, $B } @hers;
is(scalar(grep { $_ != 401 } @codes), 0, "after all three servers were refilled, carla-refill's six "
   . "tokens are still refused on A and B (@codes)");
is($f->code($A, PATH_A, $other) . ' ' . $f->code($B, PATH_A, $other) . ' '
   . $f->code($A, PATH_A, $later) . ' ' . $f->code($B, PATH_A, $later), '200 200 200 200',
   "dan-refill's token and one minted for carla-refill after the revocation pass on A and B");

$f->stop;
