# SPDX-License-Identifier: Apache-2.0
package BearerTest::Hostile;
#
# The hostile-input generator of t/hostile/: seeded random requests sent
# over raw sockets, and the rules every answer is checked against. One
# generator for both modes: t/hostile/random.t runs it against the
# Apache::Test server (embedded mode), t/hostile/fleet.t against virtual
# hosts with BearerMemcache set (fleet mode), with all memcached servers
# up, one stopped, and the fleet in outage.
#
#   my $h = BearerTest::Hostile->new(port => $port, host => "$host:$port",
#                                    good => $minted);     # mint_ok's hash
#   my $run = $h->run(3000);
#   $h->report($run);                    # diag lines: statuses by case
#   is(scalar $h->problems($run, '5xx'), 0, 'no 5xx answer');
#
# What is sent (the case names are the keys of $run->{seen}):
#   auth, auth-binary        0-5 Authorization headers at a protected
#                            location: mutated, forged, oversized, repeated,
#                            other schemes, trailing garbage, binary bytes
#   endpoint-auth(-binary)   the same on a POST to the token endpoint
#   body                     JSON bodies as the operator: nested, huge,
#                            duplicate keys, NUL, random bytes, chunked,
#                            other Content-Types
#   method-path              unknown methods, odd paths on the endpoint
#   whole, truncated,        bodies sent whole or cut short (half-close),
#   slow-whole, slow-truncated  some in pieces with pauses
#
# Every answer: never a 5xx (but see outage below); an endpoint 4xx is JSON
# with a known "error" and an "error_description"; a protected location's
# 400/401/403 carries an RFC 6750 challenge; a request httpd itself
# refuses (httpd_refusal, from what was sent) gets exactly httpd's own
# error page, and no other request does; a success only where the
# request was a good one; no answer holds a token but one a 201 of this
# generator handed out, nor an operator token.
#
# Fleet mode adds:
#   known => [ { token => $t, id => $id, scopes => [...], state => 'live'
#               | 'gone', what => 'revoked' ... } ]: real tokens, sent
#       whole as the only credential now and then (auth, endpoint-auth
#       cases), whose answer is then exact (200 / 403 by scope for a live
#       one, 401 for a gone one).
#   hosts => [ { host => 'Host header', outage => 'stale' | 'closed' } ]:
#       each request goes to one of them at random.
#   run($n, outage => 1): memcached is in outage. A 503 (with Retry-After;
#       on the endpoint JSON "temporarily_unavailable") is then allowed,
#       but only for a request that needs memcached: a single credential
#       holding a token of ours with a good checksum, or the operator's
#       GET/DELETE of an id. A 503 to an operator's POST (a mint) is
#       replayed once memcached is back (replay_outage_mints): it must then
#       get its 201, so the body was a good one and the 503 came from the
#       store, not from a refusal. A known live token is still honoured on
#       a `stale` host (it is in the host's cache); on a `closed` one it
#       gets 503.
#
# Token values never reach the test output: problems name tokens by id and
# pass through BearerTest::redact.

use strict;
use warnings;

use BearerTest ();
use HTTP::Response ();
use HTTP::Status ();
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes ();

use constant OPERATOR_TOKEN   => BearerTest::OPERATOR_TOKEN;
use constant OPERATOR_TOKEN_2 => BearerTest::OPERATOR_TOKEN_2;
use constant ENDPOINT         => BearerTest::ENDPOINT;

# What each protected path asks of a client token (t/conf/extra.conf.in,
# and the same Locations in t/hostile/fleet.t): [any of these scopes],
# [[all of these]], [] for any live token, undef for none (operator only).
my %NEEDS = (
    '/p/view/r.txt' => [ 'stream:start', 'stream:view' ],
    '/p/any/r.txt'  => [],
    '/p/op/r.txt'   => undef,                            # operator only
    '/p/both/r.txt' => [ [ 'stream:view', 'chat:write' ] ],
);

my @b64 = ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '.', '_', '~', '+', '/');

my %known_error = map { $_ => 1 } qw(invalid_request invalid_token
    insufficient_scope unauthorized not_found invalid_scope);

sub pick { $_[ int rand @_ ] }
sub rbytes { join '', map { chr int rand 256 } 1 .. $_[0] }
sub rb64 { join '', map { pick(@b64) } 1 .. $_[0] }

# new(port => n, host => 'Host header' | hosts => [...], good => {
#     access_token, token_id }, known => [...])
sub new {
    my ($class, %o) = @_;
    my $self = bless {
        port   => $o{port},
        hosts  => $o{hosts} || [ { host => $o{host} } ],
        good   => $o{good},
        known  => $o{known} || [],
        fresh  => {},     # access tokens this generator got in a 201
        replay => [],     # outage 503s to mints, to send again later
    }, $class;
    return $self;
}

# ---- sending -----------------------------------------------------------------

# Sends a request as given, in pieces with pauses if asked, and returns
# (HTTP::Response or undef, raw answer). $o{shut} half-closes after
# sending (a truncated body then ends there).
sub send_raw {
    my ($self, $host, $head, $body, %o) = @_;
    my $t0 = Time::HiRes::time();
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $self->{port}, Timeout => 10)
        or die "connect: $!";
    # the header names sent (no values), for what a problem says
    (my $names = $head) =~ s/^[^\r\n]*\r\n//;
    $names =~ s/:[^\r\n]*\r\n/,/g;
    $names =~ s/[^\x20-\x7e]/?/g;
    $head .= "Host: $host\r\nConnection: close\r\n\r\n";
    my @pieces = ($head, defined $body ? $body : ());
    if ($o{slow} && defined $body && length $body) {
        @pieces = ($head);
        my $b = $body;
        my $size = 1 + int(length($b) / 6);        # at most 6-7 pauses
        while (length $b) {
            push @pieces, substr($b, 0, 1 + int rand $size, '');
        }
    }
    local $SIG{PIPE} = 'IGNORE';
    for my $piece (@pieces) {
        last unless defined syswrite($sock, $piece);
        Time::HiRes::sleep($o{slow}) if $o{slow};
    }
    shutdown($sock, 1) if $o{shut};
    my $answer = '';
    my $sel = IO::Select->new($sock);
    my $until = Time::HiRes::time() + 30;
    while (Time::HiRes::time() < $until && $sel->can_read(5)) {
        my $n = sysread($sock, my $buf, 65536);
        last unless $n;
        $answer .= $buf;
    }
    close $sock;
    my ($line0) = $head =~ /^([^\r\n]{0,60})/;
    my $slowest = $self->{run}{slowest};
    push @$slowest, [ Time::HiRes::time() - $t0,
                      $line0 . ($o{slow} ? ' (slow)' : '') . ($o{shut} ? ' (truncated)' : '') ];
    @$slowest = (sort { $b->[0] <=> $a->[0] } @$slowest)[0 .. ($#$slowest > 2 ? 2 : $#$slowest)];
    return (undef, $answer) unless $answer =~ m{^HTTP/1\.\d \d{3}};
    my $res = HTTP::Response->parse($answer);
    my ($line) = $head =~ /^([^\r\n]*)/;
    $line = substr($line, 0, 80) . '...' if length $line > 80;
    $res->{bearer_request_line} = $line;
    # What else was sent, without values: the header names (Host and
    # Connection are send_raw's), how the body went, and when (the
    # request's number in the run, its start after the run's, how long
    # it took), so that a failure says which request it was.
    my $run = $self->{run} || {};
    $res->{bearer_request_line} .= sprintf ' {%s %s%sbody %d; request %d at +%.2f s, took %.2f s}',
        $host, $names, ($o{shut} ? 'shut, ' : '') . ($o{slow} ? 'slow, ' : ''),
        length($body // ''), ($run->{sent} // 0) + 1, $t0 - ($run->{started} // $t0),
        Time::HiRes::time() - $t0;
    if (($res->header('Transfer-Encoding') // '') =~ /chunked/i) {
        my ($in, $out) = ($res->content, '');
        while ($in =~ s/^([0-9a-fA-F]+)[^\n]*\n//) {
            my $n = hex $1;
            last unless $n;
            $out .= substr($in, 0, $n, '');
            $in =~ s/^\r?\n//;
        }
        $res->content($out);
    }
    return ($res, $answer);
}

# ---- what may come back --------------------------------------------------------

sub problem {
    my ($self, $cat, $what, $res) = @_;
    my $more = '';
    if ($res) {
        my $body = substr($res->content // '', 0, 100);
        $body =~ s/[^\x20-\x7e]/?/g;
        $more = ' [' . ($res->{bearer_request_line} // '') . ' => ' . $res->status_line . ', '
              . ($res->header('Content-Type') // 'no type')
              . (defined $res->header('Retry-After') ? ', Retry-After ' . $res->header('Retry-After') : '')
              . ": $body]";
    }
    push @{ $self->{run}{problems} }, BearerTest::redact("$cat: $what$more");
    return;
}

sub has_token {
    my ($self, $raw) = @_;
    my @bad;
    for my $t ($raw =~ /\b((?:bt|acme)_[A-Za-z0-9_-]{49})(?![A-Za-z0-9_-])/g) {
        push @bad, 1 unless $self->{fresh}{$t};
    }
    return scalar @bad;
}

# A 503 must say when to come back, and on the endpoint be its JSON error.
sub check_503 {
    my ($self, $cat, $res, $expect) = @_;
    $self->problem($cat, 'a 503 without Retry-After', $res)
        unless defined $res->header('Retry-After');
    return unless $expect->{endpoint} && !$expect->{head};
    my $json = BearerTest::json_of($res);
    $self->problem($cat, 'a 503 from the endpoint without its JSON error', $res)
        unless ($res->header('Content-Type') // '') =~ m{^application/json}
               && ref $json eq 'HASH'
               && ($json->{error} // '') eq 'temporarily_unavailable'
               && length($json->{error_description} // '');
    return;
}

# $expect: { ok => [statuses], endpoint => 1 (JSON errors), request => the
# head as sent (httpd_refusal says whether httpd itself refuses it),
# exact => [statuses] (the answer must be one of these: a known token),
# known => the known token sent, mode => the host's BearerOutage,
# may_503 => 'yes' | 'replay' (outage: the request needs memcached),
# replay => [host, head, body, %send options] }. Counts the known tokens'
# answers in $self->{known_seen}{outage|normal}{mode}{"state status"}.
sub check_answer {
    my ($self, $cat, $res, $raw, $expect) = @_;
    my $run = $self->{run};
    $run->{sent}++;
    $run->{answered}++ if $res;
    if (!$res) {
        $run->{seen}{$cat}{none}++;
        $self->problem($cat, 'no HTTP answer') unless $expect->{may_drop};
        return;
    }
    my $code = $res->code;
    $run->{seen}{$cat}{$code}++;
    # no token but ones this generator minted ever comes back
    $self->problem($cat, 'an answer holds a token it should not', $res)
        if $self->has_token($raw);
    if (index($raw, OPERATOR_TOKEN) >= 0 || index($raw, OPERATOR_TOKEN_2) >= 0) {
        $self->problem($cat, 'an answer holds the operator token', $res);
    }
    # A request httpd itself refuses (httpd_refusal): exactly httpd's own
    # answer, and nothing else is asked of it. Every other request reached
    # the modules, and the rules below hold for it.
    if (defined $expect->{request}) {
        if (my $refusal = httpd_refusal($expect->{request})) {
            my ($want, $note, $why, $may) = @$refusal;
            my $what = is_httpd_page($res, $want, $note, $expect->{request} =~ /^HEAD /);
            return if $what eq 'yes';
            unless ($may) {
                $self->problem($cat, "status $code where httpd itself refuses the request with "
                               . "its $want ($why): $what", $res);
                return;
            }
        }
    }
    if ($expect->{exact}) {
        my $t = $expect->{known};
        if (!grep { $_ == $code } @{ $expect->{exact} }) {
            $self->problem($cat, ($code >= 500 ? 'a 5xx answer: ' : '')
                           . "status $code, expected @{ $expect->{exact} } for the "
                           . "$t->{what} token $t->{id}", $res);
            return;
        }
        # how often each known answer came, for the callers' counts
        $self->{known_seen}{ $self->{outage} ? 'outage' : 'normal' }{ $expect->{mode} }
            {"$t->{state} $code"}++;
        if ($code == 503) {
            $self->check_503($cat, $res, $expect);
            return;
        }
    }
    if ($code >= 500) {
        if ($code == 503 && $expect->{may_503}) {
            $self->check_503($cat, $res, $expect);
            push @{ $self->{replay} }, { cat => $cat, req => $expect->{replay},
                                         line => $res->{bearer_request_line} }
                if $expect->{may_503} eq 'replay';
            return;
        }
        $self->problem($cat, $self->{outage} ? 'a 5xx answer (the request does not need memcached)'
                                             : 'a 5xx answer', $res);
        return;
    }
    if (grep { $_ == $code } @{ $expect->{ok} || [] }) {
        return;
    }
    if ($code < 400) {
        $self->problem($cat, "unexpected success $code", $res);
        return;
    }
    if ($expect->{endpoint} && $expect->{head}) {
        $self->problem($cat, 'a 4xx from the endpoint that is not JSON', $res)
            if ($res->header('Content-Type') // '') !~ m{^application/json};
    }
    elsif ($expect->{endpoint}) {
        my $json = BearerTest::json_of($res);
        if (($res->header('Content-Type') // '') !~ m{^application/json}
            || ref $json ne 'HASH' || !$known_error{ $json->{error} // '' }
            || !length($json->{error_description} // '')) {
            $self->problem($cat, 'a 4xx from the endpoint without a precise JSON error', $res);
        }
    }
    else {
        my $challenge = $res->header('WWW-Authenticate') // '';
        if ($code =~ /^40[013]$/ && $challenge !~ /^Bearer realm="/) {
            $self->problem($cat, "a $code without an RFC 6750 challenge", $res);
        }
    }
    if ($expect->{only} && !grep { $_ == $code } @{ $expect->{only} }) {
        $self->problem($cat, "status $code, expected one of @{ $expect->{only} }", $res);
    }
    return;
}

# ---- httpd's own refusals ---------------------------------------------------------

# httpd 2.4's limits (its defaults, in force on every server the hostile
# tests talk to), as measured on Debian 12's httpd 2.4: a request line
# (without CRLF) of 8192 bytes gets 414, a header line of 8192 bytes gets
# 400, so does a header whose lines, merged ("v1, v2"), make a value over
# 8190 bytes; a path segment over 255 bytes makes httpd's walk of the file
# system fail (ENAMETOOLONG): 403.
use constant LINE_MAX        => 8191;   # LimitRequestLine, LimitRequestFieldSize + 1
use constant MERGED_VALUE_MAX => 8190;  # LimitRequestFieldSize
use constant NAME_MAX        => 255;

# Whether httpd itself refuses the request $head (request line and header
# lines, as sent, without the Host and Connection lines send_raw adds)
# before mod_bearer sees it: [status, the note httpd writes into its error
# page (a regex, or undef for none), why, may], or undef when the request
# reaches the modules. The causes the generator can produce, in the order
# httpd applies them:
#   - a request line too long: 414;
#   - CONNECT to a path (not host:port): 400 without a note;
#   - line by line: a header line too long, or a header's merged value:
#     400, "Size of a request header field exceeds server limit."; a header
#     value with a control byte other than HT (HttpProtocolOptions Strict,
#     the default): 400 without a note;
#   - an encoded NUL or slash in the path (AllowEncodedSlashes Off): 404;
#   - a path segment longer than a file name can be: 403, but only where the
#     request goes on to httpd's walk of the file system (may => 1: the
#     module may answer it first, by its own rules).
sub httpd_refusal {
    my ($head) = @_;
    my ($line, @fields) = split /\r\n/, $head;
    my ($method, $path) = split / /, $line;
    return [414, undef, 'request line too long'] if length($line) > LINE_MAX;
    return [400, undef, 'CONNECT to a path'] if $method eq 'CONNECT';
    # httpd reads a header line, then the next one (checking its length),
    # and only then looks at the first one's value (the next one could have
    # continued it): a line too long, or one with a NUL, is found before the
    # line above it is looked at.
    my $size = [400, qr/Size of a request header field exceeds server limit\./];
    my %merged;
    for my $i (0 .. @fields) {
        return [@$size, 'header line too long']
            if $i < @fields && length($fields[$i]) > LINE_MAX;
        return [400, undef, 'NUL in a header line'] if $i < @fields && $fields[$i] =~ /\x00/;
        next unless $i;
        my ($name, $value) = $fields[$i - 1] =~ /^([^:]*):[ \t]*(.*?)[ \t]*\z/s or next;
        return [400, undef, 'control byte in a header value']
            if $value =~ /[\x00-\x08\x0a-\x1f\x7f]/;
        push @{ $merged{ lc $name } }, $value;
    }
    # Merging comes after the last line is read: a control byte in any
    # line is found before a merged value's length is looked at.
    return [@$size, 'merged header value too long']
        if grep { length(join ', ', @$_) > MERGED_VALUE_MAX } values %merged;
    return [404, undef, 'encoded NUL or slash in the path'] if $path =~ /%(?:00|2f)/i;
    return [403, undef, 'path segment too long', 1]
        if grep { length > NAME_MAX } split m{/}, $path;
    return undef;
}

# 'yes' if $res is httpd's own error page for $code: that status, no
# challenge, text/html, httpd's page (its title and heading for the
# status) with the note $note (a regex; undef: none); the answer to a HEAD
# has no body to look at. Else what differs.
sub is_httpd_page {
    my ($res, $code, $note, $head_only) = @_;
    return 'another status' unless $res->code == $code;
    return 'it carries a challenge' if defined $res->header('WWW-Authenticate');
    return 'not text/html' unless ($res->header('Content-Type') // '') =~ m{^text/html};
    return 'yes' if $head_only;
    my $body = $res->content // '';
    my $reason = HTTP::Status::status_message($code) // '';
    $reason = 'Request-URI Too Long' if $code == 414;
    return "not httpd's page for $code"
        unless $body =~ m{\A<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4\.01//EN"[^\n]*\n<html><head>\n<title>\Q$code $reason\E</title>\n</head><body>\n<h1>\Q$reason\E</h1>\n<p>(.*?)</p>\n</body></html>\n\z}s;
    my $text = $1;
    if (defined $note) {
        return 'without the note ' . $note unless $text =~ $note;
    }
    elsif ($text =~ /<br \/>\n(.+)\z/s) {
        return "with a note: $1";
    }
    return 'yes';
}

# The path of a request line as httpd 2.4 hands it to the modules
# (ap_normalize_path, then MergeSlashes): %XX of an unreserved character
# decoded, "." and ".." segments resolved, repeated slashes merged. So
# "/auth/v1/access-tokens/../access-tokens/<22 characters>" is a GET of
# that id, and the module looks it up.
sub httpd_path {
    my ($path) = @_;
    $path =~ s/%([0-9A-Fa-f]{2})/my $c = chr hex $1; $c =~ m{[A-Za-z0-9._~-]} ? $c : "%$1"/ge;
    my @out;
    my @segs = split m{/}, $path, -1;
    shift @segs;                        # before the leading slash
    for my $i (0 .. $#segs) {
        my $seg = $segs[$i];
        my $last = $i == $#segs;
        if ($seg eq '.' || $seg eq '..') {
            pop @out if $seg eq '..' && @out;
            push @out, '' if $last;     # "/a/.." is "/", "/a/b/." is "/a/b/"
            next;
        }
        push @out, $seg;
    }
    return ('/' . join '/', @out) =~ s{/+}{/}gr;
}

# ---- which requests may need memcached (outage) ---------------------------------

# True if $head has exactly one Authorization line and it holds a token of
# ours with a good checksum: only such a credential is looked up in the
# store. Looser than the module's grammar on purpose (a token with more
# around it counts too): it must never call a store lookup impossible.
sub store_credential {
    my ($head) = @_;
    my @auth = $head =~ /^Authorization:([^\r\n]*)\r\n/mgi;
    return 0 unless @auth == 1;
    for my $t ($auth[0] =~ /(?<![A-Za-z0-9_-])(bt_[A-Za-z0-9_-]{49})(?![A-Za-z0-9_-])/g) {
        my ($prefix, $random, $sum) = $t =~ /^(bt_)(.{43})(.{6})$/;
        return 1 if BearerTest::token_checksum($prefix, $random) eq $sum;
    }
    return 0;
}

sub operator_only {
    my ($head) = @_;
    my @auth = $head =~ /^Authorization:([^\r\n]*)\r\n/mgi;
    return @auth == 1 && $auth[0] =~ /^ Bearer \Q${\ OPERATOR_TOKEN}\E$/;
}

# ---- generators ------------------------------------------------------------------

sub mutate_token {
    my ($self) = @_;
    my $t = $self->{good}{access_token};
    my $k = int rand 6;
    if ($k == 0) {
        # a character changed: never to itself (that would send the good
        # token, whose success the callers do not expect): a draw that
        # hits it takes the next character instead. Two draws, whatever
        # the token: the good token is new each run, and a draw repeated
        # on its value would shift every later one, so that a seed would
        # not send again what it sent.
        my $i = int rand @b64;
        my $at = int rand length $t;
        $i = ($i + 1) % @b64 if $b64[$i] eq substr($t, $at, 1);
        substr($t, $at, 1) = $b64[$i];
    }
    elsif ($k == 1) { $t = substr($t, 0, int rand length $t) || 'x' }
    elsif ($k == 2) { $t .= rb64(1 + int rand 20) }
    elsif ($k == 3) { $t = rb64(1 + int rand 200) }
    elsif ($k == 4) { $t = 'bt_' . rb64(49) }
    else { $t = BearerTest::forge_token() }
    return $t;
}

# An Authorization value, and the known token it is exactly (fleet mode:
# "Bearer <token>" of a real token, now and then), or undef.
sub auth_value {
    my ($self, $with_known) = @_;
    if ($with_known && @{ $self->{known} } && rand() < 0.5) {
        my $t = pick(@{ $self->{known} });
        return ("Bearer $t->{token}", $t);
    }
    my $k = int rand 10;
    return 'Bearer ' . $self->mutate_token()                  if $k <= 2;
    return pick('Bearer', 'bearer', 'BEARER', 'BeArEr') . (' ' x (1 + int rand 3))
           . $self->mutate_token() . (' ' x int rand 3)       if $k == 3;
    return 'Bearer ' . rb64(5000 + int rand 4000)             if $k == 4;   # oversized
    return 'Bearer ' . join ' ', map { $self->mutate_token() } 1 .. 2 if $k == 5;
    return pick('Basic', 'Token', 'Digest', 'Bearer,', 'Bearer=', '')
           . ' ' . $self->mutate_token()                      if $k == 6;
    return 'Bearer ' . $self->mutate_token() . pick(',', ';', '"', '@', "\t", ' realm="x"')
           . rb64(int rand 5)                                 if $k == 7;
    return 'Bearer ' . join '', map { pick(@b64, '=', '"', '\\', '%', '!', '#') }
           1 .. 1 + int rand 80                                ;
}

# A header block with 0..n Authorization lines, and the known token it
# carries alone and intact (or undef). Known tokens only where asked for.
sub auth_headers {
    my ($self, $binary, $with_known) = @_;
    my $n = pick(0, 1, 1, 1, 1, 2, 3, 5);
    my $h = '';
    my @known;
    for (1 .. $n) {
        my ($v, $known) = $self->auth_value($with_known);
        if ($binary) {
            # bytes outside the grammar, never CR or LF (that would be
            # another header line), sometimes NUL
            my $bytes = rbytes(1 + int rand 40);
            $bytes =~ s/[\r\n]/\x01/g;
            substr($v, int rand length $v, 0) = $bytes;
            $known = undef;
        }
        push @known, $known;
        $h .= "Authorization: $v\r\n";
    }
    return ($h, $n == 1 ? $known[0] : undef);
}

sub nested {
    my ($depth) = @_;
    my $inner = pick('1', '"x"', '{}', '[]', 'null');
    my $s = $inner;
    for (1 .. $depth) {
        $s = rand() < 0.5 ? "[$s]" : qq({"k":$s});
    }
    return $s;
}

my @good_bodies = (
    '{}', '{"scopes": ["stream:view"]}', '{"scope": "stream:view chat:write"}',
    '{"ttl": 60, "subject": "hostile"}', '{"max_uses": 2, "metadata": {"a": [1, 2]}}',
);

sub body {
    my $k = int rand 14;
    return nested(1 + int rand 40) . ''                         if $k == 0;
    return '{"metadata": ' . nested(100 + int rand 4000) . '}'  if $k == 1;
    return '{"metadata": {"k": "' . ('m' x (5000 + int rand 20000)) . '"}}' if $k == 2;
    return '{"ttl": 60, "ttl": 61}'                             if $k == 3;
    return '{"metadata": {"a": 1, "a": 2}}'                     if $k == 4;
    return qq({"subject": "a\x00b"})                            if $k == 5;
    return qq({"subject": "a\\u0000b"})                         if $k == 6;
    return qq({"sub\\u0000ject": "x"})                          if $k == 7;
    return rbytes(int rand 300)                                 if $k == 8;
    if ($k == 9) {                      # a good body with bytes changed
        my $b = pick(@good_bodies);
        substr($b, int rand length $b, 1) = chr int rand 256 for 1 .. 1 + int rand 3;
        return $b;
    }
    return '{"scopes": [' . join(',', map { '"' . rb64(1 + int rand 140) . '"' } 1 .. int rand 30) . ']}' if $k == 10;
    return ' ' x (16385 + int rand 5000)                        if $k == 11;
    return pick(@good_bodies) . (' ' x int rand 3) . pick('', '{', ']', 'x', '{}') if $k == 12;
    return pick(@good_bodies);
}

sub random_path {
    my ($self) = @_;
    my $endpoint = ENDPOINT;
    my $good_id = $self->{good}{token_id};
    my $k = int rand 9;
    return "$endpoint/" . rb64(1 + int rand 40)               if $k == 0;
    return "$endpoint/$good_id/" . rb64(int rand 8)           if $k == 1;
    return "$endpoint/" . join('', map { sprintf '%%%02X', int rand 256 } 1 .. 1 + int rand 10) if $k == 2;
    return "$endpoint/self/x"                                 if $k == 3;
    return "$endpoint/" . ('a' x (100 + int rand 9000))       if $k == 4;
    return "$endpoint/%00"                                    if $k == 5;
    return "$endpoint/../access-tokens/" . rb64(22)           if $k == 6;
    return "$endpoint//" . $good_id                           if $k == 7;
    return "$endpoint/" . substr($good_id, 0, 21) . pick(@b64);
}

my @methods = qw(GET POST DELETE PUT PATCH OPTIONS HEAD TRACE CONNECT FOO
                 PROPFIND MKCOL LOCK BREW);
my @ctypes = ('application/json', 'application/json; charset=utf-8',
              'text/plain', 'application/x-www-form-urlencoded',
              'application/problem+json', 'application/jsonx', '', 'json',
              "application/json\x01");

# The exact answers to a known token sent alone: at protected path $path
# ('' for a POST to the endpoint), on a host whose BearerOutage is
# $outage_mode, memcached in outage or not.
sub known_answers {
    my ($self, $t, $path, $outage_mode) = @_;
    my $normal;
    if ($t->{state} ne 'live') {
        $normal = 401;
    }
    elsif ($path eq '') {
        $normal = 403;                    # only an operator token mints
    }
    else {
        my $needs = $NEEDS{$path};
        my %has = map { $_ => 1 } @{ $t->{scopes} };
        $normal = !defined $needs ? 403
                : !@$needs ? 200
                : (grep { ref $_ ? !grep { !$has{$_} } @$_ : $has{$_} } @$needs) ? 200
                : 403;
    }
    return [$normal] unless $self->{outage};
    # Outage: a live token is in this host's cache (it was used, or minted
    # here), so `stale` honours it and `closed` refuses it. A gone one is
    # not cached: the one server left may still say it is revoked (401),
    # or nothing can say (503).
    return $t->{state} ne 'live' ? [ 401, 503 ]
         : $outage_mode eq 'closed' ? [503]
         : [$normal];
}

# ---- a run -------------------------------------------------------------------------

# run($count, outage => 1 if memcached is in outage): sends $count
# requests; returns { seen => {case => {status => n}}, problems => [...],
# sent => n, answered => n (with an HTTP answer), took => s,
# slowest => [[s, line] ...] }.
sub run {
    my ($self, $count, %o) = @_;
    my $run = $self->{run} = { seen => {}, problems => [], sent => 0, answered => 0, slowest => [] };
    $self->{outage} = $o{outage} ? 1 : 0;
    my $endpoint = ENDPOINT;
    my $good_token = $self->{good}{access_token};
    my $good_id = $self->{good}{token_id};
    my @item_paths = ("$endpoint/$good_id", "$endpoint/self");
    my @hosts = @{ $self->{hosts} };
    my $fleet = @{ $self->{known} } > 0;
    my $outage = $self->{outage};

    my $started = $run->{started} = Time::HiRes::time();
    for my $i (1 .. $count) {
        my $to = @hosts > 1 ? pick(@hosts) : $hosts[0];
        my $host = $to->{host};
        my $mode = $to->{outage} // 'stale';
        my $k = rand;
        if ($k < 0.30) {
            # Authorization headers at a protected location
            my $binary = rand() < 0.25;
            my $path = pick('/p/view/r.txt', '/p/any/r.txt', '/p/op/r.txt', '/p/both/r.txt');
            my ($auth, $known) = $self->auth_headers($binary, $fleet);
            my $head = "GET $path HTTP/1.1\r\n" . $auth;
            my ($res, $raw) = $self->send_raw($host, $head);
            my $exact = $known && $self->known_answers($known, $path, $mode);
            $self->check_answer($binary ? 'auth-binary' : 'auth', $res, $raw,
                { request => $head, only => [400, 401, 403],
                  ($exact ? (exact => $exact, ok => $exact, known => $known, mode => $mode) : ()),
                  may_503 => $outage && store_credential($head) ? 'yes' : 0 });
        }
        elsif ($k < 0.45) {
            # Authorization headers at the endpoint
            my $binary = rand() < 0.25;
            my ($auth, $known) = $self->auth_headers($binary, $fleet);
            my $head = "POST $endpoint HTTP/1.1\r\n" . $auth . "Content-Length: 0\r\n";
            my ($res, $raw) = $self->send_raw($host, $head);
            my $exact = $known && $self->known_answers($known, '', $mode);
            $self->check_answer($binary ? 'endpoint-auth-binary' : 'endpoint-auth', $res, $raw,
                { endpoint => 1, request => $head, only => [400, 401, 403, 413],
                  ($exact ? (exact => $exact, known => $known, mode => $mode) : ()),
                  may_503 => $outage && store_credential($head) ? 'yes' : 0 });
        }
        elsif ($k < 0.75) {
            # bodies, as the operator
            my $body = body();
            my $ct = rand() < 0.8 ? 'application/json' : pick(@ctypes);
            my $chunked = rand() < 0.15;
            my $head = "POST $endpoint HTTP/1.1\r\nAuthorization: Bearer " . OPERATOR_TOKEN . "\r\n"
                     . (length $ct ? "Content-Type: $ct\r\n" : '');
            my $payload = $body;
            if ($chunked) {
                $head .= "Transfer-Encoding: chunked\r\n";
                $payload = '';
                my $b = $body;
                while (length $b) {
                    my $piece = substr($b, 0, 1 + int rand 4096, '');
                    $payload .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
                }
                $payload .= "0\r\n\r\n";
            }
            else {
                $head .= "Content-Length: " . length($body) . "\r\n";
            }
            my ($res, $raw) = $self->send_raw($host, $head, $payload);
            $self->note_mint('body', $res, 1);
            # httpd itself refuses a header value with control bytes
            $self->check_answer('body', $res, $raw,
                { endpoint => 1, ok => [201], only => [400, 413, 415],
                  request => $head,
                  may_503 => $outage ? 'replay' : 0, replay => [ $host, $head, $payload ] });
        }
        elsif ($k < 0.90) {
            # methods and paths the endpoint does not know
            my $m = pick(@methods);
            my $path = rand() < 0.5 ? $self->random_path() : pick($endpoint, @item_paths);
            my $who = rand() < 0.7 ? "Authorization: Bearer " . OPERATOR_TOKEN . "\r\n"
                                   : ($self->auth_headers(0))[0];
            my $head = "$m $path HTTP/1.1\r\n$who"
                     . ($m eq 'POST' || $m eq 'PUT' ? "Content-Length: 0\r\n" : '');
            my ($res, $raw) = $self->send_raw($host, $head);
            $self->note_mint('method-path', $res, 0);
            # only GET/HEAD/DELETE of the item, or a POST to the collection,
            # may succeed
            # (the path as httpd hands it on: /x/../ and // are gone)
            my $merged = httpd_path($path);
            my $item = $merged eq "$endpoint/$good_id";
            # the collection, with or without its trailing slash
            my $collection = $merged =~ m{^\Q$endpoint\E/?\z};
            # Outage: the operator's GET/DELETE of something shaped like an
            # id, or a mint, may need memcached; so may a client token.
            my $may_503 = !$outage ? 0
                : store_credential($head) ? 'yes'
                : !operator_only($head) ? 0
                : ($m eq 'POST' && $collection) ? 'replay'
                : ($m =~ /^(?:GET|HEAD|DELETE)$/ && $merged =~ m{^\Q$endpoint\E/[A-Za-z0-9_-]{22}$}) ? 'yes'
                : 0;
            $self->check_answer('method-path', $res, $raw,
                { endpoint => 1, request => $head, head => $m eq 'HEAD',
                  ok => ($item && ($m eq 'GET' || $m eq 'HEAD')) ? [200]
                      : ($item && $m eq 'DELETE') ? [204]
                      : ($m eq 'POST' && $collection) ? [201]
                      : [],
                  only => [400, 401, 403, 404, 405, 413, 414],
                  may_503 => $may_503, replay => [ $host, $head ] });
        }
        else {
            # slow and truncated bodies
            my $body = pick(@good_bodies, body());
            # (an empty body cut short is still whole: Content-Length 0)
            my $truncate = length($body) && rand() < 0.5;
            my $slow = rand() < 0.2;
            my $sent = $truncate ? substr($body, 0, int rand length $body) : $body;
            # a third of them with a token the endpoint refuses before the body
            my $who = pick(OPERATOR_TOKEN, OPERATOR_TOKEN, $good_token, $self->mutate_token());
            my $head = "POST $endpoint HTTP/1.1\r\nAuthorization: Bearer $who\r\n"
                     . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n";
            my %how = (slow => ($slow ? 0.01 : 0), shut => $truncate);
            my ($res, $raw) = $self->send_raw($host, $head, $sent, %how);
            $self->note_mint('whole', $res, 0);
            $self->check_answer(($slow ? 'slow-' : '') . ($truncate ? 'truncated' : 'whole'), $res, $raw,
                { endpoint => 1, request => $head,
                  ok => ($truncate || $who ne OPERATOR_TOKEN) ? [] : [201],
                  only => [400, 401, 403, 413, 415],
                  may_503 => !$outage ? 0 : store_credential($head) ? 'yes'
                           : $who eq OPERATOR_TOKEN ? 'replay' : 0,
                  replay => [ $host, $head, $sent, %how ] });
        }
    }
    $run->{took} = Time::HiRes::time() - $started;
    $self->{outage} = 0;
    return $run;
}

# A 201 hands out a token that answers may then hold.
sub note_mint {
    my ($self, $cat, $res, $must_hold) = @_;
    return unless $res && $res->code == 201;
    my $json = BearerTest::json_of($res) || {};
    if ($json->{access_token}) {
        $self->{fresh}{ $json->{access_token} } = 1;
        BearerTest::record_tokens($json->{access_token});
    }
    $self->problem($cat, '201 without a token') if $must_hold && !$json->{access_token};
    return;
}

# Sends again, memcached back, every mint that got a 503 in an outage: each
# must now get its 201 (the 503 came from the store, not in place of a
# refusal). Returns (replayed, problems).
sub replay_outage_mints {
    my ($self) = @_;
    my $run = $self->{run} = { seen => {}, problems => [], sent => 0, answered => 0, slowest => [] };
    my @todo = @{ $self->{replay} };
    $self->{replay} = [];
    for my $r (@todo) {
        my ($res, $raw) = $self->send_raw(@{ $r->{req} });
        $self->note_mint($r->{cat}, $res, 1);
        my $code = $res ? $res->code : 'no answer';
        push @{ $run->{problems} }, BearerTest::redact(
            "$r->{cat}: a 503 in the outage for a mint that now gets $code, not 201 "
            . "[$r->{line}]") unless $code eq '201';
    }
    return (scalar @todo, @{ $run->{problems} });
}

# ---- verdict helpers ---------------------------------------------------------------

# Diagnostics: statuses by case, count and time, the slowest answers.
sub report {
    my ($self, $run, $label) = @_;
    $label = defined $label ? "$label: " : '';
    my @lines;
    for my $cat (sort keys %{ $run->{seen} }) {
        push @lines, sprintf "%s%-22s %s", $label, $cat,
            join(', ', map { "$_ x $run->{seen}{$cat}{$_}" } sort keys %{ $run->{seen}{$cat} });
    }
    push @lines, sprintf "%s%d requests in %.1f s; slowest: %s", $label, $run->{sent},
        $run->{took}, join('; ', map { sprintf '%.2f s %s', @$_ } @{ $run->{slowest} });
    return @lines;
}

# The problems of a run: '5xx' ones, or the 'other' ones.
sub problems {
    my ($self, $run, $kind) = @_;
    my @p = @{ $run->{problems} };
    return $kind eq '5xx' ? grep { /5xx/ } @p : grep { !/5xx/ } @p;
}

# Requests of each case in a run.
sub counts {
    my ($self, @runs) = @_;
    my %by_cat;
    for my $run (@runs) {
        for my $cat (keys %{ $run->{seen} }) {
            $by_cat{$cat} += $_ for values %{ $run->{seen}{$cat} };
        }
    }
    return \%by_cat;
}

# Lines of an error log, from byte $offset on, that say a child died, and
# critical lines of the module.
sub log_troubles {
    my ($file, $offset) = @_;
    open my $fh, '<', $file or die "$file: $!";
    seek $fh, $offset || 0, 0;
    my (@died, @emerg);
    while (my $line = <$fh>) {
        push @died, $line if $line =~ /exit signal|AH00052|Segmentation|AddressSanitizer/;
        push @emerg, $line if $line =~ /\[bearer:(?:emerg|alert|crit)\]/;
    }
    close $fh;
    return (\@died, \@emerg);
}

1;
