# SPDX-License-Identifier: Apache-2.0
package BearerTest::OAuth;
#
# Requests to the RFC 7662 introspection and RFC 7009 revocation endpoints
# of t/conf/extra.conf.in, for t/oauth/.
#
#   my $res = form_post(INTROSPECT, [token => $t], bearer => OPERATOR_TOKEN);
#   my $res = form_post(REVOKE, [token => $t], basic => ['any-id', $secret]);
#   my $res = form_post(REVOKE, 'token=%G1', content_type => 'text/plain');
#
# Pairs are form-urlencoded here (RFC 6749 appendix B: space as "+");
# a string body is sent as it is.

use strict;
use warnings;

use Exporter 'import';
use MIME::Base64 ();

use BearerTest;

our @EXPORT = qw(INTROSPECT REVOKE form_encode basic_header form_post
                 keys_are);

use constant INTROSPECT => '/auth/v1/introspect';
use constant REVOKE     => '/auth/v1/revoke';

sub form_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9*\-._ ])/sprintf '%%%02X', ord $1/ge;
    $s =~ tr/ /+/;
    return $s;
}

sub form_encode {
    my @pairs = @_;
    my @out;
    while (my ($k, $v) = splice @pairs, 0, 2) {
        push @out, form_escape($k) . '=' . form_escape($v);
    }
    return join '&', @out;
}

# Basic client authentication as RFC 6749 sec. 2.3.1 has it: id and secret
# form-urlencoded, then base64 (raw => 1: without the encoding step).
sub basic_header {
    my ($id, $secret, $raw) = @_;
    my $pair = $raw ? "$id:$secret" : form_escape($id) . ':' . form_escape($secret);
    return 'Basic ' . MIME::Base64::encode_base64($pair, '');
}

# form_post($path, \@pairs | $raw_body, %o):
#   bearer => $token | basic => [$id, $secret(, raw)] | auth => $header
#   content_type => (default application/x-www-form-urlencoded)
#   method => (default POST), vhost => $name, headers => [k => v]
sub form_post {
    my ($path, $body, %o) = @_;
    my @auth;
    push @auth, auth => "Bearer $o{bearer}" if defined $o{bearer};
    push @auth, auth => basic_header(@{ $o{basic} }) if $o{basic};
    push @auth, auth => $o{auth} if defined $o{auth};
    return req($o{method} || 'POST', $path, @auth,
               body => ref $body ? form_encode(@$body) : $body,
               content_type => exists $o{content_type} ? $o{content_type}
                             : 'application/x-www-form-urlencoded',
               ($o{headers} ? (headers => $o{headers}) : ()),
               (defined $o{vhost} ? (vhost => $o{vhost}) : ()));
}

# The sorted keys of a JSON object, space-separated.
sub keys_are {
    my ($json) = @_;
    return ref $json eq 'HASH' ? join(' ', sort keys %$json) : '(not an object)';
}

1;
