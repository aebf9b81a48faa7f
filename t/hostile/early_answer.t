# SPDX-License-Identifier: Apache-2.0
# The endpoint's answer to a request it refuses before reading the body
# (authentication, authorisation) stays its own precise JSON error even when
# the body then breaks off (a truncated or malformed body that httpd would
# otherwise fail to drop, turning the answer into its own HTML 400).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use HTTP::Request ();
use HTTP::Response ();
use IO::Socket::INET ();

plan tests => 8;

my $client = mint_ok();
my ($host, $port) = split /:/, BearerTest::hostport_of(undef);

# Sends head and body as they are, half-closes, reads the whole answer.
sub send_shut {
    my ($head, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 10) or die "connect: $!";
    print {$s} $head, "Host: $host:$port\r\n\r\n", $body;
    shutdown($s, 1);
    local $/;
    my $answer = <$s> // '';
    close $s;
    my $res = HTTP::Response->parse($answer);
    $res->request(HTTP::Request->new((split / /, $head)[0, 1]));
    return $res;
}

my $ep = ENDPOINT;
my @cases = (
    [ 'no token, truncated body', 401, 'unauthorized',
      "POST $ep HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n", '{"ttl":' ],
    [ 'an unknown token, truncated body', 401, 'invalid_token',
      "POST $ep HTTP/1.1\r\nAuthorization: Bearer " . forge_token()
      . "\r\nContent-Type: application/json\r\nContent-Length: 50\r\n", '{"ttl":' ],
    [ 'a client token, truncated body', 403, 'insufficient_scope',
      "POST $ep HTTP/1.1\r\nAuthorization: Bearer $client->{access_token}"
      . "\r\nContent-Type: application/json\r\nContent-Length: 50\r\n", '{"ttl":' ],
    [ 'an unknown token, malformed chunked body', 401, 'invalid_token',
      "POST $ep HTTP/1.1\r\nAuthorization: Bearer " . forge_token()
      . "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n" ],
);

for my $case (@cases) {
    my ($what, $status, $error, $head, $body) = @$case;
    my $res = send_shut($head, $body);
    error_is($res, $status, $error, "$what: $status $error as JSON");
    like($res->header('WWW-Authenticate') // '', qr/^Bearer realm=/,
         "$what: with its challenge");
}
