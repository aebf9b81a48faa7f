# SPDX-License-Identifier: Apache-2.0
# Runs last (BearerTest::Run puts t/logscan/ after every other file): after the whole suite has minted, used, revoked and refused
# thousands of tokens with LogLevel bearer:trace8, no piece of a client
# token or an operator token, and no secret, appears in any log of any
# Apache the run started (docs/security.md):
#   - the Apache::Test server's error and access logs (t/logs/, emptied
#     when a run starts);
#   - every other Apache's error log and its stdout/stderr: each one
#     BearerTest::Httpd starts (t/fault, t/h2, t/ops, t/store, t/vhost, the
#     fleet tests, the hostile fleet test, t/logscan) keeps its directory
#     under the run directory (${BEARER_T_RUN}/httpd-*/) until the run ends,
#     and so does any access log a test writes there.
# The tokens to look for: every token the test helpers minted in this run,
# as they recorded them in the run directory (BearerTest::record_tokens;
# never in a log), and the operator tokens. A piece is any 16 characters in
# a row of one of them, so that a token cut short, or split over two lines,
# is caught too; the secrets are looked for whole.
#
# One kind of line is left out: httpd's own request-header dump (its "http"
# module at trace4 and deeper logs every request header, Authorization
# included, before any module runs; docs/security.md). Only
# answers_no_secrets.t turns that on, and checks that server's lines itself.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet ();
use BearerTest::Secrets ();

use constant PIECE => 16;

my $logs = Apache::Test::vars('t_logs');
my $run  = $ENV{BEARER_T_RUN};
my @main   = grep { -f } map { "$logs/$_" } qw(error_log access_log);
my @others = grep { -f } sort(glob("$run/*/error_log"), glob("$run/*/stdout"),
                              glob("$run/*access_log*"), glob("$run/*/*access_log*"));
my @files = (@main, @others);
my @tokens = BearerTest::recorded_tokens();

plan tests => 8;

ok(@main == 2, 'both logs of the Apache::Test server exist');
ok(@others > 0, scalar(@others) . ' logs of the other Apaches of the run found ('
   . scalar(grep { m{/httpd-[^/]+/error_log\z} } @others) . ' error logs)');
ok(@tokens > 0, scalar(@tokens) . ' tokens minted in this run are known to the scan');

# Every piece of every token and operator token, and what it is part of.
my %piece;
for my $t (@tokens) {
    $piece{ substr($t, $_, PIECE) } //= 'a client token' for 0 .. length($t) - PIECE;
}
for my $op (BearerTest::Secrets::OPERATOR_TOKEN, BearerTest::Secrets::OPERATOR_TOKEN_2) {
    $piece{ substr($op, $_, PIECE) } = 'an operator token' for 0 .. length($op) - PIECE;
}
my %secret = (
    'the acme vhosts\' secret'  => BearerTest::Secrets::SECRET_ACME,
    'the other vhost\'s secret' => BearerTest::Secrets::SECRET_OTHER,
    'the fleet tests\' secret'  => BearerTest::Fleet::FLEET_SECRET,
    'the other fleet\'s secret' => BearerTest::Fleet::OTHER_SECRET,
);

my (%found, $module_lines, $dump_lines);
$module_lines = $dump_lines = 0;
for my $file (@files) {
    open my $fh, '<', $file or die "open $file: $!";
    (my $name = $file) =~ s{^\Q$run\E/}{run/};
    $name =~ s{^\Q$logs\E/}{t/logs/};
    while (my $line = <$fh>) {
        $module_lines++ if $line =~ /\[bearer:/;
        if ($line =~ /\[http:trace\d\].*http_request\.c\(\d+\): \[client [^\]]*\]\s+Authorization: /) {
            $dump_lines++;
            next;
        }
        # runs of the characters tokens and operator tokens are made of
        while ($line =~ m{([A-Za-z0-9_~+/.=-]{16,})}g) {
            my $chars = $1;
            for my $i (0 .. length($chars) - PIECE) {
                my $what = $piece{ substr($chars, $i, PIECE) } or next;
                push @{ $found{$what} }, "$name line $.";
                last;
            }
        }
        for my $what (keys %secret) {
            push @{ $found{$what} }, "$name line $." if index($line, $secret{$what}) >= 0;
        }
        push @{ $found{'something shaped like a token'} }, "$name line $."
            if $line =~ /(?:bt|acme)_[A-Za-z0-9_-]{49}(?![A-Za-z0-9_-])/;
    }
    close $fh;
}
note("$dump_lines lines of httpd's own request-header dump left out (answers_no_secrets.t)");

sub none_ok {
    my ($name, @what) = @_;
    my @where = map { @{ $found{$_} || [] } } @what;
    my $ok = ok(!@where, $name);
    diag(scalar(@where) . ' lines, e.g. ' . join(', ', @where[0 .. ($#where > 9 ? 9 : $#where)]))
        unless $ok;
    return $ok;
}

none_ok('no log holds 16 characters in a row of a token minted in this run', 'a client token');
none_ok('nor of an operator token', 'an operator token');
none_ok('nor a secret', sort keys %secret);
none_ok('nor anything shaped like a token', 'something shaped like a token');
ok($module_lines > 0, "the module did log ($module_lines lines): the scan looked at its output");
