# SPDX-License-Identifier: Apache-2.0
# Configuration errors (docs/directives.md): every bad directive value fails
# "httpd -t" with a message naming the directive; missing or bad operator
# token files and short secrets fail with the file named; good
# configurations pass. Runs the httpd binary directly on small configs of
# its own, loading the module built in this checkout.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Configtest ();

my $ct = BearerTest::Configtest->new(name => 'cfg');
sub put { $ct->put(@_) }
my $dir = $ct->dir;

my $op_good   = put('op-good', "# test\n" . ('a' x 40) . "\n");
my $op_empty  = put('op-empty', '');
my $op_blank  = put('op-comments', "# only a comment\n\n   \n");
my $op_short  = put('op-short', ('a' x 31) . "\n");
my $op_space  = put('op-space', ('a' x 20) . ' ' . ('b' x 20) . "\n");
my $op_char   = put('op-char', ('a' x 20) . '@' . ('b' x 20) . "\n");
my $op_second = put('op-second', ('a' x 40) . "\n" . ('c' x 10) . "\n");
my $op_none   = "$dir/op-missing";
my $op_644    = put('op-644', "# readable by all\n" . ('a' x 40) . "\n", 0644);
my $sec_32    = put('sec-32', 's' x 32);
my $sec_32nl  = put('sec-32nl', ('s' x 32) . "\n");
my $sec_31    = put('sec-31', 's' x 31);
my $sec_31nl  = put('sec-31nl', ('s' x 31) . "\n");
my $sec_none  = "$dir/sec-missing";
my $sec_644   = put('sec-644', 's' x 40, 0644);

# Runs httpd -t on the base config (BearerTest::Configtest's, then the
# operator token file: $op_good unless `op` says another, or undef for
# none) plus $lines; returns (exit status, output).
sub configtest {
    my ($lines, %o) = @_;
    my $op = exists $o{op} ? $o{op} : $op_good;
    my ($status, $out) = $ct->run($lines,
        head => defined $op ? qq{BearerOperatorTokenFile "$op"\n} : '');
    return ($status, $out);
}

sub in_location { "<Location /x>\n    $_[0]\n</Location>" }

my @bad = (
    # [ config lines, what must be named (regex), description ]
    [ in_location('BearerDefaultTTL abc'),          qr/BearerDefaultTTL/,  'BearerDefaultTTL abc' ],
    [ in_location('BearerDefaultTTL -1'),           qr/BearerDefaultTTL/,  'BearerDefaultTTL -1' ],
    [ in_location('BearerDefaultTTL 0'),            qr/BearerDefaultTTL/,  'BearerDefaultTTL 0' ],
    [ in_location('BearerDefaultTTL 1.5'),          qr/BearerDefaultTTL/,  'BearerDefaultTTL 1.5' ],
    [ in_location('BearerDefaultTTL 60x'),          qr/BearerDefaultTTL/,  'BearerDefaultTTL 60x' ],
    [ in_location('BearerDefaultTTL 99999999999999999999999'), qr/BearerDefaultTTL/, 'BearerDefaultTTL overflowing' ],
    [ in_location('BearerMaxTTL abc'),              qr/BearerMaxTTL/,      'BearerMaxTTL abc' ],
    [ in_location('BearerMaxTTL 0'),                qr/BearerMaxTTL/,      'BearerMaxTTL 0' ],
    [ in_location('BearerMaxTTL -5'),               qr/BearerMaxTTL/,      'BearerMaxTTL -5' ],
    [ 'BearerCacheEntries 1023',                    qr/BearerCacheEntries/, 'BearerCacheEntries 1023' ],
    [ 'BearerCacheEntries 16777217',                qr/BearerCacheEntries/, 'BearerCacheEntries 16777217' ],
    [ 'BearerCacheEntries abc',                     qr/BearerCacheEntries/, 'BearerCacheEntries abc' ],
    [ 'BearerCacheEntries -1024',                   qr/BearerCacheEntries/, 'BearerCacheEntries -1024' ],
    [ 'BearerCacheRecheck abc',                     qr/BearerCacheRecheck/, 'BearerCacheRecheck abc' ],
    [ 'BearerCacheRecheck -1',                      qr/BearerCacheRecheck/, 'BearerCacheRecheck -1' ],
    [ 'BearerMemcacheTimeout abc',                  qr/BearerMemcacheTimeout/, 'BearerMemcacheTimeout abc' ],
    [ 'BearerMemcacheTimeout -1',                   qr/BearerMemcacheTimeout/, 'BearerMemcacheTimeout -1' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:11211\nBearerMemcacheReplicas 0",
                                                    qr/BearerMemcacheReplicas/, 'BearerMemcacheReplicas 0' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:11211\nBearerMemcacheReplicas abc",
                                                    qr/BearerMemcacheReplicas/, 'BearerMemcacheReplicas abc' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:11211 127.0.0.1:11212\nBearerMemcacheReplicas 3",
                                                    qr/BearerMemcacheReplicas/, 'BearerMemcacheReplicas 3 with 2 servers' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:99999",
                                                    qr/BearerMemcache\b/,  'BearerMemcache with port 99999' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:0",
                                                    qr/BearerMemcache\b/,  'BearerMemcache with port 0' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:abc",
                                                    qr/BearerMemcache\b/,  'BearerMemcache with port abc' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache 127.0.0.1:",
                                                    qr/BearerMemcache\b/,  'BearerMemcache with an empty port' ],
    [ "BearerSecretFile \"$sec_32\"\nBearerMemcache :11211",
                                                    qr/BearerMemcache\b/,  'BearerMemcache without a host' ],
    [ 'BearerMemcache 127.0.0.1:11211',             qr/BearerSecretFile|BearerMemcache\b/,
                                                    'BearerMemcache without BearerSecretFile' ],
    [ 'BearerOutage maybe',                         qr/BearerOutage/,      'BearerOutage maybe' ],
    [ 'BearerOutage ""',                            qr/BearerOutage/,      'BearerOutage empty' ],
    [ 'BearerTokenPrefix ""',                       qr/BearerTokenPrefix/, 'BearerTokenPrefix empty' ],
    [ 'BearerTokenPrefix bad-prefix',               qr/BearerTokenPrefix/, 'BearerTokenPrefix with a hyphen' ],
    [ 'BearerTokenPrefix tok.en',                   qr/BearerTokenPrefix/, 'BearerTokenPrefix with a dot' ],
    [ 'BearerTokenPrefix ' . ('p' x 17),            qr/BearerTokenPrefix/, 'BearerTokenPrefix of 17 characters' ],
    [ "BearerTokenPrefix pr\xc3\xa9",               qr/BearerTokenPrefix/, 'BearerTokenPrefix non-ASCII' ],
    [ in_location('BearerIssuableScopes good a\\b'), qr/BearerIssuableScopes/, 'BearerIssuableScopes with a backslash' ],
    [ in_location('BearerIssuableScopes "a\\"b"'),  qr/BearerIssuableScopes/, 'BearerIssuableScopes with a double quote' ],
    [ in_location("BearerIssuableScopes \xc3\xa9t\xc3\xa9"), qr/BearerIssuableScopes/, 'BearerIssuableScopes non-ASCII' ],
    [ in_location('BearerDefaultScopes a\\b'),      qr/BearerDefaultScopes/, 'BearerDefaultScopes with a backslash' ],
    [ in_location('BearerForwardHeaders maybe'),    qr/BearerForwardHeaders/, 'BearerForwardHeaders maybe' ],
    [ "BearerSecretFile \"$sec_31\"",               qr/BearerSecretFile/,  'a secret of 31 bytes' ],
    [ "BearerSecretFile \"$sec_31nl\"",             qr/BearerSecretFile/,  'a secret of 31 bytes and a newline' ],
    [ "BearerSecretFile \"$sec_none\"",             qr/BearerSecretFile/,  'a missing secret file' ],
);

my @bad_op = (
    [ $op_none,   'a missing operator token file' ],
    [ $op_empty,  'an empty operator token file' ],
    [ $op_blank,  'an operator token file of comments and blanks only' ],
    [ $op_short,  'an operator token of 31 characters' ],
    [ $op_space,  'two words on one line of the operator token file' ],
    [ $op_char,   'an operator token with a character outside b64token' ],
    [ $op_second, 'a short operator token on the second line' ],
);

my @good = (
    [ '', 'the base configuration' ],
    [ "BearerSecretFile \"$sec_32\"\n"
      . "BearerMemcache 127.0.0.1:11211 127.0.0.1:11212\n"
      . "BearerMemcacheReplicas 2\nBearerMemcacheTimeout 250\n"
      . "BearerCacheEntries 1024\nBearerCacheRecheck 0\nBearerOutage closed\n"
      . "BearerTokenPrefix Acme_9\n"
      . in_location("BearerDefaultTTL 60\n    BearerMaxTTL 86400\n"
                    . "    BearerIssuableScopes stream:start stream:view chat:write\n"
                    . "    BearerDefaultScopes stream:view\n    BearerForwardHeaders On"),
      'every directive with a good value' ],
    [ "BearerSecretFile \"$sec_32nl\"\nBearerMemcache 127.0.0.1:11211\nBearerOutage stale",
      'a 32-byte secret with a trailing newline, one memcached (replicas default)' ],
    [ 'BearerCacheEntries 16777216', 'BearerCacheEntries 16777216 (16M)' ],
    [ 'BearerTokenPrefix ' . ('p' x 16), 'BearerTokenPrefix of 16 characters' ],
);

plan tests => @bad + @bad_op + @good + 2;

for my $case (@bad) {
    my ($lines, $named, $what) = @$case;
    my ($status, $out) = configtest($lines);
    ok($status != 0 && $out =~ $named, "$what: configtest fails, naming the directive")
        or diag("exit $status, output:\n$out");
}

for my $case (@bad_op) {
    my ($file, $what) = @$case;
    my ($status, $out) = configtest('', op => $file);
    ok($status != 0 && $out =~ /BearerOperatorTokenFile/ && $out =~ /\Q$file\E/,
       "$what: configtest fails, naming the directive and the file")
        or diag("exit $status, output:\n" . redact($out));
}

for my $case (@good) {
    my ($lines, $what) = @$case;
    my ($status, $out) = configtest($lines);
    ok($status == 0 && $out =~ /Syntax OK/, "$what: configtest passes")
        or diag("exit $status, output:\n$out");
}

{   # A token file others can read starts, with a warning naming it.
    my ($status, $out) = configtest('', op => $op_644);
    ok($status == 0 && $out =~ /Syntax OK/ && $out =~ /\Q$op_644\E/,
       'an operator token file readable by others: configtest passes, warning about it')
        or diag("exit $status, output:\n" . redact($out));
}

{   # So does a secret file others can read.
    my ($status, $out) = configtest("BearerSecretFile $sec_644");
    ok($status == 0 && $out =~ /Syntax OK/
       && $out =~ /BearerSecretFile \Q$sec_644\E is readable/,
       'a secret file readable by others: configtest passes, warning about it')
        or diag("exit $status, output:\n" . redact($out));
}
