# SPDX-License-Identifier: Apache-2.0
# SetHandler bearer-metrics: Prometheus text exposition, checked by a real
# parser (promtool check metrics, from Debian's prometheus package); token
# checks counted by outcome; mints and revocations; the shared-memory
# table's hits, misses and entries; the same numbers from every child
# (the counters live in shared memory).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use File::Temp qw(tempfile);

plan tests => 23;

my $METRICS = '/t/metrics';

sub metrics_text {
    my $res = req(GET => $METRICS);
    die "GET $METRICS: " . $res->status_line . "\n" unless $res->code == 200;
    return $res->decoded_content;
}

# name{labels} => value
sub parse {
    my ($text) = @_;
    my %m;
    for (split /\n/, $text) {
        next if /^#/ || !/\S/;
        my ($k, $v) = /^(\S+)\s+(\S+)$/ or die "bad line: $_\n";
        $m{$k} = $v;
    }
    return \%m;
}

# promtool check metrics reads the exposition on stdin: (exit status, output)
sub promtool {
    my ($text) = @_;
    my ($fh, $file) = tempfile(UNLINK => 1);
    print {$fh} $text;
    close $fh;
    my $out = `promtool check metrics < "$file" 2>&1`;
    return ($? >> 8, $out);
}

my $res = req(GET => $METRICS);
status_is($res, 200, 'GET the metrics location: 200');
like($res->header('Content-Type') // '', qr{^text/plain; version=0\.0\.4},
     'Content-Type is the Prometheus text format 0.0.4');
my ($st, $out) = promtool($res->decoded_content);
is($st, 0, 'promtool check metrics accepts the exposition') or diag($out);
unlike($res->decoded_content, qr/\b(bt_|acme_)[A-Za-z0-9_-]{20,}/,
       'no token in the metrics');

{   # the parser can fail: a counter family without _total and a bad line
    my ($bad) = promtool("# TYPE broken counter\nbroken{le=} x\n");
    isnt($bad, 0, 'promtool rejects a broken exposition (the check can fail)');
}

$res = req(POST => $METRICS, body => '');
status_is($res, 405, 'POST to the metrics location: 405');
like(join(',', $res->header('Allow')), qr/\bGET\b/, 'with Allow: GET');

# ---- counting ---------------------------------------------------------------
my $before = parse(metrics_text());
my $tok = mint_ok({ scopes => ['stream:view'] });        # endpoint: ok, minted
req(GET => '/p/view/r.txt', token => $tok->{access_token});    # ok
req(GET => '/p/any/r.txt');                                     # missing
req(GET => '/p/any/r.txt', auth => 'Bearer a b');               # invalid_request
req(GET => '/p/any/r.txt', token => forge_token());             # invalid_token
req(GET => '/p/both/r.txt', token => $tok->{access_token});     # insufficient_scope
req(POST => ENDPOINT, token => $tok->{access_token});           # endpoint: insufficient_scope
req(POST => ENDPOINT, token => forge_token());                  # endpoint: invalid_token
my $gone = mint_ok();                                           # endpoint: ok, minted
my $del = req(DELETE => token_path($gone->{token_id}), token => OPERATOR_TOKEN); # ok, revoked
status_is($del, 204, 'a token revoked');
my $after = parse(metrics_text());

sub delta {
    my ($key) = @_;
    return ($after->{$key} // 'missing') - ($before->{$key} // 0);
}
my %want = (
    'bearer_validations_total{outcome="ok"}'                 => 4,
    'bearer_validations_total{outcome="missing"}'            => 1,
    'bearer_validations_total{outcome="invalid_request"}'    => 1,
    'bearer_validations_total{outcome="invalid_token"}'      => 2,
    'bearer_validations_total{outcome="insufficient_scope"}' => 2,
    'bearer_validations_total{outcome="unavailable"}'        => 0,
    'bearer_tokens_minted_total'                             => 2,
    'bearer_tokens_revoked_total'                            => 1,
);
for my $k (sort keys %want) {
    is(delta($k), $want{$k}, "$k went up by $want{$k}");
}
cmp_ok(delta('bearer_shm_hits_total'), '>=', 3, 'shared-memory hits counted');
cmp_ok(delta('bearer_shm_misses_total'), '>=', 0, 'shared-memory misses present');
is($after->{'bearer_shm_entries{state="used"}'} + $after->{'bearer_shm_entries{state="free"}'},
   65536, 'used + free entries = BearerCacheEntries');
cmp_ok($after->{'bearer_shm_entries{state="used"}'}, '>=', 1, 'the live token uses an entry');
is($after->{'bearer_memcached_latency_seconds_count'}, 0,
   'no memcached exchange in embedded mode (fleet mode adds them)');
is($after->{'bearer_outage'}, 0, 'no outage in embedded mode');

# ---- every child reports the same numbers ------------------------------------
# Each GET opens a connection of its own, so the scrapes land on the
# server's several children (StartServers 2); per-process counters would
# differ between them.
my %bodies;
$bodies{ metrics_text() }++ for 1 .. 12;
is(scalar keys %bodies, 1, '12 scrapes without traffic between them are identical');
