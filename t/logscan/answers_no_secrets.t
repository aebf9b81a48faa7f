# SPDX-License-Identifier: Apache-2.0
# No token, operator token or secret in any answer, environment dump or
# log (docs/security.md), with every module of httpd at LogLevel trace8.
#
# A server of its own (LogLevel trace8 everywhere, an access log with the
# user and token id, an SSI page that dumps its whole environment behind
# AuthType Bearer, forwarded headers on) gets a battery of requests that
# carry tokens: mint, use, GET, DELETE, revoked, forged, malformed, refused
# scope, every error of the endpoint, TRACE, and the introspection and
# revocation endpoints (tokens in form bodies, operator tokens in Basic
# credentials and in client_secret), each answered with the status it
# should. Then (a token or an operator token counts when any 16
# characters in a row of it are there):
#   - no answer holds a token, an operator token or the secret (but the
#     201 that hands out its own token);
#   - the environment dump holds the BEARER_* variables and no token;
#   - no log line holds one, except httpd's own request-header dump (the
#     "http" module at trace4 and above logs every request header,
#     Authorization included: httpd's doing, before any module runs; see
#     docs/security.md), and no line of mod_bearer's at any level does.
# Named to run before no_secrets.t, which scans the suite's own logs.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd;
use BearerTest::OAuth qw(form_encode basic_header);
use BearerTest::Secrets ();
use HTTP::Request ();
use LWP::UserAgent ();

plan tests => 10;

my $run  = $ENV{BEARER_T_RUN};
my $mods = '/usr/lib/apache2/modules';
mkdir "$run/htdocs/p/env";
chmod 0755, "$run/htdocs/p/env";
open my $sh, '>', "$run/htdocs/p/env/index.shtml" or die "$!";
print {$sh} "<pre>\n<!--#printenv -->\n</pre>\n";
close $sh;
chmod 0644, "$run/htdocs/p/env/index.shtml";

my $h = BearerTest::Httpd->start(conf => <<EOF);
LogLevel trace8
LoadModule include_module    $mods/mod_include.so
LoadModule dir_module        $mods/mod_dir.so
CustomLog "\${BEARER_T_RUN}/secrets-access_log" "%h %u %t \\"%r\\" %>s %b %{BEARER_TOKEN_ID}e"
BearerSecretFile "$run/secret-acme"
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /auth/v1/introspect>
    SetHandler bearer-introspect
</Location>
<Location /auth/v1/revoke>
    SetHandler bearer-revoke
</Location>
<Location /p>
    AuthType Bearer
    AuthzSendForbiddenOnFailure On
    AuthName "platform"
    Require valid-user
    BearerForwardHeaders On
</Location>
<Location /p/view>
    Require bearer-scope stream:view
</Location>
<Location /p/env>
    Options +Includes
    SetOutputFilter INCLUDES
    DirectoryIndex index.shtml
</Location>
EOF
my $access_log = "$run/secrets-access_log";

my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
my (@answers, %tokens, @unexpected);
sub send_req {
    my ($method, $path, %o) = @_;
    my $r = HTTP::Request->new($method => $h->url($path));
    $r->header(Authorization => $o{auth}) if defined $o{auth};
    $r->header(Authorization => "Bearer $o{token}") if defined $o{token};
    $r->header('Content-Type' => $o{ct} // 'application/json') if defined $o{body};
    $r->content($o{body}) if defined $o{body};
    my $res = $ua->request($r);
    push @answers, [ "$method $path", $res ];
    push @unexpected, redact("$method $path: " . $res->code . ", not $o{expect}")
        unless $res->code == $o{expect};
    return $res;
}
sub mint_here {
    my ($body) = @_;
    my $res = send_req(POST => ENDPOINT, token => OPERATOR_TOKEN, body => $body // '{}', expect => 201);
    my $json = json_of($res) || {};
    die "mint failed: " . $res->code . "\n" unless $json->{access_token};
    $tokens{ $json->{access_token} } = $json->{token_id};
    BearerTest::record_tokens($json);
    return $json;
}

# ---- the battery -------------------------------------------------------------
my $t1 = mint_here('{"scopes": ["stream:view"], "subject": "viewer", "metadata": {"a": 1}}');
my $t2 = mint_here('{"scopes": ["chat:write"]}');
my $t3 = mint_here('{"max_uses": 1}');
my $op = OPERATOR_TOKEN;

send_req(GET => '/p/any/r.txt', token => $t1->{access_token}, expect => 200);
my $env = send_req(GET => '/p/env/', token => $t1->{access_token}, expect => 200);
send_req(GET => '/p/env/', token => $op, expect => 200);                       # the operator too
send_req(GET => '/p/view/r.txt', token => $t2->{access_token}, expect => 403);
send_req(GET => '/p/any/r.txt', token => $t3->{access_token}, expect => 200);  # max_uses 1
send_req(GET => '/p/any/r.txt', token => $t3->{access_token}, expect => 401);  # used up
send_req(GET => token_path($t1->{token_id}), token => $op, expect => 200);
send_req(GET => token_path('self'), token => $t1->{access_token}, expect => 200);
send_req(GET => token_path('self'), token => $op, expect => 403);
send_req(DELETE => token_path('self'), token => $t2->{access_token}, expect => 204);
send_req(GET => '/p/any/r.txt', token => $t2->{access_token}, expect => 401);  # revoked
send_req(GET => '/p/any/r.txt', token => corrupt_token($t1->{access_token}), expect => 401);
send_req(GET => '/p/any/r.txt', auth => "Bearer $t1->{access_token} x", expect => 400);
send_req(GET => '/p/any/r.txt', auth => "Bearer $op, $t1->{access_token}", expect => 400);
send_req(GET => '/p/any/r.txt', auth => "Basic $t1->{access_token}", expect => 401);
send_req(POST => ENDPOINT, token => $t1->{access_token}, body => '{}', expect => 403);
send_req(PUT => ENDPOINT, token => $op, body => '{}', expect => 405);
send_req(TRACE => ENDPOINT, token => $op, expect => 405);
send_req(TRACE => token_path($t1->{token_id}), token => $t1->{access_token}, expect => 405);
send_req(POST => ENDPOINT, token => $op, body => '{"ttl": 1' . (' ' x 17000) . '}', expect => 413);
send_req(POST => ENDPOINT, token => $op, body => 'ttl=1', ct => 'text/plain', expect => 415);
send_req(POST => ENDPOINT, token => $op, body => '{"ttl": "x"}', expect => 400);
send_req(POST => ENDPOINT, token => $op, body => '{"scopes": ["a b"]}', expect => 400);
send_req(POST => ENDPOINT, token => forge_token(), body => '{}', expect => 401);
# the OAuth endpoints: tokens in form bodies, operator tokens in Basic
my $form = 'application/x-www-form-urlencoded';
my $t4 = mint_here('{"subject": "oauth"}');
my $t5 = mint_here('{}');
send_req(POST => '/auth/v1/introspect', token => $op, ct => $form,
         body => form_encode(token => $t1->{access_token}), expect => 200);
send_req(POST => '/auth/v1/introspect', auth => basic_header('rs', $op), ct => $form,
         body => form_encode(token => $op), expect => 200);
send_req(POST => '/auth/v1/introspect', ct => $form,
         body => form_encode(token => $t4->{access_token}, client_secret => $op), expect => 200);
send_req(POST => '/auth/v1/introspect', auth => basic_header('rs', $t4->{access_token}), ct => $form,
         body => form_encode(token => $t4->{access_token}), expect => 403);
send_req(POST => '/auth/v1/introspect', ct => $form,
         body => form_encode(token => $t4->{access_token}, client_secret => 'x'), expect => 401);
send_req(POST => '/auth/v1/introspect', token => $op, ct => $form,
         body => "token=$t4->{access_token}&token=$t4->{access_token}", expect => 400);
send_req(POST => '/auth/v1/introspect', token => $op,
         body => '{"token": "' . $t4->{access_token} . '"}', expect => 415);
send_req(TRACE => '/auth/v1/introspect', token => $op, expect => 405);
send_req(POST => '/auth/v1/revoke', ct => $form,
         body => form_encode(token => $op), expect => 400);
send_req(POST => '/auth/v1/revoke', token => $t5->{access_token}, ct => $form,
         body => form_encode(token => $t4->{access_token}), expect => 403);
send_req(POST => '/auth/v1/revoke', ct => $form,
         body => form_encode(token => $t4->{access_token}), expect => 200);
send_req(POST => '/auth/v1/revoke', ct => $form,
         body => form_encode(token => $t4->{access_token}), expect => 200);
send_req(POST => '/auth/v1/revoke', auth => basic_header('c', $op), ct => $form,
         body => form_encode(token => $t5->{access_token}), expect => 200);
send_req(POST => '/auth/v1/introspect', token => $op, ct => $form,
         body => form_encode(token => $t5->{access_token}), expect => 200);
send_req(DELETE => token_path($t1->{token_id}), token => $op, expect => 204);
send_req(DELETE => token_path($t1->{token_id}), token => $op, expect => 404);
send_req(GET => '/p/any/r.txt', token => $t1->{access_token}, expect => 401);

# ---- answers -------------------------------------------------------------------
my %secret = (
    'the secret' => BearerTest::Secrets::SECRET_ACME,
);
# Any 16 characters in a row of a token or an operator token count as a
# leak (a token cut short, or split over two lines); the secret whole.
my %piece;
sub pieces_of {
    my ($what, $t) = @_;
    $piece{ substr($t, $_, 16) } = $what for 0 .. length($t) - 16;
}
pieces_of('the first operator token', BearerTest::Secrets::OPERATOR_TOKEN);
pieces_of('the second operator token', BearerTest::Secrets::OPERATOR_TOKEN_2);
pieces_of("token $tokens{$_}", $_) for keys %tokens;

# What $text holds of them; $allowed: the one token it may hold (a 201's).
sub leaks {
    my ($text, $allowed) = @_;
    my %found;
    for my $what (sort keys %secret) {
        $found{$what} = 1 if index($text, $secret{$what}) >= 0;
    }
    my $rest = $text;
    $rest =~ s/\Q$allowed\E//g if defined $allowed;
    while ($rest =~ m{([A-Za-z0-9_~+/.=-]{16,})}g) {
        my $chars = $1;
        for my $i (0 .. length($chars) - 16) {
            my $what = $piece{ substr($chars, $i, 16) } or next;
            $found{$what} = 1;
        }
    }
    $found{'a token-shaped string'} = 1
        if $rest =~ /\bbt_[A-Za-z0-9_-]{49}(?![A-Za-z0-9_-])/;
    return sort keys %found;
}

my @bad;
for my $a (@answers) {
    my ($what, $res) = @$a;
    my $own = $res->code == 201 ? (json_of($res) || {})->{access_token} : undef;
    my @l = leaks($res->as_string, $own);
    push @bad, "$what => " . $res->code . ": @l" if @l;
}
ok(@answers > 25, scalar(@answers) . ' answers to requests carrying tokens');
is(join("\n", @unexpected), '', 'each answered with the status it should (the battery\'s statuses)');
is(scalar @bad, 0, 'no answer holds a token, an operator token or the secret (error bodies included)')
    or diag(join "\n", @bad);

# ---- the environment dump -----------------------------------------------------------
my $dump = $env->decoded_content // '';
ok($env->code == 200 && $dump =~ /BEARER_TOKEN_ID=\Q$t1->{token_id}\E/
   && $dump =~ /BEARER_SCOPES=stream:view/ && $dump =~ /HTTP_X_BEARER_SUBJECT=viewer/,
   'the environment dump shows the BEARER_* variables and forwarded headers')
    or diag($env->code . "\n" . redact(substr($dump, 0, 2000)));
is(join(', ', leaks($dump)), '', 'and holds no token, operator token or secret');

# ---- the logs -------------------------------------------------------------------------
$h->stop;
my @lines = split /\n/, $h->log;
open my $al, '<', $access_log or die "$access_log: $!";
my @access = <$al>;
close $al;

my (@ours, @httpd_dump, @other, $bearer_lines);
for my $line (@lines, @access) {
    $bearer_lines++ if $line =~ /\[bearer:/;
    my @l = leaks($line);
    next unless @l;
    if ($line =~ /\[bearer:/) {
        push @ours, $line;
    }
    elsif ($line =~ /\[http:trace\d\].*http_request\.c\(\d+\): \[client [^\]]*\]\s+Authorization: /) {
        push @httpd_dump, $line;
    }
    else {
        push @other, $line;
    }
}
# (which modules log at trace5 and deeper depends on the MPM)
ok(scalar(grep { /\[\w+:trace[5-8]\]/ } @lines) > 0,
   'the server logged at trace5 to trace8: LogLevel trace8 is in force');
ok($bearer_lines > 10, "mod_bearer logged ($bearer_lines lines) at its most verbose");
is(scalar @ours, 0, 'no line of mod_bearer\'s holds a token, an operator token or the secret')
    or diag(redact(join "\n", @ours[0 .. ($#ours > 4 ? 4 : $#ours)]));
is(scalar @other, 0, 'nor any other line, access log included, but httpd\'s request-header dump')
    or diag(redact(join "\n", @other[0 .. ($#other > 4 ? 4 : $#other)]));
ok(@httpd_dump > 0, scalar(@httpd_dump) . ' lines of httpd\'s own trace4 header dump do (docs/security.md)');
