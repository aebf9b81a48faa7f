# SPDX-License-Identifier: Apache-2.0
# What fleet mode keeps in memcached (docs/fleet.md), read from the
# servers themselves: keys are bearer:<token_id> and bearer:uses:<token_id>
# and nothing else; no key and no value holds a token, an operator token or
# the secret; each token is on BearerMemcacheReplicas servers (its use
# counter on the same ones), values are sealed (kind byte 1 = token, 2 =
# tombstone, 32-byte MAC), a revocation leaves a tombstone on every server,
# and reading a token adds no copies.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY FLEET_SECRET);

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start;          # 3 servers, replicas default (2)
my $N = 30;
my $MAC = 32;

plan tests => 22;

my (@tokens, %by_id);
for my $n (1 .. $N) {
    my %body = (scopes => ['a'], subject => "user-$n");
    $body{max_uses} = 3 if $n % 3 == 0;
    $body{metadata} = { n => $n } if $n % 2 == 0;
    my $t = $f->mint_ok($n % 2 ? $A : $B, \%body);
    $t->{max_uses} = $body{max_uses};
    push @tokens, $t;
    $by_id{ $t->{token_id} } = $t;
}
my @limited = grep { $_->{max_uses} } @tokens;

# Everything each server holds.
my @keys = map { [ $f->mc_keys($_) ] } 0 .. 2;
my @all_keys = map { @$_ } @keys;

my @strange = grep { !m{^bearer:(?:uses:)?([A-Za-z0-9_-]{22})\z} || !$by_id{$1} } @all_keys;
is(scalar @strange, 0, 'every key is bearer:<token_id> or bearer:uses:<token_id> of a minted token')
    or diag("other keys: @strange[0 .. ($#strange > 4 ? 4 : $#strange)]");

my $secret_bits = sub {
    my ($text) = @_;
    my @found;
    for my $t (@tokens) {
        my $random = substr($t->{access_token}, length PREFIX, 43);
        push @found, "the token $t->{token_id}" if index($text, $t->{access_token}) >= 0
            || index($text, $random) >= 0
            || index($text, b64url_decode($random)) >= 0;
    }
    push @found, 'an operator token'
        if index($text, OPERATOR_TOKEN) >= 0 || index($text, OPERATOR_TOKEN_2) >= 0;
    push @found, 'the secret' if index($text, FLEET_SECRET) >= 0;
    return @found;
};
my @leaks = $secret_bits->(join "\n", @all_keys);
is(scalar @leaks, 0, 'no key holds a token (whole, its random part, or its raw bytes), '
   . 'an operator token or the secret') or diag(join ', ', @leaks);

# Values, server by server.
my (%copies, %uses_on, @values, @bad_values);
for my $k (0 .. 2) {
    for my $key (@{ $keys[$k] }) {
        my $v = $f->mc_get($k, $key);
        my ($uses, $id) = $key =~ m{^bearer:(uses:)?(.*)\z};
        if ($uses) {
            push @{ $uses_on{$id} }, $k;
            push @bad_values, "$key on server $k is '$v', not 0" unless defined $v && $v eq '0';
            next;
        }
        push @{ $copies{$id} }, $k;
        push @values, $v;
        push @bad_values, "$key on server $k: kind byte " . ord($v) . ', length ' . length($v)
            unless defined $v && ord($v) == 1 && length($v) > 1 + $MAC;
    }
}
is(scalar @bad_values, 0, 'every token value starts with kind byte 1 and is longer than its MAC; '
   . 'every use counter is 0') or diag(join "\n", @bad_values[0 .. ($#bad_values > 4 ? 4 : $#bad_values)]);
@leaks = $secret_bits->(join "\n", @values);
is(scalar @leaks, 0, 'no value holds a token, an operator token or the secret') or diag(join ', ', @leaks);

my @wrong = grep { @{ $copies{ $_->{token_id} } || [] } != 2 } @tokens;
is(scalar @wrong, 0, "each of the $N tokens is on exactly 2 servers (the default replicas)")
    or diag(join "\n", map { "$_->{token_id}: on " . scalar(@{ $copies{ $_->{token_id} } || [] }) } @wrong);
@wrong = grep { "@{ $uses_on{ $_->{token_id} } || [] }" ne "@{ $copies{ $_->{token_id} } || [] }" } @limited;
is(scalar @wrong, 0, 'a max_uses token has its use counter on the same 2 servers as its value')
    or diag(join "\n", map { "$_->{token_id}: counter on @{ $uses_on{ $_->{token_id} } || [] }" } @wrong);
is(scalar(grep { !$_->{max_uses} && $uses_on{ $_->{token_id} } } @tokens), 0,
   'a token without max_uses has no use counter');
my @load = map { my $k = $_; scalar grep { grep { $_ == $k } @$_ } values %copies } 0 .. 2;
ok(!grep({ $_ == 0 } @load), "every server holds some of the $N tokens (@load)");

my ($x, $y) = ($tokens[0], $tokens[1]);     # minted on A and on B
my @xv = map { $f->mc_get($_, $f->token_key($x)) } @{ $copies{ $x->{token_id} } };
ok(defined $xv[0] && defined $xv[1] && $xv[0] eq $xv[1], 'both copies of a token are the same bytes');

# --- reading adds no copies; using counts on both -----------------------------------------
my $bad = grep { $f->code($A, PATH_ANY, $_) != 200 || $f->code($B, PATH_ANY, $_) != 200 } @tokens;
is($bad, 0, "all $N tokens pass on A and B");
my $limited = $limited[0];
@wrong = grep { join(' ', $f->holders($f->token_key($_))) ne "@{ $copies{ $_->{token_id} } }" } @tokens;
is(scalar @wrong, 0, 'after that, each token is still on the same 2 servers (reads add no copies)')
    or diag(join "\n", map { "$_->{token_id}: now on " . join(' ', $f->holders($f->token_key($_))) } @wrong);
# Every token was read once on each Apache: one use each of the limited ones.
my @counts = map { $f->mc_get($_, $f->uses_key($limited)) } @{ $copies{ $limited->{token_id} } };
is("@counts", '2 2', 'a max_uses token read once on A and once on B: both counters say 2');
is($f->code($A, PATH_ANY, $limited), 200, 'its third use passes');
@counts = map { $f->mc_get($_, $f->uses_key($limited)) } @{ $copies{ $limited->{token_id} } };
is("@counts", '3 3', 'both counters say 3');
is($f->code($B, PATH_ANY, $limited), 401, 'the fourth is refused');

# --- revocation: a tombstone on every server -----------------------------------------------
status_is($f->revoke($B, $y), 204, "DELETE $y->{token_id} on B: 204");
my @tomb = map { $f->mc_get($_, $f->token_key($y)) } 0 .. 2;
ok(!grep({ !defined $_ || ord($_) != 2 || length($_) != 1 + 8 + $MAC } @tomb),
   'all 3 servers now hold a tombstone under its key (kind 2, 8-byte expiry, MAC)')
    or diag(join ', ', map { defined $_ ? 'kind ' . ord($_) . ' length ' . length($_) : 'none' } @tomb);
my $exp = unpack 'q>', substr($tomb[0], 1, 8);
ok(abs($exp - $y->{expires_at}) <= 1, 'the tombstone expires when the token would have')
    or diag("tombstone says $exp, token expires_at $y->{expires_at}");
is($f->code($B, PATH_ANY, $y), 401, 'B refuses the token at once');
ok(wait_until(2 + 1.5, sub { $f->code($A, PATH_ANY, $y) == 401 }),
   'and A within BearerCacheRecheck (default 2 s, +1.5)');

$f->logs_hold_no_secret_ok(\@tokens);
$f->stop;

# --- BearerMemcacheReplicas 3: every server ---------------------------------------------------
$f = BearerTest::Fleet->start(replicas => 3, apaches => 1);
my @three = map { $f->mint_ok(0, { max_uses => 1 }) } 1 .. 5;
@wrong = grep { scalar($f->holders($f->token_key($_))) != 3 || scalar($f->holders($f->uses_key($_))) != 3 } @three;
is(scalar @wrong, 0, 'BearerMemcacheReplicas 3: 5 tokens and their counters are on all 3 servers')
    or diag(scalar(@wrong) . ' are not');
$f->stop;
