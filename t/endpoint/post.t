# SPDX-License-Identifier: Apache-2.0
# POST /auth/v1/access-tokens by the operator: 201, its body and headers
# (docs/endpoint.md), with an empty body, the seed's bare curl -X POST, and
# JSON bodies.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 33;

my $token_re = qr/^bt_[A-Za-z0-9_-]{49}$/;
my $id_re    = qr/^[A-Za-z0-9_-]{22}$/;

# --- an empty body (Content-Length: 0) ---------------------------------------
# expires_at is the server's clock at the mint plus the TTL: between the
# times just before the request and just after the answer, whatever the load.
sub expires_within {
    my ($expires_at, $t0, $t1, $ttl) = @_;
    return defined $expires_at && $expires_at =~ /^\d+$/
        && $expires_at >= $t0 + $ttl && $expires_at <= $t1 + $ttl;
}

my $t0 = time;
my ($res, $json) = mint();
my $t1 = time;
status_is($res, 201, 'POST with an empty body: 201');
like($res->header('Content-Type') // '', qr{^application/json\b}i,
     '201 is application/json');
no_store_ok($res, '201 carries Cache-Control: no-store and Pragma: no-cache');
ok(ref $json eq 'HASH', '201 body is a JSON object') or $json = {};
ok(($json->{access_token} // '') =~ $token_re,
   'access_token is bt_ and 49 characters of [A-Za-z0-9_-]');
is($json->{token_type}, 'Bearer', 'token_type is Bearer');
ok(($json->{token_id} // '') =~ $id_re, 'token_id is 22 base64url characters');
is($json->{expires_in}, 3600, 'expires_in is BearerDefaultTTL (3600)');
ok(expires_within($json->{expires_at}, $t0, $t1, 3600),
   'expires_at is now + expires_in, in Unix seconds');
is($json->{scope}, 'stream:view', 'scope is BearerDefaultScopes');
ok(!exists $json->{subject}, 'no subject when none was given');
my $loc = $res->header('Location') // '';
ok(length $json->{token_id} && $loc =~ m{/auth/v1/access-tokens/\Q$json->{token_id}\E$},
   'Location ends with /auth/v1/access-tokens/<token_id>')
    or diag("Location: $loc");
ok($json->{access_token} !~ /\Q$json->{token_id}\E/,
   'the token does not contain its id');

# Checksum as documented in include/bearer_token.h, which secret scanners use.
{
    my ($random, $sum) = ($json->{access_token} // '')
        =~ /^bt_([A-Za-z0-9_-]{43})([A-Za-z0-9_-]{6})$/;
    ok(defined $sum && $sum eq token_checksum('bt_', $random),
       'the last 6 characters are the checksum of prefix and random part');
}

# --- the seed's request, byte for byte: no body, no Content-Length ----------
$res = raw_request("POST /auth/v1/access-tokens HTTP/1.1\n"
                 . "User-Agent: curl/7.88.1\nAccept: */*\n"
                 . "Authorization: Bearer " . OPERATOR_TOKEN);
status_is($res, 201, "the seed's curl -X POST (no Content-Length) gets 201");
$json = json_of($res) || {};
ok(($json->{access_token} // '') =~ $token_re && ($json->{token_id} // '') =~ $id_re
   && $json->{token_type} eq 'Bearer' && $json->{expires_in} == 3600
   && $json->{scope} eq 'stream:view' && $json->{expires_at} =~ /^\d+$/,
   'with every field of the 201 body');
ok(($res->header('Location') // '') =~ m{/auth/v1/access-tokens/[A-Za-z0-9_-]{22}$},
   'and a Location');

# --- an empty JSON object -----------------------------------------------------
($res, $json) = mint({});
status_is($res, 201, 'POST {} gets 201');
is(($json || {})->{scope}, 'stream:view', '{} gets the default scopes');

# --- every member ------------------------------------------------------------
$t0 = time;
($res, $json) = mint({ scopes => ['stream:start', 'chat:write'], ttl => 600,
                       subject => 'user-42', metadata => { room => 'r1', hd => JSON::PP::true() },
                       max_uses => 10 });
status_is($res, 201, 'POST with every member gets 201');
$json ||= {};
is($json->{expires_in}, 600, 'expires_in is the requested ttl');
ok(expires_within($json->{expires_at}, $t0, time, 600), 'expires_at matches');
is($json->{subject}, 'user-42', '201 carries the subject when given');
is(join(' ', sort split / /, $json->{scope} // ''), 'chat:write stream:start',
   'scope lists the requested scopes, space-separated');
ok(!exists $json->{metadata} || ref $json->{metadata} eq 'HASH',
   'metadata, if echoed, is an object');

# --- "scope" as one space-separated string -------------------------------------
($res, $json) = mint({ scope => 'stream:view chat:write' });
status_is($res, 201, 'POST with "scope" as a string gets 201');
is(join(' ', sort split / /, ($json || {})->{scope} // ''), 'chat:write stream:view',
   'both scopes granted');

# --- "scopes": [] gives a token without scopes -----------------------------------
($res, $json) = mint({ scopes => [] });
status_is($res, 201, 'POST with "scopes": [] gets 201');
is(($json || {})->{scope}, '', 'and a token with no scope');

# --- a JSON content type with parameters ------------------------------------
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN,
           content_type => 'application/json; charset=utf-8',
           body => '{"ttl": 60}');
status_is($res, 201, 'Content-Type application/json; charset=utf-8 is JSON');

# --- the second (rotated) operator token mints too ----------------------------
($res, $json) = mint(undef, as => OPERATOR_TOKEN_2);
status_is($res, 201, 'the second operator token of the file mints too');

# --- a ttl above BearerMaxTTL is clamped, expires_in says what was granted ----
($res, $json) = mint({ ttl => 100000 });
is(($json || {})->{expires_in}, 86400, 'ttl 100000 is clamped to 86400');

# --- exactly 16 KiB of body is not too large ----------------------------------
my $body = '{"ttl": 60}';
$body .= ' ' x (16384 - length $body);
$res = req(POST => ENDPOINT, token => OPERATOR_TOKEN, json => $body);
status_is($res, 201, 'a body of exactly 16384 bytes is accepted');
