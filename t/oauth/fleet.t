# SPDX-License-Identifier: Apache-2.0
# The OAuth endpoints in fleet mode (two Apaches, three memcached):
#   - introspection on B of a token minted on A: active, every field;
#   - introspection asks memcached, not B's cache: a token B has cached and
#     still honours (BearerCacheRecheck 30) after a revocation on A, through
#     either revocation path, is inactive on B's introspection at once;
#   - introspection counts no use fleet-wide; uses_left is memcached's;
#   - memcached unable to answer: introspection and revocation 503 with
#     Retry-After (never a guess), and the revocation did not happen.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::OAuth qw(form_encode basic_header);
use BearerTest::Fleet qw(PATH_ANY nap);
use HTTP::Request ();
use Time::HiRes ();

my ($A, $B) = (0, 1);
my $conf = <<'EOF_CONF';
<Location /auth/v1/introspect>
    SetHandler bearer-introspect
</Location>
<Location /auth/v1/revoke>
    SetHandler bearer-revoke
</Location>
EOF_CONF
# B trusts its cache for 30 s: only introspection's own read of memcached
# can see a revocation made on A within this test.
my $f = BearerTest::Fleet->start(timeout => 500, conf => $conf,
                                 apaches => [ { recheck => 1 }, { recheck => 30 } ]);
my @minted;

plan tests => 25;

sub mint_on {
    my $t = $f->mint_ok(@_);
    push @minted, $t;
    return $t;
}

sub form {
    my ($i, $path, $pairs, %o) = @_;
    my $r = HTTP::Request->new(POST => $f->url($i, $path));
    $r->header('Content-Type' => 'application/x-www-form-urlencoded');
    $r->header(Authorization => $o{auth}) if defined $o{auth};
    $r->content(form_encode(@$pairs));
    $r->header('Content-Length' => length $r->content);
    return $f->{ua}->request($r);
}

sub introspect {
    my ($i, $t) = @_;
    return form($i, '/auth/v1/introspect', [token => $t->{access_token}],
                auth => basic_header('rs', OPERATOR_TOKEN));
}

sub active_on { (json_of(introspect(@_)) || {})->{active} ? 'active' : 'inactive' }

sub unavailable_ok {
    my ($res, $name) = @_;
    my $ok = ok($res->code == 503 && ($res->header('Retry-After') // '') =~ /^\d+$/, $name);
    diag(BearerTest::describe($res)) unless $ok;
    return $ok;
}

# --- minted on A, introspected on B ---------------------------------------------------------
my $t = mint_on($A, { scopes => ['a', 'b'], subject => 'bob', metadata => { tier => 2 }, max_uses => 4 });
my $res = introspect($B, $t);
my $j = json_of($res) || {};
ok($res->code == 200 && $j->{active} && $j->{jti} eq $t->{token_id} && $j->{sub} eq 'bob'
   && $j->{scope} eq 'a b' && $j->{exp} == $t->{expires_at} && $j->{metadata}{tier} == 2,
   'a token minted on A: active on B, with jti, sub, scope, exp, metadata')
    or diag(BearerTest::describe($res));
is($j->{uses_left}, 4, 'uses_left 4 before any use');

# --- uses: counted in memcached, never by introspection ------------------------------------
is($f->code($A, PATH_ANY, $t), 200, 'one use on A');
my @left = map { (json_of(introspect($_ % 2 ? $A : $B, $t)) || {})->{uses_left} // 'none' } 1 .. 4;
is("@left", '3 3 3 3', 'introspected four times on A and B: uses_left 3 each time');
my @codes = map { $f->code($B, PATH_ANY, $t) } 1 .. 4;
is("@codes", '200 200 200 401', 'the three uses left are all there, on B');
is(active_on($A, $t), 'inactive', 'used up: inactive');

# --- a revocation on A, seen by B's introspection at once ------------------------------------
for my $how ('the revocation endpoint', 'DELETE by id') {
    my $v = mint_on($A);
    is($f->code($B, PATH_ANY, $v), 200, "($how) a token in B's cache");
    is(active_on($B, $v), 'active', 'active on B');
    $res = $how eq 'DELETE by id'
         ? $f->revoke($A, $v)
         : form($A, '/auth/v1/revoke', [token => $v->{access_token}], auth => 'Bearer ' . OPERATOR_TOKEN);
    ok($res->code == ($how eq 'DELETE by id' ? 204 : 200), "revoked on A through $how")
        or diag(BearerTest::describe($res));
    is($f->code($B, PATH_ANY, $v), 200,
       "B's protected paths still trust their cached copy (recheck 30 s)");
    is(active_on($B, $v), 'inactive', "yet introspection on B at once: inactive (it asked memcached)");
    is($f->code($B, PATH_ANY, $v), 401, "and that read dropped B's stale copy: 401 there too");
}

# --- a public client's revocation on B, seen on A ----------------------------------------------
my $p = mint_on($A);
$res = form($B, '/auth/v1/revoke', [token => $p->{access_token}]);
is($res->code, 200, 'a public client revokes on B: 200');
is(active_on($A, $p) . ' ' . $f->code($A, PATH_ANY, $p), 'inactive 401',
   'A (recheck 1, never cached it): inactive and 401');

# --- memcached cannot answer ----------------------------------------------------------------------
my $live = mint_on($A);
is($f->code($A, PATH_ANY, $live), 200, 'a live token, cached on A');
$f->pause_mc($_) for 0 .. 2;
my $t0 = Time::HiRes::time();
unavailable_ok(introspect($A, $live), 'every memcached stopped: introspection 503 with Retry-After');
note(sprintf 'introspection took %.3f s', Time::HiRes::time() - $t0);
$t0 = Time::HiRes::time();
unavailable_ok(form($A, '/auth/v1/revoke', [token => $live->{access_token}],
                    auth => 'Bearer ' . OPERATOR_TOKEN),
               'revocation 503 with Retry-After');
note(sprintf 'revocation took %.3f s', Time::HiRes::time() - $t0);
$f->resume_mc($_) for 0 .. 2;
my $state = '';
for (1 .. 40) {          # until the servers are probed again (2 s skip)
    $state = active_on($A, $live);
    last if $state eq 'active';
    nap(0.25);
}
is($state, 'active', 'memcached back: the token is active, the refused revocation did not happen');
$f->logs_hold_no_secret_ok(\@minted);

$f->stop;
