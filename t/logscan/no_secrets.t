# SPDX-License-Identifier: Apache-2.0
# Runs last (BearerTest::Run puts t/logscan/ after every other file): after the whole suite has minted, used, revoked and
# refused hundreds of tokens with LogLevel bearer:trace8, neither a client
# token, nor an operator token, nor a secret appears in any log
# (docs/security.md). t/TEST.PL empties the logs when a run starts.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Secrets ();

my $logs = Apache::Test::vars('t_logs');
my @files = grep { -f } map { "$logs/$_" } qw(error_log access_log);

plan tests => 2 + 5 * @files;

ok(scalar(@files) == 2, 'both the error log and the access log exist');

my %secret = (
    'the first operator token'  => BearerTest::Secrets::OPERATOR_TOKEN,
    'the second operator token' => BearerTest::Secrets::OPERATOR_TOKEN_2,
    'the acme vhosts\' secret'  => BearerTest::Secrets::SECRET_ACME,
    'the other vhost\'s secret' => BearerTest::Secrets::SECRET_OTHER,
);

my $module_lines = 0;
for my $file (@files) {
    open my $fh, '<', $file or die "open $file: $!";
    my (%found, @client);
    while (my $line = <$fh>) {
        $module_lines++ if $line =~ /\[bearer:/;
        for my $what (keys %secret) {
            $found{$what}++ if index($line, $secret{$what}) >= 0;
        }
        push @client, $. if $line =~ /(?:bt|acme)_[A-Za-z0-9_-]{49}(?![A-Za-z0-9_-])/;
    }
    close $fh;
    my $name = (split m{/}, $file)[-1];
    ok(!@client, "$name holds no client token")
        or diag("at lines " . join(', ', @client[0 .. ($#client > 9 ? 9 : $#client)]));
    for my $what (sort keys %secret) {
        ok(!$found{$what}, "$name holds not $what")
            or diag("$found{$what} lines");
    }
}

ok($module_lines > 0, 'the module did log (so the scan looked at its output)');
