# SPDX-License-Identifier: Apache-2.0
# Hostile HTTP input: thousands of seeded random requests to the
# running server (embedded mode). Oversized, binary, repeated and malformed
# Authorization headers; deeply nested, huge, duplicate-key and
# NUL-carrying JSON bodies; methods and paths the endpoint does not know;
# slow and truncated bodies. The generator and its rules are
# BearerTest::Hostile's, shared with t/hostile/fleet.t (fleet mode).
#
# Every answer must be a 4xx with a precise error (on the endpoint a JSON
# body with "error" and "error_description"; on a protected location an
# RFC 6750 challenge), or a success where the request was a good one;
# never a 5xx; and the server never loses a child (no "exit signal" in the
# error log). No answer may hold a token other than a freshly minted one.
#
# The seed is printed; BEARER_HOSTILE_SEED=n reruns the same requests,
# BEARER_HOSTILE_COUNT=n changes how many (default 3000).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Hostile ();

my $seed  = $ENV{BEARER_HOSTILE_SEED} // (time ^ $$) % 1_000_000;
my $count = $ENV{BEARER_HOSTILE_COUNT} // 3000;
srand($seed);

plan tests => 12;
diag("hostile input: seed $seed, $count requests (BEARER_HOSTILE_SEED=$seed to repeat)");

my $vars = Apache::Test::vars();
my $log  = "$vars->{t_logs}/error_log";
my $log_offset = -s $log || 0;
my ($host, $port) = split /:/, BearerTest::hostport_of(undef);

# Good material to mutate: a live client token and its id.
my $good = mint_ok({ scopes => ['stream:view'] });
my $h = BearerTest::Hostile->new(port => $port, host => "$host:$port", good => $good);
my $run = $h->run($count);

# ---- verdict ---------------------------------------------------------------------

diag($_) for $h->report($run);

is($run->{answered}, $count, "$count requests sent (seed $seed), each answered");
my $by_cat = $h->counts($run);
ok(($by_cat->{auth} // 0) > $count / 10, 'malformed Authorization headers at a protected location');
ok(($by_cat->{'auth-binary'} // 0) > 10, 'binary bytes in Authorization headers');
ok(($by_cat->{body} // 0) > $count / 10, 'hostile JSON bodies');
ok(($by_cat->{'method-path'} // 0) > $count / 20, 'unknown methods and paths');
ok(($by_cat->{truncated} // 0) + ($by_cat->{'slow-truncated'} // 0) > 10
   && ($by_cat->{'slow-whole'} // 0) + ($by_cat->{'slow-truncated'} // 0) > 10,
   'slow and truncated bodies');

my @fivexx = $h->problems($run, '5xx');
is(scalar @fivexx, 0, 'no 5xx answer') or diag(join "\n", @fivexx[0 .. ($#fivexx > 9 ? 9 : $#fivexx)]);
my @other = $h->problems($run, 'other');
is(scalar @other, 0, 'every answer a 4xx with a precise error, or a success where one is due')
    or diag(join "\n", @other[0 .. ($#other > 19 ? 19 : $#other)]);

# The server is still there, and fine.
status_is(req(GET => '/plain/r.txt'), 200, 'the server still answers');
my $check = mint_ok();
status_is(req(GET => '/p/any/r.txt', token => $check->{access_token}), 200,
          'and still mints tokens that work');

my ($died, $emerg) = BearerTest::Hostile::log_troubles($log, $log_offset);
is(scalar @$died, 0, 'no child died (no "exit signal" in the error log)') or diag(@$died[0 .. ($#$died > 4 ? 4 : $#$died)]);
is(scalar @$emerg, 0, 'the module logged nothing critical') or diag(redact(join '', @$emerg[0 .. ($#$emerg > 4 ? 4 : $#$emerg)]));
