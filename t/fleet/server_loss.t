# SPDX-License-Identifier: Apache-2.0
# Losing one memcached server of three (docs/fleet.md: with replicas >= 2
# it loses no token). 50 tokens are minted over two Apaches; one server is
# killed with SIGKILL: every token still passes on both Apaches, from the
# very first request on; minting goes on, onto the live servers; reads copy
# the tokens the dead server held onto the live ones. Then it comes back
# empty: every token still passes, the Apaches notice it answers again
# (BRR00084) and use it again.
#
# BearerCacheRecheck 0: every request asks memcached, so each check really
# reads the replicas.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PATH_A nap);

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(recheck => 0, replicas => 2);
my $N = 50;

plan tests => 24;

my @tokens = map { $f->mint_on($_ % 2 ? $A : $B, { scopes => ['a'] }) } 1 .. $N;
is($f->failures($A, PATH_A, @tokens) . $f->failures($B, PATH_A, @tokens), '', "$N tokens minted over A and B pass on both");

# The victim: the server holding the most copies.
my %on;
for my $t (@tokens) {
    $on{$_}++ for $f->holders($f->token_key($t));
}
my ($dead) = sort { $on{$b} <=> $on{$a} } keys %on;
my @live = grep { $_ != $dead } 0 .. 2;
my @lost_copy = grep { grep { $_ == $dead } $f->holders($f->token_key($_)) } @tokens;
note(scalar(@lost_copy) . " tokens have a copy on memcached " . ($dead + 1));

$f->crash_mc($dead);
is($f->failures($A, PATH_A, @tokens), '', $f->mc_name($dead) . ' killed (SIGKILL): every token passes on A, from the first request on');
is($f->failures($B, PATH_A, @tokens), '', 'and on B');

my @tokens2 = map { $f->mint_on($_ % 2 ? $A : $B, { scopes => ['a'] }) } 1 .. 10;
is(scalar @tokens2, 10, 'minting goes on: 10 more tokens, 201 each');
is($f->failures($A, PATH_A, @tokens2) . $f->failures($B, PATH_A, @tokens2), '', 'and they pass on both Apaches');
my @wrong = grep { join(' ', $f->holders($f->token_key($_))) ne "@live" } @tokens2;
is(scalar @wrong, 0, 'each of them is on both live servers')
    or diag(scalar(@wrong) . ' are not');
# (The request that found the server dead read from it and one other only:
# the token it read is repaired by the next read.)
$f->failures($A, PATH_A, @lost_copy);
@wrong = grep { join(' ', $f->holders($f->token_key($_))) ne "@live" } @lost_copy;
is(scalar @wrong, 0, 'the tokens that had a copy on the dead server were copied to the other '
   . 'live one as they were read (read repair)')
    or diag(scalar(@wrong) . ' of ' . scalar(@lost_copy) . ' were not');

my $t = $tokens[0];
status_is($f->info($B, $t), 200, 'GET by id on B works');
my $gone = $tokens[1];
status_is($f->revoke($A, $gone), 204, 'DELETE by id on A works');
is($f->code($B, PATH_ANY, $gone), 401, 'and B refuses that token');

for my $i ($A, $B) {
    my @down = $f->log_lines($i, qr/BRR00083/, qr/\Q${\ $f->mc($dead)->hostport }\E/);
    is(scalar @down, 1, $f->name($i) . ' logged once (BRR00083) that the server went down')
        or diag(join "\n", @down);
}

# --- it comes back, empty -----------------------------------------------------------------
$f->restart_mc($dead);
my @all = grep { $_ != $gone } @tokens, @tokens2;
is($f->failures($A, PATH_A, @all) . $f->failures($B, PATH_A, @all), '', 'restarted empty: every token still passes on A and B');
is($f->code($A, PATH_ANY, $gone) . $f->code($B, PATH_ANY, $gone), '401401', 'the revoked one stays refused');

# Retried after 2 s by one request (design): keep both Apaches busy for a while.
my %back;
my $deadline = time + 10;
while (time < $deadline && keys(%back) < 2) {
    for my $i ($A, $B) {
        $f->code($i, PATH_ANY, $_) for @all[0 .. 9];
        $f->mint_on($i, { scopes => ['a'] });
        $back{$i} = 1 if $f->log_lines($i, qr/BRR00084/, qr/\Q${\ $f->mc($dead)->hostport }\E/);
    }
    nap(0.2);
}
ok($back{$A}, 'A noticed the server answers again (BRR00084) within 10 s of traffic');
ok($back{$B}, 'so did B');

my @tokens3 = map { $f->mint_on($_ % 2 ? $A : $B, { scopes => ['a'] }) } 1 .. 20;
my @placed = grep { grep { $_ == $dead } $f->holders($f->token_key($_)) } @tokens3;
ok(@placed >= 4, 'of 20 tokens minted then, some are placed on it again (' . scalar(@placed) . ')');
is($f->failures($A, PATH_A, @all, @tokens3) . $f->failures($B, PATH_A, @all, @tokens3), '', 'every token passes on A and B');
my @again = map { $f->log_lines($_, qr/BRR00083/, qr/\Q${\ $f->mc($dead)->hostport }\E/) } $A, $B;
is(scalar @again, 2, 'neither Apache found it unreachable again (no stale connection to the '
   . 'killed process was reused)') or diag(join "\n", @again);

# --- two of three lost, then back empty --------------------------------------------------------
# With one server left, fewer answer than a host needs to trust a live copy
# (two): an outage. Minting answers 503 with Retry-After (docs/fleet.md,
# "What a 201 promises": a 201 now would be a token the other Apache
# refuses). When the two others come back (empty), minting works again and
# what is minted then passes everywhere, use counters included.
my @dead2 = grep { $_ != $dead } 0 .. 2;
$f->crash_mc($_) for @dead2;
my @refused = map { ($f->mint($_ % 2 ? $A : $B, { scopes => ['a'] }))[0] } 1 .. 6;
my @not503 = grep { $_->code != 503 || !defined $_->header('Retry-After') } @refused;
is(scalar @not503, 0, 'two of three killed: 6 mints on A and B answer 503 with Retry-After, no 201')
    or diag(join ', ', map { $_->code } @not503);
$f->restart_mc($_) for @dead2;
nap(2.5);                                   # past the retry time: both are asked again
my @lonely = map { $f->mint_on($A, { scopes => ['a'] }) } 1 .. 12;
my @lonely_limited = map { $f->mint_on($A, { scopes => ['a'], max_uses => 3 }) } 1 .. 6;
is($f->failures($A, PATH_A, @lonely, @lonely_limited), '',
   'both back empty: 18 tokens minted on A pass on A');
is($f->failures($B, PATH_A, @lonely), '', 'and the 12 without a use limit on B');
my @uses = map { my $t = $_; join '', map { $f->code($_ % 2 ? $B : $A, PATH_A, $t) == 200 ? 'y' : 'n' } 1 .. 3 }
           @lonely_limited;
is("@uses", join(' ', ('yyn') x 6), 'and each max_uses 3 token (used once) '
   . 'passes exactly twice more, alternating A and B');

$f->logs_hold_no_secret_ok;
$f->stop;
