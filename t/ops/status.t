# SPDX-License-Identifier: Apache-2.0
# mod_status: with ExtendedStatus On, server-status shows a mod_bearer
# section (table use, hit ratio, tokens) in HTML and as "Name: value"
# lines in ?auto; with ExtendedStatus Off it shows none. Runs httpds of
# its own with mod_status loaded.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd;
use LWP::UserAgent ();

plan tests => 9;

my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
my $mods = '/usr/lib/apache2/modules';

sub server {
    my ($extended) = @_;
    return BearerTest::Httpd->start(conf => <<EOF);
LoadModule status_module $mods/mod_status.so
ExtendedStatus $extended
BearerCacheEntries 2048
<Location /server-status>
    SetHandler server-status
</Location>
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /p>
    AuthType Bearer
    Require valid-user
</Location>
EOF
}

my $h = server('On');
my $res = $ua->post($h->url(ENDPOINT), Authorization => 'Bearer ' . OPERATOR_TOKEN);
is($res->code, 201, 'a token minted') or diag(redact($res->as_string));
my $tok = json_of($res) || {};
$ua->get($h->url('/p/x'), Authorization => "Bearer $tok->{access_token}") for 1 .. 3;
$ua->get($h->url('/p/x'), Authorization => 'Bearer ' . forge_token());

$res = $ua->get($h->url('/server-status?auto'));
is($res->code, 200, 'server-status?auto answers');
my %auto = $res->decoded_content =~ /^(Bearer\w+): (.*)$/mg;
is($auto{BearerCacheSlots}, 2048, 'BearerCacheSlots: the table size');
is($auto{BearerCacheSlotsUsed}, 1, 'BearerCacheSlotsUsed: the one live token');
is($auto{BearerTokensMinted}, 1, 'BearerTokensMinted: 1');
like($auto{BearerCacheHitRatio} // '', qr/^\d+\.\d%$/, 'BearerCacheHitRatio is a percentage')
    or diag($res->decoded_content);

$res = $ua->get($h->url('/server-status'));
like($res->decoded_content, qr{<h2>mod_bearer</h2>}, 'the HTML page has a mod_bearer section');
like($res->decoded_content, qr{1 of 2048 slots used}, 'showing the table use');
$h->stop;

my $off = server('Off');
$res = $ua->get($off->url('/server-status?auto'));
ok($res->code == 200 && $res->decoded_content !~ /^Bearer/m,
   'ExtendedStatus Off: no mod_bearer lines') or diag($res->as_string);
$off->stop;
