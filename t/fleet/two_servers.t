# SPDX-License-Identifier: Apache-2.0
# A fleet of two memcached servers trusts a lone live copy (docs/fleet.md,
# "A fleet of two"): configtest warns about it (BRR00165), naming the
# directive and its line, and passes all the same; one server or three
# get no such warning.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Configtest ();

my $ct  = BearerTest::Configtest->new(name => 'cfgtwo');
my $sec = $ct->put('secret', 's' x 40);

plan tests => 4;

my ($status, $out, $conf) = $ct->run("BearerSecretFile $sec\nBearerMemcache 127.0.0.1:11211 127.0.0.1:11212");
is($status, 0, 'two servers: configtest passes') or diag($out);
like($out, qr/BRR00165.*BearerMemcache on line \d+ of \Q$conf\E.*fleet of two/, 'and warns, naming the directive, file and line (BRR00165)');

($status, $out) = $ct->run("BearerSecretFile $sec\nBearerMemcache 127.0.0.1:11211 127.0.0.1:11212 127.0.0.1:11213");
ok($status == 0 && $out !~ /BRR00165/, 'three servers: passes without the warning') or diag($out);
($status, $out) = $ct->run("BearerSecretFile $sec\nBearerMemcache 127.0.0.1:11211");
ok($status == 0 && $out !~ /BRR00165/, 'one server: passes without the warning') or diag($out);
