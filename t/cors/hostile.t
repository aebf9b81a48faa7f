# SPDX-License-Identifier: Apache-2.0
# Hostile Origin and Access-Control-Request-* values (empty, very long,
# several header lines, control characters, odd case and spacing), sent as
# they are over a socket, as preflights and as plain requests, to a listed
# origin's Location, to a '*' Location and to the endpoint's .../self:
# never a 5xx, and never an Access-Control-* value that is not
# configuration or one of the module's constants.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::CORS;

my $APP = 'https://app.example.com';
my %ALLOWED = (
    'access-control-allow-origin'   => { map { $_ => 1 } $APP, 'http://127.0.0.1:8790', '*' },
    'access-control-allow-methods'  => { map { $_ => 1 } qw(GET HEAD POST PUT PATCH DELETE) },
    'access-control-allow-headers'  => { map { $_ => 1 } 'Authorization', 'Content-Type',
                                          'Authorization, Content-Type' },
    'access-control-max-age'        => { 600 => 1 },
    'access-control-expose-headers' => { 'WWW-Authenticate' => 1 },
);

my $A = 'Access-Control-Request-Method';
my $H = 'Access-Control-Request-Headers';
my @cases = (
    # [ description, header lines ]
    [ 'empty Origin',                     [ 'Origin: ', "$A: GET" ] ],
    [ 'Origin of 7000 bytes',             [ 'Origin: ' . ('x' x 7000), "$A: GET" ] ],
    [ 'a listed Origin with 7000 more',   [ "Origin: $APP" . ('x' x 7000), "$A: GET" ] ],
    [ 'two Origin lines, both listed',    [ "Origin: $APP", "Origin: $APP", "$A: GET" ] ],
    [ 'two Origin lines, one listed',     [ "Origin: https://evil.example", "Origin: $APP", "$A: GET" ] ],
    [ '50 Origin lines',                  [ ("Origin: $APP") x 50, "$A: GET" ] ],
    [ 'Origin with \x01',                 [ "Origin: $APP\x01", "$A: GET" ] ],
    [ 'Origin with \x7f',                 [ "Origin: $APP\x7f", "$A: GET" ] ],
    [ 'Origin with \t inside',            [ "Origin: https://app.\texample.com", "$A: GET" ] ],
    [ 'Origin with a trailing space',     [ "Origin: $APP ", "$A: GET" ] ],
    [ 'Origin in upper case',             [ 'Origin: HTTPS://APP.EXAMPLE.COM', "$A: GET" ] ],
    [ 'Origin with %00',                  [ "Origin: $APP%00", "$A: GET" ] ],
    [ 'Origin with a path',               [ "Origin: $APP/x", "$A: GET" ] ],
    [ 'Origin null',                      [ 'Origin: null', "$A: GET" ] ],
    [ 'empty request method',             [ "Origin: $APP", "$A: " ] ],
    [ 'request method of 7000 bytes',     [ "Origin: $APP", "$A: " . ('G' x 7000) ] ],
    [ 'two request methods',              [ "Origin: $APP", "$A: GET", "$A: DELETE" ] ],
    [ 'request method with \x01',         [ "Origin: $APP", "$A: GET\x01" ] ],
    [ 'request method with a space',      [ "Origin: $APP", "$A: GET POST" ] ],
    [ 'request method EVIL',              [ "Origin: $APP", "$A: EVIL" ] ],
    [ 'request headers of 7000 bytes',    [ "Origin: $APP", "$A: GET", "$H: " . ('x' x 7000) ] ],
    [ '3000 empty request headers',       [ "Origin: $APP", "$A: GET", "$H: " . (',' x 3000) ] ],
    [ '500 times authorization',              [ "Origin: $APP", "$A: GET", "$H: " . join(',', ('authorization') x 500) ] ],
    [ 'request headers with \x01',        [ "Origin: $APP", "$A: GET", "$H: authorization\x01,evil" ] ],
    [ 'two request-headers lines',        [ "Origin: $APP", "$A: GET", "$H: authorization", "$H: content-type, evil" ] ],
    [ 'request header Evil-Header',       [ "Origin: $APP", "$A: GET", "$H: evil-header" ] ],
);

my @paths = ('/c/any/r.txt', '/c/star/r.txt', '/t/cors/tokens/self');
plan tests => 2 * @cases * @paths + 6;

# Every Access-Control-* value must be one we could have configured or a
# constant of the module; nothing may echo "evil" or the long values.
sub clean {
    my ($res) = @_;
    my @why;
    push @why, 'status ' . $res->code if $res->code >= 500;
    for my $h (cors_names($res)) {
        for my $v ($res->header($h)) {
            push @why, "$h: '" . substr($v, 0, 80) . "' is not ours"
                unless $ALLOWED{lc $h} && $ALLOWED{lc $h}{$v};
        }
    }
    for my $h ($res->headers->header_field_names) {
        push @why, "$h echoes the request"
            if grep { /evil|xxxxxxxxxx|GGGGGGGGGG/i } $res->header($h);
    }
    return @why;
}

my %got;
for my $case (@cases) {
    my ($what, $lines) = @$case;
    for my $path (@paths) {
        for my $method ('OPTIONS', 'GET') {
            my $res = raw_request(join("\n", "$method $path HTTP/1.1", @$lines));
            $got{"$what $path $method"} = $res;
            my @why = clean($res);
            ok(!@why, "$method $path, $what: " . $res->code . ', nothing echoed')
                or diag(join('; ', @why) . "\n" . substr(describe($res), 0, 2000));
        }
    }
}

# Beyond "nothing echoed": where the answer is decided
ok(!defined $got{'empty Origin /c/star/r.txt OPTIONS'}->header('Access-Control-Allow-Origin'),
   "an empty Origin is no origin, even under '*'");
ok(!defined $got{'two Origin lines, both listed /c/any/r.txt GET'}->header('Access-Control-Allow-Origin'),
   'two Origin lines (httpd joins them) match no listed origin');
ok(!defined $got{'Origin in upper case /c/any/r.txt GET'}->header('Access-Control-Allow-Origin'),
   'an Origin in another case than configured is not listed');
my $two = $got{'two request-headers lines /c/any/r.txt OPTIONS'};
is($two->header('Access-Control-Allow-Headers'), 'Authorization, Content-Type',
   'two request-headers lines: the allowed ones of both, nothing else');
my $m = $got{'two request methods /c/any/r.txt OPTIONS'};
ok($m->code == 204 && !defined $m->header('Access-Control-Allow-Methods'),
   'two request-method lines: 204 without Allow-Methods');
my $sp = $got{'Origin with a trailing space /c/any/r.txt GET'};
is($sp->header('Access-Control-Allow-Origin') // '', $APP,
   'a trailing space (white space around a field value is not part of it) still matches');
