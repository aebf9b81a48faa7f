# SPDX-License-Identifier: Apache-2.0
# Wildcard entries in BearerIssuableScopes: "stream:start:*" allows every
# scope that starts with "stream:start:" and has at least one more
# character; a '*' in a requested scope is a character like any other; a
# default scope may be issuable through a wildcard. (What configtest
# refuses: t/wider/configtest.t.)
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 12;

my $wild = '/t/wild/tokens';

sub mint_at {
    my ($endpoint, @scopes) = @_;
    return mint({ scopes => \@scopes }, endpoint => $endpoint);
}

my ($res, $json) = mint_at($wild, 'stream:start:42');
ok($res->code == 201 && $json->{scope} eq 'stream:start:42',
   'stream:start:42 under stream:start:*: 201')
    or diag(BearerTest::describe($res));
($res, $json) = mint_at($wild, 'stream:start:a:b', 'stream:view');
status_is($res, 201, 'stream:start:a:b with stream:view: 201');
($res) = mint_at($wild, 'stream:start:');
error_is($res, 400, 'invalid_scope', 'stream:start: (nothing after the prefix): 400 invalid_scope');
($res) = mint_at($wild, 'stream:start');
error_is($res, 400, 'invalid_scope', 'stream:start (shorter than the prefix): 400');
($res) = mint_at($wild, 'stream:stop:1');
error_is($res, 400, 'invalid_scope', 'stream:stop:1: 400');
($res) = mint_at($wild, 'stream:start:1', 'chat:write');
error_is($res, 400, 'invalid_scope', 'one scope not covered spoils the request: 400');
($res, $json) = mint_at($wild, 'stream:start:*');
status_is($res, 201, 'stream:start:* requested: a scope like any other, covered by the wildcard');

($res) = mint_at('/t/exact/tokens', 'stream:start:*');
error_is($res, 400, 'invalid_scope',
         'stream:start:* requested where only stream:start:1 is listed: 400 (no wildcard in requests)');
($res) = mint_at('/t/exact/tokens', 'stream:start:1');
status_is($res, 201, 'stream:start:1 there: 201');

($res, $json) = mint(undef, endpoint => $wild);
ok($res->code == 201 && $json->{scope} eq 'stream:start:lobby',
   'no scopes asked: the default stream:start:lobby, issuable through the wildcard')
    or diag(BearerTest::describe($res));

# the scopes granted work like any other on a protected location
my $t = (mint_at($wild, 'stream:start:7'))[1];
is(req(GET => '/api/v1/streams/7/start', token => $t->{access_token})->code, 404,
   'a stream:start:7 token passes Require bearer-scope stream:start:%{env:MATCH_ID} for stream 7 (no file: 404)');
is(req(GET => '/api/v1/streams/8/start', token => $t->{access_token})->code, 403,
   'and not for stream 8: 403');
