# SPDX-License-Identifier: Apache-2.0
# BearerCORSOrigins at configtest: a malformed origin fails "httpd -t" with a
# message naming the directive and the value; '*' stands alone; origins as
# browsers send them (and as admins may write them) pass.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Configtest ();

my $ct = BearerTest::Configtest->new(name => 'cors');
my $op = $ct->put('op', ('a' x 40) . "\n");

sub configtest {
    my ($lines) = @_;
    my ($status, $out) = $ct->run("<Location /api>\n    AuthType Bearer\n"
                                  . "    AuthzSendForbiddenOnFailure On\n"
                                  . "    Require bearer-operator\n    $lines\n</Location>",
                                  head => qq{BearerOperatorTokenFile "$op"\n});
    return ($status, $out);
}

my @bad = (
    # [ the arguments, what is wrong ]
    [ 'https://app.example.com/',          'a trailing slash' ],
    [ 'https://app.example.com/app',       'a path' ],
    [ 'https://app.example.com?x=1',       'a query' ],
    [ 'https://app.example.com#x',         'a fragment' ],
    [ 'app.example.com',                   'no scheme' ],
    [ '//app.example.com',                 'an empty scheme' ],
    [ 'https:app.example.com',             'no //' ],
    [ '1https://app.example.com',          'a scheme starting with a digit' ],
    [ 'ht_tp://app.example.com',           'a scheme with _' ],
    [ 'https://',                          'no host' ],
    [ 'https://.example.com',              'an empty first label' ],
    [ 'https://app..example.com',          'an empty label' ],
    [ 'https://app.example.com.',          'a trailing dot' ],
    [ 'https://user@app.example.com',      'user info' ],
    [ 'https://user:pw@app.example.com',   'user info with a password' ],
    [ 'https://app.example.com:',          'an empty port' ],
    [ 'https://app.example.com:0',         'port 0' ],
    [ 'https://app.example.com:65536',     'port 65536' ],
    [ 'https://app.example.com:08443',     'a leading zero in the port' ],
    [ 'https://app.example.com:84x',       'a port with a letter' ],
    [ 'https://app.exa%6dple.com',         'percent-encoding' ],
    [ "https://\xc3\xa9xample.com",        'a non-ASCII host (browsers send punycode)' ],
    [ 'https://[zz::1]',                   'a broken IPv6 literal' ],
    [ 'https://[::1',                      'an unclosed IPv6 literal' ],
    [ 'https://[1]',                       'an IPv6 literal without colons' ],
    [ 'null',                              'the opaque origin null' ],
    [ '* https://app.example.com',         "'*' then an origin" ],
    [ 'https://app.example.com *',         "an origin then '*'" ],
    [ '"https://' . ('a' x 600) . '.com"', 'an origin of 600 bytes' ],
    [ 'https://a.example " "',            'an origin of one space' ],
);

my @good = (
    [ '*',                                             "'*'" ],
    [ 'https://app.example.com',                       'one origin' ],
    [ 'https://app.example.com http://127.0.0.1:8790', 'two origins' ],
    [ 'HTTPS://App.Example.COM:443',                   'upper case and the default port' ],
    [ 'https://[::1]:8443 http://[2001:db8::1]',       'IPv6 literals' ],
    [ 'capacitor://localhost app-x.y+z://h_1-2',       'other schemes (mobile app web views)' ],
    [ 'https://a.example https://a.example',           'an origin listed twice' ],
);

plan tests => @bad + @good + 1;

for my $case (@bad) {
    my ($args, $what) = @$case;
    my ($status, $out) = configtest("BearerCORSOrigins $args");
    ok($status != 0 && $out =~ /BearerCORSOrigins:/, "$what: configtest fails, naming the directive")
        or diag("exit $status, output:\n$out");
}
for my $case (@good) {
    my ($args, $what) = @$case;
    my ($status, $out) = configtest("BearerCORSOrigins $args");
    ok($status == 0, "$what: configtest passes") or diag("exit $status, output:\n$out");
}

# The message says what is wrong and what is expected.
my (undef, $out) = configtest('BearerCORSOrigins https://app.example.com/');
like($out, qr{BearerCORSOrigins: 'https://app\.example\.com/' has a path.*scheme://host\[:port\]},
     'the message names the value, what is wrong, and the expected form');
