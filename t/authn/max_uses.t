# SPDX-License-Identifier: Apache-2.0
# max_uses (docs/protecting.md): one use per successful authentication on a
# protected Location, also when authorisation then denies; requests to the
# endpoint never count; never more than max_uses successes, also when the
# requests come in parallel from several connections.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();

plan tests => 14;

my $badtok = 'Bearer realm="platform", error="invalid_token"';

sub uses_left {
    my ($id) = @_;
    my $res = req(GET => token_path($id), token => OPERATOR_TOKEN);
    return (json_of($res) || {})->{uses_left};
}

# --- in sequence ---------------------------------------------------------------
my $t = mint_ok({ max_uses => 3 });
my @codes = map { req(GET => '/p/any/r.txt', token => $t->{access_token})->code } 1 .. 3;
is("@codes", '200 200 200', 'max_uses 3: three requests pass');
my $res = req(GET => '/p/any/r.txt', token => $t->{access_token});
challenge_is($res, 401, $badtok, 'the fourth: 401 invalid_token');
$res = req(GET => token_path($t->{token_id}), token => OPERATOR_TOKEN);
error_is($res, 404, 'not_found', 'GET of a used-up id: 404');
$res = req(DELETE => token_path($t->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 404, 'DELETE of a used-up id: 404');

# --- uses_left counts down; the endpoint does not count -------------------------
$t = mint_ok({ max_uses => 2 });
is(uses_left($t->{token_id}), 2, 'uses_left starts at max_uses');
req(GET => token_path($t->{token_id}), token => OPERATOR_TOKEN) for 1 .. 3;
$res = req(GET => token_path('self'), token => $t->{access_token});
status_is($res, 200, 'the token may GET self');
req(GET => token_path('self'), token => $t->{access_token}) for 1 .. 3;
is(uses_left($t->{token_id}), 2, 'GETs on the endpoint (by id and self) use nothing');
$res = req(GET => '/p/any/r.txt', token => $t->{access_token});
is(uses_left($t->{token_id}), 1, 'one protected request uses one');
$res = req(GET => '/p/any/r.txt', token => $t->{access_token});
status_is($res, 200, 'the last use passes');
$res = req(GET => '/p/any/r.txt', token => $t->{access_token});
status_is($res, 401, 'then 401');

# --- an authenticated request that authorisation denies still uses one ------------
$t = mint_ok({ max_uses => 2 });
$res = req(GET => '/p/op/r.txt', token => $t->{access_token});
is($res->code == 403 || $res->code == 401 ? 'denied' : $res->code, 'denied',
   'bearer-operator denies the client token');
is(uses_left($t->{token_id}), 1, 'and that request used one');

# --- in parallel: never more than max_uses ---------------------------------------
my $max = 5;
my $clients = 24;
$t = mint_ok({ max_uses => $max });
my $start = Time::HiRes::time() + 1;
my %kid;
for my $n (1 .. $clients) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
        my $url = url('/p/any/r.txt');
        Time::HiRes::sleep($start - Time::HiRes::time())
            if $start > Time::HiRes::time();
        my $r = $ua->get($url, Authorization => "Bearer $t->{access_token}");
        POSIX::_exit($r->code == 200 ? 0 : $r->code == 401 ? 1 : 2);
    }
    $kid{$pid} = 1;
}
my %count = (0 => 0, 1 => 0, 2 => 0);
for my $pid (keys %kid) {
    waitpid $pid, 0;
    $count{ $? >> 8 }++;
}
is($count{0}, $max, "$clients parallel requests, max_uses $max: exactly $max pass");
is($count{1} + $count{0}, $clients, 'the others get 401, none anything else')
    or diag("200: $count{0}, 401: $count{1}, other: $count{2}");
