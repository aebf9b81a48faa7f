# SPDX-License-Identifier: Apache-2.0
# A memcached server that accepts connections but never answers (SIGSTOP)
# must cost each request at most BearerMemcacheTimeout + 50 ms (the
# fleet promises in docs/fleet.md), whatever the request: validating (BearerCacheRecheck 0, so each
# one asks memcached), validating a max_uses token, minting, GET and DELETE
# by id. The Apaches say once that it went away (BRR00083), not once per
# request, and once that it is back (BRR00084). Nothing is lost on the way:
# every token answers as it should during the pause and after it.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PATH_A nap wait_bound);

my ($A, $B) = (0, 1);
my $TIMEOUT = 500;                  # ms (not less: a loaded machine)
# s: the contract's bound on a request's wait for memcached (the timeout
# + 50 ms), + the tests' HTTP margin (BearerTest::Fleet): each request is
# timed around itself alone
my $LIMIT = wait_bound($TIMEOUT);
my $f = BearerTest::Fleet->start(timeout => $TIMEOUT, recheck => 0);

plan tests => 18;

my @tokens = map { $f->mint_on($_ % 2 ? $A : $B, { scopes => ['a'] }) } 1 .. 20;
my @limited = map { $f->mint_on($_ % 2 ? $A : $B, { scopes => ['a'], max_uses => 1000 }) } 1 .. 6;
my $bad = grep { $f->code($A, PATH_A, $_) != 200 || $f->code($B, PATH_A, $_) != 200 } @tokens, @limited;
is($bad, 0, '26 tokens pass on A and B');

# The server to stop: the first one both Apaches list, so that its requests
# go out first in every batch (a stopped server must not hold up the
# others' requests, nor have them marked down).
my $k = 0;
my $name = $f->mc($k)->hostport;
my $on = grep { grep { $_ == $k } $f->holders($f->token_key($_)) } @tokens, @limited;
note("stopping memcached " . ($k + 1) . ", which holds $on of them");

# Every request is timed; $slow{kind} lists the slow ones, $wrong{kind}
# the unexpected answers.
my (%slow, %wrong, %count, $worst);
$worst = 0;
sub timed {
    my ($kind, $expect, $res) = @_;
    my $s = $res->{fleet_elapsed};
    $count{$kind}++;
    $worst = $s if $s > $worst;
    push @{ $slow{$kind} }, sprintf('%.2f s', $s) if $s > $LIMIT;
    push @{ $wrong{$kind} }, $res->code unless $res->code == $expect;
    return $res;
}

$f->pause_mc($k);
my (@revoked, @during);
my $until = time + 6;           # three probe intervals
my $round = 0;
while (time < $until) {
    for my $i ($A, $B) {
        my $t = $tokens[ $round % @tokens ];
        timed(validate => 200, $f->check($i, PATH_A, $t));
        timed(max_uses => 200, $f->check($i, PATH_A, $limited[ $round % @limited ]));
        my $res = timed(mint => 201, $f->request($i, POST => ENDPOINT,
                        token => OPERATOR_TOKEN, json => { scopes => ['a'] }));
        my $new = json_of($res);
        $f->note_minted($new) if $res->code == 201;
        push @during, $new if $res->code == 201;
        timed(get => 200, $f->info($i, $t));
        if ($res->code == 201) {
            my $victim = $f->mint_on(1 - $i);
            timed(delete => 204, $f->revoke($i, $victim));
            push @revoked, $victim;
        }
        timed(validate_new => 200, $f->check(1 - $i, PATH_A, $new)) if $res->code == 201;
    }
    $round++;
    nap(0.1);
}
for my $kind (qw(validate max_uses mint get delete validate_new)) {
    ok($count{$kind} && !$slow{$kind}, sprintf 'memcached stopped: each of %d requests (%s) '
       . 'took at most %.2f s (timeout %d ms + 50 ms + HTTP margin)', $count{$kind} // 0, $kind,
       $LIMIT, $TIMEOUT)
        or diag('slow: ' . join ', ', @{ $slow{$kind} });
}
note(sprintf 'the slowest took %.2f s', $worst);
my @wrong = map { "$_: @{ $wrong{$_} }" } sort keys %wrong;
ok(!@wrong, 'and each answered as it should (200, 201, 204)') or diag(join "\n", @wrong);

for my $i ($A, $B) {
    my @down = $f->log_lines($i, qr/BRR00083/, qr/\Q$name\E/);
    is(scalar @down, 1, $f->name($i) . ' logged BRR00083 once for it, not per request')
        or diag(scalar(@down) . " lines:\n" . join "\n", @down[0 .. ($#down > 4 ? 4 : $#down)]);
}
my @others = map { $f->log_lines($_, qr/BRR00083/) } $A, $B;
is(scalar(@others), 2, 'no other server was found unreachable')
    or diag(join "\n", @others);

# --- it answers again -----------------------------------------------------------------------
$f->resume_mc($k);
my %back;
$until = time + 10;
while (time < $until && keys(%back) < 2) {
    for my $i ($A, $B) {
        $f->check($i, PATH_A, $_) for @tokens[0 .. 4];
        $f->mint($i);
        $back{$i} = 1 if $f->log_lines($i, qr/BRR00084/, qr/\Q$name\E/);
    }
    nap(0.1);
}
ok($back{$A} && $back{$B}, 'resumed: A and B log that it answers again (BRR00084)')
    or diag('A: ' . ($back{$A} ? 'yes' : 'no') . ', B: ' . ($back{$B} ? 'yes' : 'no'));
@others = grep { !/\Q$name\E/ } map { $f->log_lines($_, qr/BRR0008[35]|BRR00135/) } $A, $B;
is(scalar @others, 0, 'no other server was ever marked down or flushed')
    or diag(join "\n", @others);

my @live = (@tokens, @limited, @during);
$bad = grep { $f->code($A, PATH_A, $_) != 200 || $f->code($B, PATH_A, $_) != 200 } @live;
is($bad, 0, 'every token minted before or during the pause passes on A and B ('
   . scalar(@live) . ')');
$bad = grep { $f->code($A, PATH_A, $_) != 401 || $f->code($B, PATH_A, $_) != 401 } @revoked;
is($bad, 0, 'every token revoked during the pause is refused on A and B ('
   . scalar(@revoked) . ')');
$bad = grep { scalar($f->holders($f->token_key($_))) < 2 } @live;
is($bad, 0, 'and each live token is on at least 2 servers');
$bad = grep { scalar($f->holders($f->token_key($_))) < 2 } @revoked;
is($bad, 0, 'each revoked one has tombstones on at least 2 servers');

$f->logs_hold_no_secret_ok;
$f->stop;
