# SPDX-License-Identifier: Apache-2.0
# The counters are kept per thread (lanes of the metrics segment, summed
# when read): a graceful restart ends every child and its threads, and no
# count may go with them. Counts before the restart are all there after it,
# exactly, and the new children count on from there.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 8;

my $vars = Apache::Test::vars();
my $pid_file = $vars->{t_pid_file};
my $log = "$vars->{t_logs}/error_log";
my $OK = 'bearer_validations_total{outcome="ok"}';

sub metrics {
    my $res = req(GET => '/t/metrics');
    die "GET /t/metrics: " . $res->status_line . "\n" unless $res->code == 200;
    my %m;
    for (split /\n/, $res->decoded_content) {
        next if /^#/ || !/\S/;
        my ($k, $v) = /^(\S+)\s+(\S+)$/ or next;
        $m{$k} = $v;
    }
    return \%m;
}

sub validate {
    my ($token, $n) = @_;
    my $good = 0;
    for (1 .. $n) {
        $good++ if req(GET => '/p/any/r.txt', token => $token)->code == 200;
    }
    return $good;
}

my $t = mint_ok();
my $before = metrics();
is(validate($t->{access_token}, 40), 40, '40 requests with a live token: 200');
my $counted = metrics();
is($counted->{$OK} - $before->{$OK}, 40, 'each counted once');

open my $pfh, '<', $pid_file or die "open $pid_file: $!";
chomp(my $pid = <$pfh> // '');
close $pfh;
my $offset = -s $log || 0;
ok($pid =~ /^\d+$/ && kill('USR1', $pid), 'graceful restart (SIGUSR1)');
my $restarted = wait_until(30, sub {
    open my $fh, '<', $log or return 0;
    seek $fh, $offset, 0;
    local $/;
    my $text = <$fh> // '';
    return $text =~ /SIGUSR1 received|Graceful restart requested/
        && $text =~ /resuming normal operations/;
});
ok($restarted, 'the new generation is up');
ok(wait_until(30, sub { req(GET => '/plain/r.txt')->code == 200 }), 'and answers');
sleep 1;    # the old children finish and end their threads

my $after = metrics();
is($after->{$OK}, $counted->{$OK},
   'after the restart, every count from before it is there');
is(validate($t->{access_token}, 25), 25, '25 more requests: 200');
is(metrics()->{$OK} - $after->{$OK}, 25,
   'the new children count on from there, exactly');
