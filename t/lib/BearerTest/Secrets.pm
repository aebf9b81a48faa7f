# SPDX-License-Identifier: Apache-2.0
package BearerTest::Secrets;
#
# Fixed, test-only credentials of the Apache::Test suite, and the files
# t/TEST.PL writes from them into the run directory (${BEARER_T_RUN}).
# Never used outside t/: conf/demo.sh generates its own random token.

use strict;
use warnings FATAL => 'all';

use File::Spec::Functions qw(catfile);

# Two operator tokens: the file lists both (key rotation), so both work.
# The first uses every b64token character class, a trailing '=' included.
use constant OPERATOR_TOKEN   => 'test.operator-token_ONE~0123456789+abcdef/XYZ=';
use constant OPERATOR_TOKEN_2 => 'test-operator-token-TWO-0123456789abcdefghij';

# BearerSecretFile contents of the virtual hosts (t/conf/extra.conf.in).
use constant SECRET_ACME  => 'test-only secret of the acme vhosts, 0123456789';
use constant SECRET_OTHER => 'test-only secret of the other vhost, 9876543210';

sub operator_file_text {
    # Comments, blank lines and surrounding white space must be ignored.
    return "# operator tokens of the mod_bearer test suite (test only)\n"
         . "\n"
         . "   " . OPERATOR_TOKEN . "  \t\n"
         . "# the next one is the rotated-in key\n"
         . OPERATOR_TOKEN_2 . "\n"
         . "\n";
}

sub write_private {
    my ($path, $text) = @_;
    my $old = umask 077;
    open my $fh, '>', $path or die "write $path: $!";
    print {$fh} $text;
    close $fh or die "close $path: $!";
    umask $old;
    # Startup warns when the file is readable by group or others.
    chmod 0600, $path or die "chmod $path: $!";
    return;
}

sub write_files {
    my ($dir) = @_;
    write_private(catfile($dir, 'operator-tokens'), operator_file_text());
    # One trailing newline is dropped by the module: the key is the line.
    write_private(catfile($dir, 'secret-acme'),  SECRET_ACME . "\n");
    write_private(catfile($dir, 'secret-other'), SECRET_OTHER . "\n");
    return;
}

1;
