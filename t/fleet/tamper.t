# SPDX-License-Identifier: Apache-2.0
# Values in memcached written or changed by someone without the secret
# (docs/fleet.md): garbage, another token's value (swapped), a value
# sealed with another fleet's secret, a value with one byte changed (its
# scope, its kind byte, its MAC), another key's tombstone, an oversized
# value, a non-numeric use counter. None is ever honoured: no token gains a
# scope or uses, nothing answers 5xx, and the module logs a warning
# (BRR00090) naming the token id.
#
# What is right when only ONE replica is tampered with and the other holds
# the good value: the good value decides, so the token keeps working with
# exactly its own scopes (a forged "tombstone" that does not authenticate
# is garbage, not a revocation); when every replica is tampered with, the
# token is gone: 401, like an unknown token (whoever can write memcached can
# delete it anyway).
#
# BearerCacheRecheck 0: every request reads memcached. Apaches A and B
# share the fleet's secret; C, on the same memcached servers, has another.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY PATH_A PATH_B FLEET_SECRET);
use Digest::SHA ();

my ($A, $B, $C) = (0, 1, 2);
my $f = BearerTest::Fleet->start(recheck => 0,
                                 apaches => [ {}, {}, { secret => 'other' } ]);
my $MAC = 32;
my %codes_seen;

plan tests => 37;

# "A:a B:b ANY" codes of $t on Apaches A and B: e.g. '200 403 200 | 200 403 200'.
sub codes {
    my ($t) = @_;
    my @c;
    for my $i ($A, $B) {
        my @one = map { $f->code($i, $_, $t) } PATH_A, PATH_B, PATH_ANY;
        $codes_seen{$_}++ for @one;
        push @c, "@one";
    }
    return join ' | ', @c;
}

my $GOOD_A = '200 403 200 | 200 403 200';       # a live token of scope a
my $GONE   = '401 401 401 | 401 401 401';

sub replicas { $f->holders($f->token_key($_[0])) }

# Writes $value (or $value->($old)) over the token's key on @servers.
sub put {
    my ($t, $value, @servers) = @_;
    my $key = $f->token_key($t);
    for my $k (@servers) {
        my $v = ref $value ? $value->($f->mc_get($k, $key)) : $value;
        $f->mc_set($k, $key, $v);
    }
}

sub warned_about {
    my ($t) = @_;
    return scalar grep { $f->log_lines($_, qr/BRR00090/, qr/\Q$t->{token_id}\E/) } $A, $B;
}

# --- garbage ------------------------------------------------------------------------------
my $t = $f->mint_on($A, { scopes => ['a'] });
is(codes($t), $GOOD_A, 'a token of scope a: 200 on a, 403 on b, on A and B');
my @r = replicas($t);
put($t, 'garbage ' x 10, $r[0]);
is(codes($t), $GOOD_A, 'garbage on one replica: the other decides, same answers');
ok(warned_about($t), 'and the garbage is logged (BRR00090, with the token id)');
my $after = $f->mc_get($r[0], $f->token_key($t));
ok(defined $after && $after eq $f->mc_get($r[1], $f->token_key($t)),
   'and read repair put the good value back over the garbage');
put($t, 'garbage ' x 10, @r);
is(codes($t), $GONE, 'garbage on both replicas: 401 everywhere');
status_is($f->info($A, $t), 404, 'GET by id: 404');
status_is($f->revoke($B, $t), 404, 'DELETE by id: 404');

# --- another token's value under this key (swap) ------------------------------------------
my $ta = $f->mint_on($A, { scopes => ['a'] });
my $tb = $f->mint_on($B, { scopes => ['b'] });
my @ra = replicas($ta);
my $b_value = $f->mc_get((replicas($tb))[0], $f->token_key($tb));
put($ta, $b_value, $ra[0]);
is(codes($ta), $GOOD_A, "a scope-b token's value on one replica of a scope-a token: "
   . 'it keeps scope a only');
put($ta, $b_value, @ra);
is(codes($ta), $GONE, 'on both replicas: 401, never scope b');
ok(warned_about($ta), 'logged (BRR00090)');
is(codes($tb), '403 200 200 | 403 200 200', 'the scope-b token itself is untouched');

# --- another fleet's secret ---------------------------------------------------------------
my $tc = $f->mint_on($C, { scopes => ['b'] });
is($f->code($C, PATH_B, $tc), 200, "C (another secret, same memcached) mints a scope-b token");
is(codes($tc), $GONE, 'A and B refuse it (401): another secret, another id');
is($f->code($C, PATH_A, $ta) . $f->code($C, PATH_ANY, $tb), '401401', 'C refuses tokens of A and B');
# The key A would look it up under, holding the value C sealed for it.
my $id_here = BearerTest::b64url(substr(Digest::SHA::hmac_sha256($tc->{access_token}, FLEET_SECRET), 0, 16));
my $c_value = $f->mc_get((replicas($tc))[0], $f->token_key($tc));
$f->mc_set($_, "bearer:$id_here", $c_value) for 0 .. 2;
is(codes($tc), $GONE, "C's sealed value copied to the key A and B use for that token: still 401");
ok(scalar(grep { $f->log_lines($_, qr/BRR00090/, qr/\Q$id_here\E/) } $A, $B),
   'logged (BRR00090)');

# --- one byte changed -----------------------------------------------------------------------
# A value: kind byte, encoding (header of 28 bytes in version 1, 34 in
# version 2, which a mint writes unless its microseconds are 0; then
# subject, scope, metadata), MAC.
my $tx = $f->mint_on($A, { scopes => ['a'] });       # no subject: the scope follows the header
my @rx = replicas($tx);
my $v = $f->mc_get($rx[0], $f->token_key($tx));
my $at = 1 + (ord(substr($v, 1, 1)) == 2 ? 34 : 28);
is(substr($v, $at, 1), 'a', 'the scope sits where include/bearer_entry.h says');
my $as_b = $v;
substr($as_b, $at, 1) = 'b';
put($tx, $as_b, $rx[0]);
is(codes($tx), $GOOD_A, 'its scope byte changed to b on one replica: still scope a only');
put($tx, $as_b, @rx);
is(codes($tx), $GONE, 'on both: 401, never scope b');

my $ty = $f->mint_on($A, { scopes => ['a'], max_uses => 2 });
my @ry = replicas($ty);
$v = $f->mc_get($ry[0], $f->token_key($ty));
my $more = $v;
substr($more, 1 + 18, 4) = pack 'N', 1000;            # max_uses
my $later = $more;
substr($later, 1 + 10, 8) = pack 'q>', 4_000_000_000;   # expires_at
put($ty, $later, @ry);
is($f->code($A, PATH_A, $ty) . $f->code($B, PATH_A, $ty), '401401',
   'max_uses raised to 1000 and expiry pushed back on both replicas: 401');

my $tz = $f->mint_on($B, { scopes => ['a'] });
my @rz = replicas($tz);
my $flip_mac = sub { my $x = shift; substr($x, -1, 1) = chr(ord(substr($x, -1, 1)) ^ 1); $x };
put($tz, $flip_mac, $rz[0]);
is(codes($tz), $GOOD_A, 'the last byte of its MAC flipped on one replica: still valid');
put($tz, $flip_mac, $rz[0]);
put($tz, sub { my $x = shift; substr($x, 0, 1) = chr 2; $x }, $rz[1]);
is(codes($tz), $GONE, 'MAC flipped on one, kind byte made 2 (a "tombstone") on the other: '
   . 'neither opens, 401');

# --- forged tombstones on one replica: the good copy decides --------------------------------
my $tr = $f->mint_on($A, { scopes => ['a'] });
status_is($f->revoke($A, $tr), 204, 'a token revoked: its tombstone is genuine, for its own key');
my $tomb = $f->mc_get(0, $f->token_key($tr));
is(ord($tomb), 2, 'it is a tombstone (kind 2)');
my $tt = $f->mint_on($B, { scopes => ['a'] });
my @rt = replicas($tt);
put($tt, $tomb, $rt[0]);
is(codes($tt), $GOOD_A, "another key's genuine tombstone on one replica: ignored, still valid");
put($tt, $tomb, @rt);
is(codes($tt), $GONE, 'on both: 401 (the token is gone, not revoked by a forgery)');
ok(warned_about($tt), 'logged (BRR00090)');

my $tk = $f->mint_on($A, { scopes => ['a'] });
my @rk = replicas($tk);
put($tk, sub { my $x = shift; substr($x, 0, 1) = chr 2; $x }, $rk[0]);
is(codes($tk), $GOOD_A, 'its own value with the kind byte made 2 on one replica: still valid');

# --- oversized ---------------------------------------------------------------------------
my $to = $f->mint_on($A, { scopes => ['a'] });
my @ro = replicas($to);
put($to, 'x' x 200_000, $ro[0]);
is(codes($to), $GOOD_A, 'a 200 kB value on one replica: still valid');
ok(scalar(grep { $f->log_lines($_, qr/BRR0009[01]/, qr/\Q$to->{token_id}\E/) } $A, $B),
   'logged (BRR00091)');
put($to, 'x' x 200_000, @ro);
is(codes($to), $GONE, 'on both: 401');

# --- the use counter ------------------------------------------------------------------------
my $tu = $f->mint_on($A, { scopes => ['a'], max_uses => 3 });
my @ru = $f->holders($f->uses_key($tu));
is($f->code($A, PATH_A, $tu), 200, 'a max_uses 3 token: one use');
$f->mc_set($ru[0], $f->uses_key($tu), 'lots');
my @c = map { $f->code($_ % 2 ? $B : $A, PATH_A, $tu) } 1 .. 5;
is("@c", '200 200 401 401 401', 'a non-numeric counter on one replica: exactly 2 more uses');
my $tv = $f->mint_on($B, { scopes => ['a'], max_uses => 3 });
$f->mc_set($_, $f->uses_key($tv), 'lots') for $f->holders($f->uses_key($tv));
@c = map { $f->code($_ % 2 ? $B : $A, PATH_A, $tv) } 1 .. 3;
is("@c", '401 401 401', 'non-numeric on both replicas: refused (401), not unlimited');

# --- overall ---------------------------------------------------------------------------------
my @five = grep { /^5/ } keys %codes_seen;
is(scalar @five, 0, 'no request answered 5xx') or diag("seen: @five");
my @crit = map { $f->log_lines($_, qr/\[(?:bearer:)?(?:crit|alert|emerg)\]|AH00052|child pid \d+ exit signal/) } $A, $B, $C;
is(scalar @crit, 0, 'no crash or critical error in the logs') or diag(join "\n", @crit[0 .. ($#crit > 4 ? 4 : $#crit)]);
$f->logs_hold_no_secret_ok;
$f->stop;
