# SPDX-License-Identifier: Apache-2.0
# What a successful authentication tells the request (docs/protecting.md):
# REMOTE_USER, BEARER_TOKEN_ID, BEARER_SUBJECT, BEARER_SCOPES,
# BEARER_EXPIRES, BEARER_KIND; reflected by mod_headers as X-Echo-*
# ("(null)" = unset). No token value ever reaches the environment.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 21;

my $path = '/p/any/r.txt';

# --- a client token with a subject -----------------------------------------------
my $alice = mint_ok({ scopes => ['stream:view', 'chat:write'], subject => 'alice@example' });
my $res = req(GET => $path, token => $alice->{access_token});
status_is($res, 200, 'a client token with a subject: 200');
is($res->header('X-Echo-User'), 'alice@example', 'REMOTE_USER is the subject');
is($res->header('X-Echo-Subject'), 'alice@example', 'BEARER_SUBJECT is the subject');
is($res->header('X-Echo-Kind'), 'client', 'BEARER_KIND is client');
is($res->header('X-Echo-Token-Id'), $alice->{token_id}, 'BEARER_TOKEN_ID is the token id');
is($res->header('X-Echo-Scopes'), $alice->{scope},
   'BEARER_SCOPES is the granted scope list, space-separated');
is($res->header('X-Echo-Expires'), $alice->{expires_at}, 'BEARER_EXPIRES is expires_at');
my $echo = join "\n", map { $res->header($_) // '' }
    qw(X-Echo-User X-Echo-Subject X-Echo-Token-Id X-Echo-Scopes X-Echo-Expires X-Echo-Kind);
ok(index($echo, $alice->{access_token}) < 0, 'no variable holds the token');

# --- a client token without a subject ----------------------------------------------
my $anon = mint_ok();
$res = req(GET => $path, token => $anon->{access_token});
is($res->header('X-Echo-User'), "token:$anon->{token_id}",
   'without a subject REMOTE_USER is token:<token_id>');
is($res->header('X-Echo-Subject'), '(null)', 'and BEARER_SUBJECT is unset');
is($res->header('X-Echo-Scopes'), 'stream:view', 'BEARER_SCOPES holds the default scope');

# --- the operator tokens --------------------------------------------------------
$res = req(GET => $path, token => OPERATOR_TOKEN);
status_is($res, 200, 'an operator token: 200');
is($res->header('X-Echo-User'), 'operator', 'REMOTE_USER is operator');
is($res->header('X-Echo-Subject'), 'operator', 'BEARER_SUBJECT is operator');
is($res->header('X-Echo-Kind'), 'operator', 'BEARER_KIND is operator');
is($res->header('X-Echo-Scopes'), '(null)', 'BEARER_SCOPES is unset');
my $op1 = $res->header('X-Echo-Token-Id') // '';
like($op1, qr/^[A-Za-z0-9_-]{22}$/, "BEARER_TOKEN_ID is the operator token's own id");
$res = req(GET => $path, token => OPERATOR_TOKEN_2);
my $op2 = $res->header('X-Echo-Token-Id') // '';
ok($op2 =~ /^[A-Za-z0-9_-]{22}$/ && $op2 ne $op1,
   'the rotated operator token has an id of its own (logs show which key was used)');
$res = req(GET => $path, token => OPERATOR_TOKEN);
is($res->header('X-Echo-Token-Id'), $op1, 'and each operator id is stable');

# --- failures set nothing ----------------------------------------------------------
$res = req(GET => $path, token => forge_token());
ok($res->code == 401 && $res->header('X-Echo-Kind') eq '(null)'
   && $res->header('X-Echo-Token-Id') eq '(null)' && $res->header('X-Echo-User') eq '',
   'an unknown token: no variable and no user set');
$res = req(GET => $path);
ok($res->code == 401 && $res->header('X-Echo-Kind') eq '(null)',
   'no credentials: no variable set');
