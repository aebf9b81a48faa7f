# SPDX-License-Identifier: Apache-2.0
# The revocation endpoint (SetHandler bearer-revoke, RFC 7009) answers
# browsers across origins like DELETE .../self: a preflight from a listed
# origin for POST with Authorization and Content-Type gets its 204, one
# asking for another method gets no Access-Control-Allow-Methods; every
# answer to a listed origin (200, 400, 401, 403, 405, 415) carries
# Access-Control-Allow-Origin, Access-Control-Expose-Headers:
# WWW-Authenticate and Vary: Origin; an origin not listed gets none.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::CORS;
use BearerTest::OAuth;

my $APP  = 'https://app.example.com';
my $EVIL = 'https://evil.example.com';
my $EP   = '/t/cors/revoke';
my @O    = (headers => [Origin => $APP]);

plan tests => 30;

sub fresh { mint_ok({ scopes => ['stream:view'] })->{access_token} }
sub works { req(GET => '/c/view/r.txt', token => $_[0])->code == 200 }

# --- preflights ------------------------------------------------------------------
preflight_is(preflight($EP, $APP, 'POST', 'authorization, content-type'),
             $APP, 'POST', 'Authorization, Content-Type',
             'preflight for POST with Authorization and Content-Type: 204 with the headers');
preflight_is(preflight($EP, $APP, 'PUT', 'authorization'),
             $APP, undef, 'Authorization',
             'preflight asking for PUT: 204 without Access-Control-Allow-Methods');
preflight_is(preflight($EP, $APP, 'DELETE', undef),
             $APP, undef, undef,
             'preflight asking for DELETE: 204 without Access-Control-Allow-Methods');
my $res = preflight($EP, $EVIL, 'POST', 'authorization, content-type');
status_is($res, 405, 'a preflight from an origin not listed: handled as any OPTIONS, 405');
no_cors($res, '... and no CORS header');

# --- a public client logs out: no credentials, token=<its token> -----------------------
my $t = fresh();
ok(works($t), 'a live token works on the API');
$res = form_post($EP, [token => $t], @O);
ok($res->code == 200 && ($res->content // '') eq '',
   'a public client revokes it from a listed origin: 200, empty body')
    or diag(describe($res));
cors_is($res, $APP, '... carries the CORS headers');
ok(!works($t), 'and the token gets 401 on the API');
$res = form_post($EP, [token => $t], @O);
status_is($res, 200, 'revoking it again: 200');
cors_is($res, $APP, '... carries the CORS headers');

# a client token revoking itself, with Authorization: Bearer (preflighted)
my $me = fresh();
$res = form_post($EP, [token => $me], bearer => $me, @O);
status_is($res, 200, 'a client token revoking itself: 200');
cors_is($res, $APP, '... carries the CORS headers');

# --- the errors ---------------------------------------------------------------------------
$res = form_post($EP, [token_type_hint => 'access_token'], @O);
error_is($res, 400, 'invalid_request', 'no token parameter: 400 invalid_request');
cors_is($res, $APP, '... carries the CORS headers');

$res = form_post($EP, [token => fresh()], bearer => forge_token(), @O);
status_is($res, 401, 'an unknown token as Authorization: Bearer: 401');
ok(defined $res->header('WWW-Authenticate'), '... with a WWW-Authenticate challenge')
    or diag(describe($res));
cors_is($res, $APP, '... carries the CORS headers, WWW-Authenticate exposed');

my ($x, $y) = (fresh(), fresh());
$res = form_post($EP, [token => $y], bearer => $x, @O);
error_is($res, 403, 'insufficient_scope', 'a client token revoking another: 403');
cors_is($res, $APP, '... carries the CORS headers');

$res = form_post($EP, "token=$y", content_type => 'text/plain', @O);
status_is($res, 415, 'text/plain: 415');
cors_is($res, $APP, '... carries the CORS headers');

$res = req(GET => $EP, @O);
status_is($res, 405, 'GET: 405');
cors_is($res, $APP, '... carries the CORS headers');
ok(works($x) && works($y), 'the refused calls revoked nothing');

# --- origins not listed, or none ----------------------------------------------------------
my $u = fresh();
$res = form_post($EP, [token => $u], headers => [Origin => $EVIL]);
status_is($res, 200, 'from an origin not listed: the revocation still works, 200');
no_cors($res, '... but no CORS header');
$res = form_post($EP, [token => fresh()]);
no_cors($res, 'no Origin: no CORS header');
$res = form_post($EP, [token => fresh()], bearer => forge_token(),
                 headers => [Origin => $EVIL]);
no_cors($res, 'a 401 to an origin not listed: no CORS header');
$res = form_post('/auth/v1/revoke', [token => fresh()], @O);
no_cors($res, 'a revocation endpoint without the directive: no CORS header');
