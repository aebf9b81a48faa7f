# SPDX-License-Identifier: Apache-2.0
# HTTP/2 (mod_http2, h2c with prior knowledge on loopback, driven by curl
# --http2-prior-knowledge): mint, check and revoke work, and every
# challenge is the same as over HTTP/1.1. Runs an httpd of its own with
# mod_http2 loaded. mod_http2 does not run under prefork (httpd disables
# it, AH10034): there the HTTP/2 checks are skipped one by one.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd;
use JSON::PP ();

plan tests => 13;

my $mods = '/usr/lib/apache2/modules';
my $h = BearerTest::Httpd->start(conf => <<EOF);
LoadModule http2_module $mods/mod_http2.so
Protocols h2c http/1.1
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
    BearerDefaultScopes stream:view
</Location>
<Location /p>
    AuthType Bearer
    AuthzSendForbiddenOnFailure On
    AuthName "platform"
</Location>
<Location /p/view>
    Require bearer-scope stream:view
</Location>
<Location /p/start>
    Require bearer-scope stream:start
</Location>
EOF

# curl over h2c (prior knowledge) or HTTP/1.1: (status, protocol, headers
# (lower-case name => value), body). Arguments go to curl as a list: no
# shell, and the token never reaches the test output.
sub curl {
    my ($proto, $method, $path, %o) = @_;
    my @cmd = ('curl', '-sS', '-i', '--max-time', '20', '-X', $method,
               $proto eq 'h2' ? '--http2-prior-knowledge' : '--http1.1');
    push @cmd, '-H', "Authorization: $o{auth}" if defined $o{auth};
    push @cmd, $h->url($path);
    open my $fh, '-|', @cmd or die "curl: $!";
    my $raw = do { local $/; <$fh> };
    close $fh;
    my ($head, $body) = split /\r?\n\r?\n/, $raw // '', 2;
    my ($status_line, @lines) = split /\r?\n/, $head // '';
    my ($version, $status) = ($status_line // '') =~ m{^HTTP/(\S+) (\d+)};
    my %hdr = map { my ($k, $v) = /^([^:]+):\s*(.*)$/; (lc($k // ''), $v) } @lines;
    return { status => $status // 0, version => $version // '?', h => \%hdr,
             body => $body // '', raw => redact($raw // '') };
}

my $op = 'Bearer ' . OPERATOR_TOKEN;
my $h2_works = ($ENV{BEARER_MPM} || 'event') ne 'prefork';

SKIP: {
    skip 'mod_http2 is disabled by httpd under the prefork MPM', 13 unless $h2_works;

    my $r = curl(h2 => POST => ENDPOINT, auth => $op);
    ok($r->{status} == 201 && $r->{version} eq '2', 'POST over HTTP/2: 201')
        or diag($r->{raw});
    my $tok = eval { JSON::PP->new->decode($r->{body}) } || {};
    like($tok->{token_id} // '', qr/^[A-Za-z0-9_-]{22}$/, 'the answer holds a token id');
    my $bearer = "Bearer " . ($tok->{access_token} // 'none');

    $r = curl(h2 => GET => '/p/view/r.txt', auth => $bearer);
    ok($r->{status} == 200 && $r->{version} eq '2', 'the token reads /p/view over HTTP/2')
        or diag($r->{raw});
    $r = curl(h2 => GET => ENDPOINT . "/$tok->{token_id}", auth => $op);
    ok($r->{status} == 200 && $r->{body} =~ /"token_id"/, 'GET by id over HTTP/2: 200')
        or diag($r->{raw});

    # the challenges: HTTP/2 and HTTP/1.1 answer alike
    my @cases = (
        [ 'no Authorization',        '/p/view/r.txt', undef,
          401, 'Bearer realm="platform"' ],
        [ 'malformed credentials',   '/p/view/r.txt', 'Bearer a b',
          400, 'Bearer realm="platform", error="invalid_request"' ],
        [ 'an unknown token',        '/p/view/r.txt', 'Bearer ' . forge_token(),
          401, 'Bearer realm="platform", error="invalid_token"' ],
        [ 'a token lacking a scope', '/p/start/r.txt', $bearer,
          403, 'Bearer realm="platform", error="insufficient_scope", scope="stream:start"' ],
        [ 'the endpoint without a token', ENDPOINT, undef,
          401, 'Bearer realm="mod_bearer"' ],
    );
    for my $c (@cases) {
        my ($what, $path, $auth, $status, $challenge) = @$c;
        my $two = curl(h2 => GET => $path, auth => $auth);
        my $one = curl(h1 => GET => $path, auth => $auth);
        my $method = $path eq ENDPOINT ? 'POST' : 'GET';
        if ($method eq 'POST') {
            $two = curl(h2 => POST => $path, auth => $auth);
            $one = curl(h1 => POST => $path, auth => $auth);
        }
        ok($two->{version} eq '2' && $two->{status} == $status
           && ($two->{h}{'www-authenticate'} // '') eq $challenge
           && $one->{status} == $status
           && ($one->{h}{'www-authenticate'} // '') eq $challenge,
           "$what: $status and the same challenge over HTTP/2 and HTTP/1.1")
            or diag("h2:\n$two->{raw}\nh1:\n$one->{raw}");
    }

    $r = curl(h2 => DELETE => ENDPOINT . "/$tok->{token_id}", auth => $op);
    ok($r->{status} == 204 && $r->{version} eq '2', 'DELETE over HTTP/2: 204')
        or diag($r->{raw});
    $r = curl(h2 => GET => '/p/view/r.txt', auth => $bearer);
    is($r->{h}{'www-authenticate'}, 'Bearer realm="platform", error="invalid_token"',
       'the revoked token gets invalid_token over HTTP/2');

    # a client logs itself out over HTTP/2
    $r = curl(h2 => POST => ENDPOINT, auth => $op);
    my $t2 = eval { JSON::PP->new->decode($r->{body}) } || {};
    $r = curl(h2 => DELETE => ENDPOINT . '/self', auth => 'Bearer ' . ($t2->{access_token} // ''));
    is($r->{status}, 204, 'DELETE self over HTTP/2: 204');
    $r = curl(h2 => GET => '/p/view/r.txt', auth => 'Bearer ' . ($t2->{access_token} // ''));
    is($r->{status}, 401, 'and that token is gone');
}
$h->stop;
