# SPDX-License-Identifier: Apache-2.0
# httpd -k graceful (what apachectl -k graceful runs), again and again,
# while four clients mint tokens and use them without pause (embedded
# mode): no client request fails or gets a 5xx, and no token is lost: every
# token that got a 201, before, during or after the restarts, still works
# at the end.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd;
use BearerTest::Load;
use LWP::UserAgent ();
use Time::HiRes ();

my $restarts = 6;
plan tests => 9;

my $h = BearerTest::Httpd->start(conf => <<'EOF');
StartServers 2
ServerLimit 8
<IfModule !mpm_prefork_module>
    ThreadsPerChild 8
    MaxRequestWorkers 32
</IfModule>
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /p>
    AuthType Bearer
    AuthName "platform"
    Require valid-user
</Location>
EOF
my $log = $h->dir . '/error_log';
my $httpd = Apache::Test::vars('httpd');
my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);

my $before = json_of($ua->post($h->url(ENDPOINT), Authorization => 'Bearer ' . OPERATOR_TOKEN)) || {};
BearerTest::record_tokens($before);
my $load = BearerTest::Load->start(base => $h->url(''), clients => 4,
                                   check => '/p/any/r.txt', max_seconds => 120);
Time::HiRes::sleep(0.5);

my $done = 0;
for my $n (1 .. $restarts) {
    my $offset = -s $log || 0;
    # apachectl -k graceful, as httpd itself does it: reads the PidFile
    # of this configuration and sends the parent SIGUSR1
    system($httpd, '-f', $h->dir . '/httpd.conf', '-k', 'graceful') == 0 or last;
    my $up = wait_until(20, sub {
        open my $fh, '<', $log or return 0;
        seek $fh, $offset, 0;
        my $text = do { local $/; <$fh> } // '';
        return $text =~ /resuming normal operations/;
    });
    last unless $up;
    $done++;
    Time::HiRes::sleep(0.7);
}
is($done, $restarts, "$restarts graceful restarts under load, each back up");

my $r = $load->stop;
is(join(', ', @{ $r->{bad_exits} }), '', 'each of the 4 client processes ran to the end and exited cleanly');
my @minted = grep { $_->[1] == 201 } @{ $r->{mints} };
my @bad    = grep { $_->[1] != 201 } @{ $r->{mints} };
my @badchk = grep { $_->[1] != 200 } @{ $r->{checks} };
ok(@minted > 100, scalar(@minted) . ' tokens minted by the clients through the restarts');
is(scalar @bad, 0, 'every mint got 201 (no failed request, no 5xx)')
    or diag(join "\n", map { "mint: $_->[1]" . ($_->[2] ? ' (no answer)' : '') } @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
is(scalar @badchk, 0, 'every use of a fresh token got 200')
    or diag(join "\n", map { "check of $_->[3]: $_->[1]" . ($_->[2] ? ' (no answer)' : '') } @badchk[0 .. ($#badchk > 9 ? 9 : $#badchk)]);

my $lost = 0;
for my $m (@minted) {
    $lost++ unless $ua->get($h->url('/p/any/r.txt'), Authorization => "Bearer $m->[4]")->code == 200;
}
is($lost, 0, 'no token lost: every 201 token works after the restarts');
status_is($ua->get($h->url('/p/any/r.txt'), Authorization => 'Bearer ' . ($before->{access_token} // 'x')),
          200, 'a token minted before the first restart still works');
my $last = json_of($ua->post($h->url(ENDPOINT), Authorization => 'Bearer ' . OPERATOR_TOKEN)) || {};
BearerTest::record_tokens($last);
ok($last->{access_token}, 'the server still mints');
my $died = () = $h->log =~ /exit signal/g;
is($died, 0, 'no child died (no "exit signal" in the error log)');
$h->stop;
