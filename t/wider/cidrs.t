# SPDX-License-Identifier: Apache-2.0
# Tokens bound to client addresses (mint field "cidrs"): returned
# normalised by the 201 and GET; a request from inside a block passes,
# from outside it gets 401 invalid_token (logged at info with the token
# id) and counts no use; IPv6 and IPv4 through mod_remoteip (the
# bearer_remoteip vhost trusts X-Test-Client-IP from loopback); malformed
# entries, zone ids, /33, /129, 0 or 17 entries: 400 invalid_request
# naming the entry. No BEARER_CIDRS, no new forwarded header.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 40;

my $vars = Apache::Test::vars();
my $log = "$vars->{t_logs}/error_log";

sub code_of {
    my ($t, %o) = @_;
    my $ip = delete $o{ip};
    return req(GET => $o{path} || '/p/any/r.txt', token => $t->{access_token},
               (defined $ip ? (vhost => 'bearer_remoteip',
                               headers => ['X-Test-Client-IP' => $ip]) : ()))->code;
}

# --- normalised in the 201 and GET ---------------------------------------------------
my $t = mint_ok({ cidrs => ['10.1.2.3/8', '2001:DB8:0:0:0:0:0:1', '198.51.100.7',
                            '127.0.0.0/8', '2001:db8::/32'] });
my @want = ('10.0.0.0/8', '2001:db8::1/128', '198.51.100.7/32', '127.0.0.0/8',
            '2001:db8::/32');
is_deeply($t->{cidrs}, \@want, '201: cidrs normalised (host bits cleared, /n added, RFC 5952)');
my $res = req(GET => token_path($t->{token_id}), token => OPERATOR_TOKEN);
is_deeply((json_of($res) || {})->{cidrs}, \@want, 'GET by id: the same list');
$res = req(GET => token_path('self'), token => $t->{access_token});
is_deeply((json_of($res) || {})->{cidrs}, \@want, 'GET self (from 127.0.0.1, inside): the same');
my $plain = mint_ok();
ok(!exists $plain->{cidrs}
   && !exists((json_of(req(GET => token_path($plain->{token_id}), token => OPERATOR_TOKEN)) || {})->{cidrs}),
   'a token without cidrs: no cidrs in the 201 or GET');

# --- inside and outside, from loopback -----------------------------------------------
my $in = mint_ok({ cidrs => ['127.0.0.0/8'] });
my $exact = mint_ok({ cidrs => ['127.0.0.1'] });
my $all = mint_ok({ cidrs => ['0.0.0.0/0'] });
my $out = mint_ok({ cidrs => ['10.0.0.0/8'] });
my $out6 = mint_ok({ cidrs => ['::1/128'] });
my $either = mint_ok({ cidrs => ['10.0.0.0/8', '127.0.0.1/32'] });
is(code_of($in), 200, 'bound to 127.0.0.0/8, from 127.0.0.1: 200');
is(code_of($exact), 200, 'bound to 127.0.0.1 (a bare address): 200');
is(code_of($all), 200, 'bound to 0.0.0.0/0: 200');
is(code_of($either), 200, 'bound to 10.0.0.0/8 or 127.0.0.1/32: 200 (any block will do)');
my $before = -s $log || 0;
$res = req(GET => '/p/any/r.txt', token => $out->{access_token});
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             'bound to 10.0.0.0/8, from 127.0.0.1: 401 invalid_token');
is(code_of($out6), 401, 'bound to ::1 only, from 127.0.0.1: 401');
$res = req(GET => token_path('self'), token => $out->{access_token});
status_is($res, 401, 'the endpoint\'s self calls check it too: 401');
wait_until(5, sub {
    open my $fh, '<', $log or return 0;
    seek $fh, $before, 0;
    local $/;
    my $text = <$fh> // '';
    return $text =~ /\[bearer:info\].*BRR00226: token \Q$out->{token_id}\E is bound to other client addresses than 127\.0\.0\.1/;
});
open my $fh, '<', $log or die;
seek $fh, $before, 0;
my $text = do { local $/; <$fh> } // '';
like($text, qr/\[bearer:info\].*BRR00226: token \Q$out->{token_id}\E is bound/,
     'the refusal is logged at info with the token id');
$res = req(GET => token_path($out->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 200, 'the operator still sees it (GET by id: the caller\'s address plays no part)');

# --- no use counted from outside --------------------------------------------------------
my $counted = mint_ok({ cidrs => ['10.0.0.0/8'], max_uses => 2 });
my @codes = map { code_of($counted) } 1 .. 4;
is("@codes", '401 401 401 401', 'a max_uses token from outside: refused every time');
$res = req(GET => token_path($counted->{token_id}), token => OPERATOR_TOKEN);
is((json_of($res) || {})->{uses_left}, 2, 'and no use was counted');
my $counted_in = mint_ok({ cidrs => ['127.0.0.1'], max_uses => 2 });
@codes = map { code_of($counted_in) } 1 .. 3;
is("@codes", '200 200 401', 'from inside, uses count as usual');

# --- other addresses, IPv6 included, through mod_remoteip --------------------------------
my $v6 = mint_ok({ cidrs => ['2001:db8::/32'] });
is(code_of($v6, ip => '2001:db8:1::5'), 200, 'bound to 2001:db8::/32, from 2001:db8:1::5: 200');
is(code_of($v6, ip => '2001:db9::5'), 401, 'from 2001:db9::5: 401');
is(code_of($v6, ip => '10.1.1.1'), 401, 'from 10.1.1.1: 401');
is(code_of($out, ip => '10.200.3.4'), 200, 'bound to 10.0.0.0/8, from 10.200.3.4: 200');
is(code_of($out, ip => '11.0.0.1'), 401, 'from 11.0.0.1: 401');
is(code_of($out, ip => '::ffff:10.9.8.7') . ' ' . code_of($out, ip => '::ffff:11.0.0.1'),
   '200 401', 'an IPv4-mapped IPv6 client is matched as its IPv4 address');
my $any6 = mint_ok({ cidrs => ['::/0'] });
is(code_of($any6, ip => '2001:db8::77') . ' ' . code_of($any6, ip => '10.1.1.1'),
   '200 401', 'bound to ::/0: any IPv6 client, no IPv4 one');
my $narrow = mint_ok({ cidrs => ['192.0.2.128/25'] });
is(code_of($narrow, ip => '192.0.2.200') . ' ' . code_of($narrow, ip => '192.0.2.127'),
   '200 401', 'a /25: .200 inside, .127 outside');

# --- no BEARER_CIDRS, no new forwarded header --------------------------------------------
$res = req(GET => '/p/fwd/r.txt', token => $in->{access_token});
my @bearer_headers = sort grep { /^x-bearer-/i } $res->headers->header_field_names;
ok($res->code == 200 && !grep({ /cidr/i } @bearer_headers)
   && join(',', map { lc } @bearer_headers) eq 'x-bearer-scopes,x-bearer-token-id',
   'forwarded headers as before: X-Bearer-Scopes and X-Bearer-Token-Id only')
    or diag("@bearer_headers");

# --- bad input ---------------------------------------------------------------------------
my @bad = (
    [['10.0.0.0/33'], 'entry 1', '/33'],
    [['2001:db8::/129'], 'entry 1', '/129'],
    [['127.0.0.1', 'fe80::1%eth0'], 'entry 2', 'an IPv6 zone id'],
    [['fe80::1%25eth0/64'], 'entry 1', 'a percent-encoded zone id'],
    [['10.1'], 'entry 1', 'a partial address (10.1)'],
    [['10.0.0.0/08'], 'entry 1', 'a prefix with a leading zero'],
    [['010.0.0.1'], 'entry 1', 'a leading zero in a part'],
    [['example.com'], 'entry 1', 'a host name'],
    [[''], 'entry 1', 'an empty string'],
    [['127.0.0.1', 7], 'entry 2', 'a number'],
    [['10.0.0.0 /8'], 'entry 1', 'a space'],
);
for my $case (@bad) {
    my ($cidrs, $names, $what) = @$case;
    my ($r, $j) = mint({ cidrs => $cidrs });
    ok($r->code == 400 && ($j->{error} // '') eq 'invalid_request'
       && ($j->{error_description} // '') =~ /\bcidrs\b.*\Q$names\E/,
       "$what: 400 invalid_request naming $names")
        or diag(BearerTest::describe($r));
}
my ($r17, $j17) = mint({ cidrs => [ map { "10.0.0.$_" } 1 .. 17 ] });
ok($r17->code == 400 && ($j17->{error_description} // '') =~ /cidrs.*16/,
   '17 entries: 400 invalid_request')
    or diag(BearerTest::describe($r17));
my ($r16) = mint({ cidrs => [ map { "10.0.0.$_" } 1 .. 16 ] });
status_is($r16, 201, '16 entries: 201');
my ($r0) = mint({ cidrs => [] });
error_is($r0, 400, 'invalid_request', 'no entry: 400');
my ($rs) = mint({ cidrs => '127.0.0.1' });
error_is($rs, 400, 'invalid_request', 'a string instead of an array: 400');
