# SPDX-License-Identifier: Apache-2.0
# configtest and wildcard scopes: a '*' alone or anywhere but last in
# BearerIssuableScopes fails naming the directive; BearerDefaultScopes
# entries must be issuable (wildcards included), in the same section or
# inherited from around it, else configtest fails naming
# BearerDefaultScopes; good combinations pass.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Configtest ();

my $ct = BearerTest::Configtest->new(name => 'wild');
my $op = $ct->put('op', ('a' x 40) . "\n");

sub configtest {
    my ($lines) = @_;
    my ($status, $out) = $ct->run($lines, head => qq{BearerOperatorTokenFile "$op"\n});
    return ($status, $out);
}

sub loc { "<Location /x>\n    SetHandler bearer-tokens\n" . join('', map { "    $_\n" } @_) . "</Location>\n" }

my @bad = (
    [ loc('BearerIssuableScopes *'), qr/BearerIssuableScopes: '\*'/, 'a bare *' ],
    [ loc('BearerIssuableScopes stream:view *'), qr/BearerIssuableScopes: '\*'/, 'a bare * among others' ],
    [ loc('BearerIssuableScopes stream:*:view'), qr/BearerIssuableScopes: 'stream:\*:view'/, 'a * inside' ],
    [ loc('BearerIssuableScopes *stream'), qr/BearerIssuableScopes: '\*stream'/, 'a * first' ],
    [ loc('BearerIssuableScopes a**'), qr/BearerIssuableScopes: 'a\*\*'/, 'two *' ],
    [ loc('BearerIssuableScopes stream:view', 'BearerDefaultScopes chat:write'),
      qr/BearerDefaultScopes .*'chat:write' is not allowed/, 'a default not listed' ],
    [ loc('BearerIssuableScopes stream:start:*', 'BearerDefaultScopes stream:start:'),
      qr/BearerDefaultScopes .*'stream:start:' is not allowed/, 'a default equal to the wildcard\'s prefix' ],
    [ loc('BearerDefaultScopes stream:view chat:write', 'BearerIssuableScopes stream:*'),
      qr/BearerDefaultScopes .*'chat:write'/, 'the order of the lines does not matter' ],
    [ "<Location /x>\n    BearerIssuableScopes a:*\n</Location>\n"
      . "<Location /x/tokens>\n    SetHandler bearer-tokens\n    BearerDefaultScopes b:1\n</Location>\n",
      qr/BearerDefaultScopes .*'b:1'/, 'issuable inherited from an enclosing <Location>' ],
    [ "BearerDefaultScopes b:1\n" . loc('BearerIssuableScopes a:*'),
      qr/BearerDefaultScopes .*'b:1'/, 'a default of the server level meeting a section\'s issuable list' ],
);
my @good = (
    [ loc('BearerIssuableScopes stream:start:* stream:view', 'BearerDefaultScopes stream:start:lobby stream:view'),
      'defaults covered by a wildcard and by a plain entry' ],
    [ loc('BearerIssuableScopes stream:start:*', 'BearerDefaultScopes stream:start:*'),
      'a default that is the wildcard\'s text itself (a * is a character there)' ],
    [ loc('BearerDefaultScopes anything:goes'), 'defaults with no BearerIssuableScopes (any scope)' ],
    [ loc('BearerIssuableScopes a*'), 'a one-character prefix' ],
    [ "<Location /x>\n    BearerIssuableScopes a:*\n</Location>\n"
      . "<Location /x/tokens>\n    SetHandler bearer-tokens\n    BearerDefaultScopes a:1\n</Location>\n",
      'a default issuable through an enclosing <Location>' ],
);

plan tests => 2 * @bad + @good;

for my $case (@bad) {
    my ($lines, $named, $what) = @$case;
    my ($status, $out) = configtest($lines);
    ok($status != 0, "$what: configtest fails") or diag($out);
    like($out, $named, "$what: the message names the directive") ;
}
for my $case (@good) {
    my ($lines, $what) = @$case;
    my ($status, $out) = configtest($lines);
    ok($status == 0, "$what: configtest passes") or diag($out);
}
