# SPDX-License-Identifier: Apache-2.0
# Require bearer-scope / bearer-operator / valid-user (docs/protecting.md):
#   /p/view   Require bearer-scope stream:start stream:view       (any of)
#   /p/both   <RequireAll> bearer-scope stream:view; bearer-scope chat:write
#   /p/op     Require bearer-operator
#   /p/any    Require valid-user
#   /p/legacy Require bearer-scope stream:view, AuthzSendForbiddenOnFailure Off
# 403 carries insufficient_scope with the failing line's scopes; where the
# admin set AuthzSendForbiddenOnFailure Off, the same challenge comes with 401.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

my $view_line = 'Bearer realm="platform", error="insufficient_scope", scope="stream:start stream:view"';
my $need_view = 'Bearer realm="platform", error="insufficient_scope", scope="stream:view"';
my $need_chat = 'Bearer realm="platform", error="insufficient_scope", scope="chat:write"';
my $need_op   = 'Bearer realm="platform", error="insufficient_scope"';

my %tok = (
    view   => mint_ok({ scopes => ['stream:view'] })->{access_token},
    start  => mint_ok({ scopes => ['stream:start'] })->{access_token},
    chat   => mint_ok({ scopes => ['chat:write'] })->{access_token},
    both   => mint_ok({ scopes => ['stream:view', 'chat:write'] })->{access_token},
    none   => mint_ok({ scopes => [] })->{access_token},
    other  => mint_ok({ scopes => ['stream:viewer'] }, endpoint => '/t/open/tokens')->{access_token},
    op     => OPERATOR_TOKEN,
    op2    => OPERATOR_TOKEN_2,
);

my @cases = (
    # [ token, path, status, challenge ]
    [ view  => '/p/view/r.txt', 200 ],
    [ start => '/p/view/r.txt', 200 ],
    [ both  => '/p/view/r.txt', 200 ],
    [ chat  => '/p/view/r.txt', 403, $view_line ],
    [ none  => '/p/view/r.txt', 403, $view_line ],
    [ other => '/p/view/r.txt', 403, $view_line ],
    [ op    => '/p/view/r.txt', 200 ],
    [ op2   => '/p/view/r.txt', 200 ],

    [ both  => '/p/both/r.txt', 200 ],
    [ view  => '/p/both/r.txt', 403, $need_chat ],
    [ chat  => '/p/both/r.txt', 403, $need_view ],
    [ op    => '/p/both/r.txt', 200 ],

    [ op    => '/p/op/r.txt',   200 ],
    [ op2   => '/p/op/r.txt',   200 ],
    [ both  => '/p/op/r.txt',   403, $need_op ],
    [ none  => '/p/op/r.txt',   403, $need_op ],

    [ none  => '/p/any/r.txt',  200 ],
    [ chat  => '/p/any/r.txt',  200 ],
    [ op    => '/p/any/r.txt',  200 ],

    [ view  => '/p/legacy/r.txt', 200 ],
    [ chat  => '/p/legacy/r.txt', 401, $need_view ],
    [ none  => '/p/legacy/r.txt', 401, $need_view ],
);

plan tests => scalar @cases;

for my $case (@cases) {
    my ($who, $path, $status, $challenge) = @$case;
    my $res = req(GET => $path, token => $tok{$who});
    my $name = "a '$who' token on $path: $status";
    if ($status == 200) {
        my $ok = ok($res->code == 200 && !defined $res->header('WWW-Authenticate'), $name);
        diag(BearerTest::describe($res)) unless $ok;
    }
    else {
        challenge_is($res, $status, $challenge, "$name $challenge");
    }
}
