# SPDX-License-Identifier: Apache-2.0
# Virtual hosts and their operator tokens (docs/directives.md): each vhost's
# own BearerOperatorTokenFile and BearerTokenPrefix apply to it alone; a
# vhost without a file of its own inherits the main server's. Name-based
# vhosts on one port of an httpd of this test's own.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd;
use BearerTest::Ports;
use BearerTest::Secrets;
use LWP::UserAgent ();
use HTTP::Request ();

plan tests => 13;

my $run = $ENV{BEARER_T_RUN};
my $own_op = 'vhost-own-operator-token-0123456789-abcdefgh';   # test only
BearerTest::Secrets::write_private("$run/operator-tokens-own", "$own_op\n");
my $port = BearerTest::Ports::free_port();
my $h = BearerTest::Httpd->start(port => $port, conf => <<EOF);
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /p>
    AuthType Bearer
    Require valid-user
</Location>
# the first vhost is the default: it inherits the main server's file
<VirtualHost 127.0.0.1:$port>
    ServerName inherit.test
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName own.test
    BearerOperatorTokenFile "$run/operator-tokens-own"
    BearerTokenPrefix own_
</VirtualHost>
EOF

my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
sub call {
    my ($method, $host, $path, $token) = @_;
    my $r = HTTP::Request->new($method => $h->url($path));
    $r->header(Host => $host);
    $r->header(Authorization => "Bearer $token") if defined $token;
    $r->header('Content-Length' => 0) if $method eq 'POST';
    return $ua->request($r);
}

my $res = call(POST => 'own.test', ENDPOINT, $own_op);
is($res->code, 201, "the vhost's own operator token mints there");
my $own = json_of($res) || {};
like($own->{access_token} // '', qr/^own_/, 'with that vhost\'s prefix (own_)');
$res = call(POST => 'own.test', ENDPOINT, OPERATOR_TOKEN);
is($res->code, 401, "the main server's operator token is refused by the vhost with its own file");
$res = call(POST => 'inherit.test', ENDPOINT, $own_op);
is($res->code, 401, "the other vhost's operator token is refused by the inheriting vhost");
$res = call(POST => 'inherit.test', ENDPOINT, OPERATOR_TOKEN);
is($res->code, 201, "the inheriting vhost takes the main server's operator token");
my $inh = json_of($res) || {};
like($inh->{access_token} // '', qr/^bt_/, 'and mints with the default prefix');

# one generated secret for both (no BearerSecretFile), but each vhost's
# prefix is part of its tokens; each operator acts only where its file applies
$res = call(GET => 'own.test', '/p/x', $own->{access_token});
is($res->code, 404, 'an own_ token passes on own.test (no file there: 404)');
$res = call(GET => 'inherit.test', '/p/x', $own->{access_token});
is($res->code, 401, 'but not on inherit.test, whose prefix is bt_');
$res = call(GET => 'own.test', "/auth/v1/access-tokens/$inh->{token_id}", $own_op);
is($res->code, 200, 'own.test\'s operator reads a token minted on inherit.test (same secret)');
$res = call(GET => 'own.test', "/auth/v1/access-tokens/$inh->{token_id}", OPERATOR_TOKEN);
is($res->code, 401, 'but the main operator token cannot, on own.test');
$res = call(DELETE => 'inherit.test', "/auth/v1/access-tokens/$own->{token_id}", $own_op);
is($res->code, 401, 'own.test\'s operator cannot revoke on inherit.test');
$res = call(DELETE => 'own.test', "/auth/v1/access-tokens/$own->{token_id}", $own_op);
is($res->code, 204, 'and revokes on its own vhost');
$res = call(GET => 'own.test', '/p/x', $own->{access_token});
is($res->code, 401, 'after which the token is refused');
$h->stop;
