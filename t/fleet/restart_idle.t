# SPDX-License-Identifier: Apache-2.0
# A memcached server that restarts (killed and started again on its port)
# between two requests: every Apache child still holds idle connections
# to the old process, which the new one never accepted. The first request
# to use one finds it closed before any answer; it must send its batch
# again on a new connection, not count the server as failed: no request
# fails, and the server is never marked down (no BRR00083 for it), so the
# Apache keeps placing and reading tokens on it at once.
#
# Without the resend, every child's first use of each stale connection
# logged BRR00083 ("broken answer") and skipped the server for its 2 s
# retry time although it was back.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A);

my $A = 0;
my $f = BearerTest::Fleet->start(apaches => 1, recheck => 0, replicas => 2);
my $N = 30;

plan tests => 6;

my @tokens = map { $f->mint_ok($A, { scopes => ['a'] }) } 1 .. $N;
# Twice over, so that the children hold idle connections to every server.
is($f->failures($A, PATH_A, @tokens) . $f->failures($A, PATH_A, @tokens), '', "$N tokens minted and used (recheck 0: every check asks memcached)");

# The server holding the most copies restarts between two requests.
my %on;
for my $t (@tokens) {
    $on{$_}++ for $f->holders($f->token_key($t));
}
my ($victim) = sort { $on{$b} <=> $on{$a} || $a <=> $b } keys %on;
my $hostport = $f->mc($victim)->hostport;
my $down_before = () = $f->log_lines($A, qr/BRR00083/, qr/\Q$hostport\E/);
is($down_before, 0, $f->mc_name($victim) . ' never went down before the restart');

$f->crash_mc($victim);
$f->restart_mc($victim);

is($f->failures($A, PATH_A, @tokens) . $f->failures($A, PATH_A, @tokens), '',
   'after ' . $f->mc_name($victim) . ' restarted (empty): every token passes, from the first request on');
my @fresh = map { $f->mint_ok($A, { scopes => ['a'] }) } 1 .. 10;
is($f->failures($A, PATH_A, @fresh), '', 'tokens minted after the restart pass');

my @down = $f->log_lines($A, qr/BRR00083/, qr/\Q$hostport\E/);
is(scalar(@down), 0, 'the restarted server was never marked down: stale idle connections were replaced, '
   . 'the batch sent again') or diag(join "\n", @down);

my $placed = grep { grep { $_ == $victim } $f->holders($f->token_key($_)) } @fresh;
ok($placed > 0, "new tokens were placed on the restarted server at once ($placed of 10)");

$f->stop;
