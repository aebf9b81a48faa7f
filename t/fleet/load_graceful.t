# SPDX-License-Identifier: Apache-2.0
# httpd -k graceful (what apachectl -k graceful runs) in fleet mode, again
# and again, on each Apache of a fleet (three memcached, replicas 2,
# BearerCacheRecheck 1) while four client processes mint on either Apache
# without pause, use each fresh token on both, and revoke every fourth
# (t/fault/graceful_load.t is the same for embedded mode). No
# request fails or gets a 5xx, every answer is the one expected, every
# token that got a 201 and was not revoked works on both Apaches at the
# end, and every revoked one is refused on both.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PREFORK_ROOM HTTP_MARGIN nap);
use BearerTest::Load;
use Time::HiRes ();

my ($A, $B) = (0, 1);
my $RESTARTS = 3;               # of each Apache, alternating
my $RECHECK = 1;
# The longest a request may wait while an Apache restarts gracefully
# (docs/hardening.md): connections that arrive while the parent replaces
# its children wait for the new generation, which the parent starts on its
# one-second maintenance tick; + the HTTP margin of BearerTest::Fleet.
my $RESTART_WAIT = 1.0;
my $f = BearerTest::Fleet->start(replicas => 2, recheck => $RECHECK, conf => PREFORK_ROOM);
my $httpd = Apache::Test::vars('httpd');
plan tests => 10;

my $before = $f->mint_ok($A);
my $load = BearerTest::Load->start(bases => [ $f->url($A, ''), $f->url($B, '') ],
                                   clients => 4, check => PATH_ANY,
                                   revoke_every => 4, settle => $RECHECK + 0.5,
                                   max_seconds => 180);
nap(1);

# apachectl -k graceful, as httpd itself does it (reads the PidFile of the
# configuration, sends the parent SIGUSR1); waits until it is back up.
sub graceful {
    my ($i) = @_;
    my $log = $f->web($i)->dir . '/error_log';
    my $offset = -s $log || 0;
    system($httpd, '-f', $f->web($i)->dir . '/httpd.conf', '-k', 'graceful') == 0
        or return 0;
    return wait_until(20, sub {
        open my $fh, '<', $log or return 0;
        seek $fh, $offset, 0;
        my $text = do { local $/; <$fh> } // '';
        return $text =~ /resuming normal operations/;
    });
}

my $done = 0;
for my $n (1 .. 2 * $RESTARTS) {
    graceful($n % 2 ? $A : $B) or last;
    $done++;
    nap(0.7);
}
is($done, 2 * $RESTARTS, "$RESTARTS graceful restarts of A and $RESTARTS of B under load, "
   . 'each back up');
nap(0.5);
my $r = $load->stop;

my @minted = grep { $_->[1] == 201 } @{ $r->{mints} };
my %revoked = map { $_->[3] => 1 } grep { $_->[1] == 204 } @{ $r->{revokes} };
ok(@minted > 50 && keys(%revoked) > 10, scalar(@minted) . ' tokens minted and '
   . keys(%revoked) . ' revoked by the clients through the restarts');
my $t = BearerTest::Load::tally($r);
my @wrong = map { "$_ x $t->{wrong}{$_}" } sort keys %{ $t->{wrong} };
is($t->{failed} + $t->{status5xx}, 0, sprintf('%d requests: %d without an answer, %d 5xx',
                                              $t->{requests}, $t->{failed}, $t->{status5xx}));
ok(!@wrong, 'every answer as expected (201, 200 on A and B, 204, 401)')
    or diag("unexpected answers: @wrong");
ok($t->{requests} && $t->{max} <= $RESTART_WAIT + HTTP_MARGIN,
   sprintf('each request within %.2f s (%.1f s of a graceful restart + HTTP margin): '
           . 'the longest took %.2f s (%s)', $RESTART_WAIT + HTTP_MARGIN, $RESTART_WAIT,
           $t->{max}, $t->{slowest}));
is(join(', ', @{ $r->{bad_exits} }), '', 'each of the 4 client processes ran to the end and exited cleanly');

nap($RECHECK + 0.2);            # no cache copy is trusted any more
my (@lost, @resurrected);
for my $m (@minted, [ 0, 201, 0, $before->{token_id}, $before->{access_token} ]) {
    my ($id, $token) = @$m[3, 4];
    my $codes = join ' ', map { $f->code($_, PATH_ANY, $token) } $A, $B;
    if ($revoked{$id}) {
        push @resurrected, "$id: $codes" unless $codes eq '401 401';
    }
    else {
        push @lost, "$id: $codes" unless $codes eq '200 200';
    }
}
is(scalar @lost, 0, 'no token lost: each of ' . (@minted + 1 - keys %revoked)
   . ' tokens with a 201, not revoked, passes on A and B')
    or diag(join "\n", @lost[0 .. ($#lost > 9 ? 9 : $#lost)]);
is(scalar @resurrected, 0, 'each of ' . keys(%revoked) . ' revoked tokens is refused on A and B')
    or diag(join "\n", @resurrected[0 .. ($#resurrected > 9 ? 9 : $#resurrected)]);
my $died = grep { $f->log_lines($_, qr/exit signal/) } $A, $B;
is($died, 0, 'no child of A or B died');
$f->logs_hold_no_secret_ok([ $before, map { { token_id => $_->[3], access_token => $_->[4] } } @minted ]);
$f->stop;
