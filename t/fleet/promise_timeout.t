# SPDX-License-Identifier: Apache-2.0
# BearerMemcacheTimeout bounds the whole of one request's waiting on
# memcached: no request takes longer than the timeout plus 50 ms
# (docs/directives.md#bearermemcachetimeout), however many servers hang
# during it. Each request below meets one server stopped (SIGSTOP) before
# it starts, and a second one stopped a quarter of a timeout later, while
# the request waits on the first: the server a second round would ask. Each
# request's own time is asserted, for a check, a GET and a DELETE by id,
# and mints (whose servers the test cannot choose: mints are repeated
# until two of them met the first stopped server).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A nap);
use POSIX ();
use Time::HiRes ();

my $A = 0;
my $TIMEOUT = 0.5;                  # s: BearerMemcacheTimeout 500
my $BOUND = $TIMEOUT + 0.05;        # the documented bound
my $f = BearerTest::Fleet->start(timeout => $TIMEOUT * 1000, recheck => 0,
                                 replicas => 2);

plan tests => 9;

# Every server up again on both Apaches: resumed, the probe interval (2 s)
# waited out, and requests that probe them.
sub all_up {
    $f->resume_mc($_) for 0 .. 2;
    nap(2.2);
    my $t = $f->mint_ok($A, { scopes => ['a'] });
    $f->code($_, PATH_A, $t) for 0, 1, 0, 1;
    return;
}

# Runs $code (an HTTP request to Apache A) in a child; $first is stopped
# before it starts, $second a quarter of a timeout after (while the
# request's first round still waits on $first). Returns (status, seconds).
sub during_two_hangs {
    my ($first, $second, $code) = @_;
    pipe(my $rd, my $wr) or die "pipe: $!";
    $f->pause_mc($first);
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        close $rd;
        my $res = $code->();
        print {$wr} $res->code, ' ', $res->{fleet_elapsed}, "\n";
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    Time::HiRes::sleep($TIMEOUT / 4);
    $f->pause_mc($second);
    my $line = <$rd>;
    waitpid($pid, 0);
    close $rd;
    all_up();
    my ($status, $s) = split ' ', ($line // '0 999');
    return ($status, $s);
}

# A token's two holders (its first servers) and the third server.
sub places {
    my ($t) = @_;
    my @h = $f->holders($f->token_key($t));
    die "token not on 2 servers (@h)\n" unless @h == 2;
    my ($other) = grep { $_ != $h[0] && $_ != $h[1] } 0 .. 2;
    return ($h[0], $h[1], $other);
}

sub bounded {
    my ($what, $status, $s, $met) = @_;
    ok($s <= $BOUND, sprintf('%s: %.3f s (answer %s) <= %.3f s', $what, $s, $status, $BOUND));
    ok($s >= $TIMEOUT * 0.4, "$what: it did wait on the first stopped server") if $met;
    return;
}

for my $kind (qw(check get delete)) {
    my $t = $f->mint_ok($A, { scopes => ['a'] });
    $f->code($A, PATH_A, $t);
    my ($h1, $h2, $other) = places($t);
    # A holder stops: too few answers to trust the copy, so a second round
    # would ask the third server, stopped meanwhile.
    my ($status, $s) = during_two_hangs($h1, $other, sub {
        $kind eq 'check' ? $f->check($A, PATH_A, $t)
        : $kind eq 'get' ? $f->info($A, $t)
        :                  $f->revoke($A, $t);
    });
    bounded($kind, $status, $s, 1);
}

# Mints: the first server stopped, then the other two but one: a mint
# whose first servers include the stopped one waits for it, and its second
# round would go to the other stopped one.
my ($met, $tries, $worst, @over) = (0, 0, 0);
while ($met < 2 && $tries < 16) {
    $tries++;
    my ($status, $s) = during_two_hangs(0, 1 + $tries % 2, sub {
        ($f->mint($A, { scopes => ['a'] }))[0];
    });
    $met++ if $s >= $TIMEOUT * 0.4;
    $worst = $s if $s > $worst;
    push @over, sprintf('%.3f s (%s)', $s, $status) if $s > $BOUND;
}
is($met, 2, "two mints met the stopped server ($tries tries)");
is(join(', ', @over), '', sprintf('every mint within %.3f s (longest %.3f s)', $BOUND, $worst));

# Afterwards every server is up again: a new token passes.
my $t = $f->mint_ok($A, { scopes => ['a'] });
is($f->code(1, PATH_A, $t), 200, 'the fleet serves again');

$f->stop;
