#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# fuzz/make-seeds.pl - writes the seed corpora fuzz/corpus/<target>/ from
# the contract's examples and the test suite's cases (t/authn/challenges.t,
# t/endpoint/post*.t, t/oauth/*.t, t/unit/*; memcached's protocol.txt for mc_reply). Run
# from the top of the checkout; the files it writes are committed, so this
# is needed only to change them.
# Every token here is made up for the corpus (a correct checksum over
# fixed "random" text): none was ever minted by a server.
use strict;
use warnings;
use Digest::SHA qw(sha256 hmac_sha256);
use Compress::Zlib qw(crc32);
use MIME::Base64 qw(encode_base64);
use File::Path qw(make_path remove_tree);

sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
sub token {
    my ($prefix, $seed) = @_;
    my $random = b64url(substr(sha256("corpus $seed") x 2, 0, 32));
    return $prefix . $random . b64url(pack('N', crc32($prefix . $random)));
}

my %seeds;
my $tok  = token('bt_', 1);
my $acme = token('acme_', 2);
my $long = token('ABCDEFGHIJ_12345', 3);
my $op   = 'operator-token-for-the-corpus-only-0123456789';

# --- header: Authorization values (t/authn/challenges.t) ---------------------
$seeds{header} = [
    '', 'Basic dXNlcjpwYXNz', "Token $tok", 'Bearer', 'Bearer    ',
    'Bearer a b', "Bearer $tok, realm=x", 'Bearer abc@def', 'Bearer abc!def',
    'Bearer abc=def', qq{Bearer "$tok"}, "Bearer abc\xe9def", 'bearer a b',
    'Bearer abc', "Bearer $tok", "BEARER $tok", "bearer $tok",
    "Bearer   $tok", "Bearer\t$tok", "  Bearer $tok  ", "Bearer ${tok}==",
    "Bearer $op", "Bearer $acme", 'Bearer a-._~+/b==', "Bearer,$tok",
    'Bearer =', "Bearer $tok\t", 'Bearerx abc',
];

# --- token: byte 0 picks the prefix (0 bt_, 1 acme_, 2 the 16-char one) -------
my $bad = $tok; substr($bad, 10, 1) = substr($bad, 10, 1) eq 'A' ? 'B' : 'A';
$seeds{token} = [
    "\0$tok", "\1$acme", "\2$long", "\0$bad", "\0" . substr($tok, 0, -1),
    "\0${tok}A", "\1$tok", "\0" . substr($tok, 3), "\0xx_" . substr($tok, 3),
    "\0$op", "\0",
];

# --- id: token ids as they come in URLs ----------------------------------------
my @ids = map { b64url(substr(hmac_sha256($_, 'corpus secret' x 3), 0, 16)) }
          ($tok, $acme, $op);
$seeds{id} = [ @ids, 'self', substr($ids[0], 0, 21), "$ids[0]A",
               substr($ids[1], 0, 21) . 'B', '', 'AAAAAAAAAAAAAAAAAAAAAA' ];

# --- scope: byte 0 capacity, byte 1 split, then scope string + second string ---
sub scope_seed { my ($cap, $s, $t) = @_; chr($cap) . chr(length $s) . $s . $t }
$seeds{scope} = [
    scope_seed(255, 'stream:start stream:view chat:write', 'stream:view admin'),
    scope_seed(255, 'stream:view stream:view', 'stream:view'),
    scope_seed(255, '  a   b  ', 'a b c'),
    scope_seed(255, 'stream"view', ''),
    scope_seed(255, 'stream\\view', 'x'),
    scope_seed(20, 'aaaaaaaaaa bbbbbbbbbb', 'aaaaaaaaaa'),
    scope_seed(255, 'x' x 129, ''),
    scope_seed(255, 'stream:start:match-42', 'stream:start:match-42 nest:a'),
    scope_seed(3, 'ab', 'ab cd'),
    scope_seed(255, "a\tb", ''),
];

# --- mint_request: bodies (docs/endpoint.md, t/endpoint/post*.t) ---------------
$seeds{mint_request} = [
    '', "  \n", '{}', '{"scopes": ["stream:start", "stream:view"]}',
    '{"scope": "stream:view chat:write"}', '{"ttl": 600}',
    '{"subject": "viewer-1", "ttl": 600}',
    '{"metadata": {"player": {"quality": "hd", "dvr": true}, "n": [1,2,3]}}',
    '{"max_uses": 3}', '{"scopes": []}',
    '{"scopes": ["stream:view"], "ttl": 60, "subject": "u", "metadata": {}, "max_uses": 1}',
    '{"foo": 1}', '{"scopes": "stream:view"}', '{"scopes": [1]}',
    '{"scope": ["stream:view"]}',
    '{"scope": "stream:view", "scopes": ["stream:view"]}', '{"ttl": "60"}',
    '{"ttl": 0}', '{"ttl": -5}', '{"ttl": 1.5}', '{"subject": 42}',
    '{"metadata": "x"}', '{"metadata": [1, 2]}', '{"max_uses": 0}',
    '{"max_uses": "3"}', '{"ttl": 60', '[]', '"ttl"', '{"ttl": 60} {"ttl": 60}',
    '{"ttl": 1, "ttl": 2}', qq({"subject": "a\\u0000b"}), qq({"subject": "a\\nb"}),
    '{"max_uses": 2147483648}', '{"ttl": 99999999999999999999999}',
    '{"scopes": ["stream\\\\view"]}', '{"scopes": ["stream view"]}',
    '{"subject": "' . ('s' x 257) . '"}',
    '{"metadata": {"k": "' . ('m' x 4100) . '"}}',
    '{"metadata": ' . ('{"a":' x 40) . '1' . ('}' x 40) . '}',
    ('[' x 3000) . (']' x 3000),
    "application/json\n{\"ttl\": 5}", "application/problem+json; charset=utf-8\n{}",
    "text/plain\n{}", "{\"subject\": \"\xff\xfe\"}",
];

# --- entry: byte 0 mode (0 decode, 1 open, 2 seal+tamper) --------------------
sub entry {
    my (%e) = @_;
    my $flags = (defined $e{subject} ? 1 : 0) | (defined $e{metadata} ? 2 : 0);
    my ($s, $c, $m) = map { $_ // '' } @e{qw(subject scope metadata)};
    return pack('C C q> q> N n n n', 1, $flags, $e{issued}, $e{expires},
                $e{max_uses} // 0, length $s, length $c, length $m) . $s . $c . $m;
}
my @entries = (
    entry(issued => 1700000000, expires => 1700003600, scope => 'stream:view'),
    entry(issued => 1700000000, expires => 1700000600, subject => 'viewer-1',
          scope => 'stream:start stream:view', max_uses => 3),
    entry(issued => 1, expires => 2, scope => '', metadata => '{"k":"v"}'),
    entry(issued => -5, expires => 9, subject => 'x' x 256, scope => 'a' x 1024,
          metadata => '{"m":"' . ('z' x 4000) . '"}'),
);
$seeds{entry} = [
    (map { "\0$_" } @entries),
    "\0" . substr($entries[1], 0, 27), "\0" . $entries[0] . 'x',
    (map { "\1" . $ids[0] . $_ . ('M' x 32) } @entries[0, 1]),
    (map { "\2" . $ids[1] . $_ } @entries),
];

# --- table: byte 0 size/mode, then operations (see fuzz/table.c) ---------------
#   op%8: 0,1 insert k lo hi ttl uses | 2 remove k | 3,4 lookup k |
#         5 time k n | 6 dead writer k lo hi | 7 corrupt k o1 o2 o3 n bytes
$seeds{table} = [
    pack('C*', 4, 0,1, 100,0, 200, 0x01, 3,1, 0x13,1, 0x13,1, 2,1, 3,1),
    pack('C*', 3, 0x40,2, 0x10,0x10, 50, 0x03, 0x13,2, 0x33,2, 5,0,60, 3,2),
    pack('C*', 2, 0,0, 10,0, 1, 0, 0,1, 20,0, 1, 0x10, 0,2, 30,0, 1, 0x10,
               3,0, 3,1, 3,2),
    pack('C*', 4, 0,3, 150,1, 100, 0, 6,0, 1,0, 3,3, 0,3, 150,1, 100, 0, 3,3),
    pack('C*', 9, 0,1, 100,0, 200, 0, 7,0, 0,4,0x80, 8, (0xFF) x 8, 3,1, 2,1),
    pack('C*', 9, 7,0, 0,0,0, 8, (0x41) x 8, 0,1, 10,0, 20, 0, 3,1),
    pack('C*', 0, 0,1, 0,2, 250, 0, 3,1, 0,2, 1,0, 250, 0, 3,2, 2,1, 3,2),
];

# --- fleet_record: byte 0 mode (0 forged, 1 token fields, 2 tombstone,
#     3 sealed by the secret), byte 1 key (0, 1 tokens', 2 a use counter's,
#     3 from the input: length byte + bytes); see fuzz/fleet_record.c -------
my $label = 'bearer-entry-v1';
my $key_a = 'bearer:AqdBWqtXER5NvTj5u8BJmQ';
sub sealed_with {       # a value as another fleet (another secret) seals it
    my ($secret, $key, $body) = @_;
    return $body . hmac_sha256($label . pack('n', length $key) . $key . $body,
                               $secret);
}
sub fields {            # mode 1: the entry's fields, then its strings
    my (%f) = @_;
    my ($s, $c, $m) = map { $_ // '' } @f{qw(subject scope metadata)};
    return pack('q> q> N C n n n C n', $f{issued}, $f{expires},
                $f{max_uses} // 0, $f{flags}, $f{slen} // length $s,
                $f{clen} // length $c, $f{mlen} // length $m, $f{cap} // 0,
                $f{pos} // 258) . $s . $c . $m;
}
my $other_secret = '0123456789abcdef0123456789abcdef';
$seeds{fleet_record} = [
    "\0\0\x01" . $entries[1] . ('M' x 32),
    "\0\0\x02" . pack('q>', 1700003600) . ('M' x 32),
    "\0\0" . sealed_with($other_secret, $key_a, "\x01" . $entries[0]),
    "\0\0" . sealed_with($other_secret, $key_a, "\x02" . pack('q>', 1700003600)),
    "\0\2" . '0', "\0\0", "\0\3\x1d$key_a\x01" . $entries[2] . ('M' x 32),
    "\1\0" . fields(issued => 1795856028, expires => 1795859628, max_uses => 3,
                    flags => 3, subject => 'alice',
                    scope => 'stream:view chat:write',
                    metadata => '{"room":"r1"}'),
    "\1\1" . fields(issued => 1700000000, expires => 1700003600, flags => 0,
                    scope => 'stream:view', cap => 3),
    "\1\2" . fields(issued => -5, expires => 9, flags => 3, slen => 256,
                    clen => 1024, mlen => 4096, cap => 2 + 4 * 9),
    "\1\0" . fields(issued => 1, expires => 2, flags => 1, slen => 0,
                    scope => 'a'),
    "\1\0" . fields(issued => 3, expires => 2, flags => 0, scope => 'a'),
    "\1\0" . fields(issued => 1, expires => 2, flags => 1, slen => 257),
    "\1\0" . fields(issued => 1, expires => 2, flags => 2, mlen => 4097),
    "\1\0" . fields(issued => 1, expires => 2, flags => 0, scope => 'a b',
                    cap => 1 + 4 * 3),
    (map { "\2\0" . pack('q> C n', $_, 0, 7) }
         1700003600, 0, -1, '9223372036854775807', '-9223372036854775808'),
    "\2\2" . pack('q> C n', 1700003600, 1, 40),
    "\2\3\x05abcde" . pack('q> C n', 1700003600, 3, 5),
    "\3\0\x01" . $entries[0], "\3\0\x01" . $entries[3],
    "\3\0\x02" . pack('q>', 1700003600), "\3\0\x02" . pack('q>', -1) . 'x',
    "\3\0\x02" . substr(pack('q>', 5), 1), "\3\0\x03" . pack('q>', 5),
    "\3\0\x01" . substr($entries[1], 0, -1), "\3\0\x01" . $entries[1] . 'x',
    "\3\0", "\3\0\x01", "\3\2\x01" . $entries[2],
    "\3\0\x01" . ('z' x 5410),
];

# --- mc_reply: byte 0 mode (bits 0-1: 0/1 raw, 2/3 built; bit 2 a
#     clean-up first, flush_all or with bit 6 version; bit 3 the probe
#     "mn" last; bits 4-5 damage), byte 1 requests
#     - 1, a byte a request (mod 3: mg, store, incr; +4 the largest
#     opaques, 4294967295 - index, instead of the index; +64 a small
#     value_max), the piece pattern, the bytes; see fuzz/mc_reply.c -------
my $record = "\x01" . $entries[1] . ('M' x 32);     # what a record looks like
sub mc { my ($mode, $ops, $pattern, $bytes) = @_;
         chr($mode) . chr(@$ops - 1) . pack('C*', @$ops) . chr($pattern) . $bytes }
$seeds{mc_reply} = [
    mc(0, [0], 1, "VA " . length($record) . " c12345 O0\r\n$record\r\n"),
    mc(0, [0], 7, "EN O0\r\n"),
    mc(0, [0], 3, "VA 5 O0 c1 W\r\nhello\r\n"),
    mc(0, [1, 1, 1, 1], 5, "STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\n"),
    mc(0, [5, 2, 2, 2], 16, "42\r\nNOT_FOUND\r\nCLIENT_ERROR cannot increment "
                            . "or decrement non-numeric value\r\n"
                            . "18446744073709551615\r\n"),
    mc(12, [0, 12, 1, 5], 3, "OK\r\nVA 5 c7 O0\r\nhello\r\n"
                              . "VA 1 c8 O4294967294\r\n3\r\n"
                              . "STORED\r\n4\r\nMN\r\n"),
    mc(0, [1], 2, "SERVER_ERROR out of memory storing object\r\n"),
    mc(0, [0], 2, "ERROR\r\n"),
    mc(0, [0], 2, "EN\r\n"),
    mc(0, [1], 2, "CLIENT_ERROR bad data chunk\r\n"),
    mc(0, [1, 1], 2, "DELETED\r\nTOUCHED\r\n"),
    mc(0, [66], 1, "VA 40 c1 O0\r\n" . ('v' x 40) . "\r\n"),
    mc(68, [1], 1, "VERSION " . ('x' x 503) . "\r\nSTORED\r\n"),
    mc(68, [1], 9, "VERSION " . ('x' x 504) . "\r\nSTORED\r\n"),
    # the probe: a server with meta commands, and one without (ERROR)
    mc(8, [1], 2, "STORED\r\nMN\r\n"),
    mc(8, [1], 2, "STORED\r\nERROR\r\n"),
    mc(8, [1], 2, "STORED\r\nVERSION 1.4.25\r\n"),
    mc(0, [0], 4, "VA 1 c18446744073709551616 O0\r\nx\r\n"),
    mc(0, [0], 4, "VA 5 c1 O0\r\nhelloEN O0\r\n"),
    mc(0, [0, 0], 4, "EN O1\r\nEN O0\r\n"),
    mc(0, [0], 4, "VA 1048577 c1 O0\r\n"),
    mc(0, [0], 4, "VA 5 c1 c1 O0\r\nhello\r\n"),
    mc(0, [0], 4, "VA 5 c1  O0\r\nhello\r\n"),
    mc(0, [0], 4, "VA 5 c1 O00\r\nhello\r\n"),
    mc(0, [1], 1, "STORED\0junk\r\n"),
    # built: a hit with its flags in the other order and X, length 32 and
    # a 64-bit cas; STORED; a 64-bit count
    (map { mc($_, [0, 1, 2], 3, "\x79" . ("\x01" x 8) . "\0\x20"
                                 . ('d' x 32) . "\0\x03"
                                 . ("\xff" x 8) . "\0\x30\x41") }
         2, 0x12, 0x22, 0x32),
    mc(0x0e, [0, 0, 12, 66, 1, 2, 5, 4], 1, "\x01\x05\x00\x10" . ('r' x 16)
                                            . "\x88\x07\x00\x05"
                                            . "uses!\x02\x03\x04\x05\x06"),
];

# --- cors_origin: byte 0 = length of the configured origin; the rest is
# what a client sends (Origin, request method, request headers;
# t/cors/*.t, t/unit/test_cors_origin.c)
sub cors { my ($cfg, $client) = @_; chr(length $cfg) . $cfg . $client }
$seeds{cors_origin} = [
    cors('https://app.example.com', 'https://app.example.com'),
    cors('https://app.example.com', 'https://APP.example.com'),
    cors('HTTPS://App.Example.COM:443', 'https://app.example.com'),
    cors('http://127.0.0.1:8790', 'http://127.0.0.1:8791'),
    cors('http://app.example.com:80', 'http://app.example.com'),
    cors('https://[::1]:8443', 'https://[::1]:8443'),
    cors('capacitor://localhost', 'null'),
    cors('https://app.example.com/', 'https://app.example.com/'),
    cors('https://user@app.example.com', ''),
    cors('https://a:65536', 'GET'),
    cors('https://a:08', 'PATCH'),
    cors('null', 'patch'),
    cors('*', 'DELETE'),
    cors('https://a..b', 'authorization'),
    cors('https://a', 'authorization,content-type'),
    cors('https://a', ' Content-Type ,\tAUTHORIZATION '),
    cors('https://a', 'x-custom,authorization,,cookie'),
    cors('https://a', ',,,,'),
    cors("https://a\0b", "https://a\0b"),
    cors('https://' . ('a' x 200), 'authorizationx'),
];

# --- cidr: mode byte 0 (entries, one a line) or 1 (packed blocks) --------------
# (t/wider/cidrs.t and t/unit/test_wider.c)
$seeds{cidr} = [
    "\x00203.0.113.0/24\n2001:db8::/32\n198.51.100.7",
    "\x0010.1.2.3/8\n2001:DB8:0:0:0:0:0:1\n127.0.0.0/8",
    "\x000.0.0.0/0\n::/0\n::1\n::ffff:10.0.0.1/128",
    "\x0010.0.0.0/33", "\x002001:db8::/129", "\x00fe80::1%eth0",
    "\x00fe80::1%25eth0/64", "\x0010.1", "\x0010.0.0.0/08", "\x00010.0.0.1",
    "\x00example.com", "\x00", "\x0010.0.0.0 /8",
    "\x00" . join("\n", map { "10.0.0.$_" } 1 .. 17),
    "\x00" . join("\n", map { "10.0.0.$_" } 1 .. 16),
    "\x01\x04\x08\x0a" . ("\0" x 15) . "\x06\x20\x20\x01\x0d\xb8" . ("\0" x 12),
];

# --- scope_wildcard: pattern, LF, requested scope (t/wider/scopes.t) -----------
$seeds{scope_wildcard} = [
    "stream:start:*\nstream:start:42", "stream:start:*\nstream:start:",
    "stream:start:*\nstream:start", "stream:start:*\nstream:start:*",
    "stream:start:1\nstream:start:*", "*\nanything", "a*b\nab",
    "stream:view\nstream:view", "stream:view\nstream:views", "a*\na",
    "a*\naa", "**\n**", "\n",
];

# --- subject_query: DELETE <collection>?<query> (t/wider/subject.t) -----------
$seeds{subject_query} = [
    'subject=alice', 'subject=a%2Fb+c%25', '&subject=x&', 'subject=%e2%82%ac',
    '', '&&', 'subject=', 'subject', 'subject=%', 'subject=%4', 'subject=%zz',
    'subject=a&subject=b', 'subject=a&all=1', 'Subject=a',
    'subject=' . ('L' x 256), 'subject=' . ('L' x 257),
    'subject=' . ('L' x 255) . '%4C%4C', 'subject=d%C3%A9j%C3%A0+vu%2F100%25%2Bx',
];

# --- form: introspection / revocation bodies (t/oauth/*.t, t/unit/test_form.c)
$seeds{form} = [
    "token=$tok", "token=$tok&token_type_hint=access_token",
    "token=$tok&client_id=rs&client_secret=" . join('', map { sprintf '%%%02X', ord } split //, $op),
    "token=$tok&token=$tok", "token=$tok&tok%65n=x", "token=$tok%G1", "token=$tok%4",
    "token=$tok&x=%", "a=x+y%2Bz%2fw&b=%41%62%00c&c%3D=1", "&token=&&flag&=v&", "",
    "token=$tok&" . join('&', map { "p$_=1" } 1 .. 64),
    '{"token":"' . $tok . '"}',
];

for my $target (sort keys %seeds) {
    my $dir = "fuzz/corpus/$target";
    remove_tree($dir);
    make_path($dir);
    my $n = 0;
    for my $seed (@{ $seeds{$target} }) {
        my $file = sprintf '%s/seed-%03d', $dir, ++$n;
        open my $fh, '>:raw', $file or die "$file: $!";
        print {$fh} $seed;
        close $fh;
    }
    printf "%-13s %3d seeds\n", $target, $n;
}
