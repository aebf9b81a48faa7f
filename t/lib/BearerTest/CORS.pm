# SPDX-License-Identifier: Apache-2.0
package BearerTest::CORS;
#
# Checks for answers to browser clients across origins (t/cors/): each
# check counts as ONE test, like BearerTest's.
#
#   my $res = preflight('/c/any/r.txt', 'https://app.example.com', 'GET',
#                       'authorization');
#   preflight_is($res, 'https://app.example.com', 'GET', 'Authorization', $name);
#   cors_is(req(GET => ..., headers => [Origin => $o]), $o, $name);
#   no_cors($res, $name);

use strict;
use warnings;

use Exporter 'import';
use Test::More ();
use BearerTest;

our @EXPORT = qw(preflight preflight_is cors_is no_cors cors_names);

# OPTIONS with Origin, Access-Control-Request-Method and (if defined)
# Access-Control-Request-Headers, no Authorization: what a browser sends.
sub preflight {
    my ($path, $origin, $method, $headers, %o) = @_;
    my @h = (Origin => $origin, 'Access-Control-Request-Method' => $method);
    push @h, 'Access-Control-Request-Headers' => $headers if defined $headers;
    return req(OPTIONS => $path, headers => [@h, @{ $o{headers} || [] }], %o);
}

# The names of the Access-Control-* headers of an answer, sorted.
sub cors_names {
    my ($res) = @_;
    return sort grep { /^Access-Control-/i } $res->headers->header_field_names;
}

sub vary_has_origin {
    my ($res) = @_;
    return scalar grep { /(?:^|,)\s*Origin\s*(?:,|$)/i } $res->header('Vary');
}

sub one {
    my ($res, $name, @why) = @_;
    my $ok = Test::More::ok(!@why, $name);
    Test::More::diag(join("; ", @why) . "\n" . BearerTest::describe($res))
        unless $ok;
    return $ok;
}

# A preflight answer: 204, exactly this Allow-Origin, Allow-Methods (undef:
# none), Allow-Headers (undef: none), Max-Age 600, Vary: Origin, no body,
# and no other Access-Control-* header.
sub preflight_is {
    my ($res, $origin, $method, $headers, $name) = @_;
    my @why;
    push @why, 'status ' . $res->code . ' is not 204' unless $res->code == 204;
    my %want = ('access-control-allow-origin' => $origin,
                'access-control-max-age' => '600');
    $want{'access-control-allow-methods'} = $method if defined $method;
    $want{'access-control-allow-headers'} = $headers if defined $headers;
    for my $h (cors_names($res)) {
        my @v = $res->header($h);
        my $w = $want{lc $h};
        push @why, "unexpected $h: @v" unless defined $w;
        push @why, "$h is '@v', not '$w'"
            if defined $w && !(@v == 1 && $v[0] eq $w);
    }
    for my $h (keys %want) {
        push @why, "no $h" unless defined $res->header($h);
    }
    push @why, 'no Vary: Origin' unless vary_has_origin($res);
    push @why, 'a body' if length($res->content // '');
    return one($res, $name, @why);
}

# Every other answer to a listed origin: exactly Allow-Origin $origin,
# Expose-Headers WWW-Authenticate, Vary: Origin, and no other
# Access-Control-* header.
sub cors_is {
    my ($res, $origin, $name) = @_;
    my @why;
    my %want = ('access-control-allow-origin' => $origin,
                'access-control-expose-headers' => 'WWW-Authenticate');
    for my $h (cors_names($res)) {
        my @v = $res->header($h);
        my $w = $want{lc $h};
        push @why, "unexpected $h: @v" unless defined $w;
        push @why, "$h is '@v', not '$w'"
            if defined $w && !(@v == 1 && $v[0] eq $w);
    }
    for my $h (keys %want) {
        push @why, "no $h" unless defined $res->header($h);
    }
    push @why, 'no Vary: Origin' unless vary_has_origin($res);
    return one($res, $name, @why);
}

# No Access-Control-* header, and no Vary: Origin.
sub no_cors {
    my ($res, $name) = @_;
    my @why;
    push @why, 'has ' . join(', ', cors_names($res)) if cors_names($res);
    push @why, 'Vary: Origin' if vary_has_origin($res);
    return one($res, $name, @why);
}

1;
