# SPDX-License-Identifier: Apache-2.0
# A real browser across origins: Debian's chromium, headless, driven by
# puppeteer-core (t/browser/cors.js). A page served from one loopback origin
# is handed a client token and calls the API of an httpd on another origin
# with fetch() and Authorization: Bearer: 200 and the body; a 403 whose
# WWW-Authenticate the script reads (the scope named); logout with DELETE
# .../self, after which the next call gets 401 and the script reads why;
# logout of another token through the revocation endpoint as an RFC 7009
# public client (a form POST of token=..., no credentials): 200, then 401. A
# page from an origin not listed: fetch() fails as the browser's CORS check
# says. Chromium or node missing is a failure, never a skip.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd ();
use BearerTest::Ports ();
use HTTP::Request ();
use JSON::PP ();

my $top      = Apache::Test::vars('top_dir');
my $chromium = $ENV{BEARER_CHROMIUM} || '/usr/bin/chromium';
my ($node)   = grep { -x } map { "$_/node" } split /:/, $ENV{PATH} // '';

plan tests => 22;

my @missing;
push @missing, "chromium ($chromium)" unless -x $chromium;
push @missing, 'node' unless $node;
push @missing, 'puppeteer-core (npm ci)' unless -d "$top/node_modules/puppeteer-core";
# Missing tools fail this file (the other 21 tests count as not run), and
# leave the rest of the suite to run.
unless (ok(!@missing, 'chromium, node and puppeteer-core are there')) {
    diag('missing: ' . join(', ', @missing) . ' (.ci/deps, then npm ci)');
    exit 1;
}

my $listed = BearerTest::Ports::free_port();
my $other  = BearerTest::Ports::free_port();
my $origin = "http://127.0.0.1:$listed";
my $h = BearerTest::Httpd->start(conf => <<EOF);
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
    BearerCORSOrigins $origin
</Location>
<Location /auth/v1/revoke>
    SetHandler bearer-revoke
    BearerCORSOrigins $origin
</Location>
<Location /c>
    AuthType Bearer
    AuthzSendForbiddenOnFailure On
    AuthName "platform"
    BearerCORSOrigins $origin
</Location>
<Location /c/view>
    Require bearer-scope stream:view
</Location>
<Location /c/op>
    Require bearer-scope stream:start
</Location>
EOF

sub mint_here {
    my $r = HTTP::Request->new(POST => $h->url('/auth/v1/access-tokens'));
    $r->header(Authorization => 'Bearer ' . OPERATOR_TOKEN);
    $r->header('Content-Type' => 'application/json');
    $r->content('{"scope":"stream:view"}');
    my $res = BearerTest::ua()->request($r);
    die 'mint failed: ' . describe($res) unless $res->code == 201;
    return json_of($res)->{access_token};
}
my ($token, $token2, $token3) = (mint_here(), mint_here(), mint_here());

local $ENV{API}         = 'http://127.0.0.1:' . $h->port;
local $ENV{LISTED_PORT} = $listed;
local $ENV{OTHER_PORT}  = $other;
local $ENV{TOKEN}       = $token;
local $ENV{TOKEN2}      = $token2;
local $ENV{TOKEN3}      = $token3;
local $ENV{CHROMIUM}    = $chromium;
local $ENV{NODE_PATH}   = "$top/node_modules";
my $out = `"$node" "$top/t/browser/cors.js" 2>&1`;
my $rc = $? >> 8;
my ($line) = grep { /^\{/ } split /\n/, $out;
my $seen = eval { JSON::PP->new->decode($line // '') };
ok($rc == 0 && ref $seen eq 'HASH', 'the browser ran the page scripts')
    or diag("exit $rc:\n" . redact($out));
$seen ||= {};
my %s = map { $_ => $seen->{$_} || {} } qw(view forbidden logout after view3 revoke afterRevoke blocked);

is($seen->{origin}, $origin, "the page's origin is the listed one");
isnt($seen->{origin} // '', $ENV{API}, '... and not the API\'s');
is($s{view}{status}, 200, 'fetch() from the listed origin: 200');
is($s{view}{body}, "cors c/view\n", '... and the script reads the body');
is($s{forbidden}{status}, 403, 'a scope the token lacks: 403 reaches the script');
is($s{forbidden}{wwwAuthenticate},
   'Bearer realm="platform", error="insufficient_scope", scope="stream:start"',
   '... which reads WWW-Authenticate, the scope named');
is($s{logout}{status}, 204, 'logout: DELETE .../self from the page, 204');
is($s{after}{status}, 401, 'the next call: 401');
is($s{after}{wwwAuthenticate}, 'Bearer realm="platform", error="invalid_token"',
   '... and the script reads why');
is($s{view3}{status}, 200, 'a second token works from the page');
is($s{revoke}{status}, 200,
   'logout through the revocation endpoint: a form POST of the token, no credentials, 200');
is($s{revoke}{body}, '', '... with an empty body (RFC 7009)');
is($s{afterRevoke}{status}, 401, 'the next call with that token: 401');
is($s{afterRevoke}{wwwAuthenticate}, 'Bearer realm="platform", error="invalid_token"',
   '... and the script reads why');
is($seen->{otherOrigin}, "http://127.0.0.1:$other", 'the second page is on an origin not listed');
like($s{blocked}{error} // '', qr/^TypeError: Failed to fetch/,
     "fetch() from it fails as the browser's CORS check says");
ok(!exists $s{blocked}{status}, '... the script sees no answer at all');
ok(scalar(grep { /has been blocked by CORS policy/ && /\Q127.0.0.1:$other\E/ }
          @{ $seen->{console} || [] }),
   'the browser blames CORS for it (its console message)')
    or diag(join "\n", @{ $seen->{console} || [] });

# The logout really happened on the server: the token is gone for curl too.
my $r = HTTP::Request->new(GET => $h->url('/c/view/r.txt'));
$r->header(Authorization => "Bearer $token");
is(BearerTest::ua()->request($r)->code, 401, 'the logged-out token is refused outside the browser too');
$r->header(Authorization => "Bearer $token3");
is(BearerTest::ua()->request($r)->code, 401, '... and so is the revoked one');
$h->stop;
