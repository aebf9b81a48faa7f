# SPDX-License-Identifier: Apache-2.0
# SetHandler bearer-revoke (RFC 7009), embedded mode: who may revoke what
# (operator in three ways, a client token itself only, a public client with
# no credentials), 200 with an empty body whatever the token was, 400
# unsupported_token_type for operator tokens, 401 for wrong credentials.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::OAuth;

plan tests => 36;

my $EP = '/t/open/tokens';
sub fresh { mint_ok({ @_ }, endpoint => $EP) }
sub works { req(GET => '/p/any/r.txt', token => $_[0]{access_token})->code == 200 }
sub active { (json_of(form_post(INTROSPECT, [token => $_[0]{access_token}],
                                bearer => OPERATOR_TOKEN)) || {})->{active} ? 1 : 0 }

# A 200 of RFC 7009 sec. 2.2: empty body.
sub revoked_ok {
    my ($res, $name) = @_;
    my $ok = Test::More::ok($res->code == 200 && ($res->content // '') eq '', $name);
    Test::More::diag(BearerTest::describe($res)) unless $ok;
    return $ok;
}

# --- the operator, in each of the three ways ------------------------------------------------
my %ways = (
    'Bearer'          => [bearer => OPERATOR_TOKEN],
    'Basic'           => [basic => ['any-client', OPERATOR_TOKEN]],
    'client_secret'   => [],
);
for my $way (sort keys %ways) {
    my $t = fresh(subject => "victim of $way");
    ok(works($t), "a live token ($way case) works");
    my @body = (token => $t->{access_token}, token_type_hint => 'access_token');
    push @body, client_id => 'c', client_secret => OPERATOR_TOKEN if $way eq 'client_secret';
    revoked_ok(form_post(REVOKE, \@body, @{ $ways{$way} }),
               "operator revokes it with $way credentials: 200, empty body");
    ok(!works($t) && !active($t), 'then it gets 401 and introspection says inactive');
}
my $t = fresh();
revoke_by_operator($t);
status_is(req(GET => token_path($t->{token_id}, endpoint => $EP), token => OPERATOR_TOKEN),
          404, 'GET by id of a token revoked here: 404');
sub revoke_by_operator {
    return form_post(REVOKE, [token => $_[0]{access_token}], bearer => OPERATOR_TOKEN);
}

# --- 200 whatever the token was --------------------------------------------------------------
revoked_ok(revoke_by_operator($t), 'revoking it again: 200');
revoked_ok(revoke_by_operator({ access_token => forge_token() }), 'an unknown token: 200');
revoked_ok(revoke_by_operator({ access_token => 'garbage & more' }), 'something not a token at all: 200');
my $short = fresh(ttl => 1);
sleep 2;
revoked_ok(revoke_by_operator($short), 'an expired token: 200');

# --- operator tokens are not revoked here -------------------------------------------------------
for my $case ([[bearer => OPERATOR_TOKEN], 'the operator'], [[], 'a public client']) {
    my $res = form_post(REVOKE, [token => OPERATOR_TOKEN_2], @{ $case->[0] });
    error_is($res, 400, 'unsupported_token_type',
             "$case->[1] revoking an operator token: 400 unsupported_token_type");
}
is(req(GET => '/p/op/r.txt', token => OPERATOR_TOKEN_2)->code, 200, 'and the operator token still works');

# --- a public client: no credentials, the token is its own authority ----------------------------
my $pub = fresh(scopes => ['x']);
revoked_ok(form_post(REVOKE, [token => $pub->{access_token}, client_id => 'spa']),
           'no credentials (a public client): 200');
ok(!works($pub), 'and the token is revoked');

# --- a client token as Bearer: itself only ----------------------------------------------------------
my ($me, $other) = (fresh(), fresh());
my $res = form_post(REVOKE, [token => $other->{access_token}], bearer => $me->{access_token});
error_is($res, 403, 'insufficient_scope', 'a client token revoking another token: 403');
ok(works($other) && works($me), 'both tokens still work');
revoked_ok(form_post(REVOKE, [token => $me->{access_token}], bearer => $me->{access_token}),
           'a client token revoking itself: 200');
ok(!works($me) && works($other), 'it is revoked, the other is not');
revoked_ok(form_post(REVOKE, [token => $me->{access_token}], bearer => $me->{access_token}),
           'logging out a second time with the revoked token: 200 still');
my $mine = fresh();
revoked_ok(form_post(REVOKE, [token => $mine->{access_token}, client_secret => $mine->{access_token}]),
           'a client token as client_secret revoking itself: 200');
ok(!works($mine), 'it is revoked');

# --- wrong operator credentials: 401, nothing revoked ------------------------------------------------
my $keep = fresh();
$res = form_post(REVOKE, [token => $keep->{access_token}], bearer => forge_token());
error_is($res, 401, 'invalid_client', 'Bearer with an unknown token: 401 invalid_client');
challenge_is($res, 401, 'Bearer realm="mod_bearer"', 'with a Bearer challenge');
$res = form_post('/t/oauth/revoke', [token => $keep->{access_token}], basic => ['c', 'wrong']);
error_is($res, 401, 'invalid_client', 'Basic with a wrong secret: 401 invalid_client');
challenge_is($res, 401, 'Basic realm="oauth-realm"', 'with a Basic challenge, realm from AuthName');
$res = form_post(REVOKE, [token => $keep->{access_token}, client_secret => 'not-the-operator']);
error_is($res, 401, 'invalid_client', 'a wrong client_secret: 401 invalid_client');
ok(works($keep), 'the token survived all three');

# --- the token parameter ----------------------------------------------------------------------------
error_is(form_post(REVOKE, [token_type_hint => 'access_token'], bearer => OPERATOR_TOKEN),
         400, 'invalid_request', 'no token: 400 invalid_request');
error_is(form_post(REVOKE, [token => '']), 400, 'invalid_request', 'an empty token: 400 invalid_request');
error_is(form_post(REVOKE, [token => $keep->{access_token}, client_secret => OPERATOR_TOKEN],
                   basic => ['c', OPERATOR_TOKEN]),
         400, 'invalid_request', 'credentials in the header and the body at once: 400');
ok(works($keep), 'still alive');
