# SPDX-License-Identifier: Apache-2.0
# Require bearer-scope with an ap_expr argument, evaluated per request:
#   <LocationMatch "^/api/v1/streams/(?<id>[^/]+)/start">
#       Require bearer-scope "stream:start:%{env:MATCH_ID}"
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 6;

my $open = '/t/open/tokens';    # any scope issuable
my $abc  = mint_ok({ scopes => ['stream:start:abc'] }, endpoint => $open)->{access_token};
my $plain = mint_ok({ scopes => ['stream:start'] }, endpoint => $open)->{access_token};

my $res = req(GET => '/api/v1/streams/abc/start', token => $abc);
status_is($res, 200, 'stream:start:abc opens /api/v1/streams/abc/start');
like($res->decoded_content // '', qr/"abc"/, 'and serves that stream');

$res = req(GET => '/api/v1/streams/xyz/start', token => $abc);
challenge_is($res, 403,
    'Bearer realm="platform", error="insufficient_scope", scope="stream:start:xyz"',
    'but not /api/v1/streams/xyz/start: 403 naming the evaluated scope');

$res = req(GET => '/api/v1/streams/abc/start', token => $plain);
challenge_is($res, 403,
    'Bearer realm="platform", error="insufficient_scope", scope="stream:start:abc"',
    'stream:start alone is not stream:start:abc');

$res = req(GET => '/api/v1/streams/xyz/start', token => OPERATOR_TOKEN);
status_is($res, 200, 'the operator opens any stream');

$res = req(GET => '/api/v1/streams/abc/start');
challenge_is($res, 401, 'Bearer realm="platform"', 'no credentials: 401');
