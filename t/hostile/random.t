# Hostile HTTP input (issue 5): thousands of seeded random requests to the
# running server. Oversized, binary, repeated and malformed Authorization
# headers; deeply nested, huge, duplicate-key and NUL-carrying JSON bodies;
# methods and paths the endpoint does not know; slow and truncated bodies.
#
# Every answer must be a 4xx with a precise error (on the endpoint a JSON
# body with "error" and "error_description"; on a protected location an
# RFC 6750 challenge), or a success where the request was a good one;
# never a 5xx; and the server never loses a child (no "exit signal" in the
# error log). No answer may hold a token other than a freshly minted one.
#
# The seed is printed; BEARER_HOSTILE_SEED=n reruns the same requests,
# BEARER_HOSTILE_COUNT=n changes how many (default 3000).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use HTTP::Response ();
use IO::Socket::INET ();
use IO::Select ();
use Time::HiRes ();

my $seed  = $ENV{BEARER_HOSTILE_SEED} // (time ^ $$) % 1_000_000;
my $count = $ENV{BEARER_HOSTILE_COUNT} // 3000;
srand($seed);

plan tests => 12;
diag("hostile input: seed $seed, $count requests (BEARER_HOSTILE_SEED=$seed to repeat)");

my $vars = Apache::Test::vars();
my $log  = "$vars->{t_logs}/error_log";
my $log_offset = -s $log || 0;
my ($host, $port) = split /:/, BearerTest::hostport_of(undef);

# Good material to mutate: a live client token and its id.
my $good = mint_ok({ scopes => ['stream:view'] });
my $good_token = $good->{access_token};
my $good_id    = $good->{token_id};
my @b64 = ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '.', '_', '~', '+', '/');

sub pick { $_[ int rand @_ ] }
sub rbytes { join '', map { chr int rand 256 } 1 .. $_[0] }
sub rb64 { join '', map { pick(@b64) } 1 .. $_[0] }

# ---- sending -----------------------------------------------------------------

# Sends a request as given, in pieces with pauses if asked, and returns
# (HTTP::Response or undef, raw answer). $o{shut} half-closes after
# sending (a truncated body then ends there).
my @slowest;     # [seconds, request line] of the slowest answers
sub send_raw {
    my ($head, $body, %o) = @_;
    my $t0 = Time::HiRes::time();
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Timeout => 10) or die "connect: $!";
    $head .= "Host: $host:$port\r\nConnection: close\r\n\r\n";
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
    push @slowest, [ Time::HiRes::time() - $t0,
                     $line0 . ($o{slow} ? ' (slow)' : '') . ($o{shut} ? ' (truncated)' : '') ];
    @slowest = (sort { $b->[0] <=> $a->[0] } @slowest)[0 .. ($#slowest > 2 ? 2 : $#slowest)];
    return (undef, $answer) unless $answer =~ m{^HTTP/1\.\d \d{3}};
    my $res = HTTP::Response->parse($answer);
    my ($line) = $head =~ /^([^\r\n]*)/;
    $line = substr($line, 0, 80) . '...' if length $line > 80;
    $res->{bearer_request_line} = $line;
    (my $names = $head) =~ s/^[^\r\n]*\r\n//;
    $names =~ s/: [^\r\n]*\r\n/,/g;
    $res->{bearer_request_line} .= " {$names" . ($o{shut} ? ' shut' : '') . ($o{slow} ? ' slow' : '')
        . ' body ' . length($body // '') . '}' if $ENV{BEARER_HOSTILE_DEBUG};
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

my %seen;         # category => status => count
my @problems;     # what broke a rule, without token values
my $n_sent = 0;
my %fresh;        # access tokens minted by this test (allowed in answers)

my %known_error = map { $_ => 1 } qw(invalid_request invalid_token
    insufficient_scope unauthorized not_found invalid_scope);

sub problem {
    my ($cat, $what, $res) = @_;
    my $more = '';
    if ($res) {
        my $body = substr($res->content // '', 0, 100);
        $body =~ s/[^\x20-\x7e]/?/g;
        $more = ' [' . ($res->{bearer_request_line} // '') . ' => ' . $res->status_line . ', '
              . ($res->header('Content-Type') // 'no type') . ": $body]";
    }
    push @problems, redact("$cat: $what$more");
}

# $expect: { ok => [statuses], endpoint => 1 (JSON errors), core => 1 (httpd
# itself may refuse the request line or headers, with its own page) }
sub check_answer {
    my ($cat, $res, $raw, $expect) = @_;
    $n_sent++;
    if (!$res) {
        $seen{$cat}{none}++;
        problem($cat, 'no HTTP answer') unless $expect->{may_drop};
        return;
    }
    my $code = $res->code;
    $seen{$cat}{$code}++;
    if ($code >= 500) {
        problem($cat, "a 5xx answer", $res);
        return;
    }
    # no token but ones this test minted ever comes back
    for my $t ($raw =~ /\b((?:bt|acme)_[A-Za-z0-9_-]{49})(?![A-Za-z0-9_-])/g) {
        problem($cat, 'an answer holds a token it should not', $res)
            unless $fresh{$t};
    }
    if (index($raw, OPERATOR_TOKEN) >= 0 || index($raw, OPERATOR_TOKEN_2) >= 0) {
        problem($cat, 'an answer holds the operator token', $res);
    }
    if (grep { $_ == $code } @{ $expect->{ok} || [] }) {
        return;
    }
    if ($code < 400) {
        problem($cat, "unexpected success $code", $res);
        return;
    }
    my $from_core = !$res->header('WWW-Authenticate')
                    && ($res->header('Content-Type') // '') =~ m{^text/html};
    if ($from_core && $expect->{core} && ($code == 400 || $code == 414 || $code == 413
                                          || $code == 431 || $code == 404 || $code == 403)) {
        return;    # httpd refused the request before any module saw it
    }
    if ($expect->{endpoint} && $expect->{head}) {
        problem($cat, 'a 4xx from the endpoint that is not JSON', $res)
            if ($res->header('Content-Type') // '') !~ m{^application/json};
    }
    elsif ($expect->{endpoint}) {
        my $json = json_of($res);
        if (($res->header('Content-Type') // '') !~ m{^application/json}
            || ref $json ne 'HASH' || !$known_error{ $json->{error} // '' }
            || !length($json->{error_description} // '')) {
            problem($cat, 'a 4xx from the endpoint without a precise JSON error', $res);
        }
    }
    else {
        my $challenge = $res->header('WWW-Authenticate') // '';
        if ($code =~ /^40[013]$/ && $challenge !~ /^Bearer realm="/) {
            problem($cat, "a $code without an RFC 6750 challenge", $res);
        }
    }
    if ($expect->{only} && !grep { $_ == $code } @{ $expect->{only} }) {
        problem($cat, "status $code, expected one of @{ $expect->{only} }", $res);
    }
}

# ---- generators ------------------------------------------------------------------

sub mutate_token {
    my $t = $good_token;
    my $k = int rand 6;
    if ($k == 0) { substr($t, int rand length $t, 1) = pick(@b64) }
    elsif ($k == 1) { $t = substr($t, 0, int rand length $t) || 'x' }
    elsif ($k == 2) { $t .= rb64(1 + int rand 20) }
    elsif ($k == 3) { $t = rb64(1 + int rand 200) }
    elsif ($k == 4) { $t = 'bt_' . rb64(49) }
    else { $t = forge_token() }
    return $t;
}

sub auth_value {
    my $k = int rand 10;
    return 'Bearer ' . mutate_token()                         if $k <= 2;
    return pick('Bearer', 'bearer', 'BEARER', 'BeArEr') . (' ' x (1 + int rand 3))
           . mutate_token() . (' ' x int rand 3)              if $k == 3;
    return 'Bearer ' . rb64(5000 + int rand 4000)             if $k == 4;   # oversized
    return 'Bearer ' . join ' ', map { mutate_token() } 1 .. 2 if $k == 5;
    return pick('Basic', 'Token', 'Digest', 'Bearer,', 'Bearer=', '')
           . ' ' . mutate_token()                             if $k == 6;
    return 'Bearer ' . mutate_token() . pick(',', ';', '"', '@', "\t", ' realm="x"')
           . rb64(int rand 5)                                 if $k == 7;
    return 'Bearer ' . join '', map { pick(@b64, '=', '"', '\\', '%', '!', '#') }
           1 .. 1 + int rand 80                                ;
}

# A header block with 0..n Authorization lines.
sub auth_headers {
    my ($binary) = @_;
    my $n = pick(0, 1, 1, 1, 1, 2, 3, 5);
    my $h = '';
    for (1 .. $n) {
        my $v = auth_value();
        if ($binary) {
            # bytes outside the grammar, never CR or LF (that would be
            # another header line), sometimes NUL
            my $bytes = rbytes(1 + int rand 40);
            $bytes =~ s/[\r\n]/\x01/g;
            substr($v, int rand length $v, 0) = $bytes;
        }
        $h .= "Authorization: $v\r\n";
    }
    return $h;
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

my $endpoint = ENDPOINT;
my @item_paths = ("$endpoint/$good_id", "$endpoint/self");

sub random_path {
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

# ---- the run ---------------------------------------------------------------------

my $started = Time::HiRes::time();
for my $i (1 .. $count) {
    my $k = rand;
    if ($k < 0.30) {
        # Authorization headers at a protected location
        my $binary = rand() < 0.25;
        my $path = pick('/p/view/r.txt', '/p/any/r.txt', '/p/op/r.txt', '/p/both/r.txt');
        my ($res, $raw) = send_raw("GET $path HTTP/1.1\r\n" . auth_headers($binary));
        check_answer($binary ? 'auth-binary' : 'auth', $res, $raw,
                     { core => 1, only => [400, 401, 403, 404, 413, 414, 431] });
    }
    elsif ($k < 0.45) {
        # Authorization headers at the endpoint
        my $binary = rand() < 0.25;
        my ($res, $raw) = send_raw("POST $endpoint HTTP/1.1\r\n" . auth_headers($binary)
                                   . "Content-Length: 0\r\n");
        check_answer($binary ? 'endpoint-auth-binary' : 'endpoint-auth', $res, $raw,
                     { endpoint => 1, core => 1, only => [400, 401, 403, 413, 431] });
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
        my ($res, $raw) = send_raw($head, $payload);
        if ($res && $res->code == 201) {
            my $json = json_of($res) || {};
            $fresh{ $json->{access_token} } = 1 if $json->{access_token};
            problem('body', '201 without a token') unless $json->{access_token};
        }
        # httpd itself refuses a header value with control bytes
        check_answer('body', $res, $raw,
                     { endpoint => 1, ok => [201], only => [400, 413, 415],
                       core => ($ct =~ /[\x00-\x1f]/ ? 1 : 0) });
    }
    elsif ($k < 0.90) {
        # methods and paths the endpoint does not know
        my $m = pick(@methods);
        my $path = rand() < 0.5 ? random_path() : pick($endpoint, @item_paths);
        my $who = rand() < 0.7 ? "Authorization: Bearer " . OPERATOR_TOKEN . "\r\n" : auth_headers(0);
        my ($res, $raw) = send_raw("$m $path HTTP/1.1\r\n$who"
                                   . ($m eq 'POST' || $m eq 'PUT' ? "Content-Length: 0\r\n" : ''));
        if ($res && $res->code == 201) {
            my $json = json_of($res) || {};
            $fresh{ $json->{access_token} } = 1 if $json->{access_token};
        }
        # only GET/HEAD/DELETE of the item, or a POST to the collection,
        # may succeed
        # (httpd merges repeated slashes in the path)
        my $item = ($path =~ s{/+}{/}gr) eq "$endpoint/$good_id";
        check_answer('method-path', $res, $raw,
                     { endpoint => 1, core => 1, head => $m eq 'HEAD',
                       ok => ($item && ($m eq 'GET' || $m eq 'HEAD')) ? [200]
                           : ($item && $m eq 'DELETE') ? [204]
                           : ($m eq 'POST' && $path eq $endpoint) ? [201]
                           : [],
                       only => [400, 401, 403, 404, 405, 413, 414] });
    }
    else {
        # slow and truncated bodies
        my $body = pick(@good_bodies, body());
        my $truncate = rand() < 0.5;
        my $slow = rand() < 0.2;
        my $sent = $truncate ? substr($body, 0, int rand length $body) : $body;
        # a third of them with a token the endpoint refuses before the body
        my $who = pick(OPERATOR_TOKEN, OPERATOR_TOKEN, $good_token, mutate_token());
        my ($res, $raw) = send_raw(
            "POST $endpoint HTTP/1.1\r\nAuthorization: Bearer $who\r\n"
            . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n",
            $sent, slow => ($slow ? 0.01 : 0), shut => $truncate);
        if ($res && $res->code == 201) {
            my $json = json_of($res) || {};
            $fresh{ $json->{access_token} } = 1 if $json->{access_token};
        }
        check_answer(($slow ? 'slow-' : '') . ($truncate ? 'truncated' : 'whole'), $res, $raw,
                     { endpoint => 1, ok => ($truncate || $who ne OPERATOR_TOKEN) ? [] : [201],
                       only => [400, 401, 403, 413, 415] });
    }
}
my $took = Time::HiRes::time() - $started;

# ---- verdict ---------------------------------------------------------------------

for my $cat (sort keys %seen) {
    diag(sprintf "%-22s %s", $cat,
         join(', ', map { "$_ x $seen{$cat}{$_}" } sort keys %{ $seen{$cat} }));
}
diag(sprintf "%d requests in %.1f s; slowest: %s", $n_sent, $took,
     join('; ', map { sprintf '%.2f s %s', @$_ } @slowest));

is($n_sent, $count, "$count requests sent (seed $seed)");
my %by_cat;
for my $cat (keys %seen) { $by_cat{$cat} += $_ for values %{ $seen{$cat} } }
ok(($by_cat{auth} // 0) > $count / 10, 'malformed Authorization headers at a protected location');
ok(($by_cat{'auth-binary'} // 0) > 10, 'binary bytes in Authorization headers');
ok(($by_cat{body} // 0) > $count / 10, 'hostile JSON bodies');
ok(($by_cat{'method-path'} // 0) > $count / 20, 'unknown methods and paths');
ok(($by_cat{truncated} // 0) + ($by_cat{'slow-truncated'} // 0) > 10
   && ($by_cat{'slow-whole'} // 0) + ($by_cat{'slow-truncated'} // 0) > 10,
   'slow and truncated bodies');

my @fivexx = grep { /5xx/ } @problems;
is(scalar @fivexx, 0, 'no 5xx answer') or diag(join "\n", @fivexx[0 .. ($#fivexx > 9 ? 9 : $#fivexx)]);
my @other = grep { !/5xx/ } @problems;
is(scalar @other, 0, 'every answer a 4xx with a precise error, or a success where one is due')
    or diag(join "\n", @other[0 .. ($#other > 19 ? 19 : $#other)]);

# The server is still there, and fine.
status_is(req(GET => '/plain/r.txt'), 200, 'the server still answers');
my $check = mint_ok();
status_is(req(GET => '/p/any/r.txt', token => $check->{access_token}), 200,
          'and still mints tokens that work');

open my $fh, '<', $log or die "$log: $!";
seek $fh, $log_offset, 0;
my (@died, @emerg);
while (my $line = <$fh>) {
    push @died, $line if $line =~ /exit signal|AH00052|Segmentation|AddressSanitizer/;
    push @emerg, $line if $line =~ /\[bearer:(?:emerg|alert|crit)\]/;
}
close $fh;
is(scalar @died, 0, 'no child died (no "exit signal" in the error log)') or diag(@died[0 .. ($#died > 4 ? 4 : $#died)]);
is(scalar @emerg, 0, 'the module logged nothing critical') or diag(redact(join '', @emerg[0 .. ($#emerg > 4 ? 4 : $#emerg)]));
