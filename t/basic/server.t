# SPDX-License-Identifier: Apache-2.0
# The harness itself: the server answers, serves the document root to its
# children (which run as nobody when the suite runs as root), and loads
# the module built in this checkout.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 3;

my $res = req(GET => '/plain/r.txt');
status_is($res, 200, 'an unprotected static file is served');
like($res->decoded_content // '', qr/unprotected/, 'with its content');

my $cfg = Apache::Test::config();
my $httpd_conf = $cfg->{vars}->{t_conf_file};
my $extra = do { local (@ARGV, $/) = ("$cfg->{vars}->{t_conf}/extra.conf"); <> };
my ($so) = $extra =~ /^\s*LoadModule\s+bearer_module\s+"?([^"\n]+)"?/m;
my $built = "$cfg->{vars}->{top_dir}/mod_bearer/.libs/mod_bearer.so";
require Cwd;
ok(defined $so && Cwd::abs_path($so) eq Cwd::abs_path($built),
   'LoadModule names the .so built in this checkout')
    or diag("LoadModule: " . ($so // 'none') . ", built: $built");
