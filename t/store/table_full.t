# SPDX-License-Identifier: Apache-2.0
# Embedded mode never evicts a live token: a full table refuses to mint
# with 503 (docs/design.md). Runs an httpd of its own with the smallest
# table, BearerCacheEntries 1024, fills it, and checks that every token
# minted is still good, that revoked and expired tokens make room again.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Httpd;
use LWP::UserAgent ();
use HTTP::Request ();
use Time::HiRes ();

plan tests => 10;

my $h = BearerTest::Httpd->start(conf => <<'EOF');
BearerCacheEntries 1024
<Location /auth/v1/access-tokens>
    SetHandler bearer-tokens
</Location>
<Location /p>
    AuthType Bearer
    AuthName "platform"
    Require valid-user
</Location>
EOF

my $ua = LWP::UserAgent->new(keep_alive => 4, timeout => 30);
my $mint_url = $h->url(ENDPOINT);

sub mint_here {
    my ($body) = @_;
    my $res = $ua->post($mint_url, Authorization => 'Bearer ' . OPERATOR_TOKEN,
                        'Content-Type' => 'application/json', Content => $body // '{}');
    return ($res, json_of($res));
}

# Mints until the first refusal (at most 1100 tries); returns the minted
# tokens and the refusing answer.
sub fill {
    my ($body) = @_;
    my (@tokens, $refusal);
    for (1 .. 1100) {
        my ($res, $json) = mint_here($body);
        if ($res->code == 201) {
            push @tokens, $json;
            next;
        }
        $refusal = $res;
        last;
    }
    return (\@tokens, $refusal);
}

# --- fill it --------------------------------------------------------------------
my $fill_started = Time::HiRes::time();
my ($tokens, $refusal) = fill();
# Short-lived tokens below must outlive a whole refill, however slow this
# build is (a sanitizer build mints several times slower).
my $short_ttl = 2 + int(1.5 * (Time::HiRes::time() - $fill_started));
my $n = @$tokens;
ok($refusal, "a table of 1024 slots refuses a mint at some point ($n minted)");
ok($refusal && $refusal->code == 503, 'with 503')
    or diag($refusal ? BearerTest::describe($refusal) : 'no refusal');
ok($n >= 512 && $n <= 1024, 'after at least half and at most all of its slots')
    or diag("$n tokens minted");
ok($refusal && ref json_of($refusal) eq 'HASH', 'the 503 is a JSON error')
    or diag($refusal ? BearerTest::describe($refusal) : '');

my $bad = 0;
for my $t (@$tokens) {
    my $res = $ua->get($h->url('/p/any/r.txt'), Authorization => "Bearer $t->{access_token}");
    $bad++ unless $res->code == 200;
}
is($bad, 0, 'every token minted before the refusal is still live (none evicted)');

# --- revocation makes room ---------------------------------------------------------
my @revoke = splice @$tokens, 0, int(@$tokens / 2);
my $revoked = 0;
for my $t (@revoke) {
    my $r = HTTP::Request->new(DELETE => $h->url(token_path($t->{token_id})));
    $r->header(Authorization => 'Bearer ' . OPERATOR_TOKEN);
    $revoked++ if $ua->request($r)->code == 204;
}
is($revoked, scalar @revoke, 'half of them revoked');
my $ok = grep { (mint_here())[0]->code == 201 } 1 .. 20;
is($ok, 20, 'then 20 new mints succeed');
$bad = grep {
    my $r = $ua->get($h->url('/p/any/r.txt'), Authorization => "Bearer $_->{access_token}");
    $r->code != 200
} @$tokens;
is($bad, 0, 'and the tokens not revoked still work');

# --- expired tokens make room -------------------------------------------------------
for my $t (@$tokens) {
    my $r = HTTP::Request->new(DELETE => $h->url(token_path($t->{token_id})));
    $r->header(Authorization => 'Bearer ' . OPERATOR_TOKEN);
    $ua->request($r);
}
my ($short, $refused) = fill(qq({"ttl": $short_ttl}));
ok($refused && $refused->code == 503, "refilled with $short_ttl-second tokens: 503 again")
    or diag(scalar(@$short) . ' minted');
sleep $short_ttl + 1;
$ok = grep { (mint_here())[0]->code == 201 } 1 .. 20;
is($ok, 20, 'once they expired, mints succeed again');

$h->stop;
