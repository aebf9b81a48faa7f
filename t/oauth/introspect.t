# SPDX-License-Identifier: Apache-2.0
# SetHandler bearer-introspect (RFC 7662), embedded mode: every answer of
# the contract's introspection rows, the three ways operator credentials
# come, what is refused, that introspection never counts a use, and the
# cidrs of a token bound to client addresses (the caller's own address
# plays no part).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::OAuth;

plan tests => 57;

my $meta = { room => 'r1', quality => { max => 1080 } };
my $full = mint_ok({ scopes => ['stream:view', 'chat:write'], ttl => 900,
                     subject => 'alice', metadata => $meta, max_uses => 5 },
                   endpoint => '/t/open/tokens');
my $bare = mint_ok({ scopes => [] }, endpoint => '/t/open/tokens');

sub introspect {
    my ($token, %o) = @_;
    my %auth = %o ? %o : (bearer => OPERATOR_TOKEN);
    return form_post($o{path} || INTROSPECT,
                     [token => $token, token_type_hint => 'access_token'],
                     map { $_ => $auth{$_} } grep { $_ ne 'path' } keys %auth);
}

# --- a live client token: exactly the contract's fields -------------------------------
my $res = introspect($full->{access_token});
status_is($res, 200, 'a live token: 200');
like($res->header('Content-Type') // '', qr{^application/json\b}i, 'as JSON');
like(join(',', $res->header('Cache-Control')), qr/\bno-store\b/, 'Cache-Control: no-store');
my $j = json_of($res) || {};
is(keys_are($j), 'active exp iat jti metadata scope sub token_type uses_left',
   'exactly active, token_type, scope, exp, iat, jti, sub, metadata, uses_left');
ok($j->{active} && JSON::PP::is_bool($j->{active}), 'active is the JSON true');
is($j->{token_type}, 'Bearer', 'token_type Bearer');
is(join(' ', sort split / /, $j->{scope} // ''), 'chat:write stream:view', 'scope, space-separated');
is($j->{exp}, $full->{expires_at}, 'exp is expires_at');
ok(($j->{iat} // 0) <= $j->{exp} - 900 + 2 && $j->{iat} >= time - 60, 'iat is the mint time');
is($j->{jti}, $full->{token_id}, 'jti is the token_id');
is($j->{sub}, 'alice', 'sub is the subject');
is_deeply($j->{metadata}, $meta, 'metadata as minted');
is($j->{uses_left}, 5, 'uses_left before any use');
ok(index($res->decoded_content, $full->{access_token}) < 0, 'the answer does not hold the token');

$res = introspect($bare->{access_token});
$j = json_of($res) || {};
is(keys_are($j), 'active exp iat jti token_type',
   'no scope, subject, metadata or max_uses: only active, token_type, exp, iat, jti');

# --- introspection never counts a use ----------------------------------------------------
my $two = mint_ok({ max_uses => 2 }, endpoint => '/t/open/tokens');
my @left = map { (json_of(introspect($two->{access_token})) || {})->{uses_left} // 'none' } 1 .. 4;
is("@left", '2 2 2 2', 'four introspections of a max_uses 2 token: uses_left stays 2');
my @codes = map { req(GET => '/p/any/r.txt', token => $two->{access_token})->code } 1 .. 3;
is("@codes", '200 200 401', 'and it still has both its uses');
$j = json_of(introspect($two->{access_token})) || {};
is_deeply($j, { active => JSON::PP::false }, 'used up: {"active": false} and nothing more');

# --- a token bound to client addresses: cidrs as the 201 gave them --------------------------
my $bound = mint_ok({ cidrs => ['127.0.0.0/8', '2001:DB8::1'] }, endpoint => '/t/open/tokens');
is_deeply($bound->{cidrs}, ['127.0.0.0/8', '2001:db8::1/128'], 'the 201 gives cidrs normalised');
$j = json_of(introspect($bound->{access_token})) || {};
is(keys_are($j), 'active cidrs exp iat jti token_type', 'a bound token: cidrs among the fields');
is_deeply($j->{cidrs}, $bound->{cidrs}, '... exactly as the 201 gave them');
# the introspecting caller's own address plays no part: 127.0.0.1 is not in
# 10.0.0.0/8, the token is active all the same
my $far = mint_ok({ cidrs => ['10.0.0.0/8'] }, endpoint => '/t/open/tokens');
$j = json_of(introspect($far->{access_token})) || {};
ok($j->{active} && JSON::PP::is_bool($j->{active}),
   'a token bound to 10.0.0.0/8, introspected from 127.0.0.1: active');
is_deeply($j->{cidrs}, ['10.0.0.0/8'], '... with its cidrs');
challenge_is(req(GET => '/p/any/r.txt', token => $far->{access_token}), 401,
             'Bearer realm="platform", error="invalid_token"',
             'the same token used from 127.0.0.1 on a protected location: 401 invalid_token');
ok((json_of(introspect($far->{access_token})) || {})->{active},
   '... and the refused use did not end it: still active');

# --- an operator token ---------------------------------------------------------------------
$res = introspect(OPERATOR_TOKEN_2);
$j = json_of($res) || {};
is(keys_are($j), 'active jti operator sub token_type', 'an operator token: active, token_type, operator, sub, jti');
ok($j->{active} && $j->{operator} && $j->{sub} eq 'operator' && $j->{token_type} eq 'Bearer',
   'active, operator true, sub operator');
my $echo = req(GET => '/p/op/r.txt', token => OPERATOR_TOKEN_2);
is($j->{jti}, $echo->header('X-Echo-Token-Id'), 'jti is the id BEARER_TOKEN_ID shows for it');

# --- anything else: {"active": false} --------------------------------------------------------
my $revoked = mint_ok({}, endpoint => '/t/open/tokens');
status_is(req(DELETE => token_path($revoked->{token_id}, endpoint => '/t/open/tokens'),
              token => OPERATOR_TOKEN), 204, 'a token revoked by id');
my $short = mint_ok({ ttl => 1 }, endpoint => '/t/open/tokens');
sleep 2;
my $acme = mint_ok({}, vhost => 'bearer_acme');
for my $case ([$revoked->{access_token}, 'revoked'],
              [$short->{access_token}, 'expired'],
              [forge_token(), 'unknown (a good checksum, never minted)'],
              [corrupt_token($bare->{access_token}), 'a bad checksum'],
              ['not a token at all, with spaces & ="quotes"', 'malformed'],
              [$acme->{access_token}, 'another prefix (another vhost)']) {
    my ($tok, $what) = @$case;
    $res = introspect($tok);
    ok($res->code == 200 && $res->decoded_content =~ /^\{"active":false\}\s*$/,
       "$what: 200 {\"active\":false} exactly")
        or diag(BearerTest::describe($res));
}

# --- the three ways of operator credentials ---------------------------------------------
my %ways = (
    'Basic, form-urlencoded as RFC 6749 2.3.1 says' => [basic => ['client one', OPERATOR_TOKEN]],
    'Basic, not encoded (a "+" and "/" left as they are)' => [basic => ['c', OPERATOR_TOKEN, 'raw']],
    'Basic with the second (rotated) operator token' => [basic => ['c', OPERATOR_TOKEN_2]],
    'Bearer' => [bearer => OPERATOR_TOKEN],
);
for my $way (sort keys %ways) {
    $res = form_post(INTROSPECT, [token => $bare->{access_token}], @{ $ways{$way} });
    ok($res->code == 200 && (json_of($res) || {})->{active}, "$way: 200 active")
        or diag(BearerTest::describe($res));
}
$res = form_post(INTROSPECT, [token => $bare->{access_token}, client_id => 'rs',
                              client_secret => OPERATOR_TOKEN]);
ok($res->code == 200 && (json_of($res) || {})->{active}, 'client_secret in the body: 200 active')
    or diag(BearerTest::describe($res));

# --- wrong or missing credentials: 401 invalid_client, challenge per scheme ---------------
$res = form_post(INTROSPECT, [token => $bare->{access_token}]);
error_is($res, 401, 'invalid_client', 'no credentials: 401 invalid_client');
challenge_is($res, 401, 'Bearer realm="mod_bearer"', 'with a Bearer challenge, realm mod_bearer');
$res = form_post(INTROSPECT, [token => $bare->{access_token}], basic => ['rs', 'wrong-secret']);
error_is($res, 401, 'invalid_client', 'Basic with a wrong secret: 401 invalid_client');
challenge_is($res, 401, 'Basic realm="mod_bearer"', 'with a Basic challenge');
$res = form_post('/t/oauth/introspect', [token => $bare->{access_token}], basic => ['rs', 'x']);
challenge_is($res, 401, 'Basic realm="oauth-realm"', 'the realm is AuthName where set');
$res = form_post(INTROSPECT, [token => $bare->{access_token}], auth => 'Basic !!notbase64');
challenge_is($res, 401, 'Basic realm="mod_bearer"', 'Basic that is not base64: 401, Basic challenge');
$res = form_post(INTROSPECT, [token => $bare->{access_token}, client_secret => 'wrong']);
challenge_is($res, 401, 'Bearer realm="mod_bearer"', 'a wrong client_secret: 401, Bearer challenge');
$res = form_post(INTROSPECT, [token => $bare->{access_token}], bearer => forge_token());
error_is($res, 401, 'invalid_client', 'Bearer with an unknown token: 401 invalid_client');
$res = form_post(INTROSPECT, [token => $bare->{access_token}], auth => 'Digest x=1');
challenge_is($res, 401, 'Bearer realm="mod_bearer"', 'another scheme: 401, Bearer challenge');

# --- a client token as caller: 403 ----------------------------------------------------------------
$res = form_post(INTROSPECT, [token => $bare->{access_token}], bearer => $full->{access_token});
error_is($res, 403, 'insufficient_scope', 'a client token as Bearer caller: 403 insufficient_scope');
$res = form_post(INTROSPECT, [token => $full->{access_token}, client_secret => $full->{access_token}]);
error_is($res, 403, 'insufficient_scope', 'a client token as client_secret, even about itself: 403');
is((json_of(introspect($full->{access_token})) || {})->{uses_left}, 5,
   'refused callers counted no use of the token either');
# a caller's token bound to addresses that exclude the caller is no token
# at all, as on a protected location: 401, never a 403 that says it is live
$res = form_post(INTROSPECT, [token => $bare->{access_token}], bearer => $far->{access_token});
error_is($res, 401, 'invalid_client', 'a client token bound to 10.0.0.0/8 as caller from 127.0.0.1: 401 invalid_client');

# --- the token parameter --------------------------------------------------------------------------
$res = form_post(INTROSPECT, [token_type_hint => 'access_token'], bearer => OPERATOR_TOKEN);
error_is($res, 400, 'invalid_request', 'no token: 400 invalid_request');
$res = form_post(INTROSPECT, [token => ''], bearer => OPERATOR_TOKEN);
error_is($res, 400, 'invalid_request', 'an empty token: 400 invalid_request');
$res = form_post(INTROSPECT, [token => $bare->{access_token}, token_type_hint => 'refresh_token',
                              client_id => 'x', resource => 'y'], bearer => OPERATOR_TOKEN);
ok($res->code == 200 && (json_of($res) || {})->{active},
   'any token_type_hint, client_id and other parameters are ignored')
    or diag(BearerTest::describe($res));
$res = form_post(INTROSPECT, [token => $bare->{access_token}, client_secret => OPERATOR_TOKEN],
                 bearer => OPERATOR_TOKEN);
error_is($res, 400, 'invalid_request', 'credentials in the header and the body at once: 400');
