# SPDX-License-Identifier: Apache-2.0
# A revoked or used-up token never comes back (docs/fleet.md), also
# when a replica missed the revocation: it is revoked while one of its two
# replicas is stopped (SIGSTOP: the server keeps its old copy), both Apaches
# refuse it, the replica comes back, and then the other servers go away one
# after the other, in several orders. Whatever is left answering, neither
# Apache ever accepts the token again: 401 or 503, never 200. Once every
# server is back, service recovers: within a few probe intervals the token
# gets 401 (not 503) on A and B, and tokens minted before the faults and
# never revoked pass (200) on both.
#
# (A killed memcached loses its copies anyway; a stopped one is the case
# that can bring an old copy back.)
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_ANY nap);

my ($A, $B) = (0, 1);
my $RECHECK = 1;
my $f = BearerTest::Fleet->start(recheck => $RECHECK, timeout => 1000);

plan tests => 26;

# Requests $t on A and B for $seconds (past a probe interval); returns the
# codes seen, e.g. "401 x 12, 503 x 8".
sub watch {
    my ($t, $seconds) = @_;
    my %n;
    my $until = Time::HiRes::time() + $seconds;
    while (Time::HiRes::time() < $until) {
        $n{ $f->code($_, PATH_ANY, $t) }++ for $A, $B;
        nap(0.1);
    }
    return join ', ', map { "$_ x $n{$_}" } sort keys %n;
}

sub never_200 {
    my ($t, $seconds, $name) = @_;
    my $seen = watch($t, $seconds);
    my $ok = ok($seen !~ /\b200 x/ && $seen !~ /\b5(?!03)\d\d x/, $name);
    diag("answers: $seen") unless $ok;
    note("$name: $seen");
    return $ok;
}

# The replica of $t to stop (its first holder), and the other two servers.
sub roles {
    my ($key) = @_;
    my @h = $f->holders($key);
    die "expected 2 replicas, found @h\n" unless @h == 2;
    my $d = $h[0];
    return ($d, grep { $_ != $d } 0 .. 2);
}

# stop => [ [server, how], ... ]: how is 'pause' or 'kill'
sub restore_all {
    for my $k (0 .. 2) {
        if (!$f->mc($k)->pid) {
            $f->restart_mc($k);
        }
        else {
            $f->resume_mc($k);
        }
    }
}

# All servers are back: within $RECOVERY seconds (a few 2-s probe
# intervals, each probe up to the 1-s timeout) the revoked token $t gets
# 401 on A and B, and every token of @$live 200 on both, and so it stays
# for $STEADY seconds more (past a probe interval: by then each Apache
# uses every server again); the revoked one never gets 200. One test.
my $RECOVERY = 10;
my $STEADY = 2.5;
sub recovered_ok {
    my ($label, $t, $live) = @_;
    my ($state, %revoked_seen);
    my $recovered = sub {
        my $r = join ' ', map { $f->code($_, PATH_ANY, $t) } $A, $B;
        $revoked_seen{$_}++ for split / /, $r;
        my $l = $f->failures($A, PATH_ANY, @$live) . ' / ' . $f->failures($B, PATH_ANY, @$live);
        $state = "revoked one: $r; live ones other than 200 on A / B: $l";
        return $r eq '401 401' && $l eq ' / ';
    };
    my $ok = wait_until($RECOVERY, $recovered);
    my $until = Time::HiRes::time() + $STEADY;
    while ($ok && Time::HiRes::time() < $until) {
        $ok = $recovered->();
        nap(0.1);
    }
    ok($ok && !$revoked_seen{200}, "$label: all servers back: within $RECOVERY s the revoked token "
       . 'gets 401 on A and B and ' . scalar(@$live) . " live ones 200 on both, for $STEADY s "
       . 'on end; never 200 for the revoked one') or diag("$state; the revoked one got: "
       . join ', ', map { "$_ x $revoked_seen{$_}" } sort keys %revoked_seen);
    note("$label: back: the revoked one got " . join ', ', map { "$_ x $revoked_seen{$_}" } sort keys %revoked_seen);
    return $ok;
}

# --- one scenario --------------------------------------------------------------------------
# 1. $t passes on A and B; 2. its replica D is stopped; 3. $revoke->() on A
# (DELETE, or using it up); 4. both Apaches refuse it (past recheck);
# 5. D resumes; 6. the others go away in @$order; after each, never 200;
# 7. all come back: service recovers (recovered_ok).
sub scenario {
    my ($label, $t, $key, $revoke, @order) = @_;
    my ($d, @others) = roles($key);
    my @live = map { $f->mint_on($_ % 2 ? $A : $B) } 1 .. 6;     # never revoked
    is($f->code($A, PATH_ANY, $t) . $f->code($B, PATH_ANY, $t)
       . ' ' . $f->failures($A, PATH_ANY, @live) . $f->failures($B, PATH_ANY, @live), '200200 ',
       "$label: the token, and 6 others that stay live, pass on A and B");
    $f->pause_mc($d);
    $revoke->();
    nap($RECHECK + 0.2);
    is($f->code($A, PATH_ANY, $t) . $f->code($B, PATH_ANY, $t), '401401',
       "$label: " . $f->mc_name($d) . ' (a replica) stopped, token revoked or used up: '
       . 'A and B refuse it (past recheck)');
    $f->resume_mc($d);
    my $old = $f->mc_get($d, $key);
    note("$label: the resumed replica holds " . (!defined $old ? 'nothing'
        : ord($old) == 1 ? 'the old live copy' : 'kind ' . ord($old)));
    never_200($t, 1, "$label: resumed, never 200 on A or B");
    my $step = 0;
    for my $o (@order) {
        my ($which, $how) = @$o;
        my $k = $others[$which];
        $how eq 'kill' ? $f->crash_mc($k) : $f->pause_mc($k);
        $step++;
        never_200($t, 2.5, "$label: then " . $f->mc_name($k)
                  . ($how eq 'kill' ? ' killed' : ' stopped') . ': never 200 on A or B');
    }
    restore_all();
    recovered_ok($label, $t, \@live);
}

# 1. DELETE; the others stopped one by one
my $t1 = $f->mint_on($A);
scenario('DELETE, then the others stopped', $t1, $f->token_key($t1),
         sub { status_is($f->revoke($A, $t1), 204, 'DELETE on A while a replica is stopped: 204') },
         [0, 'pause'], [1, 'pause']);

# 2. DELETE on B; the others go in the other order, one killed
my $t2 = $f->mint_on($B);
scenario('DELETE on B, then the others in the other order', $t2, $f->token_key($t2),
         sub { status_is($f->revoke($B, $t2), 204, 'DELETE on B while a replica is stopped: 204') },
         [1, 'kill'], [0, 'pause']);

# 3. a max_uses token used up while its counter's replica is stopped
my $t3 = $f->mint_on($A, { max_uses => 4 });
$f->code($A, PATH_ANY, $t3);    # one use
scenario('used up, then the others stopped', $t3, $f->uses_key($t3),
         sub {
             my @codes = map { $f->code($_ % 2 ? $B : $A, PATH_ANY, $t3) } 1 .. 6;
             # 1 use before, 2 when the scenario checked it on A and B
             is("@codes", '200 401 401 401 401 401',
                'used up alternating A and B while a counter replica is stopped: '
                . 'its 4th use passes, then 401');
         },
         [1, 'pause'], [0, 'pause']);

# 4. Only A knew: B never asked for the token while its replica was
#    stopped, and the other servers go away right after it resumes, before
#    A had a chance to empty it. Every server but the stale replica is
#    unreachable: that is an outage (fewer than BearerMemcacheReplicas
#    answers), and B has not cached the token: 503, not 200.
my $t4 = $f->mint_on($A);
my @live4 = map { $f->mint_on($_ % 2 ? $A : $B) } 1 .. 6;
is($f->code($A, PATH_ANY, $t4), 200, 'only A knew: the token passes on A');
my ($d, @others) = roles($f->token_key($t4));
$f->pause_mc($d);
status_is($f->revoke($A, $t4), 204, 'only A knew: DELETE on A while a replica is stopped: 204');
$f->resume_mc($d);
$f->pause_mc($_) for @others;
my $code = $f->code($B, PATH_ANY, $t4);
ok($code == 503 || $code == 401, 'only A knew: B, left with the stale replica alone, '
   . 'does not accept it (503: too few servers answer)') or diag("got $code");
restore_all();
recovered_ok('only A knew', $t4, \@live4);

$f->logs_hold_no_secret_ok;
$f->stop;
