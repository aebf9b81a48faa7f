# SPDX-License-Identifier: Apache-2.0
# oauth4webapi (npm; a standards-focused OAuth client library written
# elsewhere) against the live introspection and revocation endpoints:
# ClientSecretBasic and ClientSecretPost with the operator token as the
# secret, None() as a public client revoking its own token. The library
# validates every answer (status, content type, JSON shape, error bodies,
# WWW-Authenticate challenges); each of its checks is one test here, and the
# server's state is checked afterwards from this side too.
#
# Needs node and `npm ci` in the checkout (node_modules/oauth4webapi).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use Apache::TestConfig ();
use BearerTest;
use File::Spec::Functions qw(catfile);
use IPC::Open3 qw(open3);
use JSON::PP ();
use Symbol qw(gensym);

my $top = Apache::Test::vars('top_dir');
my $script = catfile($top, qw(t oauth oauth4webapi.mjs));
my $lib = catfile($top, qw(node_modules oauth4webapi package.json));

my $EXPECTED = 17;
plan tests => $EXPECTED + 5;

ok(-f $lib, 'oauth4webapi is installed (npm ci --no-audit --no-fund)')
    or BAIL_OUT('node_modules/oauth4webapi is missing: run npm ci in the checkout');

my %t = (
    live     => mint_ok({ subject => 'carol', scopes => ['stream:view'] }),
    r_basic  => mint_ok({}),
    r_post   => mint_ok({}),
    r_public => mint_ok({}),
    r_twice  => mint_ok({}),
);
my $input = JSON::PP->new->encode({
    base => 'http://' . Apache::TestRequest::hostport(),
    operator => OPERATOR_TOKEN,
    map { $_ => { access_token => $t{$_}{access_token}, token_id => $t{$_}{token_id},
                  expires_at => $t{$_}{expires_at} + 0 } } keys %t,
});

my $err = gensym;
my $pid = open3(my $in, my $out, $err, 'node', $script);
print {$in} $input;
close $in;
my @lines = <$out>;
my @stderr = <$err>;
waitpid $pid, 0;
my $status = $? >> 8;

my $seen = 0;
for my $line (@lines) {
    chomp $line;
    if ($line =~ /^ok (.*)/) {
        pass("oauth4webapi: $1");
        $seen++;
    }
    elsif ($line =~ /^not ok (.*)/) {
        fail('oauth4webapi: ' . redact($1));
        $seen++;
    }
}
is($seen, $EXPECTED, "the script reported all its $EXPECTED checks")
    or diag(redact(join '', @stderr));
is($status, 0, 'and exited 0') or diag(redact(join '', @stderr));

# --- the server's side of it --------------------------------------------------------------
my @codes = map { req(GET => '/p/any/r.txt', token => $t{$_}{access_token})->code }
            qw(r_basic r_post r_public);
is("@codes", '401 401 401', 'the three tokens the library revoked get 401');
@codes = map { req(GET => '/p/any/r.txt', token => $t{$_}{access_token})->code } qw(live r_twice);
is("@codes", '200 200', 'the two it did not revoke still work');
