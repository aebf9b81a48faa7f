# SPDX-License-Identifier: Apache-2.0
# Bad input on both OAuth endpoints (RFC 7662 / RFC 7009): wrong methods
# (405 with Allow: POST, TRACE included), JSON or no content type (415),
# bodies over 16 KiB (413), duplicate and percent-broken parameters, too
# many parameters (400 invalid_request); each refused request revokes
# nothing.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::OAuth;

plan tests => 2 * 19 + 2;

my $keep = mint_ok({}, endpoint => '/t/open/tokens');
my $tok  = $keep->{access_token};
my @op   = (bearer => OPERATOR_TOKEN);

for my $ep (INTROSPECT, REVOKE) {
    # --- methods ---------------------------------------------------------------------------
    for my $m (qw(GET PUT DELETE PATCH)) {
        my $res = form_post($ep, [token => $tok], @op, method => $m);
        my $ok = ok($res->code == 405 && ($res->header('Allow') // '') eq 'POST',
                    "$m $ep: 405 with Allow: POST");
        diag(BearerTest::describe($res)) unless $ok;
    }
    my $res = raw_request("TRACE $ep HTTP/1.1\nAuthorization: Bearer " . OPERATOR_TOKEN);
    ok($res->code == 405 && index($res->content // '', OPERATOR_TOKEN) < 0,
       "TRACE $ep: 405, the credentials not echoed")
        or diag(BearerTest::describe($res));

    # --- content types -----------------------------------------------------------------------------
    $res = req(POST => $ep, @op ? (token => OPERATOR_TOKEN) : (), json => { token => $tok });
    error_is($res, 415, 'invalid_request', "JSON sent to $ep: 415");
    $res = form_post($ep, form_encode(token => $tok), @op, content_type => undef);
    error_is($res, 415, 'invalid_request', "no Content-Type: 415");
    $res = form_post($ep, form_encode(token => $tok), @op, content_type => 'text/plain');
    error_is($res, 415, 'invalid_request', "text/plain: 415");
    # accepted requests to the revocation endpoint revoke: a token of their own
    my $spare = sub { $ep eq REVOKE ? mint_ok({}, endpoint => '/t/open/tokens')->{access_token} : $tok };
    $res = form_post($ep, form_encode(token => $spare->()), @op,
                     content_type => 'Application/X-WWW-Form-URLencoded; charset=UTF-8');
    is($res->code, 200, 'the form type in another case, with a charset: accepted');

    # --- size -----------------------------------------------------------------------------------------
    my $pad = form_encode(token => $spare->()) . '&pad=';
    $res = form_post($ep, $pad . ('x' x (16384 - length $pad)), @op);
    is($res->code, 200, 'a body of exactly 16 KiB: accepted');
    $pad = form_encode(token => $tok) . '&pad=';
    $res = form_post($ep, $pad . ('x' x (16385 - length $pad)), @op);
    error_is($res, 413, 'invalid_request', 'one byte more: 413');

    # --- the form itself ---------------------------------------------------------------------------
    for my $case (["token=$tok&token=$tok", 'token given twice'],
                  ["token=$tok&token_type_hint=a&token_type_hint=b", 'token_type_hint twice'],
                  ["token=$tok&client_id=a&client_id=a", 'client_id twice, same value'],
                  ["token=$tok&tok%65n=x", 'token twice, once percent-encoded'],
                  ["token=$tok%G1", 'a "%" before a non-hex digit'],
                  ["token=$tok%4", 'a "%" with one hex digit at the end'],
                  ["token=$tok&x=%", 'a lone "%"'],
                  ["token=$tok&" . join('&', map { "p$_=1" } 1 .. 64), '65 parameters']) {
        my ($body, $what) = @$case;
        error_is(form_post($ep, $body, @op), 400, 'invalid_request', "$ep, $what: 400 invalid_request");
    }
}
# the revocation attempts above were all refused: the token is alive
is(req(GET => '/p/any/r.txt', token => $tok)->code, 200, 'the token survived every refused revocation');
my $res = form_post(REVOKE, "token=$tok&token=$tok");
error_is($res, 400, 'invalid_request', 'a public client sending token twice: 400 too');
