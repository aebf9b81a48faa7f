# SPDX-License-Identifier: Apache-2.0
# The live server's answers against docs/openapi.yaml: each documented
# operation and status the suite's server can produce, checked by
# BearerTest::OpenAPI (status documented, required headers, JSON schema).
# The checker must also reject answers that break the document.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::OpenAPI;
use BearerTest::OAuth;
use HTTP::Response ();

my $api = BearerTest::OpenAPI->load(Apache::Test::vars()->{top_dir} . '/docs/openapi.yaml');

my $C = '/auth/v1/access-tokens';
my $I = '/auth/v1/access-tokens/{token_id}';
my $S = '/auth/v1/access-tokens/self';
my $IN = INTROSPECT;
my $RV = REVOKE;

my $full = mint_ok({ scopes => ['stream:view'], subject => 's-1',
                     metadata => { plan => 'gold' }, max_uses => 5, ttl => 60 });
my $plain = mint_ok();
my $selfie = mint_ok();
my $victim = mint_ok();
my $bound = mint_ok({ cidrs => ['127.0.0.1', '::1'] });
my $bare = mint_ok({ scopes => [] });
my ($gone, $public) = (mint_ok(), mint_ok());
my @op = (bearer => OPERATOR_TOKEN);

my @cases = (
    # [ what, method, template, request ]
    [ 'mint, empty body',           POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN) } ],
    [ 'mint, every field',          POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN,
          json => { scope => 'stream:view', ttl => 30, subject => 'x', metadata => {}, max_uses => 1 }) } ],
    [ 'mint, unknown field',        POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN, json => { nope => 1 }) } ],
    [ 'mint, bad scope',            POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN, json => { scopes => ['admin'] }) } ],
    [ 'mint, no token',             POST => $C, sub { req(POST => ENDPOINT) } ],
    [ 'mint, malformed credentials', POST => $C, sub { req(POST => ENDPOINT, auth => 'Bearer a b') } ],
    [ 'mint, client token',         POST => $C, sub { req(POST => ENDPOINT, token => $plain->{access_token}) } ],
    [ 'mint, body too large',       POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN,
          body => '{"subject":"' . ('x' x 17000) . '"}', content_type => 'application/json') } ],
    [ 'mint, text/plain body',      POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN,
          body => 'hello', content_type => 'text/plain') } ],
    [ 'GET by id, all fields',      GET => $I, sub { req(GET => token_path($full->{token_id}), token => OPERATOR_TOKEN) } ],
    [ 'GET by id, few fields',      GET => $I, sub { req(GET => token_path($plain->{token_id}), token => OPERATOR_TOKEN) } ],
    [ 'GET by id, unknown',         GET => $I, sub { req(GET => token_path('A' x 22), token => OPERATOR_TOKEN) } ],
    [ 'GET by id, client token',    GET => $I, sub { req(GET => token_path($full->{token_id}), token => $plain->{access_token}) } ],
    [ 'GET by id, unknown token',   GET => $I, sub { req(GET => token_path($full->{token_id}), token => forge_token()) } ],
    [ 'GET self',                   GET => $S, sub { req(GET => token_path('self'), token => $full->{access_token}) } ],
    [ 'GET self, operator',         GET => $S, sub { req(GET => token_path('self'), token => OPERATOR_TOKEN) } ],
    [ 'DELETE by id',               DELETE => $I, sub { req(DELETE => token_path($victim->{token_id}), token => OPERATOR_TOKEN) } ],
    [ 'DELETE by id, again',        DELETE => $I, sub { req(DELETE => token_path($victim->{token_id}), token => OPERATOR_TOKEN) } ],
    [ 'DELETE self',                DELETE => $S, sub { req(DELETE => token_path('self'), token => $selfie->{access_token}) } ],
    [ 'DELETE self, revoked token', DELETE => $S, sub { req(DELETE => token_path('self'), token => $selfie->{access_token}) } ],
    # an endpoint with BearerCORSOrigins https://app.example.com
    [ 'OPTIONS self, preflight from a listed origin', OPTIONS => $S, sub { req(OPTIONS => '/t/cors/tokens/self',
          headers => [Origin => 'https://app.example.com', 'Access-Control-Request-Method' => 'DELETE',
                      'Access-Control-Request-Headers' => 'authorization']) } ],
    [ 'OPTIONS self, preflight from an origin not listed', OPTIONS => $S, sub { req(OPTIONS => '/t/cors/tokens/self',
          headers => [Origin => 'https://evil.example.com', 'Access-Control-Request-Method' => 'DELETE']) } ],
    [ 'mint, cidrs',                POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN,
          json => { cidrs => ['127.0.0.0/8', '2001:db8::1'] }) } ],
    [ 'mint, bad cidrs',            POST => $C, sub { req(POST => ENDPOINT, token => OPERATOR_TOKEN,
          json => { cidrs => ['10.0.0.0/33'] }) } ],
    [ 'GET by id, cidrs',           GET => $I, sub { req(GET => token_path($bound->{token_id}), token => OPERATOR_TOKEN) } ],
    [ 'DELETE subject',             DELETE => $C, sub { req(DELETE => ENDPOINT . '?subject=openapi-s', token => OPERATOR_TOKEN) } ],
    [ 'DELETE subject, empty',      DELETE => $C, sub { req(DELETE => ENDPOINT . '?subject=', token => OPERATOR_TOKEN) } ],
    [ 'DELETE subject, client token', DELETE => $C, sub { req(DELETE => ENDPOINT . '?subject=x', token => $plain->{access_token}) } ],
    [ 'DELETE subject, no token',   DELETE => $C, sub { req(DELETE => ENDPOINT . '?subject=x') } ],
    [ 'introspect, every field',    POST => $IN, sub { form_post($IN, [token => $full->{access_token}], @op) } ],
    [ 'introspect, cidrs',          POST => $IN, sub { form_post($IN, [token => $bound->{access_token}], @op) } ],
    [ 'introspect, no scope',       POST => $IN, sub { form_post($IN, [token => $bare->{access_token}], basic => ['rs', OPERATOR_TOKEN]) } ],
    [ 'introspect, operator token', POST => $IN, sub { form_post($IN, [token => OPERATOR_TOKEN_2, client_secret => OPERATOR_TOKEN]) } ],
    [ 'introspect, inactive',       POST => $IN, sub { form_post($IN, [token => forge_token()], @op) } ],
    [ 'introspect, no token',       POST => $IN, sub { form_post($IN, [token_type_hint => 'x'], @op) } ],
    [ 'introspect, no credentials', POST => $IN, sub { form_post($IN, [token => $plain->{access_token}]) } ],
    [ 'introspect, wrong Basic',    POST => $IN, sub { form_post($IN, [token => $plain->{access_token}], basic => ['rs', 'x']) } ],
    [ 'introspect, client caller',  POST => $IN, sub { form_post($IN, [token => $plain->{access_token}], bearer => $plain->{access_token}) } ],
    [ 'introspect, too large',      POST => $IN, sub { form_post($IN, 'token=' . ('x' x 17000), @op) } ],
    [ 'introspect, JSON body',      POST => $IN, sub { req(POST => $IN, token => OPERATOR_TOKEN, json => { token => 'x' }) } ],
    [ 'revoke, operator',           POST => $RV, sub { form_post($RV, [token => $gone->{access_token}], @op) } ],
    [ 'revoke, public client',      POST => $RV, sub { form_post($RV, [token => $public->{access_token}]) } ],
    [ 'revoke, unknown token',      POST => $RV, sub { form_post($RV, [token => forge_token()], @op) } ],
    [ 'revoke, operator token',     POST => $RV, sub { form_post($RV, [token => OPERATOR_TOKEN_2], @op) } ],
    [ 'revoke, wrong Bearer',       POST => $RV, sub { form_post($RV, [token => $plain->{access_token}], bearer => forge_token()) } ],
    [ 'revoke, another token',      POST => $RV, sub { form_post($RV, [token => $full->{access_token}], bearer => $plain->{access_token}) } ],
    [ 'revoke, duplicate token',    POST => $RV, sub { form_post($RV, 'token=a&token=a') } ],
    [ 'revoke, text/plain',         POST => $RV, sub { form_post($RV, 'token=a', content_type => 'text/plain') } ],
    # a revocation endpoint with BearerCORSOrigins https://app.example.com
    [ 'OPTIONS revoke, preflight from a listed origin', OPTIONS => $RV, sub { req(OPTIONS => '/t/cors/revoke',
          headers => [Origin => 'https://app.example.com', 'Access-Control-Request-Method' => 'POST',
                      'Access-Control-Request-Headers' => 'authorization, content-type']) } ],
    [ 'OPTIONS revoke, preflight from an origin not listed', OPTIONS => $RV, sub { req(OPTIONS => '/t/cors/revoke',
          headers => [Origin => 'https://evil.example.com', 'Access-Control-Request-Method' => 'POST']) } ],
);

plan tests => @cases + 6;

my %statuses;
for my $c (@cases) {
    my ($what, $method, $template, $send) = @$c;
    my $res = $send->();
    $statuses{$res->code}++;
    my @errors = $api->check_response($method, $template, $res);
    ok(!@errors, "$what: " . $res->code . " matches docs/openapi.yaml")
        or diag(join("\n", @errors) . "\n" . BearerTest::describe($res));
}
is(join(',', sort keys %statuses), '200,201,204,400,401,403,404,405,413,415',
   'every documented status but 503 was produced and checked');

# ---- the checker can fail ------------------------------------------------------
sub fake {
    my ($code, $body, %h) = @_;
    my $res = HTTP::Response->new($code);
    $res->header('Content-Type' => 'application/json', %h);
    $res->content($body);
    return $res;
}
my @e = $api->check_response(post => $C, fake(201,
    '{"access_token":"bt_x","token_type":"Bearer","expires_in":1,"expires_at":2,"scope":"","token_id":"short"}',
    'Cache-Control' => 'no-store', Pragma => 'no-cache', Location => '/x'));
ok(scalar(grep { /token_id/ } @e) && scalar(grep { /access_token/ } @e),
   'a 201 with a bad token_id and access_token is rejected') or diag(join "\n", @e);
@e = $api->check_response(post => $C, fake(201, '{"token_type":"Bearer"}'));
ok(scalar(grep { /Pragma/ } @e) && scalar(grep { /required 'access_token'/ } @e),
   'a 201 without Pragma and fields is rejected') or diag(join "\n", @e);
@e = $api->check_response(post => $IN, fake(200, '{"active":false,"scope":"a"}', 'Cache-Control' => 'no-store'));
ok(scalar(grep { /oneOf/ } @e), 'an inactive answer that says more is rejected') or diag(join "\n", @e);
@e = $api->check_response(post => $IN, fake(200, '{"active":true,"token_type":"Bearer","exp":1,"iat":1,"jti":"AAAAAAAAAAAAAAAAAAAAAA","operator":true}',
                                             'Cache-Control' => 'no-store'));
ok(scalar(grep { /oneOf/ } @e), 'a client answer with "operator" is rejected') or diag(join "\n", @e);
@e = $api->check_response(get => $I, fake(418, '{}'));
ok(scalar(grep { /not documented/ } @e), 'an undocumented status is rejected') or diag(join "\n", @e);
