# SPDX-License-Identifier: Apache-2.0
# Other methods on the endpoint (TRACE too, which httpd would answer itself
# with an echo of the request and its token): 405 with Allow (POST, DELETE on the collection,
# GET, DELETE on an id and on self), decided before authentication.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

my $client = mint_ok();
my $id = $client->{token_id};

my %as = (
    'no credentials'    => undef,
    'the operator'      => OPERATOR_TOKEN,
    'a client token'    => $client->{access_token},
    'an unknown token'  => forge_token(),
);
my @who = ('no credentials', 'the operator', 'a client token', 'an unknown token');

my @cases = (
    [ ENDPOINT,             [qw(GET PUT PATCH TRACE)], ['POST', 'DELETE'] ],
    [ token_path($id),      [qw(POST PUT PATCH TRACE)], ['GET', 'DELETE'] ],
    [ token_path('self'),   [qw(POST PUT PATCH TRACE)], ['GET', 'DELETE'] ],
);

my $n = 0;
$n += @{ $_->[1] } for @cases;
plan tests => $n * @who;

for my $case (@cases) {
    my ($path, $methods, $allow) = @$case;
    my $shown = $path eq token_path($id) ? token_path('<id>') : $path;
    for my $method (@$methods) {
        for my $who (@who) {
            my %o = defined $as{$who} ? (token => $as{$who}) : ();
            $o{json} = '{}' if $method =~ /^(?:PUT|PATCH)$/;
            my $res = req($method => $path, %o);
            my @why;
            push @why, 'status ' . $res->code unless $res->code == 405;
            my %got = map { uc($_) => 1 } split /\s*,\s*/, ($res->header('Allow') // '');
            my %want = map { $_ => 1 } @$allow;
            push @why, 'Allow: ' . ($res->header('Allow') // 'none')
                unless join(',', sort keys %got) eq join(',', sort keys %want);
            my $json = json_of($res);
            push @why, 'not a JSON error'
                unless ref $json eq 'HASH' && defined $json->{error}
                       && ($res->header('Content-Type') // '') =~ m{^application/json}i;
            ok(!@why, "$method $shown by $who: 405, Allow: @{[ join ', ', @$allow ]}")
                or diag(join('; ', @why) . "\n" . BearerTest::describe($res));
        }
    }
}
