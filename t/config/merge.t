# SPDX-License-Identifier: Apache-2.0
# Directory-level directives merge into nested Locations (t/conf/extra.conf.in):
#   /t/nest               BearerIssuableScopes nest:a nest:b, BearerDefaultScopes
#                         nest:a, BearerMaxTTL 50
#   /t/nest/tokens        the endpoint, BearerDefaultTTL 30
#   /t/nest/reset/tokens  the endpoint, BearerMaxTTL 86400 (the default value)
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 9;

my $inner = '/t/nest/tokens';
my $reset = '/t/nest/reset/tokens';

my ($res, $json) = mint(undef, endpoint => $inner);
status_is($res, 201, 'the inner endpoint mints');
is(($json || {})->{scope}, 'nest:a', 'it inherits BearerDefaultScopes');
is(($json || {})->{expires_in}, 30, 'its own BearerDefaultTTL applies');
($res, $json) = mint({ ttl => 1000 }, endpoint => $inner);
is(($json || {})->{expires_in}, 50, 'it inherits BearerMaxTTL 50');
($res) = mint({ scopes => ['nest:b'] }, endpoint => $inner);
status_is($res, 201, 'an inherited issuable scope is granted');
($res) = mint({ scopes => ['stream:view'] }, endpoint => $inner);
error_is($res, 400, 'invalid_scope',
         'a scope outside the inherited BearerIssuableScopes: 400 invalid_scope');

($res, $json) = mint({ ttl => 1000 }, endpoint => $reset);
is(($json || {})->{expires_in}, 1000,
   'a child setting BearerMaxTTL back to the default value wins over its parent');
($res) = mint({ scopes => ['chat:write'] }, endpoint => $reset);
error_is($res, 400, 'invalid_scope', 'and it still inherits BearerIssuableScopes');

# The main endpoint is not affected by the /t/nest settings.
($res, $json) = mint({ ttl => 1000 });
is(($json || {})->{expires_in}, 1000, 'the main endpoint keeps its own BearerMaxTTL');
