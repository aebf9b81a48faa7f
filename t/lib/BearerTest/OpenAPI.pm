# SPDX-License-Identifier: Apache-2.0
package BearerTest::OpenAPI;
#
# Checks live answers of the token endpoint against docs/openapi.yaml:
# the status must be documented for the operation, the documented
# required headers present and matching their schemas, and a JSON body
# valid against the documented schema. The schema check covers the JSON
# Schema keywords docs/openapi.yaml uses: $ref (local), type, const, enum,
# required, properties, additionalProperties, items, minItems, maxItems,
# pattern, minLength, maxLength, minimum, not, oneOf (exactly one must hold;
# a boolean const compares as a boolean). A keyword it does not know makes it die, so a
# schema it cannot check never passes silently.
#
#   my $api = BearerTest::OpenAPI->load("$top/docs/openapi.yaml");
#   my @errors = $api->check_response('post', '/auth/v1/access-tokens', $res);

use strict;
use warnings FATAL => 'all';

use JSON::PP ();
use Scalar::Util qw(looks_like_number);
use YAML::XS ();

my %known = map { $_ => 1 } qw(
    $ref type const enum required properties additionalProperties items
    minItems maxItems pattern minLength maxLength minimum not oneOf description
    example examples format
);

sub load {
    my ($class, $file) = @_;
    local $YAML::XS::Boolean = 'JSON::PP';
    my $doc = YAML::XS::LoadFile($file);
    die "$file is not OpenAPI 3.1\n" unless ($doc->{openapi} // '') =~ /^3\.1\./;
    return bless { doc => $doc }, $class;
}

sub resolve {
    my ($self, $node) = @_;
    my $seen = 0;
    while (ref $node eq 'HASH' && exists $node->{'$ref'}) {
        my $ref = $node->{'$ref'};
        die "only local \$ref: $ref\n" unless $ref =~ m{^#/(.*)$};
        $node = $self->{doc};
        for my $part (split m{/}, $1) {
            $part =~ s/~1/\//g;
            $part =~ s/~0/~/g;
            die "\$ref $ref does not resolve\n" unless ref $node eq 'HASH' && exists $node->{$part};
            $node = $node->{$part};
        }
        die "\$ref loop at $ref\n" if ++$seen > 20;
    }
    return $node;
}

sub json_type {
    my ($v) = @_;
    return 'null' unless defined $v;
    return 'boolean' if JSON::PP::is_bool($v);
    return 'object' if ref $v eq 'HASH';
    return 'array' if ref $v eq 'ARRAY';
    # JSON::PP keeps numbers as numbers: a string that looks like one is
    # still a string when it came from "..."
    my $b = B::svref_2object(\$v);
    my $flags = $b->FLAGS;
    if ($flags & (B::SVp_IOK() | B::SVp_NOK()) && !($flags & B::SVp_POK())) {
        return $v == int($v) ? 'integer' : 'number';
    }
    return 'string';
}

# Errors (strings) of $value against $schema; empty list = valid.
sub validate {
    my ($self, $schema, $value, $path) = @_;
    require B;
    $path //= '$';
    $schema = $self->resolve($schema);
    my @e;
    for my $k (keys %$schema) {
        die "schema keyword '$k' at $path is not supported by the checker\n"
            unless $known{$k};
    }
    my $type = json_type($value);
    if (defined(my $t = $schema->{type})) {
        my @ok = ref $t ? @$t : ($t);
        my $match = grep { $_ eq $type || ($_ eq 'number' && $type eq 'integer') } @ok;
        return "$path: is $type, not " . join('|', @ok) unless $match;
    }
    if (exists $schema->{const} && JSON::PP::is_bool($schema->{const})) {
        push @e, "$path: is not the constant " . ($schema->{const} ? 'true' : 'false')
            unless JSON::PP::is_bool($value) && !$value == !$schema->{const};
    }
    elsif (exists $schema->{const}) {
        push @e, "$path: is not the constant '$schema->{const}'"
            unless defined $value && !ref $value && $value eq $schema->{const};
    }
    if (my $enum = $schema->{enum}) {
        push @e, "$path: '" . ($value // 'null') . "' is not one of @$enum"
            unless defined $value && !ref $value && grep { $_ eq $value } @$enum;
    }
    if ($type eq 'string') {
        push @e, "$path: '$value' does not match /$schema->{pattern}/"
            if defined $schema->{pattern} && $value !~ /$schema->{pattern}/;
        push @e, "$path: shorter than $schema->{minLength}"
            if defined $schema->{minLength} && length($value) < $schema->{minLength};
        push @e, "$path: longer than $schema->{maxLength}"
            if defined $schema->{maxLength} && length($value) > $schema->{maxLength};
    }
    if ($type eq 'integer' || $type eq 'number') {
        push @e, "$path: $value is below $schema->{minimum}"
            if defined $schema->{minimum} && $value < $schema->{minimum};
    }
    if ($type eq 'object') {
        for my $r (@{ $schema->{required} || [] }) {
            push @e, "$path: required '$r' is missing" unless exists $value->{$r};
        }
        my $props = $schema->{properties} || {};
        for my $k (sort keys %$value) {
            if ($props->{$k}) {
                push @e, $self->validate($props->{$k}, $value->{$k}, "$path.$k");
            }
            elsif (exists $schema->{additionalProperties}) {
                my $ap = $schema->{additionalProperties};
                if (ref $ap eq 'HASH') {
                    push @e, $self->validate($ap, $value->{$k}, "$path.$k");
                }
                elsif (!$ap) {
                    push @e, "$path: '$k' is not allowed";
                }
            }
        }
    }
    if ($type eq 'array') {
        push @e, "$path: fewer than $schema->{minItems} items"
            if defined $schema->{minItems} && @$value < $schema->{minItems};
        push @e, "$path: more than $schema->{maxItems} items"
            if defined $schema->{maxItems} && @$value > $schema->{maxItems};
    }
    if ($type eq 'array' && $schema->{items}) {
        my $i = 0;
        push @e, $self->validate($schema->{items}, $_, $path . '[' . $i++ . ']') for @$value;
    }
    if (my $one = $schema->{oneOf}) {
        my @fits = grep { !$self->validate($_, $value, $path) } @$one;
        push @e, "$path: matches " . scalar(@fits) . " of the oneOf schemas, not exactly one"
            unless @fits == 1;
    }
    if ($schema->{not}) {
        push @e, "$path: matches a 'not' schema" unless $self->validate($schema->{not}, $value, $path);
    }
    return @e;
}

# Errors of an HTTP::Response for the operation ($method, $template path).
sub check_response {
    my ($self, $method, $template, $res) = @_;
    my $op = $self->{doc}{paths}{$template}{lc $method}
        or return ("$method $template is not in the document");
    my $code = $res->code;
    my $spec = $op->{responses}{$code} // $op->{responses}{default}
        or return ("status $code is not documented for $method $template");
    $spec = $self->resolve($spec);
    my @e;
    for my $name (sort keys %{ $spec->{headers} || {} }) {
        my $h = $self->resolve($spec->{headers}{$name});
        my $v = $res->header($name);
        if (!defined $v) {
            push @e, "header $name is missing" if $h->{required};
            next;
        }
        push @e, map { "header $name: $_" } $self->validate($h->{schema}, "$v", $name)
            if $h->{schema};
    }
    my $content = $spec->{content};
    my $body = $res->decoded_content // '';
    if (!$content) {
        push @e, "a body where none is documented" if length $body;
        return @e;
    }
    my ($ct) = split /;/, $res->header('Content-Type') // '';
    my $media = $content->{$ct // ''}
        or return (@e, "Content-Type '" . ($ct // '') . "' is not documented");
    my $data = eval { JSON::PP->new->decode($body) };
    return (@e, "body is not JSON: $body") unless defined $data;
    push @e, $self->validate($media->{schema}, $data) if $media->{schema};
    return @e;
}

1;
