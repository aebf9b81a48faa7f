package BearerTest::Load;
#
# Parallel clients for the fault tests: each process mints tokens and uses
# them, over fresh connections, until told to stop, and writes one line per
# request to a file of its own. Token values stay in those files (in a
# private directory removed at the end), never in the test output.
#
#   my $load = BearerTest::Load->start(base => $url, clients => 4);
#   ... do something nasty to the server ...
#   my $r = $load->stop;    # { mints => [...], checks => [...], failures => [...] }

use strict;
use warnings FATAL => 'all';

use File::Temp qw(tempdir);
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();

use BearerTest::Secrets ();

# start(base => 'http://127.0.0.1:port', clients => n, max_seconds => s,
#       endpoint => path, check => path)
sub start {
    my ($class, %o) = @_;
    my $dir = tempdir(CLEANUP => 1);
    chmod 0700, $dir;
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

sub _client {
    my ($self, $c) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
    my $mint_url  = $self->{base} . ($self->{endpoint} || '/auth/v1/access-tokens');
    my $check_url = $self->{base} . ($self->{check} || '/p/r.txt');
    my $until = Time::HiRes::time() + ($self->{max_seconds} || 120);
    open my $fh, '>', "$self->{dir}/client.$c" or die "$!";
    $fh->autoflush(1);
    my $i = 0;
    while (!-e "$self->{dir}/stop" && Time::HiRes::time() < $until) {
        $i++;
        my $t0 = Time::HiRes::time();
        my $res = $ua->post($mint_url,
            Authorization => 'Bearer ' . BearerTest::Secrets::OPERATOR_TOKEN,
            'Content-Type' => 'application/json',
            Content => qq({"subject": "load-$c-$i"}));
        my $json = eval { JSON::PP::decode_json($res->decoded_content) } || {};
        my $failed = ($res->header('Client-Warning') // '') =~ /internal/i ? 1 : 0;
        printf {$fh} "mint %.3f %d %d %s %s\n", $t0, $res->code, $failed,
            $json->{token_id} // '-', $json->{access_token} // '-';
        next unless $res->code == 201 && $json->{access_token};
        $t0 = Time::HiRes::time();
        $res = $ua->get($check_url, Authorization => "Bearer $json->{access_token}");
        $failed = ($res->header('Client-Warning') // '') =~ /internal/i ? 1 : 0;
        printf {$fh} "check %.3f %d %d %s -\n", $t0, $res->code, $failed,
            $json->{token_id};
    }
    close $fh;
}

# Stops the clients and returns what they saw:
#   { mints => [[t, code, failed, id, token]...], checks => [...] }
sub stop {
    my ($self) = @_;
    if (open my $s, '>', "$self->{dir}/stop") { close $s }
    for my $pid (@{ $self->{pids} }) {
        waitpid $pid, 0;
    }
    my %r = (mints => [], checks => []);
    for my $file (glob "$self->{dir}/client.*") {
        open my $fh, '<', $file or next;
        while (my $line = <$fh>) {
            chomp $line;
            my ($kind, @f) = split / /, $line;
            push @{ $r{ $kind eq 'mint' ? 'mints' : 'checks' } }, \@f;
        }
        close $fh;
    }
    $self->{pids} = [];
    return \%r;
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    return unless @{ $self->{pids} || [] };
    kill 'TERM', @{ $self->{pids} };
    waitpid $_, 0 for @{ $self->{pids} };
}

1;
