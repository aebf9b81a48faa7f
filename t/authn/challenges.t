# SPDX-License-Identifier: Apache-2.0
# A protected Location (AuthType Bearer, AuthName "platform") answers as
# docs/protecting.md says: 401 bare challenge without Bearer credentials, 400
# invalid_request for a grammar violation, 401 invalid_token for anything
# that fits the grammar but is no live token of ours.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

my $bare    = 'Bearer realm="platform"';
my $invalid = 'Bearer realm="platform", error="invalid_request"';
my $badtok  = 'Bearer realm="platform", error="invalid_token"';
my $path    = '/p/any/r.txt';

my $good = mint_ok();
my $tok  = $good->{access_token};

my @cases = (
    # [ description, Authorization value(s) (undef: none), status, challenge ]
    [ 'no Authorization header',            undef,                     401, $bare ],
    [ 'Basic credentials',                  'Basic dXNlcjpwYXNz',      401, $bare ],
    [ 'another scheme with a token',        "Token $tok",              401, $bare ],
    [ '"Bearer" alone',                     'Bearer',                  400, $invalid ],
    [ '"Bearer " and spaces only',          'Bearer    ',              400, $invalid ],
    [ 'two tokens ("Bearer a b")',          'Bearer a b',              400, $invalid ],
    [ 'a token and a parameter',            "Bearer $tok, realm=x",    400, $invalid ],
    [ 'a character outside b64token (@)',   'Bearer abc@def',          400, $invalid ],
    [ 'a character outside b64token (!)',   'Bearer abc!def',          400, $invalid ],
    [ '"=" inside the token',               'Bearer abc=def',          400, $invalid ],
    [ 'a quoted token',                     qq{Bearer "$tok"},         400, $invalid ],
    [ 'a non-ASCII byte',                   "Bearer abc\xe9def",       400, $invalid ],
    [ 'two Authorization headers',          ["Bearer $tok", "Bearer $tok"], 400, $invalid ],
    [ 'lower-case scheme, malformed',       'bearer a b',              400, $invalid ],
    [ 'a short b64token',                   'Bearer abc',              401, $badtok ],
    [ 'a token without our prefix',         'Bearer ' . substr($tok, 3), 401, $badtok ],
    [ 'another prefix',                     'Bearer xx_' . substr($tok, 3), 401, $badtok ],
    [ 'a bad checksum',                     'Bearer ' . corrupt_token($tok), 401, $badtok ],
    [ 'a well-formed unknown token',        'Bearer ' . forge_token(), 401, $badtok ],
    [ 'the token with a byte appended',     "Bearer ${tok}A",          401, $badtok ],
    [ 'b64token with trailing "="',         "Bearer ${tok}==",         401, $badtok ],
    [ 'the good token',                     "Bearer $tok",             200, undef ],
    [ 'the good token, scheme upper case',  "BEARER $tok",             200, undef ],
    [ 'the good token, scheme lower case',  "bearer $tok",             200, undef ],
    [ 'the good token, several spaces',     "Bearer   $tok",           200, undef ],
);

plan tests => 2 * @cases + 2;

for my $case (@cases) {
    my ($what, $auth, $status, $challenge) = @$case;
    my $res = req(GET => $path, defined $auth ? (auth => $auth) : ());
    challenge_is($res, $status, $challenge,
                 "$what: $status" . (defined $challenge ? " $challenge" : ''));
    if ($status == 200) {
        is($res->header('X-Echo-Kind'), 'client', "$what: the request is authenticated");
    }
    else {
        is($res->header('X-Echo-Kind'), '(null)', "$what: no BEARER_* variable is set");
    }
}

# An operator token is a live token too.
my $res = req(GET => $path, token => OPERATOR_TOKEN);
status_is($res, 200, 'an operator token passes Require valid-user');
is($res->header('X-Echo-Kind'), 'operator', 'as kind operator');
