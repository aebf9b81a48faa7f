# SPDX-License-Identifier: Apache-2.0
# mod_auth_openidc (Debian's libapache2-mod-auth-openidc, written
# elsewhere), as an OAuth 2.0 resource server on Apaches that load no
# mod_bearer, validating mod_bearer tokens through the introspection
# endpoint over TLS (it refuses plain http): `AuthType oauth20`,
# `Require claim scope:stream:view`, REMOTE_USER from the token's sub.
#
# TLS is terminated by an Apache of its own in front of mod_bearer's
# (mod_ssl and mod_proxy_http, a self-signed certificate made here), not
# by mod_ssl inside mod_bearer's: mod_ssl keeps OpenSSL's global state to
# the end of each child, which make sanitize-test would report as leaks
# of mod_bearer's first OpenSSL calls.
#
#   RS1: OIDCOAuthIntrospectionEndpointAuth bearer_access_token, the
#        operator token as OIDCOAuthIntrospectionClientAuthBearerToken (and
#        OIDCOAuthClientID and OIDCOAuthClientSecret, without which 2.4.12
#        sends no credentials), OIDCOAuthTokenIntrospectionInterval -1 (no
#        cache)
#   RS2: client_secret_basic, any client id, the operator token as
#        OIDCOAuthClientSecret, a 2 s cache (OIDCOAuthTokenIntrospectionInterval 2)
#
# On each: a live token with the scope gets 200 and REMOTE_USER = sub;
# without the scope, without a subject, an unknown token, no token:
# refused; after a revocation on mod_bearer (RFC 7009 endpoint): 401, at
# once without a cache, after the 2 s interval with one.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd ();
use BearerTest::OAuth qw(form_encode);
use BearerTest::Ports ();
use File::Temp qw(tempdir);
use HTTP::Request ();
use JSON::PP ();
use LWP::UserAgent ();
use Time::HiRes ();

my $OIDC = '/usr/lib/apache2/modules/mod_auth_openidc.so';
my $MODS = '/usr/lib/apache2/modules';

plan tests => 3 + 2 * 11;

ok(-f $OIDC, "mod_auth_openidc is installed ($OIDC)")
    or BAIL_OUT('libapache2-mod-auth-openidc is missing (.ci/deps installs it)');

# --- mod_bearer, with an https vhost for the introspection endpoint ------------------------
my $dir = tempdir('oidc-XXXXXX', DIR => $ENV{BEARER_T_RUN});
chmod 0711, $dir;
# openssl's key-generation progress goes to its log, not the test output
system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
       . " -addext subjectAltName=IP:127.0.0.1"
       . " -keyout '$dir/key.pem' -out '$dir/cert.pem' > '$dir/openssl.log' 2>&1") == 0
    or BAIL_OUT('openssl could not make a self-signed certificate');
my $as = BearerTest::Httpd->start(conf => <<"CONF");
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /auth/v1/introspect>
    SetHandler bearer-introspect
</Location>
<Location /auth/v1/revoke>
    SetHandler bearer-revoke
</Location>
CONF
my $tls = BearerTest::Ports::free_port();
my $as_port = $as->port;
my $front = BearerTest::Httpd->start(bearer => 0, conf => <<"CONF");
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule proxy_module $MODS/mod_proxy.so
LoadModule proxy_http_module $MODS/mod_proxy_http.so
Listen 127.0.0.1:$tls
<VirtualHost 127.0.0.1:$tls>
    SSLEngine on
    SSLCertificateFile "$dir/cert.pem"
    SSLCertificateKeyFile "$dir/key.pem"
    ProxyPass /auth/v1/ http://127.0.0.1:$as_port/auth/v1/
</VirtualHost>
CONF
my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
my @minted;

sub mint_as {
    my ($body) = @_;
    my $r = HTTP::Request->new(POST => $as->url('/auth/v1/access-tokens'));
    $r->header(Authorization => 'Bearer ' . OPERATOR_TOKEN, 'Content-Type' => 'application/json');
    $r->content(JSON::PP->new->encode($body));
    my $res = $ua->request($r);
    die "mint failed: " . BearerTest::describe($res) unless $res->code == 201;
    push @minted, json_of($res)->{access_token};
    return json_of($res);
}

sub revoke_as {
    my ($t) = @_;
    my $r = HTTP::Request->new(POST => $as->url('/auth/v1/revoke'));
    $r->header('Content-Type' => 'application/x-www-form-urlencoded');
    $r->content(form_encode(token => $t->{access_token}));
    return $ua->request($r);
}

# --- the resource servers (the operator token in config files of the test's
# own: a test-only token) ----------------------------------------------------------------------
sub resource_server {
    my ($auth) = @_;
    return BearerTest::Httpd->start(bearer => 0, conf => <<"CONF");
LoadModule auth_openidc_module $OIDC
LogLevel auth_openidc:warn
OIDCCryptoPassphrase "test-only passphrase for the cache"
OIDCCacheType shm
OIDCOAuthIntrospectionEndpoint https://127.0.0.1:$tls/auth/v1/introspect
OIDCOAuthSSLValidateServer Off
OIDCOAuthRemoteUserClaim sub
$auth
<Location /p>
    AuthType oauth20
    Require claim scope:stream:view
    Header always set X-Remote-User "expr=%{REMOTE_USER}"
</Location>
# 2.4.12 compares a string claim whole: for one scope among several, a
# regular expression over the space-separated list (no backslashes: it
# drops them, nor spaces: they split the line)
<Location /p/both>
    AuthType oauth20
    Require claim scope~(^|[[:space:]])stream:view([[:space:]]|\$)
    Header always set X-Remote-User "expr=%{REMOTE_USER}"
</Location>
CONF
}

my $op = OPERATOR_TOKEN;
my @rs = (
    [ 'bearer_access_token, no cache', 0, resource_server(<<"CONF") ],
OIDCOAuthIntrospectionEndpointAuth bearer_access_token
# 2.4.12 sends no credentials at all unless a client id and a client
# secret are set: the operator token is both the secret and the bearer
OIDCOAuthClientID "any resource server"
OIDCOAuthClientSecret "$op"
OIDCOAuthIntrospectionClientAuthBearerToken "$op"
OIDCOAuthTokenIntrospectionInterval -1
CONF
    [ 'client_secret_basic, a 2 s cache', 2, resource_server(<<"CONF") ],
OIDCOAuthIntrospectionEndpointAuth client_secret_basic
OIDCOAuthClientID "any resource server"
OIDCOAuthClientSecret "$op"
OIDCOAuthTokenIntrospectionInterval 2
CONF
);

sub call {
    my ($rs, $token, $dir) = @_;
    my $r = HTTP::Request->new(GET => $rs->url(($dir || '/p/any') . '/r.txt'));
    $r->header(Authorization => "Bearer $token") if defined $token;
    return $ua->request($r);
}

for my $case (@rs) {
    my ($what, $cache, $rs) = @$case;
    my $t = mint_as({ subject => 'dave', scopes => ['stream:view'] });
    my $res = call($rs, $t->{access_token});
    status_is($res, 200, "$what: a live token with scope stream:view gets 200")
        or diag(redact($rs->log));
    is($res->header('X-Remote-User'), 'dave', "REMOTE_USER is the token's sub");
    is(call($rs, $t->{access_token})->code, 200, 'and again (from the cache, where it has one)');
    my $several = mint_as({ subject => 'frank', scopes => ['chat:write', 'stream:view', 'x:y'] });
    $res = call($rs, $several->{access_token}, '/p/both');
    ok($res->code == 200 && $res->header('X-Remote-User') eq 'frank',
       'a token with stream:view among three scopes, under the regular expression: 200, REMOTE_USER frank')
        or diag(BearerTest::describe($res) . redact($rs->log));

    my $no_scope = mint_as({ subject => 'erin', scopes => ['chat:write'] });
    my $code = call($rs, $no_scope->{access_token})->code;
    ok($code == 401 || $code == 403, "a live token without stream:view: refused ($code)");
    is(call($rs, forge_token())->code, 401, 'an unknown token: 401');
    is(call($rs, undef)->code, 401, 'no token: 401');
    my $anonymous = mint_as({ scopes => ['stream:view'] });
    $code = call($rs, $anonymous->{access_token})->code;
    ok($code == 401 || $code == 403, "a token without a subject (no sub for REMOTE_USER): refused ($code)");
    $code = call($rs, OPERATOR_TOKEN)->code;
    ok($code == 401 || $code == 403, "the operator token (no scope claim): refused ($code)");

    my $since = Time::HiRes::time();
    $res = revoke_as($t);
    status_is($res, 200, 'revoked on mod_bearer (RFC 7009, as a public client)');
    my $seen;
    while (Time::HiRes::time() - $since < $cache + 5) {
        $seen = call($rs, $t->{access_token})->code;
        last if $seen == 401;
        Time::HiRes::sleep(0.2);
    }
    my $after = Time::HiRes::time() - $since;
    ok($seen == 401 && $after <= $cache + 2,
       sprintf('then mod_auth_openidc answers 401 (after %.1f s; its cache: %d s)', $after, $cache))
        or diag("last status $seen after $after s\n" . redact($rs->log));
}

my $log = $as->log;
unlike($log, qr/BRR00202/, 'mod_bearer never had to answer 503 to mod_auth_openidc');
ok(!grep({ index($log, $_) >= 0 } @minted, OPERATOR_TOKEN),
   "mod_bearer's log holds no token and no operator token");
