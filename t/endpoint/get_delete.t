# SPDX-License-Identifier: Apache-2.0
# GET and DELETE of /auth/v1/access-tokens/<token_id> and /self
# (docs/endpoint.md): the GET body, never the token; 204 then 404; revoked
# tokens are refused on protected locations; 404 for unknown and malformed
# ids.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 30;

my $t0 = time;
my $meta = { room => 'r1', quality => { max => 1080 }, tags => ['a', 'b'] };
my $full = mint_ok({ scopes => ['stream:view', 'chat:write'], ttl => 900,
                     subject => 'alice', metadata => $meta, max_uses => 7 });
my $bare = mint_ok({ scopes => ['stream:view'] });

# --- GET by id: every field --------------------------------------------------------
my $res = req(GET => token_path($full->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 200, 'GET of a live id by the operator: 200');
like($res->header('Content-Type') // '', qr{^application/json\b}i, 'as JSON');
my $json = json_of($res) || {};
is($json->{token_id}, $full->{token_id}, 'token_id');
is($json->{subject}, 'alice', 'subject');
is(join(' ', sort split / /, $json->{scope} // ''), 'chat:write stream:view', 'scope');
ok(($json->{issued_at} // 0) =~ /^\d+$/ && abs($json->{issued_at} - $t0) <= 3,
   'issued_at, in Unix seconds');
is($json->{expires_at}, $full->{expires_at}, 'expires_at as at mint');
is_deeply($json->{metadata}, $meta, 'metadata round trip');
is($json->{uses_left}, 7, 'uses_left is max_uses before any use');
ok(!exists $json->{access_token}
   && index($res->decoded_content // '', $full->{access_token}) < 0,
   'the answer never holds the token');

$res = req(GET => token_path($bare->{token_id}), token => OPERATOR_TOKEN);
$json = json_of($res) || {};
ok($res->code == 200 && !exists $json->{subject} && !exists $json->{metadata}
   && !exists $json->{uses_left},
   'subject, metadata and uses_left are absent when not set')
    or diag(BearerTest::describe($res));

# --- GET self by the client token ---------------------------------------------------
$res = req(GET => token_path('self'), token => $full->{access_token});
status_is($res, 200, 'GET self by the client token: 200');
$json = json_of($res) || {};
ok($json->{token_id} eq $full->{token_id} && !exists $json->{access_token},
   'it describes the token, without the token');

# --- 404: unknown and malformed ids ------------------------------------------------
for my $case (['A' x 22, 'an unknown id'], ['abc', 'a malformed id (short)'],
              ['A' x 23, 'a malformed id (long)'], ['a.b~c!d' . ('A' x 15), 'an id with bad characters']) {
    my ($id, $what) = @$case;
    $res = req(GET => token_path($id), token => OPERATOR_TOKEN);
    error_is($res, 404, 'not_found', "GET of $what: 404 not_found");
}
$res = req(DELETE => token_path('A' x 22), token => OPERATOR_TOKEN);
error_is($res, 404, 'not_found', 'DELETE of an unknown id: 404 not_found');

# --- DELETE by id ---------------------------------------------------------------------
my $victim = mint_ok();
$res = req(GET => '/p/any/r.txt', token => $victim->{access_token});
status_is($res, 200, 'a fresh token works on a protected location');
$res = req(DELETE => token_path($victim->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 204, 'DELETE of its id by the operator: 204');
is($res->decoded_content // '', '', '204 has no body');
$res = req(GET => '/p/any/r.txt', token => $victim->{access_token});
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             'the revoked token gets 401 invalid_token at once');
$res = req(GET => token_path($victim->{token_id}), token => OPERATOR_TOKEN);
error_is($res, 404, 'not_found', 'GET of a revoked id: 404');
$res = req(DELETE => token_path($victim->{token_id}), token => OPERATOR_TOKEN);
error_is($res, 404, 'not_found', 'DELETE of an already revoked id: 404');
$res = req(GET => token_path('self'), token => $victim->{access_token});
status_is($res, 401, 'the revoked token cannot GET self: 401');

# --- DELETE self ----------------------------------------------------------------------
my $quitter = mint_ok();
$res = req(DELETE => token_path('self'), token => $quitter->{access_token});
status_is($res, 204, 'DELETE self by a client token: 204');
$res = req(GET => '/p/any/r.txt', token => $quitter->{access_token});
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             'the token that logged itself out gets 401 invalid_token');
$res = req(GET => token_path($quitter->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 404, 'its id is gone: 404');
$res = req(DELETE => token_path('self'), token => $quitter->{access_token});
status_is($res, 401, 'a second DELETE self with it: 401');

# --- the other token of the same mint batch is untouched ----------------------------
$res = req(GET => '/p/any/r.txt', token => $bare->{access_token});
status_is($res, 200, 'revoking one token leaves the others alone');
