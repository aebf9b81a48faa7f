# SPDX-License-Identifier: Apache-2.0
# POST bodies the endpoint refuses (docs/endpoint.md): 413 over 16 KiB, 415
# for a content type other than JSON, 400 invalid_request for unknown
# members, wrong types, both scope and scopes, bad JSON; 400 invalid_scope;
# the subject and metadata limits. Errors are JSON naming what was wrong.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use HTTP::Request ();

my @invalid_request = (
    [ '{"foo": 1}',                         'an unknown member',          qr/foo/ ],
    [ '{"scopes": "stream:view"}',          'scopes as a string',         qr/scopes/ ],
    [ '{"scopes": [1]}',                    'scopes holding a number',    qr/scopes/ ],
    [ '{"scope": ["stream:view"]}',         'scope as an array',          qr/scope/ ],
    [ '{"scope": "stream:view", "scopes": ["stream:view"]}',
                                            'both scope and scopes',      qr/scope/ ],
    [ '{"ttl": "60"}',                      'ttl as a string',            qr/ttl/ ],
    [ '{"ttl": 0}',                         'ttl 0',                      qr/ttl/ ],
    [ '{"ttl": -5}',                        'a negative ttl',             qr/ttl/ ],
    [ '{"ttl": 1.5}',                       'a fractional ttl',           qr/ttl/ ],
    [ '{"subject": 42}',                    'subject as a number',        qr/subject/ ],
    [ '{"metadata": "x"}',                  'metadata as a string',       qr/metadata/ ],
    [ '{"metadata": [1, 2]}',               'metadata as an array',       qr/metadata/ ],
    [ '{"max_uses": 0}',                    'max_uses 0',                 qr/max_uses/ ],
    [ '{"max_uses": "3"}',                  'max_uses as a string',       qr/max_uses/ ],
    [ '{"ttl": 60',                         'truncated JSON',             undef ],
    [ '[]',                                 'a JSON array',               undef ],
    [ '"ttl"',                              'a JSON string',              undef ],
    [ '{"ttl": 60} {"ttl": 60}',            'trailing garbage',           undef ],
);

my @invalid_scope = (
    [ { scopes => ['admin'] },              'a scope BearerIssuableScopes does not list' ],
    [ { scope  => 'stream:view admin' },    'one refused scope among good ones' ],
    [ { scopes => ["stream\\view"] },       'a backslash in a scope' ],
    [ { scopes => ['stream"view'] },        'a double quote in a scope' ],
    [ { scopes => ['stream view'] },        'a space inside one element of scopes' ],
);

plan tests => 2 * @invalid_request + @invalid_scope + 15;

# --- 413 ----------------------------------------------------------------------
my $big = '{"ttl": 60}' . (' ' x 16384);
my $res = req(POST => ENDPOINT, token => OPERATOR_TOKEN, json => $big);
status_is($res, 413, 'a body over 16 KiB: 413');
ok(ref json_of($res) eq 'HASH' && length(json_of($res)->{error_description} // ''),
   '413 is a JSON error with a description')
    or diag(BearerTest::describe($res));

{   # The same without a Content-Length: chunked.
    my $r = HTTP::Request->new(POST => url(ENDPOINT));
    $r->header(Authorization => 'Bearer ' . OPERATOR_TOKEN);
    $r->header('Content-Type' => 'application/json');
    my @chunks = ('{"ttl": 60}', (' ' x 4096) x 5);
    $r->content(sub { shift @chunks });
    $res = BearerTest::ua()->request($r);
    status_is($res, 413, 'a chunked body over 16 KiB: 413');
}

# --- 415 ----------------------------------------------------------------------
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN,
           content_type => 'text/plain', body => '{"ttl": 60}');
status_is($res, 415, 'a text/plain body: 415');
ok(ref json_of($res) eq 'HASH' && length(json_of($res)->{error_description} // ''),
   '415 is a JSON error with a description')
    or diag(BearerTest::describe($res));
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN,
           content_type => 'application/x-www-form-urlencoded', body => 'ttl=60');
status_is($res, 415, 'a form body: 415');

# --- 400 invalid_request --------------------------------------------------------
for my $case (@invalid_request) {
    my ($body, $what, $names) = @$case;
    $res = req(POST => ENDPOINT, token => OPERATOR_TOKEN, json => $body);
    error_is($res, 400, 'invalid_request', "$what: 400 invalid_request");
    my $desc = (json_of($res) || {})->{error_description} // '';
    if ($names) {
        like($desc, $names, "$what: the description names the member");
    }
    else {
        ok(length $desc, "$what: the description says what was wrong");
    }
}

# --- 400 invalid_scope ------------------------------------------------------------
for my $case (@invalid_scope) {
    my ($body, $what) = @$case;
    ($res) = mint($body);
    error_is($res, 400, 'invalid_scope', "$what: 400 invalid_scope");
}

# --- subject: at most 256 bytes -----------------------------------------------------
($res) = mint({ subject => 's' x 256 });
status_is($res, 201, 'a subject of 256 bytes is accepted');
($res) = mint({ subject => 's' x 257 });
error_is($res, 400, 'invalid_request', 'a subject of 257 bytes: 400 invalid_request');
like((json_of($res) || {})->{error_description} // '', qr/subject/,
     'the description names subject');

# --- metadata: at most 4096 bytes of compact JSON ---------------------------------------
# {"k":"<v>"} is 8 bytes plus the value.
my $meta_4096 = { k => 'v' x 4088 };
($res) = mint({ metadata => $meta_4096 });
status_is($res, 201, 'metadata of exactly 4096 bytes (compact) is accepted');
($res) = mint({ metadata => { k => 'v' x 4089 } });
error_is($res, 400, 'invalid_request', 'metadata of 4097 bytes: 400 invalid_request');
like((json_of($res) || {})->{error_description} // '', qr/metadata/,
     'the description names metadata');
# Sent with white space around its members, it is still 4096 compact.
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN,
           json => '{ "metadata" : {   "k"  :  "' . ('v' x 4088) . '"   } }');
status_is($res, 201, 'the limit counts the compact form, not the bytes sent');

# --- a refused mint leaves no token behind: ids of 400s are never usable --------------
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN, json => '{"foo": 1}');
ok(!defined $res->header('Location'), 'a 400 carries no Location');
ok(index($res->decoded_content // '', 'bt_') < 0, 'and no token');
