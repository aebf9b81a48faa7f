# SPDX-License-Identifier: Apache-2.0
package BearerTest::Memcached;
#
# memcached servers for the fleet-mode tests, run the one way that proved
# reliable (t/README.md, "Apache::Test's traps"): in the foreground as our
# child (never -d: it returns 0 even when the port is busy), as nobody when
# we are root, ready once it accepts a connection, stopped by pid at the
# end, also on failure.
#
#   use BearerTest::Memcached;
#   my @mc = BearerTest::Memcached->start_many(2);     # free ports
#   $ENV{MEMCACHED_PORT} = $mc[0]->port;               # before httpd starts
#   ...
#   $_->stop for @mc;        # or let END do it
#
# t/TEST.PL can start them before httpd so that t/conf/extra.conf.in uses
# ${MEMCACHED_PORT} (expanded by httpd from its environment at each start).
# A test file may also start its own, e.g. to kill one mid-test.

use strict;
use warnings FATAL => 'all';

use BearerTest::Ports ();
use POSIX ();
use Time::HiRes ();

my %running;    # pid => object, for END
my $owner = $$;

sub binary {
    for my $path ($ENV{MEMCACHED}, '/usr/bin/memcached', '/usr/local/bin/memcached') {
        return $path if defined $path && -x $path;
    }
    die "memcached not found (apt-get install memcached)\n";
}

# start(port => n (default: a free one), memory => MB (default 16),
#       args => [extra memcached arguments], timeout => seconds (default 10))
sub start {
    my ($class, %o) = @_;
    my $port = $o{port} || BearerTest::Ports::free_port();
    my @cmd = (binary(), '-l', '127.0.0.1', '-p', $port, '-U', 0,
               '-m', $o{memory} || 16, '-c', 256, @{ $o{args} || [] });
    push @cmd, '-u', 'nobody' if $> == 0;

    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, port => $port }, $class;
    $running{$pid} = $self;

    my $until = Time::HiRes::time() + ($o{timeout} || 10);
    while (1) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $running{$pid};
            die "memcached on port $port exited at once (status $?): port busy?\n";
        }
        if (BearerTest::Ports::accepting($port)) {
            # Someone answered: make sure it is ours, not an older server
            # on that port (ours then fails to listen and exits).
            Time::HiRes::sleep(0.2);
            if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
                delete $running{$pid};
                die "memcached on port $port exited (status $?): port busy?\n";
            }
            last;
        }
        if (Time::HiRes::time() > $until) {
            $self->stop;
            die "memcached on port $port does not accept connections\n";
        }
        Time::HiRes::sleep(0.05);
    }
    return $self;
}

sub start_many {
    my ($class, $n, %o) = @_;
    return map { $class->start(%o) } 1 .. $n;
}

sub port { $_[0]->{port} }
sub pid  { $_[0]->{pid} }
sub hostport { '127.0.0.1:' . $_[0]->{port} }

# Pause / resume: a server that keeps its connections but stops answering
# (what BearerMemcacheTimeout must bound).
sub pause  { kill 'STOP', $_[0]->{pid} }
sub resume { kill 'CONT', $_[0]->{pid} }

# SIGKILL at once, as a crash would (no clean shutdown); reaps it. The
# object is then stopped: start a new server on the same port to restart.
sub kill9 {
    my ($self) = @_;
    my $pid = $self->{pid} or return;
    kill 'KILL', $pid;
    waitpid $pid, 0;
    delete $running{$pid};
    $self->{pid} = undef;
    return;
}

# SIGTERM, then SIGKILL if it is still there after $grace seconds (memcached
# takes ~0.8 s to go).
sub stop {
    my ($self, $grace) = @_;
    my $pid = $self->{pid} or return;
    BearerTest::Ports::terminate($pid, $grace);
    delete $running{$pid};
    $self->{pid} = undef;
    return;
}

END {
    # waitpid in END would reset the exit status: keep it.
    local $?;
    return unless $$ == $owner;
    $_->stop for values %running;
}

1;
