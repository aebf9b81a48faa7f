# SPDX-License-Identifier: Apache-2.0
# memcached servers failing under load: a fleet of three
# memcached and two Apaches (replicas 2, BearerCacheRecheck 1), six client
# processes minting on either Apache without pause, using each fresh token
# on both, revoking every fourth on the other Apache and trying it there at
# once and, past the recheck window, on the first. Meanwhile one memcached
# is killed (SIGKILL) and restarted empty on its port, then another is
# stopped (SIGSTOP) for longer than BearerMemcacheTimeout and resumed with
# its old data.
#
# With one server of three away at a time, as docs/fleet.md promises: no
# request fails or gets a 5xx; every answer is the one expected (201, 200,
# 204, 401); no request waits longer than BearerMemcacheTimeout + 50 ms
# (the contract's fleet promises) + the tests' HTTP margin, each request
# timed alone; every phase has its share of requests and every client
# process ends cleanly; afterwards every token that got a 201 and was not
# revoked works on both Apaches, and no revoked one is accepted again.
# Counts and times are printed per phase (token ids only, never tokens).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PREFORK_ROOM HTTP_MARGIN nap wait_bound);
use BearerTest::Load;
use Time::HiRes ();
use Time::Local ();

my ($A, $B) = (0, 1);
my $TIMEOUT = 1500;     # ms: BearerMemcacheTimeout
# What a request may take: the timeout + 50 ms (the contract), + the HTTP
# margin of BearerTest::Fleet (its exchange, a client and two Apaches
# scheduled on a shared 2-core machine). Far less than a second timeout: a
# request that waited on a stalled server twice is caught.
my $LIMIT = wait_bound($TIMEOUT);
# The fewest requests a phase must hold to count: 10 a second (six clients
# without pause send hundreds), so that a phase nobody could send in fails.
my $MIN_RATE = 10;
my $RECHECK = 1;
my ($KILLED, $STOPPED) = (0, 1);        # memcached 1 and 2

my $f = BearerTest::Fleet->start(replicas => 2, recheck => $RECHECK,
                                 timeout => $TIMEOUT, conf => PREFORK_ROOM);
plan tests => 15;

my @before = map { $f->mint_ok($_ % 2 ? $A : $B) } 1 .. 20;
my $bad = grep { $f->code($A, PATH_ANY, $_) != 200 || $f->code($B, PATH_ANY, $_) != 200 } @before;
is($bad, 0, '20 tokens minted before the load pass on A and B');

my $load = BearerTest::Load->start(bases => [ $f->url($A, ''), $f->url($B, '') ],
                                   clients => 6, check => PATH_ANY,
                                   revoke_every => 4, settle => $RECHECK + 0.5,
                                   max_seconds => 180);
# Each phase keeps when its faults were done (event(name) after each), so
# that a failure can say when its bad answers came.
my @phases;
my $events;
sub phase {
    my ($name, $code) = @_;
    my $t0 = Time::HiRes::time();
    $events = [];
    $code->();
    push @phases, [ $name, $t0, Time::HiRes::time(), $events ];
}
sub event { push @$events, [ $_[0], Time::HiRes::time() ] }

phase('calm' => sub { nap(2) });
phase('SIGKILL, restart' => sub {
    $f->crash_mc($KILLED);
    event('SIGKILL');
    nap(3);
    $f->restart_mc($KILLED);        # empty, same port
    event('restarted');
    nap(3);                         # past the 2 s probe: used again
});
phase('SIGSTOP, SIGCONT' => sub {
    $f->pause_mc($STOPPED);
    event('SIGSTOP');
    nap(5);                         # > the timeout, and two probes
    $f->resume_mc($STOPPED);        # with its old data
    event('SIGCONT');
    nap(3);
});
my $r = $load->stop;
my $end = Time::HiRes::time();

# --- during the load ------------------------------------------------------------------------
my @minted = grep { $_->[1] == 201 } @{ $r->{mints} };
my %revoked = map { $_->[3] => 1 } grep { $_->[1] == 204 } @{ $r->{revokes} };
ok(@minted > 100 && keys(%revoked) > 20, scalar(@minted) . ' tokens minted and '
   . keys(%revoked) . ' revoked by the clients');
is(join(', ', @{ $r->{bad_exits} }), '', 'each of the 6 client processes ran to the end and exited cleanly');

# What the Apache that gave a bad answer logged while it was at it: its
# lines of level notice and above, and the ones that name the token, from
# the request's start to its end (a bad request as tally lists it).
my %month = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5, Jul => 6,
             Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
sub log_around {
    my ($q) = @_;
    my ($kind, $t0, $code, $failed, $id, undef, $took, $server) = @$q;
    my @lines;
    for my $line (split /\n/, $f->error_log($server)) {
        my ($mon, $d, $h, $mi, $sec, $y, $level) = $line =~
            /^\[\w+ (\w+) (\d+) (\d+):(\d+):([\d.]+) (\d+)\] \[([^\]]+)\]/ or next;
        my $at = Time::Local::timelocal(0, $mi, $h, $d, $month{$mon}, $y) + $sec;
        next if $at < $t0 - 0.01 || $at > $t0 + $took + 0.01;
        next unless $level !~ /:(?:info|debug|trace\d)$/ || ($id ne '-' && index($line, $id) >= 0);
        push @lines, sprintf '  +%.3f s %s', $at - $t0, substr($line, 0, 400);
    }
    return (sprintf('%s of %s on %s (%s): %d log lines while it ran', $kind, $id, $f->name($server),
                    $failed ? 'no answer' : $code, scalar @lines), @lines[0 .. ($#lines > 29 ? 29 : $#lines)]);
}

# A phase with bad answers says which (on STDERR, shown without -verbose
# too: BearerTest::loud): kind, status, server, how many, when (seconds
# after the phase began, beside its faults' times), what the first one got.
my @servers = map { $f->name($_) } $A, $B;
for my $p (@phases) {
    my ($name, $from, $to, $ev) = @$p;
    my $t = BearerTest::Load::tally($r, $from, $to);
    my @wrong = map { "$_ x $t->{wrong}{$_}" } sort keys %{ $t->{wrong} };
    my $min = int($MIN_RATE * ($to - $from));
    my $test = sprintf('%s: %d requests (at least %d), %d without an answer, %d 5xx, every '
                       . 'answer as expected', $name, $t->{requests}, $min, $t->{failed},
                       $t->{status5xx});
    ok($t->{requests} >= $min && $t->{failed} == 0 && $t->{status5xx} == 0 && !@wrong, $test)
        or BearerTest::loud(sprintf('failed: %s; the phase took %.2f s (%s); %s', $test,
                                    $to - $from, join(', ', map { sprintf '%s at +%.2f s', $_->[0],
                                                                  $_->[1] - $from } @$ev) || 'no fault',
                                    @wrong ? "unexpected answers: @wrong:" : 'no unexpected answer'),
                            BearerTest::Load::describe_bad($t->{bad}, $from, \@servers, 20),
                            map { log_around($_) } @{ $t->{bad} }[0 .. ($#{ $t->{bad} } > 2 ? 2 : $#{ $t->{bad} })]);
    ok($t->{requests} && $t->{max} <= $LIMIT,
       sprintf('%s: each request within %.2f s (timeout %d ms + 50 ms + HTTP margin %d ms): '
               . 'the longest took %.2f s (%s)', $name, $LIMIT, $TIMEOUT, HTTP_MARGIN * 1000,
               $t->{max}, $t->{slowest}));
}
# Which requests waited longer than the timeout, for the record.
my @all = map { my $k = $_; map { [ $k, @$_ ] } @{ $r->{$k} } } qw(mints checks revokes refusals);
my @slow = sort { $b->[6] <=> $a->[6] } grep { $_->[6] > $TIMEOUT / 1000 } @all;
note(scalar(@slow) . ' requests took longer than the timeout'
     . join '', map { sprintf "\n  %s on %s: %.2f s", $_->[0], $f->name($_->[7]), $_->[6] }
                @slow[0 .. ($#slow > 9 ? 9 : $#slow)]);
my $total = BearerTest::Load::tally($r);
note(sprintf 'in all: %d requests, %d without an answer, %d 5xx, the longest %.2f s',
     $total->{requests}, $total->{failed}, $total->{status5xx}, $total->{max});

# The faults really happened: each Apache found each server unreachable.
for my $k ($KILLED, $STOPPED) {
    my $name = $f->mc($k)->hostport;
    my $seen = grep { $f->log_lines($_, qr/BRR00083/, qr/\Q$name\E/) } $A, $B;
    is($seen, 2, 'A and B each found ' . $f->mc_name($k) . ' unreachable (BRR00083)');
}

# --- afterwards -------------------------------------------------------------------------------
nap($RECHECK + 0.2);            # no cache copy is trusted any more
my (@lost, @resurrected);
for my $m (@minted, map { [ 0, 201, 0, $_->{token_id}, $_->{access_token} ] } @before) {
    my ($id, $token) = @$m[3, 4];
    my $codes = join ' ', map { $f->code($_, PATH_ANY, $token) } $A, $B;
    if ($revoked{$id}) {
        push @resurrected, "$id: $codes" unless $codes eq '401 401';
    }
    else {
        push @lost, "$id: $codes" unless $codes eq '200 200';
    }
}
is(scalar @lost, 0, 'no token lost: each of ' . (@minted + @before - keys %revoked)
   . ' tokens with a 201, not revoked, passes on A and B')
    or diag(join "\n", @lost[0 .. ($#lost > 9 ? 9 : $#lost)]);
is(scalar @resurrected, 0, 'none resurrected: each of ' . keys(%revoked)
   . ' revoked tokens is refused (401) on A and B')
    or diag(join "\n", @resurrected[0 .. ($#resurrected > 9 ? 9 : $#resurrected)]);
my $died = grep { $f->log_lines($_, qr/exit signal/) } $A, $B;
is($died, 0, 'no child of A or B died');
$f->logs_hold_no_secret_ok([ @before, map { { token_id => $_->[3], access_token => $_->[4] } } @minted ]);
$f->stop;
