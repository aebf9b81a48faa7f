# SPDX-License-Identifier: Apache-2.0
# docs/log-tags.md lists every BRRnnnnn tag the sources log, no tag that
# the sources do not log, and each tag once.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);

plan tests => 3;

my $top = Apache::Test::vars()->{top_dir};
my %code;
for my $file (glob "$top/mod_bearer/*.c") {
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    my $text = <$fh>;
    $code{"BRR$1"}++ while $text =~ /BRRLOG\((\d{5})\)/g;
}
open my $fh, '<', "$top/docs/log-tags.md" or die "log-tags.md: $!";
my (%doc, @twice);
while (<$fh>) {
    next unless /^\| (BRR\d{5}) \|/;
    push @twice, $1 if $doc{$1}++;
}
my @undocumented = grep { !$doc{$_} } sort keys %code;
my @stale = grep { !$code{$_} } sort keys %doc;
ok(!@undocumented, 'every tag in mod_bearer/*.c is in docs/log-tags.md')
    or diag("missing: @undocumented");
ok(!@stale, 'every tag in docs/log-tags.md is still logged') or diag("stale: @stale");
ok(!@twice, 'no tag has two rows') or diag("twice: @twice");
