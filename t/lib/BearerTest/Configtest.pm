# SPDX-License-Identifier: Apache-2.0
package BearerTest::Configtest;
#
# "httpd -t" on small configurations of a test's own, loading the module
# built in this checkout (t/config/configtest.t, t/config/configtree.t).
#
#   my $ct = BearerTest::Configtest->new(name => 'cfg');
#   my $op = $ct->put('op', ('a' x 40) . "\n");          # a file, mode 0600
#   my ($status, $out, $conf) = $ct->run("BearerCacheEntries 1023");
#
# Each configuration is a fixed preamble (server root, logs, one Listen,
# the event MPM, authn_core, authz_core, the `modules` asked for, then
# mod_bearer), the `head` lines given to run(), then the test's lines. The
# output is httpd's, followed by that run's own error log.
#
# Tests that check line numbers in httpd's messages pass `line => n`: the
# helper dies unless the test's lines start on line n, so that a change to
# the preamble cannot silently shift what those assertions mean.

use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use File::Temp qw(tempdir);

# new(name => prefix of the temporary directory, modules => [more
# LoadModule names, e.g. 'authz_user'])
sub new {
    my ($class, %o) = @_;
    my $vars = Apache::Test::vars();
    my $self = bless {
        httpd   => $vars->{httpd},
        so      => "$vars->{top_dir}/mod_bearer/.libs/mod_bearer.so",
        mods    => '/usr/lib/apache2/modules',
        modules => $o{modules} || [],
        dir     => tempdir(($o{name} || 'cfg') . 'XXXXXX', TMPDIR => 1, CLEANUP => 1),
        n       => 0,
    }, $class;
    return $self;
}

sub dir { $_[0]->{dir} }

# Writes $text to a file of the directory (mode 0600 unless given).
sub put {
    my ($self, $name, $text, $mode) = @_;
    my $path = "$self->{dir}/$name";
    open my $fh, '>', $path or die "write $path: $!";
    print {$fh} $text;
    close $fh;
    chmod $mode // 0600, $path;
    return $path;
}

# run($lines, head => lines before them, line => where $lines must start):
# (exit status, output, config file).
sub run {
    my ($self, $lines, %o) = @_;
    my $n = ++$self->{n};
    my ($dir, $mods) = @$self{qw(dir mods)};
    my $extra = join '', map { "LoadModule ${_}_module $mods/mod_$_.so\n" } @{ $self->{modules} };
    my $head = <<EOF . $extra . qq{LoadModule bearer_module "$self->{so}"\n} . ($o{head} // '');
ServerRoot "$dir"
DefaultRuntimeDir "$dir"
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log.$n"
ServerName localhost
Listen 127.0.0.1:8999
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authz_core_module $mods/mod_authz_core.so
EOF
    if (defined $o{line}) {
        my $first = 1 + ($head =~ tr/\n//);
        die "BearerTest::Configtest: the test lines start on line $first, not $o{line}\n"
            unless $first == $o{line};
    }
    my $conf = $self->put("c$n.conf", $head . $lines . "\n", 0644);
    my $out = `"$self->{httpd}" -t -f "$conf" 2>&1`;
    my $status = $? >> 8;
    if (open my $fh, '<', "$dir/error_log.$n") {
        local $/;
        $out .= <$fh> // '';
    }
    return ($status, $out, $conf);
}

1;
