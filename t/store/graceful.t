# SPDX-License-Identifier: Apache-2.0
# Embedded mode keeps tokens across a graceful restart (docs/design.md):
# SIGUSR1 to httpd, wait for the new generation, then the old tokens still
# work (uses counted on, revocations kept, ids unchanged since the generated
# secret is kept too) and minting works.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 14;

my $vars = Apache::Test::vars();
my $pid_file = $vars->{t_pid_file};
my $log = "$vars->{t_logs}/error_log";

my $plain   = mint_ok({ subject => 'before-restart', metadata => { k => 'v' } });
my $counted = mint_ok({ max_uses => 4 });
my $revoked = mint_ok();
my $acme    = mint_ok(undef, vhost => 'bearer_acme');
req(GET => '/p/any/r.txt', token => $counted->{access_token}) for 1 .. 2;
req(DELETE => token_path($revoked->{token_id}), token => OPERATOR_TOKEN);

# --- the graceful restart --------------------------------------------------------
open my $pfh, '<', $pid_file or die "open $pid_file: $!";
chomp(my $pid = <$pfh> // '');
close $pfh;
ok($pid =~ /^\d+$/ && kill(0, $pid), 'httpd is running')
    or BAIL_OUT('no httpd pid');

my $offset = -s $log || 0;
kill 'USR1', $pid;
my $since = sub {
    open my $fh, '<', $log or return '';
    seek $fh, $offset, 0;
    local $/;
    return <$fh> // '';
};
# event and worker log "SIGUSR1 received", prefork "Graceful restart
# requested" (AH00171)
ok(wait_until(30, sub { $since->() =~ /SIGUSR1 received|Graceful restart requested/ }),
   'SIGUSR1 sent to httpd, and httpd says it got it (graceful restart)');
my $restarted = wait_until(30, sub { $since->() =~ /resuming normal operations/ });
ok($restarted, 'the new generation is up (error_log: resuming normal operations)');
ok(wait_until(30, sub { req(GET => '/plain/r.txt')->code == 200 }),
   'and answers');
# Old children finish their connections; let them go.
sleep 1;

# --- old tokens -------------------------------------------------------------------
my $res = req(GET => '/p/any/r.txt', token => $plain->{access_token});
status_is($res, 200, 'a token minted before the restart still works');
is($res->header('X-Echo-User'), 'before-restart', 'with its subject');
$res = req(GET => token_path($plain->{token_id}), token => OPERATOR_TOKEN);
ok($res->code == 200 && (json_of($res) || {})->{metadata}{k} eq 'v',
   'GET by its (unchanged) id still finds it, metadata and all')
    or diag(BearerTest::describe($res));
is((json_of(req(GET => token_path($counted->{token_id}), token => OPERATOR_TOKEN)) || {})->{uses_left},
   2, 'uses counted before the restart stay counted');
my @codes = map { req(GET => '/p/any/r.txt', token => $counted->{access_token})->code } 1 .. 3;
is("@codes", '200 200 401', 'and the remaining uses run out as before');
$res = req(GET => '/p/any/r.txt', token => $revoked->{access_token});
status_is($res, 401, 'a token revoked before the restart stays revoked');
$res = req(GET => '/p/any/r.txt', token => $acme->{access_token}, vhost => 'bearer_acme');
status_is($res, 200, 'a vhost token (BearerSecretFile) survives too');

# --- new tokens ---------------------------------------------------------------------
my ($mres, $new) = mint();
status_is($mres, 201, 'minting works after the restart');
ok($new && $new->{token_id} ne $plain->{token_id} && $new->{token_id} ne $counted->{token_id},
   'with a fresh id');
$res = req(GET => '/p/any/r.txt', token => ($new || {})->{access_token} // 'x');
status_is($res, 200, 'and the new token works');
