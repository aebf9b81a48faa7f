# SPDX-License-Identifier: Apache-2.0
# BearerForwardHeaders (docs/directives.md): On sets X-Bearer-Subject,
# -Scopes, -Token-Id and -Metadata (base64url of the compact metadata JSON,
# absent without metadata) on the request; client-sent X-Bearer-* headers
# are removed on every protected request, On or Off. The request headers as
# the module leaves them are echoed back by "Header echo" (t/conf/extra.conf.in).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use JSON::PP ();

plan tests => 20;

my @spoof = ('X-Bearer-Subject' => 'mallory', 'x-bearer-scopes' => 'admin',
             'X-Bearer-Token-Id' => 'AAAAAAAAAAAAAAAAAAAAAA',
             'X-Bearer-Metadata' => 'e30', 'X-BEARER-Foo' => 'bar');

sub bearer_headers {
    my ($res) = @_;
    my %h;
    $res->headers->scan(sub {
        my ($k, $v) = @_;
        push @{ $h{lc $k} }, $v if $k =~ /^x-bearer-/i;
    });
    return \%h;
}

my $meta = { room => 'r-1', opts => { hd => JSON::PP::true(), n => 3 }, list => [1, 'two'] };
my $tok = mint_ok({ scopes => ['stream:view', 'chat:write'], subject => 'bob',
                    metadata => $meta });

# --- On ----------------------------------------------------------------------------
my $res = req(GET => '/p/fwd/r.txt', token => $tok->{access_token});
status_is($res, 200, 'BearerForwardHeaders On: 200');
my $h = bearer_headers($res);
is_deeply($h->{'x-bearer-subject'}, ['bob'], 'X-Bearer-Subject is the subject');
is_deeply($h->{'x-bearer-scopes'}, [$tok->{scope}], 'X-Bearer-Scopes is the scope list');
like($tok->{scope}, qr/^\S+ \S+$/, 'space-separated');
is_deeply($h->{'x-bearer-token-id'}, [$tok->{token_id}], 'X-Bearer-Token-Id is the id');
my $m = ($h->{'x-bearer-metadata'} || [])->[0] // '';
like($m, qr/^[A-Za-z0-9_-]+=*$/, 'X-Bearer-Metadata is base64url');
my $decoded = b64url_decode($m) // '';
is_deeply(eval { JSON::PP->new->decode($decoded) }, $meta,
          'it decodes to the metadata given at mint');
unlike($decoded, qr/[ \n\t]/, 'as compact JSON');
ok(index(join(',', map { @$_ } values %$h), $tok->{access_token}) < 0,
   'no forwarded header holds the token');

# --- On, with spoofed headers from the client --------------------------------------
$res = req(GET => '/p/fwd/r.txt', token => $tok->{access_token}, headers => \@spoof);
$h = bearer_headers($res);
is_deeply([ sort keys %$h ],
          [ qw(x-bearer-metadata x-bearer-scopes x-bearer-subject x-bearer-token-id) ],
          'client-sent X-Bearer-* are replaced or removed (X-Bearer-Foo too)');
ok(@{ $h->{'x-bearer-subject'} } == 1 && $h->{'x-bearer-subject'}[0] eq 'bob'
   && $h->{'x-bearer-scopes'}[0] eq $tok->{scope},
   'only the module\'s values remain');

# --- On, a token without metadata or subject ----------------------------------------
my $plain = mint_ok();
$res = req(GET => '/p/fwd/r.txt', token => $plain->{access_token}, headers => \@spoof);
$h = bearer_headers($res);
ok(!exists $h->{'x-bearer-metadata'}, 'X-Bearer-Metadata is absent without metadata');
ok(!exists $h->{'x-bearer-subject'} || $h->{'x-bearer-subject'}[0] ne 'mallory',
   'a spoofed X-Bearer-Subject never survives');
is_deeply($h->{'x-bearer-token-id'}, [$plain->{token_id}], 'X-Bearer-Token-Id is set');
ok(!exists $h->{'x-bearer-foo'}, 'X-Bearer-Foo is removed');

# --- Off (the default) -----------------------------------------------------------------
$res = req(GET => '/p/any/r.txt', token => $tok->{access_token});
status_is($res, 200, 'BearerForwardHeaders Off: 200');
is_deeply(bearer_headers($res), {}, 'no X-Bearer-* header is set');
$res = req(GET => '/p/any/r.txt', token => $tok->{access_token}, headers => \@spoof);
is_deeply(bearer_headers($res), {}, 'and client-sent ones are removed');

$res = req(GET => '/p/any/r.txt', token => OPERATOR_TOKEN, headers => \@spoof);
is_deeply(bearer_headers($res), {}, 'an operator request is stripped too');

# --- the echo itself works: an unprotected location shows what the client sent ------------
$res = req(GET => '/plain/r.txt', headers => \@spoof);
is(scalar keys %{ bearer_headers($res) }, 5,
   'outside AuthType Bearer the X-Bearer-* headers pass (the echo sees them)');
