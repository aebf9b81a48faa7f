# SPDX-License-Identifier: Apache-2.0
# Fleet mode shows itself to the admin: bearer-metrics counts memcached
# operations, their latency, timeouts and values that did not authenticate,
# and the servers up and down with the outage flag; server-status names
# the mode and each memcached server with its state.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A);

my $A = 0;
my $f = BearerTest::Fleet->start(apaches => 1, recheck => 0, timeout => 500,
                                 conf => <<'EOF');
LoadModule status_module /usr/lib/apache2/modules/mod_status.so
ExtendedStatus On
<Location /metrics>
    SetHandler bearer-metrics
</Location>
<Location /server-status>
    SetHandler server-status
</Location>
EOF

plan tests => 12;

sub metrics {
    my $res = $f->request($A, GET => '/metrics');
    my %m;
    for (split /\n/, $res->decoded_content // '') {
        next if /^#/;
        $m{$1} = $2 if /^(\S+)\s+(\S+)$/;
    }
    return \%m;
}

sub delta {
    my ($after, $before, $name) = @_;
    return ($after->{$name} // 0) - ($before->{$name} // 0);
}

my $before = metrics();
my $t = $f->mint_ok($A, { scopes => ['a'], max_uses => 5 });
is($f->code($A, PATH_A, $t), 200, 'a token minted and used');
my $m = metrics();
cmp_ok(delta($m, $before, 'bearer_memcached_operations_total{op="set"}'),
       '>=', 2, 'the mint counted memcached writes (two replicas)');
cmp_ok(delta($m, $before, 'bearer_memcached_operations_total{op="get"}'),
       '>=', 1, 'the check counted memcached reads (recheck 0)');
cmp_ok(delta($m, $before, 'bearer_memcached_operations_total{op="incr"}'),
       '>=', 1, 'the use counted an incr');
cmp_ok($m->{'bearer_memcached_latency_seconds_count'} // 0, '>', 0,
       'the latency histogram has observations');
is($m->{'bearer_memcached_servers{state="up"}'}, 3, 'three servers up');
is($m->{'bearer_outage'}, 0, 'no outage');

# one value altered in memcached: counted as a bad MAC, never honoured
my $key = $f->token_key($t);
my ($holder) = $f->holders($key);
$f->mc_set($holder, $key, 'x' x 80);
$f->code($A, PATH_A, $t);
$m = metrics();
cmp_ok($m->{'bearer_memcached_errors_total{kind="bad_mac"}'} // 0, '>=', 1,
       'a value that does not authenticate is counted');

# every server stopped: timeouts, servers down, outage
$f->pause_mc($_) for 0 .. 2;
$f->code($A, PATH_A, $t) for 1 .. 2;
$m = metrics();
my $status = $f->request($A, GET => '/server-status?auto')->decoded_content // '';
$f->resume_mc($_) for 0 .. 2;
cmp_ok($m->{'bearer_memcached_errors_total{kind="timeout"}'} // 0, '>=', 1,
       'stopped servers are counted as timeouts');
is($m->{'bearer_outage'}, 1, 'the outage gauge is 1 while no server answers');
like($status, qr/^BearerMode: fleet$/m, 'server-status names fleet mode');
like($status, qr/^BearerMemcachedDown: 3$/m,
     'and counts the memcached servers down');

$f->stop;
