# SPDX-License-Identifier: Apache-2.0
# Who may call the endpoint (docs/endpoint.md): 401 with a challenge
# for no or an unknown token, 400 for malformed credentials, 403 for a
# client token on POST or on another id, 403 for an operator on self; and
# the order 405 > 401 > 403 > 413/415/400.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 25;

my $realm = 'Bearer realm="mod_bearer"';
my $client = mint_ok();
my $other  = mint_ok();
my $big    = '{"ttl": 60}' . (' ' x 17000);

# --- 401 ----------------------------------------------------------------------
my $res = req(POST => ENDPOINT);
challenge_is($res, 401, $realm, 'POST without credentials: 401, bare challenge');
error_is($res, 401, json_of($res) ? (json_of($res)->{error} // 'x') : 'x',
         '401 is a JSON error');
$res = req(POST => ENDPOINT, auth => 'Basic ' . 'b3BlcmF0b3I6c2VjcmV0');
challenge_is($res, 401, $realm, 'POST with Basic credentials: 401, bare challenge');
$res = req(POST => ENDPOINT, token => forge_token());
challenge_is($res, 401, "$realm, error=\"invalid_token\"",
             'POST with an unknown token: 401 invalid_token');
$res = req(POST => ENDPOINT, token => 'not-an-operator-token-but-long-enough-0123456789');
challenge_is($res, 401, "$realm, error=\"invalid_token\"",
             'POST with a wrong operator-looking token: 401 invalid_token');
$res = req(GET => token_path($client->{token_id}));
challenge_is($res, 401, $realm, 'GET of an id without credentials: 401');
$res = req(DELETE => token_path('self'));
challenge_is($res, 401, $realm, 'DELETE self without credentials: 401');

# Realm from AuthName where the endpoint's Location sets one.
$res = req(POST => '/t/open/tokens');
challenge_is($res, 401, 'Bearer realm="tokens-realm"',
             'the realm comes from AuthName when set');

# --- 400: malformed credentials ------------------------------------------------
$res = req(POST => ENDPOINT, auth => 'Bearer');
error_is($res, 400, 'invalid_request', 'POST with "Bearer" alone: 400 invalid_request');
$res = req(POST => ENDPOINT, auth => 'Bearer ' . OPERATOR_TOKEN . ' extra');
error_is($res, 400, 'invalid_request', 'POST with two tokens: 400 invalid_request');

# --- 403: client tokens --------------------------------------------------------
$res = req(POST => ENDPOINT, token => $client->{access_token});
error_is($res, 403, json_of($res) ? (json_of($res)->{error} // 'x') : 'x',
         'a client token cannot POST: 403');
$res = req(GET => token_path($other->{token_id}), token => $client->{access_token});
status_is($res, 403, 'a client token cannot GET another id: 403');
$res = req(DELETE => token_path($other->{token_id}), token => $client->{access_token});
status_is($res, 403, 'a client token cannot DELETE another id: 403');
$res = req(GET => token_path($other->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 200, 'and the other token is still there');

# --- 403: the operator on self ----------------------------------------------------
$res = req(GET => token_path('self'), token => OPERATOR_TOKEN);
status_is($res, 403, 'GET self with an operator token: 403');
$res = req(DELETE => token_path('self'), token => OPERATOR_TOKEN);
status_is($res, 403, 'DELETE self with an operator token: 403');

# --- the client token may GET and DELETE self -------------------------------------
$res = req(GET => token_path('self'), token => $client->{access_token});
status_is($res, 200, 'GET self with a client token: 200');
is((json_of($res) || {})->{token_id}, $client->{token_id}, 'it describes that token');

# --- order: 405 > 401 > 403 > 413/415/400 --------------------------------------------
$res = req(PUT => ENDPOINT, content_type => 'text/plain', body => 'x');
status_is($res, 405, 'PUT without credentials: 405 before 401');
$res = req(POST => ENDPOINT, content_type => 'text/plain', body => 'x');
status_is($res, 401, 'a text/plain POST without credentials: 401 before 415');
$res = req(POST => ENDPOINT, token => forge_token(), json => $big);
status_is($res, 401, 'an oversized POST with an unknown token: 401 before 413');
$res = req(POST => ENDPOINT, token => $client->{access_token}, json => $big);
status_is($res, 403, 'an oversized POST by a client token: 403 before 413');
$res = req(POST => ENDPOINT, token => $client->{access_token},
           content_type => 'text/plain', body => 'x');
status_is($res, 403, 'a text/plain POST by a client token: 403 before 415');
$res = req(POST => ENDPOINT, token => $client->{access_token}, json => '{"foo": 1}');
status_is($res, 403, 'a bad JSON POST by a client token: 403 before 400');
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN, content_type => 'text/plain',
           body => $big);
ok($res->code == 413 || $res->code == 415,
   'an oversized text/plain POST by the operator: a body error (413 or 415)')
    or diag(BearerTest::describe($res));
