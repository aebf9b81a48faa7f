# SPDX-License-Identifier: Apache-2.0
package BearerTest::Load;
#
# Parallel clients for the fault tests: each process mints tokens and uses
# them, over fresh connections, until told to stop, and writes one line per
# request to a file of its own. Token values stay in those files (in a
# private directory removed at the end), never in the test output.
#
#   my $load = BearerTest::Load->start(base => $url, clients => 4);
#   ... do something nasty to the server ...
#   my $r = $load->stop;    # { mints => [...], checks => [...], ... }
#
# With several servers (a fleet), each client mints on them in turn, uses
# every fresh token on each of them, and with revoke_every => n revokes
# every n-th token on another server than the one that minted it; a
# revoked token is then tried at once on the revoking server (401), and on
# the others once `settle` seconds have passed (their caches may trust a
# copy for BearerCacheRecheck seconds):
#
#   my $load = BearerTest::Load->start(bases => [$urlA, $urlB], clients => 6,
#                                      revoke_every => 4, settle => 1.5);
#
# Every request is recorded as [t0, code, failed, id, token, seconds, server,
# what]: its start time, HTTP status, 1 if no answer came (LWP's own 500),
# the token's id, the token (mints and revocations; '-' otherwise), how long
# it took (wall time), the index of the server in bases, and, for an answer
# other than the one expected (%EXPECT) or none, what came: LWP's warning
# and the start of the body, redacted (BearerTest::redact); '-' otherwise.

use strict;
use warnings FATAL => 'all';

use File::Temp qw(tempdir);
use HTTP::Request ();
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();

use BearerTest ();
use BearerTest::Secrets ();

# What each kind of request must answer when all is well.
our %EXPECT = (mint => 201, check => 200, revoke => 204, refused => 401);
# Where stop() files each kind.
my %LIST = (mint => 'mints', check => 'checks', revoke => 'revokes',
            refused => 'refusals');

# start(base => 'http://127.0.0.1:port' | bases => [urls], clients => n,
#       max_seconds => s, endpoint => path, check => path,
#       revoke_every => n, settle => s)
sub start {
    my ($class, %o) = @_;
    my $dir = tempdir(CLEANUP => 1);
    chmod 0700, $dir;
    $o{bases} ||= [ $o{base} ];
    my $self = bless { dir => $dir, pids => [], %o }, $class;
    my $n = $o{clients} || 4;
    for my $c (1 .. $n) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            my $ok = eval { $self->_client($c); 1 };
            POSIX::_exit($ok ? 0 : 3);
        }
        push @{ $self->{pids} }, $pid;
    }
    return $self;
}

# One request: (response, seconds it took, 1 if no answer came).
sub _send {
    my ($ua, $req) = @_;
    my $t0 = Time::HiRes::time();
    my $res = $ua->request($req);
    my $took = Time::HiRes::time() - $t0;
    my $failed = ($res->header('Client-Warning') // '') =~ /internal/i ? 1 : 0;
    return ($res, $took, $failed, $t0);
}

# What an unexpected answer was, on one line without spaces (%XX for
# anything else): LWP's warning if any, Retry-After, the body's start.
sub _what {
    my ($res) = @_;
    my $what = join '; ', grep { length }
        (map { defined $res->header($_) ? "$_: " . $res->header($_) : '' } qw(Client-Warning Retry-After)),
        substr($res->decoded_content // $res->content // '', 0, 160);
    $what = BearerTest::redact($what);
    $what =~ s/([^\x21-\x24\x26-\x7e])/sprintf '%%%02X', ord $1/ge;
    return length $what ? $what : '-';
}

sub _client {
    my ($self, $c) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
    my @bases = @{ $self->{bases} };
    my $endpoint = $self->{endpoint} || '/auth/v1/access-tokens';
    my $check = $self->{check} || '/p/r.txt';
    my $op = 'Bearer ' . BearerTest::Secrets::OPERATOR_TOKEN;
    my $until = Time::HiRes::time() + ($self->{max_seconds} || 120);
    my $settle = $self->{settle} // 0;
    my @pending;        # revoked tokens still to try on the other servers
    open my $fh, '>', "$self->{dir}/client.$c" or die "$!";
    $fh->autoflush(1);
    my $log = sub {
        my ($kind, $t0, $res, $failed, $id, $token, $took, $server) = @_;
        printf {$fh} "%s %.3f %d %d %s %s %.3f %d %s\n", $kind, $t0, $res->code,
            $failed, $id // '-', $token // '-', $took, $server,
            ($failed || $res->code != $EXPECT{$kind}) ? _what($res) : '-';
    };
    my $use = sub {
        my ($kind, $server, $id, $token) = @_;
        my ($res, $took, $failed, $t0) = _send($ua, HTTP::Request->new(
            GET => $bases[$server] . $check, [Authorization => "Bearer $token"]));
        $log->($kind, $t0, $res, $failed, $id, '-', $took, $server);
    };
    my $i = 0;
    while (!-e "$self->{dir}/stop" && Time::HiRes::time() < $until) {
        $i++;
        my $m = ($c + $i) % @bases;
        my ($res, $took, $failed, $t0) = _send($ua, HTTP::Request->new(
            POST => $bases[$m] . $endpoint,
            [Authorization => $op, 'Content-Type' => 'application/json'],
            qq({"subject": "load-$c-$i"})));
        my $json = eval { JSON::PP::decode_json($res->decoded_content) } || {};
        $log->(mint => $t0, $res, $failed, $json->{token_id},
               $json->{access_token}, $took, $m);
        if ($res->code == 201 && $json->{access_token}) {
            $use->(check => ($m + $_) % @bases, $json->{token_id}, $json->{access_token})
                for 0 .. $#bases;
            if ($self->{revoke_every} && $i % $self->{revoke_every} == 0) {
                my $r = ($m + 1) % @bases;
                ($res, $took, $failed, $t0) = _send($ua, HTTP::Request->new(
                    DELETE => "$bases[$r]$endpoint/$json->{token_id}",
                    [Authorization => $op]));
                $log->(revoke => $t0, $res, $failed, $json->{token_id},
                       $json->{access_token}, $took, $r);
                if ($res->code == 204) {
                    $use->(refused => $r, $json->{token_id}, $json->{access_token});
                    push @pending, [ Time::HiRes::time() + $settle, $r,
                                     $json->{token_id}, $json->{access_token} ];
                }
            }
        }
        while (@pending && $pending[0][0] <= Time::HiRes::time()) {
            my ($at, $r, $id, $token) = @{ shift @pending };
            $use->(refused => $_, $id, $token) for grep { $_ != $r } 0 .. $#bases;
        }
    }
    close $fh;
}

# Stops the clients and returns what they saw, by kind, each request as
# [t0, code, failed, id, token, seconds, server], and how the clients
# ended (bad_exits: one line per client that did not exit 0):
#   { mints => [...], checks => [...], revokes => [...], refusals => [...],
#     bad_exits => [...] }
# The tokens minted are recorded for t/logscan (BearerTest::record_tokens).
sub stop {
    my ($self) = @_;
    if (open my $s, '>', "$self->{dir}/stop") { close $s }
    my %r = map { $_ => [] } values %LIST;
    # How each client ended: 0 when it ran its loop to the end; 3 when it
    # died (a request it could not make, a file it could not write), or a
    # signal. Every one is listed in bad_exits.
    $r{bad_exits} = [];
    my $n = 0;
    for my $pid (@{ $self->{pids} }) {
        $n++;
        my $got = waitpid $pid, 0;
        my $st = $?;
        push @{ $r{bad_exits} }, $got != $pid ? "client $n: not reaped"
            : ($st & 127) ? "client $n: killed by signal " . ($st & 127)
            : "client $n: exit status " . ($st >> 8)
            if $got != $pid || $st != 0;
    }
    for my $file (glob "$self->{dir}/client.*") {
        open my $fh, '<', $file or next;
        while (my $line = <$fh>) {
            chomp $line;
            my ($kind, @f) = split / /, $line;
            $f[7] = defined $f[7] && $f[7] ne '-' ? $f[7] =~ s/%([0-9A-F]{2})/chr hex $1/ger : undef;
            push @{ $r{ $LIST{$kind} } }, \@f if $LIST{$kind};
            BearerTest::record_tokens($f[4]) if $kind eq 'mint' && $f[1] == 201 && $f[4] ne '-';
        }
        close $fh;
    }
    $self->{pids} = [];
    return \%r;
}

# What the requests that started in [$from, $to) saw (all when no window
# is given), from the result of stop:
#   { requests, failed (no answer), status5xx, wrong (answers other than
#     %EXPECT, as "kind code" => count), max (seconds), slowest (kind),
#     bad (every request without an answer or with another one than
#     expected: [kind, @request as stop records it], by start time) }
sub tally {
    my ($r, $from, $to) = @_;
    my %t = (requests => 0, failed => 0, status5xx => 0, wrong => {},
             max => 0, slowest => '-', bad => []);
    for my $kind (keys %EXPECT) {
        for my $q (@{ $r->{ $LIST{$kind} } || [] }) {
            next if defined $from && ($q->[0] < $from || $q->[0] >= $to);
            $t{requests}++;
            $t{failed}++ if $q->[2];
            $t{status5xx}++ if $q->[1] >= 500 && !$q->[2];
            $t{wrong}{"$kind $q->[1]"}++ if $q->[1] != $EXPECT{$kind};
            push @{ $t{bad} }, [ $kind, @$q ] if $q->[2] || $q->[1] != $EXPECT{$kind};
            if (($q->[5] // 0) > $t{max}) {
                $t{max} = $q->[5];
                $t{slowest} = $kind;
            }
        }
    }
    @{ $t{bad} } = sort { $a->[1] <=> $b->[1] } @{ $t{bad} };
    return \%t;
}

# The bad requests of a tally (tally's `bad`) grouped by kind, status and
# server, one line each: how many, when the first and the last started
# (seconds after $from), the longest one's time, what the first one got.
# At most $max lines (default 10).
sub describe_bad {
    my ($bad, $from, $names, $max) = @_;
    my (%group, @order);
    for my $q (@$bad) {
        my ($kind, $t0, $code, $failed, undef, undef, $took, $server, $what) = @$q;
        my $key = "$kind " . ($failed ? "no answer ($code)" : $code)
                . ' on ' . ($names ? $names->[$server] // $server : $server);
        push @order, $key unless $group{$key};
        my $g = $group{$key} ||= { n => 0, first => $t0, what => $what, took => 0 };
        $g->{n}++;
        $g->{last} = $t0;
        $g->{took} = $took if $took > $g->{took};
    }
    $max ||= 10;
    my @lines = map {
        my $g = $group{$_};
        sprintf '%s x %d, started +%.2f .. +%.2f s, the longest %.2f s: %s', $_, $g->{n},
            $g->{first} - $from, $g->{last} - $from, $g->{took}, $g->{what} // '-'
    } @order;
    return @lines > $max ? (@lines[0 .. $max - 1], (@lines - $max) . ' more') : @lines;
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    return unless @{ $self->{pids} || [] };
    kill 'TERM', @{ $self->{pids} };
    waitpid $_, 0 for @{ $self->{pids} };
}

1;
