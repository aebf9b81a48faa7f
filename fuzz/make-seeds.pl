#!/usr/bin/perl
# fuzz/make-seeds.pl - writes the seed corpora fuzz/corpus/<target>/ from
# the contract's examples and the test suite's cases (t/authn/challenges.t,
# t/endpoint/post*.t, t/unit/*). Run from the top of the checkout; the
# files it writes are committed, so this is needed only to change them.
# Every token here is made up for the corpus (a correct checksum over
# fixed "random" text): none was ever minted by a server.
use strict;
use warnings;
use Digest::SHA qw(sha256 hmac_sha256);
use MIME::Base64 qw(encode_base64);
use File::Path qw(make_path remove_tree);

sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
sub token {
    my ($prefix, $seed) = @_;
    my $random = b64url(substr(sha256("corpus $seed") x 2, 0, 32));
    return $prefix . $random . b64url(substr(sha256($prefix . $random), 0, 4));
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

# --- mint_request: bodies (contract sec. 4, t/endpoint/post*.t) -----------------
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
