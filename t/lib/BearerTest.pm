# SPDX-License-Identifier: Apache-2.0
package BearerTest;
#
# Helpers shared by the test files of t/: requests, minting, and checks that
# each count as exactly ONE test (so plans stay easy to count).
#
#   use Apache::Test qw(-withtestmore);
#   use BearerTest;
#   plan tests => 3;
#   my $tok = mint_ok({ scopes => ['stream:view'] });   # dies unless 201
#   my $res = req(GET => '/p/view/r.txt', token => $tok->{access_token});
#   status_is($res, 200, 'a stream:view token reads /p/view');
#
# Token values never go to the test output: diagnostics pass through
# redact(), and checks name tokens by their token_id.

use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use Apache::TestRequest ();
use Compress::Zlib ();
use Digest::SHA ();
use HTTP::Request ();
use JSON::PP ();
use MIME::Base64 ();
use Test::More ();

use BearerTest::Secrets ();

our @EXPORT = qw(
    OPERATOR_TOKEN OPERATOR_TOKEN_2 ENDPOINT PREFIX
    url req raw_request mint mint_ok json_of token_path
    status_is error_is challenge_is no_store_ok
    forge_token corrupt_token token_checksum wait_until redact
    b64url_decode
);

use constant OPERATOR_TOKEN   => BearerTest::Secrets::OPERATOR_TOKEN;
use constant OPERATOR_TOKEN_2 => BearerTest::Secrets::OPERATOR_TOKEN_2;
use constant ENDPOINT => '/auth/v1/access-tokens';
use constant PREFIX   => 'bt_';

my $JSON = JSON::PP->new->canonical;

# ---- requests --------------------------------------------------------------

# Absolute URL of a path on the main server, or on one of the virtual hosts
# of t/conf/extra.conf.in (bearer_acme, bearer_acme2, bearer_other).
sub url {
    my ($path, $vhost) = @_;
    return 'http://' . hostport_of($vhost) . $path;
}

# host:port of the main server (undef) or of a virtual host.
sub hostport_of {
    my ($vhost) = @_;
    local $Apache::TestRequest::Module = $vhost;
    return Apache::TestRequest::hostport();
}

my $UA;
sub ua {
    # No keep-alive: each request opens a connection of its own, so the
    # requests of a test spread over httpd's several children.
    $UA ||= do {
        my $ua = Apache::TestRequest::user_agent(
            reset => 1, keep_alive => 0, requests_redirectable => 0,
            timeout => 30);
        $ua;
    };
    return $UA;
}

# req(METHOD => $path, %options) -> HTTP::Response
#   token => $t          Authorization: Bearer $t
#   auth  => $v | [..]   raw Authorization header value(s), each sent as a
#                        header line of its own
#   headers => [k => v]  more request headers
#   json  => $ref|$str   body: encoded JSON, Content-Type application/json
#   body  => $str        raw body (set content_type yourself)
#   content_type => $ct
#   vhost => $name
sub req {
    my ($method, $path, %o) = @_;
    my $r = HTTP::Request->new($method => url($path, $o{vhost}));
    $r->header(Authorization => "Bearer $o{token}") if defined $o{token};
    if (defined $o{auth}) {
        $r->push_header(Authorization => $_)
            for ref $o{auth} ? @{ $o{auth} } : $o{auth};
    }
    my @h = @{ $o{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) {
        $r->push_header($k => $v);
    }
    if (exists $o{json}) {
        $r->header('Content-Type' => 'application/json');
        $r->content(ref $o{json} ? $JSON->encode($o{json}) : $o{json});
    }
    $r->content($o{body}) if defined $o{body};
    $r->header('Content-Type' => $o{content_type}) if defined $o{content_type};
    if ($method eq 'POST' || $method eq 'PUT' || $method eq 'PATCH'
        || length($r->content // '')) {
        $r->header('Content-Length' => length($r->content // ''));
    }
    return ua()->request($r);
}

# Sends $head (request line and headers, without the blank line) and $body
# as they are, over a connection of its own, and parses the answer:
# for requests LWP would "fix", like the seed's curl -X POST without any
# Content-Length. Returns an HTTP::Response (code 599 if nothing came back).
sub raw_request {
    my ($head, $body, $vhost) = @_;
    require IO::Socket::INET;
    require HTTP::Response;
    my ($host, $port) = split /:/, hostport_of($vhost);
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 30)
        or return HTTP::Response->new(599, "connect: $!");
    $head =~ s/\r?\n/\r\n/g;
    $head .= "\r\n" unless $head =~ /\r\n$/;
    print {$sock} $head, "Host: $host:$port\r\nConnection: close\r\n\r\n",
        (defined $body ? $body : '');
    local $/;
    my $answer = <$sock>;
    close $sock;
    return HTTP::Response->new(599, 'no answer')
        unless defined $answer && length $answer;
    my $res = HTTP::Response->parse($answer);
    if (($res->header('Transfer-Encoding') // '') =~ /chunked/i) {
        my ($in, $out) = ($res->content, '');
        while ($in =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $n = hex $1;
            last unless $n;
            $out .= substr($in, 0, $n, '');
            $in =~ s/^\r\n//;
        }
        $res->content($out);
        $res->remove_header('Transfer-Encoding');
    }
    $res->request(HTTP::Request->new((split / /, $head)[0, 1]));
    return $res;
}

# The decoded JSON body of a response, or undef.
sub json_of {
    my ($res) = @_;
    my $data = eval { JSON::PP->new->decode($res->decoded_content // '') };
    return $data;
}

# mint(\%body_or_undef, %options): POST to the endpoint (default: the main
# one, as the first operator). Returns ($res, $json).
#   endpoint => $path, as => $token, vhost => $name, raw => $string
sub mint {
    my ($body, %o) = @_;
    my %req = (token => exists $o{as} ? $o{as} : OPERATOR_TOKEN);
    $req{vhost} = $o{vhost} if defined $o{vhost};
    if (defined $o{raw}) {
        $req{json} = $o{raw};
    }
    elsif (defined $body) {
        $req{json} = $body;
    }
    my $res = req(POST => $o{endpoint} || ENDPOINT, %req);
    my $json = json_of($res);
    record_tokens($json) if $res->code == 201 && ref $json eq 'HASH';
    return ($res, $json);
}

# Like mint, but dies (failing the file) unless the answer is a 201 with
# an access_token; returns the decoded body.
sub mint_ok {
    my ($res, $json) = mint(@_);
    unless ($res->code == 201 && ref $json eq 'HASH'
            && defined $json->{access_token}) {
        die "mint failed: " . describe($res) . "\n";
    }
    return $json;
}

sub token_path {
    my ($id, %o) = @_;
    return ($o{endpoint} || ENDPOINT) . "/$id";
}

# ---- checks: each is ONE test ----------------------------------------------

sub describe {
    my ($res) = @_;
    my $text = $res->request->method . ' ' . $res->request->uri->path
        . ' => ' . $res->status_line . "\n"
        . $res->headers->as_string . "\n" . ($res->decoded_content // '');
    return redact($text);
}

sub status_is {
    my ($res, $status, $name) = @_;
    my $ok = Test::More::ok($res->code == $status, $name);
    Test::More::diag("expected $status, got:\n" . describe($res)) unless $ok;
    return $ok;
}

# An error answer of the endpoint: status, JSON content type, the "error"
# code, and a non-empty error_description.
sub error_is {
    my ($res, $status, $error, $name) = @_;
    my $json = json_of($res);
    my @why;
    push @why, "status " . $res->code . " is not $status"
        unless $res->code == $status;
    push @why, "Content-Type is not application/json"
        unless ($res->header('Content-Type') // '') =~ m{^application/json\b}i;
    if (ref $json ne 'HASH') {
        push @why, "body is not a JSON object";
    }
    else {
        push @why, "error is not '$error'"
            unless defined $json->{error} && !ref $json->{error}
                   && $json->{error} eq $error;
        push @why, "no error_description"
            unless defined $json->{error_description}
                   && !ref $json->{error_description}
                   && length $json->{error_description};
    }
    my $ok = Test::More::ok(!@why, $name);
    Test::More::diag(join("; ", @why) . "\n" . describe($res)) unless $ok;
    return $ok;
}

# Status and the exact WWW-Authenticate challenge (undef: none expected).
sub challenge_is {
    my ($res, $status, $challenge, $name) = @_;
    my @got = $res->header('WWW-Authenticate');
    my @why;
    push @why, "status " . $res->code . " is not $status"
        unless $res->code == $status;
    if (defined $challenge) {
        push @why, "WWW-Authenticate is not exactly '$challenge'"
            unless @got == 1 && $got[0] eq $challenge;
    }
    else {
        push @why, "unexpected WWW-Authenticate" if @got;
    }
    my $ok = Test::More::ok(!@why, $name);
    Test::More::diag(join("; ", @why) . "\n" . describe($res)) unless $ok;
    return $ok;
}

# An answer holding a token must not be cached anywhere.
sub no_store_ok {
    my ($res, $name) = @_;
    my $cc = join ',', $res->header('Cache-Control');
    my $pragma = join ',', $res->header('Pragma');
    my $ok = Test::More::ok($cc =~ /(?:^|,)\s*no-store\s*(?:,|$)/i
                            && $pragma =~ /(?:^|,)\s*no-cache\s*(?:,|$)/i,
                            $name);
    Test::More::diag("Cache-Control: '$cc', Pragma: '$pragma'") unless $ok;
    return $ok;
}

# ---- tokens ----------------------------------------------------------------

sub b64url {
    my ($bytes) = @_;
    my $s = MIME::Base64::encode_base64($bytes, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub b64url_decode {
    my ($s) = @_;
    return undef unless defined $s && $s =~ /^[A-Za-z0-9_-]*=*$/;
    (my $t = $s) =~ tr{-_}{+/};
    $t =~ s/=+$//;
    $t .= '=' x ((4 - length($t) % 4) % 4);
    return MIME::Base64::decode_base64($t);
}

# A token of our format with a correct checksum (include/bearer_token.h:
# base64url of the big-endian CRC-32 of prefix || random) that was
# never minted: "unknown", not "bad checksum".
sub forge_token {
    my ($prefix) = @_;
    $prefix = PREFIX unless defined $prefix;
    my $random = b64url(join '', map { chr int rand 256 } 1 .. 32);
    return $prefix . $random . token_checksum($prefix, $random);
}

# The 6-character checksum of a token's random part.
sub token_checksum {
    my ($prefix, $random) = @_;
    return b64url(pack('N', Compress::Zlib::crc32($prefix . $random)));
}

# The token with one character of its random part changed: its checksum no
# longer matches.
sub corrupt_token {
    my ($token) = @_;
    my $pos = length($token) - 20;
    my $c = substr($token, $pos, 1);
    substr($token, $pos, 1) = $c eq 'A' ? 'B' : 'A';
    return $token;
}

# ---- the tokens a run minted --------------------------------------------------

# Every token the helpers mint (mint, BearerTest::Fleet, BearerTest::Load,
# BearerTest::Hostile) is noted in the run directory, one file per process
# under ${BEARER_T_RUN}/minted/ (mode 0600; never in a log, never in the
# test output), so that t/logscan can look for any piece of any of them in
# every log of the run. Takes token strings or mint answers (hashes).
sub record_tokens {
    my @tokens = grep { defined && length } map { ref $_ ? $_->{access_token} : $_ } @_;
    my $run = $ENV{BEARER_T_RUN};
    return unless @tokens && defined $run && -d $run;
    my $old = umask 077;
    mkdir "$run/minted";
    if (open my $fh, '>>', "$run/minted/$$") {
        print {$fh} map { "$_\n" } @tokens;
        close $fh;
    }
    umask $old;
    return;
}

# Every token recorded so far in this run.
sub recorded_tokens {
    my $run = $ENV{BEARER_T_RUN};
    my %seen;
    for my $file (glob "$run/minted/*") {
        open my $fh, '<', $file or next;
        while (my $t = <$fh>) {
            chomp $t;
            $seen{$t} = 1 if length $t;
        }
    }
    return sort keys %seen;
}

# ---- misc ------------------------------------------------------------------

# Polls $cond every 0.1 s for up to $seconds; true if it became true.
sub wait_until {
    my ($seconds, $cond) = @_;
    my $until = time + $seconds;
    while (1) {
        return 1 if $cond->();
        return 0 if time > $until;
        select undef, undef, undef, 0.1;
    }
}

# Lines for the output of a run without -verbose: Apache::Test sends
# Test::More's failure output and diag to STDOUT, where the harness shows
# them only with -verbose; STDERR it always shows. Each line redacted and
# marked as a comment.
sub loud {
    my @lines = map { split /\n/ } @_;
    print STDERR map { '# ' . redact($_) . "\n" } @lines;
    return;
}

# Removes token values from a text meant for the test output.
sub redact {
    my ($text) = @_;
    return '' unless defined $text;
    for my $op (OPERATOR_TOKEN, OPERATOR_TOKEN_2) {
        $text =~ s/\Q$op\E/<operator-token>/g;
    }
    $text =~ s/\b(bt_|acme_)[A-Za-z0-9_-]{20,}/$1<redacted>/g;
    $text =~ s/("access_token"\s*:\s*")[^"]*/$1<redacted>/g;
    $text =~ s/(Authorization:\s*\S+\s+)\S+/$1<redacted>/gi;
    return $text;
}

1;
