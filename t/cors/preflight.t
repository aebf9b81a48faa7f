# SPDX-License-Identifier: Apache-2.0
# CORS preflights on protected locations (BearerCORSOrigins, docs/protecting.md
# "Browser clients"): from a listed origin answered 204 before
# authentication, with only the allowed method and headers; from any other
# origin, or where the directive or AuthType Bearer is missing, handled like
# any other request (here: 401) with no CORS header at all.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::CORS;

my $APP  = 'https://app.example.com';
my $LOOP = 'http://127.0.0.1:8790';
my @METHODS = qw(GET HEAD POST PUT PATCH DELETE);

plan tests => 41;

# --- from a listed origin ---------------------------------------------------
preflight_is(preflight('/c/any/r.txt', $APP, 'GET', 'authorization'),
             $APP, 'GET', 'Authorization',
             'a listed origin: 204, its origin, GET, Authorization, 600, Vary');
preflight_is(preflight('/c/any/r.txt', $LOOP, 'GET', 'authorization'),
             $LOOP, 'GET', 'Authorization', 'the second listed origin');
preflight_is(preflight('/c/view/r.txt', $APP, 'GET', 'authorization'),
             $APP, 'GET', 'Authorization',
             'a nested Location inherits the origins (no token, scope not checked)');
preflight_is(preflight('/c/any/r.txt', $APP, 'PUT', 'authorization'),
             $APP, 'PUT', 'Authorization',
             'a nested Location with mod_bearer settings of its own keeps the parent\'s origins (merge)');
for my $m (@METHODS) {
    preflight_is(preflight('/c/any/r.txt', $APP, $m, 'authorization'),
                 $APP, $m, 'Authorization', "method $m is allowed");
}
preflight_is(preflight('/c/any/r.txt', $APP, 'POST', 'authorization,content-type'),
             $APP, 'POST', 'Authorization, Content-Type',
             'Authorization and Content-Type, as Chromium lists them');
preflight_is(preflight('/c/any/r.txt', $APP, 'POST', ' Content-Type , AUTHORIZATION '),
             $APP, 'POST', 'Authorization, Content-Type',
             'header names in any case, with white space');
preflight_is(preflight('/c/any/r.txt', $APP, 'GET', undef),
             $APP, 'GET', undef, 'no headers requested: no Allow-Headers');
preflight_is(preflight('/c/star/r.txt', 'https://anything.example.org', 'DELETE',
                       'authorization'),
             '*', 'DELETE', 'Authorization', "'*': any origin, answered '*'");
preflight_is(preflight('/c/norm/r.txt', 'https://app.example.net', 'GET', 'authorization'),
             'https://app.example.net', 'GET', 'Authorization',
             'configured as HTTPS://App.Example.NET:443: the browser form matches');
preflight_is(preflight('/c/op/r.txt', $APP, 'GET', 'authorization'),
             $APP, 'GET', 'Authorization',
             'Require bearer-operator: the preflight is still answered');

# --- a method or header outside the lists -------------------------------------
for my $m (qw(OPTIONS TRACE CONNECT patch get FOO)) {
    preflight_is(preflight('/c/any/r.txt', $APP, $m, 'authorization'),
                 $APP, undef, 'Authorization',
                 "method '$m': 204 without Allow-Methods");
}
preflight_is(preflight('/c/any/r.txt', $APP, 'GET', 'x-custom'),
             $APP, 'GET', undef, 'only a header outside the list: no Allow-Headers');
preflight_is(preflight('/c/any/r.txt', $APP, 'GET', 'authorization,x-custom,cookie'),
             $APP, 'GET', 'Authorization',
             'headers outside the list are left out of Allow-Headers');

# --- no use counted, no token needed ------------------------------------------
my $t = mint_ok({ scopes => ['stream:view'], max_uses => 1 });
preflight_is(preflight('/c/any/r.txt', $APP, 'GET', 'authorization')
             , $APP, 'GET', 'Authorization', 'preflight 1 of a max_uses 1 token user');
preflight_is(preflight('/c/any/r.txt', $APP, 'GET', 'authorization',
                       token => $t->{access_token}),
             $APP, 'GET', 'Authorization',
             'a preflight that carries the token anyway: answered, no use counted');
status_is(req(GET => '/c/any/r.txt', token => $t->{access_token},
              headers => [Origin => $APP]),
          200, 'the one use is still there after the preflights');
status_is(req(GET => '/c/any/r.txt', token => $t->{access_token}),
          401, 'and it was the only one');

# --- not a listed origin: handled like any other request ------------------------
my %others = (
    'another port of a listed host'  => 'http://127.0.0.1:8791',
    'the listed host on https'       => 'https://127.0.0.1:8790',
    'another port of a listed name'  => 'https://app.example.com:8443',
    'another scheme'                 => 'http://app.example.com',
    'a subdomain'                    => 'https://evil.app.example.com',
    'a suffix'                       => 'https://app.example.com.evil.net',
    'upper case (not as browsers send it)' => 'https://APP.example.com',
    'a trailing slash'               => 'https://app.example.com/',
    'null'                           => 'null',
);
for my $what (sort keys %others) {
    my $res = preflight('/c/any/r.txt', $others{$what}, 'GET', 'authorization');
    ok($res->code == 401 && !cors_names($res)
       && !grep({ /origin/i } $res->header('Vary')),
       "not listed ($what): 401, no CORS header")
        or diag(describe($res));
}

# --- where it does not apply ------------------------------------------------------
no_cors(preflight('/cn/r.txt', $APP, 'GET', 'authorization'),
        'AuthType Bearer without BearerCORSOrigins: no CORS header');
{
    my $res = preflight('/cplain/r.txt', $APP, 'GET', 'authorization');
    ok($res->code != 204 && $res->code < 500 && !cors_names($res),
       'BearerCORSOrigins without AuthType Bearer: not answered, no CORS header')
        or diag(describe($res));
}
{
    my $res = req(OPTIONS => '/c/any/r.txt', headers => [Origin => $APP]);
    ok($res->code == 401, 'OPTIONS without Access-Control-Request-Method is no preflight: 401')
        or diag(describe($res));
    cors_is($res, $APP, '... and, from a listed origin, carries the CORS headers');
}
