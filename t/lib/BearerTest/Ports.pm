# SPDX-License-Identifier: Apache-2.0
package BearerTest::Ports;
#
# Free TCP ports on 127.0.0.1 for servers the tests start themselves
# (memcached, extra httpd instances, the demo), and stopping such a server.

use strict;
use warnings FATAL => 'all';

use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

# A port nothing listens on right now (the kernel's choice, so two calls
# do not hand out the same one while both are in use).
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# True once something accepts connections on 127.0.0.1:$port.
sub accepting {
    my ($port) = @_;
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 1) or return 0;
    close $c;
    return 1;
}

# Stops a child server: SIGCONT (in case it was paused), SIGTERM, then
# SIGKILL if it has not exited after $grace seconds; reaps it.
sub terminate {
    my ($pid, $grace) = @_;
    return unless $pid;
    kill 'CONT', $pid;
    kill 'TERM', $pid;
    my $until = Time::HiRes::time() + ($grace || 5);
    while (waitpid($pid, POSIX::WNOHANG()) != $pid) {
        if (Time::HiRes::time() > $until) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            last;
        }
        Time::HiRes::sleep(0.05);
    }
    return;
}

1;
