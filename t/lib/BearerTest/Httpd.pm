# SPDX-License-Identifier: Apache-2.0
package BearerTest::Httpd;
#
# Extra httpd instances with a configuration of the test's own, beside the
# Apache::Test server: for server-wide settings the shared server cannot
# take (a tiny BearerCacheEntries), and for fleets of several servers.
#
#   my $h = BearerTest::Httpd->start(conf => <<'EOF');
#   BearerCacheEntries 1024
#   <Location /auth/v1/access-tokens>
#       SetHandler bearer-tokens
#   </Location>
#   EOF
#   my $res = $ua->post($h->url('/auth/v1/access-tokens'), ...);
#   $h->stop;                     # or let END do it
#
# Each instance: its own directory under the run directory (t/TEST.PL's
# ${BEARER_T_RUN}), 127.0.0.1 on a free port, the module built in this
# checkout, the suite's operator token file and document root, the event
# MPM in the foreground as our child, children as nobody when we are root.

use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes ();

use BearerTest::Ports ();

my %running;
my $owner = $$;

# start(conf => extra lines, port => n, operator_file => 0 to leave out
#       BearerOperatorTokenFile, timeout => seconds, so => another build of
#       the module, mpm => 'prefork' instead of event, bearer => 0 to load
#       no mod_bearer at all: another module's server, such as a resource
#       server of mod_auth_openidc)
sub start {
    my ($class, %o) = @_;
    my $run = $ENV{BEARER_T_RUN}
        or die "BEARER_T_RUN is not set: run the suite through t/TEST.PL\n";
    my $vars  = Apache::Test::vars();
    my $bearer = !exists $o{bearer} || $o{bearer};
    # An Apache without mod_bearer is not under test: the plain httpd, not
    # the sanitizers' wrapper of make sanitize-test (which would report
    # another program's leaks, e.g. OpenSSL's state that mod_ssl keeps).
    my $plain = "$vars->{sbindir}/$vars->{target}";
    my $httpd = !$bearer && -x $plain ? $plain : $vars->{httpd};
    my $so    = $o{so} || "$vars->{top_dir}/mod_bearer/.libs/mod_bearer.so";
    my $mpm   = $o{mpm} || $ENV{BEARER_MPM} || 'event';     # as t/TEST.PL chose
    my $mods  = '/usr/lib/apache2/modules';
    my $dir   = tempdir('httpd-XXXXXX', DIR => $run);
    chmod 0711, $dir;
    my $port  = $o{port} || BearerTest::Ports::free_port();

    my $user = '';
    if ($> == 0) {
        my $group = getgrgid((getpwnam('nobody'))[3]) || 'nogroup';
        $user = "User nobody\nGroup $group\n";
    }
    my $op = (!$bearer || (exists $o{operator_file} && !$o{operator_file})) ? ''
           : qq{BearerOperatorTokenFile "$run/operator-tokens"\n};
    my $load = $bearer ? qq{LoadModule bearer_module     "$so"\n} : '';

    my $conf = "$dir/httpd.conf";
    open my $fh, '>', $conf or die "write $conf: $!";
    print {$fh} <<EOF . $user . $op . ($o{conf} // '') . "\n";
# Written by BearerTest::Httpd
ServerRoot "$dir"
DefaultRuntimeDir "$dir"
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel info@{[ $bearer ? ' bearer:debug' : '' ]}
ServerName 127.0.0.1
Listen 127.0.0.1:$port
LoadModule mpm_${mpm}_module $mods/mod_mpm_${mpm}.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule mime_module       $mods/mod_mime.so
LoadModule headers_module    $mods/mod_headers.so
${load}TypesConfig /dev/null
StartServers 2
DocumentRoot "$run/htdocs"
EOF
    close $fh;

    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        # A process group of its own: prefork's parent stops its children
        # with killpg(getpgrp(), SIGTERM), which would hit the test too.
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/stdout";
        open STDERR, '>&', \*STDOUT;
        exec $httpd, '-f', $conf, '-DFOREGROUND' or POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, port => $port, dir => $dir }, $class;
    $running{$pid} = $self;

    my $until = Time::HiRes::time() + ($o{timeout} || 20);
    until (BearerTest::Ports::accepting($port)) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $running{$pid};
            $self->{pid} = undef;
            die "httpd on port $port did not start (status $?):\n" . $self->log;
        }
        if (Time::HiRes::time() > $until) {
            $self->stop;
            die "httpd on port $port does not answer:\n" . $self->log;
        }
        Time::HiRes::sleep(0.05);
    }
    return $self;
}

sub port { $_[0]->{port} }
sub pid  { $_[0]->{pid} }
sub dir  { $_[0]->{dir} }
sub url  { 'http://127.0.0.1:' . $_[0]->{port} . ($_[1] // '/') }

# What it said on stdout/stderr and in its error log.
sub log {
    my ($self) = @_;
    my $text = '';
    for my $file (qw(stdout error_log)) {
        open my $fh, '<', "$self->{dir}/$file" or next;
        local $/;
        $text .= <$fh> // '';
    }
    return $text;
}

# The pid of the running parent, as httpd wrote it.
sub parent_pid {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/httpd.pid" or return $self->{pid};
    chomp(my $pid = <$fh> // '');
    return $pid =~ /^\d+$/ ? $pid : $self->{pid};
}

sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return;
    BearerTest::Ports::terminate($pid, 15);
    delete $running{$pid};
    $self->{pid} = undef;
    return;
}

END {
    local $?;    # waitpid in END would reset the exit status
    return unless $$ == $owner;
    $_->stop for values %running;
}

1;
