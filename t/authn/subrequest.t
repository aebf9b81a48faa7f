# SPDX-License-Identifier: Apache-2.0
# A request that httpd serves through a subrequest and an internal redirect
# (mod_dir: GET /p/any/ serves /p/any/r.txt) is one request of the client:
# authenticated once, its environment kept, one use of max_uses.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;

plan tests => 5;

my $t = mint_ok({ max_uses => 2, subject => 'dir-user' });
my $res = req(GET => '/p/any/', token => $t->{access_token});
status_is($res, 200, 'GET /p/any/ (DirectoryIndex r.txt) with a token: 200');
like($res->decoded_content // '', qr/protected resource: any/, 'serves the index file');
is($res->header('X-Echo-User'), 'dir-user', 'REMOTE_USER survives the internal redirect');
$res = req(GET => '/p/any/', token => $t->{access_token});
status_is($res, 200, 'max_uses 2: the second such request passes too (one use each)');
$res = req(GET => '/p/any/', token => $t->{access_token});
status_is($res, 401, 'the third is refused');
