# SPDX-License-Identifier: Apache-2.0
# A server that missed a revocation while it hung gives up exactly the keys
# it missed when it answers again, nothing else (docs/design.md, rule 2).
# Emptying it whole (flush_all) took copies that were by then the last
# ones: here, tokens whose other replica was on a server that had crashed
# and come back empty just before, and that nobody had read since (a read
# copies them back). docs/fleet.md: with replicas >= 2, one server away
# at a time loses no token.
#
#   1. 40 tokens on A; the pair of servers (K, S) holding most of them in
#      common; 1 more token on S and the third server, to revoke later;
#   2. K killed and restarted empty: those tokens have one copy, on S;
#   3. S stopped (SIGSTOP); the other token revoked on A: S misses the
#      tombstone (A marks it dirty);
#   4. S resumed; A uses it again and deletes what it missed (BRR00135);
#   5. every token on (K, S) still passes on A and B; the revoked one is
#      refused, and S no longer holds its live copy.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY nap);

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(replicas => 2, recheck => 0, timeout => 1000);
plan tests => 9;

my @tokens = map { $f->mint_on($A) } 1 .. 40;
my %pair;
for my $t (@tokens) {
    my @h = $f->holders($f->token_key($t));
    push @{ $pair{"@h"} }, $t if @h == 2;
}
my ($best) = sort { @{ $pair{$b} } <=> @{ $pair{$a} } } keys %pair;
my ($K, $S) = split / /, $best;
my @both = @{ $pair{$best} };
ok(@both >= 3, scalar(@both) . ' of 40 tokens have their copies on '
   . $f->mc_name($K) . ' and ' . $f->mc_name($S));

my $victim;
for (1 .. 50) {
    my $t = $f->mint_on($A);
    my @h = $f->holders($f->token_key($t));
    if (grep({ $_ == $S } @h) && !grep({ $_ == $K } @h)) {
        $victim = $t;
        last;
    }
}
ok($victim, 'and one more token with a copy on ' . $f->mc_name($S) . ' (and its other '
   . 'one on the third server), to revoke');

# 2. K crashes and comes back empty; nobody reads @both meanwhile. Other
#    traffic until A and B use K again (their idle connections to the
#    killed process fail first: K is down for them until its 2 s probe).
$f->crash_mc($K);
$f->restart_mc($K);
my $kname = $f->mc($K)->hostport;
my $back = sub {        # every Apache that found K down found it back
    !grep { $f->log_lines($_, qr/BRR00083/, qr/\Q$kname\E/)
            != $f->log_lines($_, qr/BRR00084/, qr/\Q$kname\E/) } $A, $B;
};
my $since = time;
my $deadline = time + 15;
until ((time > $since + 2.5 && $back->()) || time > $deadline) {
    $f->mint_on($_) for $A, $B;
    nap(0.2);
}
my $single = grep { join(' ', $f->holders($f->token_key($_))) eq "$S" } @both;
is($single, scalar @both, $f->mc_name($K) . ' killed and restarted empty: those tokens have '
   . 'one copy left, on ' . $f->mc_name($S));

# 3. S hangs; the revocation on A cannot reach it
$f->pause_mc($S);
status_is($f->revoke($A, $victim), 204, $f->mc_name($S) . ' stopped: the other token is revoked on A');

# 4. S answers again; A cleans up what it missed at its first use
$f->resume_mc($S);
my $name = $f->mc($S)->hostport;
$deadline = time + 10;
until ($f->log_lines($A, qr/BRR0013[5]|BRR00085/, qr/\Q$name\E/) || time > $deadline) {
    $f->mint_on($A);            # tokens placed on S again once A probed it
    nap(0.2);
}
my @cleaned = $f->log_lines($A, qr/BRR00135|BRR00085/, qr/\Q$name\E/);
ok(@cleaned && !grep(/BRR00085/, @cleaned), 'resumed: A deleted from it the keys it missed '
   . '(BRR00135), it did not flush it whole') or diag(join "\n", @cleaned);

# 5. nothing lost, nothing back
my $old = $f->mc_get($S, $f->token_key($victim));
ok(!defined $old || ord($old) != 1, $f->mc_name($S) . ' no longer holds the revoked '
   . "token's live copy");
my @lost = grep { $f->code($A, PATH_ANY, $_) != 200 || $f->code($B, PATH_ANY, $_) != 200 } @both;
is(scalar @lost, 0, 'no token lost: the ' . scalar(@both) . ' tokens whose last copy was on '
   . $f->mc_name($S) . ' pass on A and B')
    or diag(scalar(@lost) . ' fail: ' . join ' ', map { $_->{token_id} } @lost);
is($f->code($A, PATH_ANY, $victim) . ' ' . $f->code($B, PATH_ANY, $victim), '401 401',
   'the revoked token is refused on A and B');
$f->logs_hold_no_secret_ok;
$f->stop;
