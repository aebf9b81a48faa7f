# SPDX-License-Identifier: Apache-2.0
# Every answer to a request from a listed origin (200, 204, 400, 401, 403,
# 404, 503, httpd's own error pages too) carries Access-Control-Allow-Origin,
# Access-Control-Expose-Headers: WWW-Authenticate and Vary: Origin, so a
# script can read the RFC 6750 error. On the token endpoint only DELETE
# .../self does: operator calls get no CORS header. Requests without Origin,
# or from an origin not listed, get none.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::CORS;
use BearerTest::Httpd ();
use BearerTest::Ports ();
use HTTP::Request ();

my $APP = 'https://app.example.com';
my $EP  = '/t/cors/tokens';
my @O   = (Origin => $APP);

plan tests => 35;

my $view = mint_ok({ scopes => ['stream:view'] })->{access_token};
my $chat = mint_ok({ scopes => ['chat:write'] })->{access_token};

# --- protected locations -----------------------------------------------------
my $res = req(GET => '/c/view/r.txt', token => $view, headers => [@O]);
status_is($res, 200, '200 with a token from a listed origin');
cors_is($res, $APP, '... carries the CORS headers');

$res = req(GET => '/c/view/r.txt', headers => [@O]);
challenge_is($res, 401, 'Bearer realm="platform"', '401 without a token');
cors_is($res, $APP, "... carries the CORS headers (httpd's own error page)");

$res = req(GET => '/c/view/r.txt', token => forge_token(), headers => [@O]);
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             '401 invalid_token');
cors_is($res, $APP, '... carries the CORS headers');

$res = req(GET => '/c/view/r.txt', auth => 'Bearer a b', headers => [@O]);
challenge_is($res, 400, 'Bearer realm="platform", error="invalid_request"',
             '400 invalid_request');
cors_is($res, $APP, '... carries the CORS headers');

$res = req(GET => '/c/view/r.txt', token => $chat, headers => [@O]);
challenge_is($res, 403,
             'Bearer realm="platform", error="insufficient_scope", scope="stream:view"',
             '403 insufficient_scope, the scope named');
cors_is($res, $APP, '... carries the CORS headers, WWW-Authenticate exposed');

$res = req(GET => '/c/op/r.txt', token => $view, headers => [@O]);
status_is($res, 403, '403 on Require bearer-operator');
cors_is($res, $APP, '... carries the CORS headers');

$res = req(GET => '/c/view/missing.txt', token => $view, headers => [@O]);
status_is($res, 404, '404 from httpd');
cors_is($res, $APP, '... carries the CORS headers');

$res = req(GET => '/c/star/r.txt', token => $view,
           headers => [Origin => 'https://anywhere.example.org']);
status_is($res, 200, "200 under '*'");
cors_is($res, '*', "... Access-Control-Allow-Origin: *");

$res = req(GET => '/c/view/r.txt', token => $view);
ok($res->code == 200 && !cors_names($res), 'no Origin: 200, no CORS header')
    or diag(describe($res));
$res = req(GET => '/c/view/r.txt', token => $view,
           headers => [Origin => 'https://evil.example.com']);
ok($res->code == 200 && !cors_names($res), 'an origin not listed: 200, no CORS header')
    or diag(describe($res));
$res = req(GET => '/cn/r.txt', token => $view, headers => [@O]);
ok($res->code == 200 && !cors_names($res),
   'a Location without the directive: 200, no CORS header')
    or diag(describe($res));

# --- the token endpoint ---------------------------------------------------------
my $self = mint_ok({ scopes => ['stream:view'] }, endpoint => $EP)->{access_token};
preflight_is(preflight("$EP/self", $APP, 'DELETE', 'authorization'),
             $APP, 'DELETE', 'Authorization', 'preflight for DELETE .../self');
preflight_is(preflight("$EP/self", $APP, 'GET', 'authorization'),
             $APP, undef, 'Authorization',
             'preflight for another method on .../self: no Allow-Methods');
$res = req(DELETE => "$EP/self", token => $self, headers => [@O]);
status_is($res, 204, 'DELETE .../self from a listed origin: 204');
cors_is($res, $APP, '... carries the CORS headers');
$res = req(DELETE => "$EP/self", token => $self, headers => [@O]);
challenge_is($res, 401, 'Bearer realm="mod_bearer", error="invalid_token"',
             'DELETE .../self again: 401 invalid_token');
cors_is($res, $APP, '... carries the CORS headers');
$res = req(GET => '/c/view/r.txt', token => $self, headers => [@O]);
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             'the logged-out token on the API: 401 invalid_token');

# operator calls: no CORS header
$res = req(POST => $EP, token => OPERATOR_TOKEN, headers => [@O],
           json => { scopes => ['stream:view'] });
ok($res->code == 201 && !cors_names($res),
   'operator mint with a listed Origin: 201, no CORS header')
    or diag(describe($res));
my $id = (json_of($res) || {})->{token_id} // 'none';
$res = req(GET => "$EP/$id", token => OPERATOR_TOKEN, headers => [@O]);
ok($res->code == 200 && !cors_names($res), 'operator GET by id: 200, no CORS header')
    or diag(describe($res));
$res = req(DELETE => "$EP/$id", token => OPERATOR_TOKEN, headers => [@O]);
ok($res->code == 204 && !cors_names($res), 'operator DELETE by id: 204, no CORS header')
    or diag(describe($res));
$res = preflight($EP, $APP, 'POST', 'authorization,content-type');
ok($res->code == 405 && !cors_names($res), 'a preflight for the mint: 405, no CORS header')
    or diag(describe($res));
$res = preflight("$EP/$id", $APP, 'DELETE', 'authorization');
ok($res->code == 405 && !cors_names($res),
   'a preflight for DELETE by id: 405, no CORS header')
    or diag(describe($res));
$res = req(GET => "$EP/self", token => $view, headers => [@O]);
ok(!cors_names($res), 'GET .../self: no CORS header (DELETE .../self only)')
    or diag(describe($res));
$res = preflight("$EP/self", 'https://evil.example.com', 'DELETE', 'authorization');
ok($res->code == 405 && !cors_names($res),
   'a preflight on .../self from an origin not listed: 405, no CORS header')
    or diag(describe($res));

# --- 503: the store unreachable (fleet mode, BearerOutage closed), the origins
# listed at server level ------------------------------------------------------------
my $dead = BearerTest::Ports::free_port();
my $h = BearerTest::Httpd->start(conf => <<EOF);
BearerSecretFile "$ENV{BEARER_T_RUN}/secret-acme"
BearerMemcache 127.0.0.1:$dead
BearerOutage closed
# at server level: every section inherits it
BearerCORSOrigins $APP
<Location /c>
    AuthType Bearer
    AuthName "platform"
    Require valid-user
</Location>
EOF
my $r = HTTP::Request->new(GET => $h->url('/c/any/r.txt'));
$r->header(Authorization => 'Bearer ' . forge_token());
$r->header(@O);
$res = BearerTest::ua()->request($r);
status_is($res, 503, '503 when memcached cannot be reached (BearerOutage closed)');
cors_is($res, $APP, '... carries the CORS headers (the directive at server level)');
$h->stop;
