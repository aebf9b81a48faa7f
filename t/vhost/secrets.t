# SPDX-License-Identifier: Apache-2.0
# Virtual hosts (docs/directives.md): BearerTokenPrefix shapes the tokens a
# vhost mints; vhosts with the same BearerSecretFile share tokens, with
# different secrets they never accept each other's. The main server has the
# generated secret. (t/conf/extra.conf.in: bearer_acme and bearer_acme2
# share a secret and the prefix acme_, bearer_other has a secret of its own.)
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 12;

my $badtok = 'Bearer realm="platform", error="invalid_token"';

my $acme  = mint_ok(undef, vhost => 'bearer_acme');
my $main  = mint_ok();
my $other = mint_ok(undef, vhost => 'bearer_other');

like($acme->{access_token}, qr/^acme_[A-Za-z0-9_-]{49}$/,
     'BearerTokenPrefix acme_: the token is acme_ and 49 characters');
like($other->{access_token}, qr/^bt_[A-Za-z0-9_-]{49}$/,
     'a vhost without BearerTokenPrefix uses bt_');

my $res = req(GET => '/p/any/r.txt', token => $acme->{access_token}, vhost => 'bearer_acme');
status_is($res, 200, 'an acme token works on its own vhost');
$res = req(GET => '/p/any/r.txt', token => $acme->{access_token}, vhost => 'bearer_acme2');
status_is($res, 200, 'and on the vhost sharing its secret and prefix');
$res = req(GET => token_path($acme->{token_id}), token => OPERATOR_TOKEN, vhost => 'bearer_acme2');
status_is($res, 200, 'which also finds it by id');
$res = req(DELETE => token_path('self'), token => $acme->{access_token}, vhost => 'bearer_acme2');
status_is($res, 204, 'and can revoke it');
$res = req(GET => '/p/any/r.txt', token => $acme->{access_token}, vhost => 'bearer_acme');
challenge_is($res, 401, $badtok, 'revoked on one vhost, refused on the other');

$res = req(GET => '/p/any/r.txt', token => $main->{access_token}, vhost => 'bearer_other');
challenge_is($res, 401, $badtok, 'a main-server token is refused by a vhost with another secret');
$res = req(GET => '/p/any/r.txt', token => $other->{access_token});
challenge_is($res, 401, $badtok, "that vhost's token is refused by the main server");
$res = req(GET => token_path($other->{token_id}), token => OPERATOR_TOKEN);
status_is($res, 404, 'nor found there by id');
$res = req(GET => '/p/any/r.txt', token => $other->{access_token}, vhost => 'bearer_other');
status_is($res, 200, 'while it works on its own vhost');
$res = req(GET => '/p/any/r.txt', token => $main->{access_token});
status_is($res, 200, 'and the main-server token on the main server');
