# SPDX-License-Identifier: Apache-2.0
# Fleet mode (three memcached, two Apaches with BearerCacheRecheck 1):
# a subject revoked on A is refused on A at once and on B within the
# recheck bound (measured), GET by id on B says 404 at once; tokens minted
# for the subject afterwards work on both; the cut-off sits sealed on every
# memcached server under the subject's keyed hash, never the subject; a
# forged cut-off is ignored and logged; with one server crashed the
# revocation still works; address-bound tokens keep their blocks through
# memcached (GET on B, refusals on B); with every memcached server down
# the revocation answers 503.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY elapsed nap);
use Time::HiRes ();

my ($A, $B) = (0, 1);
my $f = BearerTest::Fleet->start(recheck => 1);
my $RECHECK = 1;
my $MARGIN = 1.5;
my @minted;

plan tests => 24;

sub mint_on {
    my ($i, $body) = @_;
    my $t = $f->mint_ok($i, $body);
    push @minted, $t;
    return $t;
}

sub time_to_refusal {
    my ($i, $t, $since, $limit) = @_;
    while (elapsed($since) < $limit) {
        my $sent = elapsed($since);
        return $sent if $f->code($i, PATH_ANY, $t) == 401;
        nap(0.05);
    }
    return undef;
}

# --- revoked on A: A at once, B within the recheck -----------------------------------
my $a1 = mint_on($A, { subject => 'alice-f' });
my $a2 = mint_on($B, { subject => 'alice-f' });
my $bob = mint_on($A, { subject => 'bob-f' });
my $anon = mint_on($B);
my @warm = map { my $t = $_; map { $f->code($_, PATH_ANY, $t) } $A, $B } $a1, $a2, $bob, $anon;
is("@warm", '200 200 200 200 200 200 200 200', 'four tokens work on A and B (now cached on both)');

my $since = Time::HiRes::time();
my $res = $f->revoke_subject($A, 'alice-f');
status_is($res, 204, 'DELETE ?subject=alice-f on A: 204');
my @codes = map { $f->code($A, PATH_ANY, $_) } $a1, $a2, $a1, $a2, $a1;
is("@codes", '401 401 401 401 401', 'A refuses both of her tokens at once');
for my $t ($a1, $a2) {
    my $d = time_to_refusal($B, $t, $since, 10);
    ok(defined $d && $d < $RECHECK + $MARGIN,
       "B refuses $t->{token_id} within BearerCacheRecheck $RECHECK (+$MARGIN s)")
        or diag(defined $d ? sprintf('after %.2f s', $d) : 'still accepted after 10 s');
}
status_is($f->info($B, $a1), 404, 'GET by id on B: 404 (the endpoint reads memcached)');
is($f->code($A, PATH_ANY, $bob) . ' ' . $f->code($B, PATH_ANY, $bob) . ' '
   . $f->code($A, PATH_ANY, $anon) . ' ' . $f->code($B, PATH_ANY, $anon),
   '200 200 200 200', 'another subject and a token without one work on both');

my $a3 = mint_on($B, { subject => 'alice-f' });
is($f->code($A, PATH_ANY, $a3) . ' ' . $f->code($B, PATH_ANY, $a3), '200 200',
   'a token minted for her afterwards (on B) works on A and B');

# --- what memcached holds --------------------------------------------------------------
my $key = $f->subject_key('alice-f');
my @values = map { $f->mc_get($_, $key) } 0 .. 2;
is(scalar(grep { defined } @values), 3, 'the cut-off is on all three memcached servers, '
   . 'under the keyed hash of the subject');
ok(!grep({ defined && index($_, 'alice-f') >= 0 } @values)
   && !grep({ index($_, 'alice-f') >= 0 } map { $f->mc_keys($_) } 0 .. 2),
   'no key and no value holds the subject');

# --- a forged cut-off is ignored ----------------------------------------------------------
my $carol = mint_on($A, { subject => 'carol-f' });
my $ckey = $f->subject_key('carol-f');
$f->mc_set($_, $ckey, "\x03" . ("\xff" x 8) . ('x' x 32)) for 0 .. 2;
nap($RECHECK + 0.2);
is($f->code($B, PATH_ANY, $carol), 200, 'a forged cut-off on every server does not revoke carol-f');
ok(scalar($f->log_lines($B, qr/\[bearer:warn\]/, qr/BRR00222/, qr/\Q$ckey\E/)),
   'and is logged at warn as not authenticating (BRR00222)');

# --- one memcached server crashed ------------------------------------------------------------
my $dave = mint_on($A, { subject => 'dave-f' });
is($f->code($B, PATH_ANY, $dave), 200, 'dave-f\'s token works on B');
$f->crash_mc(2);
$since = Time::HiRes::time();
status_is($f->revoke_subject($A, 'dave-f'), 204, 'with one memcached server crashed, revoking dave-f on A: 204');
my $d = time_to_refusal($B, $dave, $since, 10);
ok(defined $d && $d < $RECHECK + $MARGIN, 'B refuses his token within the recheck')
    or diag(defined $d ? sprintf('after %.2f s', $d) : 'still accepted after 10 s');
$f->restart_mc(2);

# --- address-bound tokens through memcached ------------------------------------------------------
my $in = mint_on($A, { cidrs => ['127.0.0.0/8', '2001:DB8::/32'] });
my $out = mint_on($A, { cidrs => ['10.0.0.0/8'] });
$res = $f->info($B, $in);
is_deeply((json_of($res) || {})->{cidrs}, ['127.0.0.0/8', '2001:db8::/32'],
          'GET on B: the blocks given to A, normalised');
is($f->code($B, PATH_ANY, $in), 200, 'bound to 127.0.0.0/8: 200 on B');
is($f->code($B, PATH_ANY, $out), 401, 'bound to 10.0.0.0/8: 401 on B');
is($f->code($A, PATH_ANY, $out), 401, 'and on A');

# --- DELETE ?subject on B, all the checks the endpoint makes ---------------------------------------
status_is($f->revoke_subject($B, ''), 400, 'an empty subject on B: 400');

# --- one server of three left: fewer copies than a host needs to trust "no cut-off" ---------
# (two of three), so no 204: a later read that missed the lone copy would
# let the tokens back in.
my $erin = mint_on($A, { subject => 'erin-f' });
$f->crash_mc($_) for 1 .. 2;
$res = $f->revoke_subject($A, 'erin-f');
ok($res->code == 503 && ($res->header('Retry-After') // '') ne '',
   'two memcached servers of three down: DELETE ?subject= answers 503 with Retry-After')
    or diag(BearerTest::describe($res));

# --- no memcached server at all: the revocation is refused, not half done -----------------
$f->logs_hold_no_secret_ok(\@minted);
$f->crash_mc(0);
$res = $f->revoke_subject($A, 'erin-f');
ok($res->code == 503 && ($res->header('Retry-After') // '') ne '',
   'every memcached server down: DELETE ?subject= answers 503 with Retry-After')
    or diag(BearerTest::describe($res));
ok(scalar($f->log_lines($A, qr/BRR00224/)), 'and logs that too few servers took the cut-off (BRR00224)');
$f->stop;
