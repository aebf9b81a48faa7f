# SPDX-License-Identifier: Apache-2.0
# conf/demo.sh (make -f Makefile.apxs run): starts on a port of its own,
# prints curl lines that work exactly as printed (run here through sh, in
# order, as a user would paste them), and stops cleanly on SIGTERM.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use File::Temp qw(tempdir);
use BearerTest::Ports ();
use POSIX ();

my @expect = (
    # [ what the command line looks like, expected answer, description ]
    [ qr{^curl -X POST http://127\.0\.0\.1:\d+/auth/v1/access-tokens -H 'Authorization: Bearer [A-Za-z0-9._~+/-]+=*'$},
      'json', "the seed's curl -X POST, as in the platform's documentation" ],
    [ qr/^TOKEN_JSON=/, 'silent', 'mint into TOKEN_JSON' ],
    [ qr/^TOKEN=/,      'silent', 'TOKEN from the JSON' ],
    [ qr/^TOKEN_ID=/,   'silent', 'TOKEN_ID from the JSON' ],
    [ qr{^curl -i \S+/api/v1/streams/list\.json }, 200, 'the demo API with the token' ],
    [ qr{^curl -i \S+/api/v1/streams/start },      403, 'a scope the token lacks' ],
    [ qr{^curl -i \S+/auth/v1/access-tokens/\$TOKEN_ID }, 200, 'GET by id' ],
    [ qr{^curl -i -X DELETE \S+/auth/v1/access-tokens/\$TOKEN_ID }, 204, 'DELETE by id' ],
    [ qr{^curl -i \S+/api/v1/streams/list\.json }, 401, 'the revoked token' ],
    [ qr/^TOKEN2=/,     'silent', 'a second token into TOKEN2' ],
    [ qr{^curl -i -X DELETE \S+/auth/v1/access-tokens/self }, 204, 'DELETE self' ],
    [ qr{^curl -i -X OPTIONS \S+/api/v1/streams/list\.json -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: GET' },
      204, 'a CORS preflight from the listed origin',
      qr{^Access-Control-Allow-Origin: http://localhost:3000\r?$}m ],
);

plan tests => 6 + 2 * @expect + grep { $_->[3] } @expect;

my $top  = Apache::Test::vars('top_dir');
my $dir  = tempdir(CLEANUP => 1);
my $port = BearerTest::Ports::free_port();

# --- start it -------------------------------------------------------------------
my $pid = fork;
die "fork: $!" unless defined $pid;
if (!$pid) {
    POSIX::setsid();
    open STDIN, '<', '/dev/null';
    open STDOUT, '>', "$dir/out" or POSIX::_exit(1);
    open STDERR, '>', "$dir/err" or POSIX::_exit(1);
    $ENV{BEARER_DEMO_PORT} = $port;
    exec 'sh', "$top/conf/demo.sh" or POSIX::_exit(127);
}

sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> // '' }

my $ready = wait_until(30, sub {
    slurp("$dir/out") =~ /^#--- end ---$/m || waitpid($pid, POSIX::WNOHANG()) == $pid;
});
my $out = slurp("$dir/out");
ok($ready && $out =~ /^#--- end ---$/m, 'the demo starts and prints its commands')
    or diag("stdout:\n" . redact($out) . "\nstderr:\n" . redact(slurp("$dir/err")));
like($out, qr{http://127\.0\.0\.1:$port\b}, 'on the port it was given, on 127.0.0.1');

my ($block) = $out =~ /^(#--- demo commands ---\n.*?^#--- end ---)$/ms;
$block //= '';
my @commands = grep { length && !/^#/ } split /\n/, $block;
is(scalar @commands, scalar @expect, 'it prints the expected number of command lines')
    or diag(redact($block));

# --- run the lines as printed, in one shell, one after the other -------------------------
my $script = '';
for my $i (0 .. $#commands) {
    $script .= "echo '\@\@ $i'\n$commands[$i]\n";
}
$script .= "echo '\@\@ end'\n";
open my $fh, '>', "$dir/script.sh" or die "write script: $!";
print {$fh} $script;
close $fh;
my $run = `sh "$dir/script.sh" 2>&1`;
my %seg;
while ($run =~ /^\@\@ (\d+)\n(.*?)(?=^\@\@ )/msg) {
    $seg{$1} = $2;
}

for my $i (0 .. $#expect) {
    my ($shape, $want, $what) = @{ $expect[$i] };
    my $cmd = $commands[$i] // '';
    like($cmd, $shape, "line " . ($i + 1) . " is $what") or diag(redact($cmd));
    my $got = $seg{$i} // '';
    if ($want eq 'json') {
        ok($got =~ /"access_token"\s*:\s*"bt_[A-Za-z0-9_-]{49}"/ && $got =~ /"token_id"/,
           "line " . ($i + 1) . " answers with a token in JSON")
            or diag(redact($got));
    }
    elsif ($want eq 'silent') {
        is($got, '', "line " . ($i + 1) . " prints nothing (it sets a variable)")
            or diag(redact($got));
    }
    else {
        my ($status) = $got =~ m{^HTTP/\d(?:\.\d)?\s+(\d{3})}m;
        is($status, $want, "line " . ($i + 1) . ": $what answers $want")
            or diag(redact($got));
    }
    if (my $header = $expect[$i][3]) {
        like($got, $header, "line " . ($i + 1) . " shows the header it is there for")
            or diag(redact($got));
    }
}

# --- stop it ---------------------------------------------------------------------------
kill 'TERM', $pid;
my $gone = wait_until(20, sub { waitpid($pid, POSIX::WNOHANG()) == $pid });
ok($gone, 'SIGTERM stops the demo');
my $closed = wait_until(10, sub { !BearerTest::Ports::accepting($port) });
ok($closed, 'and its Apache: the port no longer answers');
my ($tmp) = slurp("$dir/err") =~ m{(/\S*/mod_bearer-demo\.[A-Za-z0-9]+)};
ok(!defined $tmp || !-e $tmp, 'its temporary directory (with the operator token) is gone');
unless ($closed) {
    # Leave nothing running behind us.
    kill 'TERM', -$pid;
}
