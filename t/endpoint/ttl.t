# SPDX-License-Identifier: Apache-2.0
# TTLs (docs/directives.md, endpoint.md): BearerMaxTTL clamps a requested
# ttl and expires_in says what was granted; a BearerDefaultTTL above
# BearerMaxTTL is clamped too; a token stops working when it expires.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 10;

my $clamp = '/t/clamp/tokens';    # BearerMaxTTL 100, BearerDefaultTTL 500

my ($res, $json) = mint(undef, endpoint => $clamp);
status_is($res, 201, 'mint on the clamping endpoint: 201');
is(($json || {})->{expires_in}, 100,
   'a BearerDefaultTTL above BearerMaxTTL is clamped to BearerMaxTTL');
($res, $json) = mint({ ttl => 1000 }, endpoint => $clamp);
is(($json || {})->{expires_in}, 100, 'a requested ttl above BearerMaxTTL is clamped');
ok(abs((($json || {})->{expires_at} // 0) - time - 100) <= 3,
   'expires_at follows the granted ttl, not the requested one');
($res, $json) = mint({ ttl => 20 }, endpoint => $clamp);
is(($json || {})->{expires_in}, 20, 'a ttl below BearerMaxTTL is granted as asked');

# --- expiry ---------------------------------------------------------------------
my $short = mint_ok({ ttl => 2 });
is($short->{expires_in}, 2, 'a 2 second token is granted 2 seconds');
$res = req(GET => '/p/any/r.txt', token => $short->{access_token});
status_is($res, 200, 'it works at once');
sleep 3;
$res = req(GET => '/p/any/r.txt', token => $short->{access_token});
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             'after its expiry: 401 invalid_token');
$res = req(GET => token_path($short->{token_id}), token => OPERATOR_TOKEN);
error_is($res, 404, 'not_found', 'GET of an expired id: 404');
$res = req(DELETE => token_path($short->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 404, 'DELETE of an expired id: 404');
