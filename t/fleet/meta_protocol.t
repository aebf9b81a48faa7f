# SPDX-License-Identifier: Apache-2.0
# A fleet check reads its token with memcached's meta get, whose answer
# does not echo the key (docs/fleet.md, "What memcached is sent"):
#
# 1. One Apache, BearerCacheRecheck 0, one real memcached behind a
#    recording relay (a perl process on a free port that passes every byte
#    on, and notes each command and the exact bytes of its answer before
#    it passes the answer on). Over N checks of one live token, every read
#    is "mg <key> v c O<n>", none is "get"/"gets"; each hit's answer holds
#    no key and is shorter than the text protocol's answer to "gets" for
#    the same value would be:
#        "VALUE <key> 0 <bytes> <cas>\r\n" + data + "\r\n" + "END\r\n"
#    (bound = 6 + length(key) + 3 + digits(bytes) + 1 + digits(cas) + 2 +
#    bytes + 2 + 5, key, bytes and cas taken from the same answer; the
#    meta answer is "VA <bytes> c<cas> O<n>\r\n" + data + "\r\n", shorter
#    by length(key) + 8 - digits(n): 35 bytes or more for a token's key). memcached's own counters agree: its
#    cmd_get and get_hits grew by the reads and hits the relay saw.
# 2. A server that answers ERROR to mg (an old memcached, played by a tiny
#    perl server) is marked down with the reason (BRR00083: "does not know
#    the meta protocol (mg): memcached 1.6 or later is needed"), and the
#    check answers as the outage policy says (stale, token not cached
#    here: 503 with Retry-After), within the fleet's time bound. Beside a
#    real memcached it stays down: 12 s with no request (the refill asks
#    its stats, which it answers), then 8 s of checks and mints through
#    the real one, and the old one is never logged answering again (no
#    BRR00084) nor marked down a second time: a down server asked nothing
#    in the meta protocol is also sent the meta no-op "mn", which it
#    answers ERROR; and what it answered before that ERROR (a mint's
#    STORED) does not count, also in the very first mint (a server not
#    yet seen to speak the meta protocol is sent mn too): every mint is
#    on 1 of its 2 replicas (BRR00095).
# 3. A memcached 1.6.0-1.6.17 answers a miss with a bare "EN" (no
#    opaque): read as a miss. A fleet of that server alone, which holds
#    nothing: the check is 401 (every server answered, none has it), the
#    server is never marked down, no BRR00083.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Fleet qw(PATH_A);
use BearerTest::Memcached ();
use BearerTest::Ports ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

my $N = 20;
my $TIMEOUT = 2000;        # ms, BearerTest::Fleet's BearerMemcacheTimeout
my @own;                   # process groups started here (relay, fakes)

END {
    local $?;
    for my $pid (@own) {
        kill 'TERM', -$pid;
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
}

# Runs $handler->($client) in a child of a child per connection accepted
# on a free port (a process group of its own, stopped at END); the port.
sub serve {
    my ($handler) = @_;
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                       Listen => 64, ReuseAddr => 1)
        or die "listen: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        POSIX::setpgid(0, 0);
        # the test's handlers (BearerTest::Fleet) ignore signals in children
        $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP PIPE);
        $SIG{CHLD} = 'IGNORE';
        while (1) {
            my $c = $listen->accept or next;
            my $k = fork;
            if (defined $k && !$k) {
                close $listen;
                eval { $handler->($c) };
                POSIX::_exit(0);
            }
            close $c;
        }
    }
    push @own, $pid;
    my $port = $listen->sockport;
    close $listen;
    return $port;
}

# ---- the recording relay ---------------------------------------------------------

# Appends one line to the record (O_APPEND, one write: whole lines even
# with several connections writing).
sub remember {
    my ($file, $line) = @_;
    open my $fh, '>>', $file or die "$file: $!";
    syswrite $fh, "$line\n";
    close $fh;
    return;
}

# One connection: Apache's commands go on to memcached as they come, each
# noted ("CMD <word> <key>"); memcached's answers are cut per command and
# each noted ("ANS <word> <key> <bytes> <first line>") before its last
# byte is passed on, so a check that got its answer finds it noted.
sub relay {
    my ($c, $port, $file) = @_;
    my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die "relay: connect: $!";
    my $sel = IO::Select->new($c, $u);
    my ($up, $down, $skip_up) = ('', '', 0);
    my @asked;                 # [word, key] per command awaiting its answer
    my %ans;                   # the answer being read: bytes, first, skip, list
    while (1) {
        for my $s ($sel->can_read) {
            my $n = sysread $s, my $buf, 65536;
            return unless $n;
            if ($s == $c) {
                $up .= $buf;
                while (1) {
                    if ($skip_up) {         # a stored value's data block
                        my $k = $skip_up < length $up ? $skip_up : length $up;
                        substr($up, 0, $k) = '';
                        $skip_up -= $k;
                        last if $skip_up;
                    }
                    my $i = index $up, "\n";
                    last if $i < 0;
                    my $line = substr $up, 0, $i + 1, '';
                    $line =~ s/\r?\n\z//;
                    my ($word, $key) = split / /, $line;
                    $skip_up = $1 + 2
                        if $line =~ /^(?:set|add|cas|replace|append|prepend) \S+ \d+ \d+ (\d+)/;
                    remember($file, "CMD $word " . ($key // '-'));
                    push @asked, [ $word, $key // '-' ] unless $line =~ / noreply\z/;
                }
                syswrite $u, $buf;
                next;
            }
            $down .= $buf;
            while (@asked) {
                my ($word, $key) = @{ $asked[0] };
                if ($ans{skip}) {           # a value's data block and CRLF
                    my $k = $ans{skip} < length $down ? $ans{skip} : length $down;
                    substr($down, 0, $k) = '';
                    $ans{skip} -= $k;
                    $ans{bytes} += $k;
                    last if $ans{skip};
                    if ($word eq 'mg') {
                        remember($file, "ANS $word $key $ans{bytes} $ans{first}");
                        shift @asked;
                        %ans = ();
                    }
                    next;
                }
                my $i = index $down, "\n";
                last if $i < 0;
                my $line = substr $down, 0, $i + 1, '';
                $ans{bytes} += length $line;
                $line =~ s/\r?\n\z//;
                my $first = !defined $ans{first};
                $ans{first} //= $line;
                if ($word eq 'mg' && $line =~ /^VA (\d+)/) {
                    $ans{skip} = $1 + 2;
                    next;
                }
                if (($word eq 'gets' || $word eq 'get') && $line =~ /^VALUE \S+ \d+ (\d+)/) {
                    $ans{skip} = $1 + 2;
                    next;
                }
                # stats, a metadump, a get's values: lines up to END
                my $multi = $word =~ /^(?:stats|lru_crawler|gets|get)\z/;
                next if $multi && $line ne 'END'
                    && !($first && $line =~ /^(?:ERROR|BUSY|CLIENT_ERROR)/);
                remember($file, "ANS $word $key $ans{bytes} $ans{first}");
                shift @asked;
                %ans = ();
            }
            syswrite $c, $buf;
        }
    }
}

sub records_since {
    my ($file, $offset) = @_;
    open my $fh, '<', $file or return ();
    seek $fh, $offset, 0;
    chomp(my @lines = <$fh>);
    return @lines;
}

sub stats {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5)
        or die "stats: $!";
    print {$s} "stats\r\n";
    my %st;
    while (my $line = <$s>) {
        last if $line =~ /^END/;
        $st{$1} = $2 if $line =~ /^STAT (\S+) (\S+)/;
    }
    return \%st;
}

plan tests => 17;

my $mc = BearerTest::Memcached->start;
my $dir = File::Temp::tempdir('meta-XXXXXX', DIR => $ENV{BEARER_T_RUN});
my $record = "$dir/relay.log";
remember($record, 'START');
my $relay = serve(sub { relay($_[0], $mc->port, $record) });

my $f = BearerTest::Fleet->start(memcached => 0, apaches => 1, recheck => 0,
                                 conf => "BearerMemcache 127.0.0.1:$relay");
my $t = $f->mint_on(0, { scopes => ['a'] });
my $key = $f->token_key($t);
is($f->code(0, PATH_A, $t), 200, 'a token minted through the relay passes');

my $offset = -s $record;
my $before = stats($mc->port);
my @codes = map { $f->code(0, PATH_A, $t) } 1 .. $N;
my $after = stats($mc->port);
my @rec = records_since($record, $offset);

is(scalar(grep { $_ == 200 } @codes), $N, "$N checks with BearerCacheRecheck 0: each 200");
my @reads = grep { /^CMD (?:mg|gets|get) / } @rec;
my @text = grep { /^CMD gets? / } records_since($record, 0);
is(scalar(@text), 0, 'no read was ever sent as get or gets') or diag(join "\n", @text[0 .. 2]);
my @mine = grep { /^CMD mg \Q$key\E\z/ } @reads;
ok(@mine >= $N, scalar(@mine) . " reads of the token's key for $N checks, each an mg");

# Each hit on the token's key, against the text protocol's answer.
my (@hits, @bounds, @over);
for (grep { /^ANS mg \Q$key\E / } @rec) {
    my ($bytes, $line) = /^ANS mg \S+ (\d+) (.*)\z/ or next;
    if ($line !~ /^VA (\d+) (.*)\z/) {
        push @over, "not a hit: $line";
        next;
    }
    my ($len, $flags) = ($1, $2);
    my ($cas) = $flags =~ /(?:^| )c(\d+)(?: |\z)/;
    my $bound = length("VALUE $key 0 $len " . ($cas // '') . "\r\n") + $len + 2 + length("END\r\n");
    push @hits, $bytes;
    push @bounds, $bound;
    push @over, "$bytes bytes >= $bound: $line"
        if !defined $cas || $bytes >= $bound || index($line, $key) >= 0
            || $bytes != length("$line\r\n") + $len + 2;
}
is(scalar(@hits), scalar(@mine), 'every read of it was answered with its value (VA)');
ok(@hits && !@over, sprintf('each answer holds no key and is below what "VALUE <key> ... END" '
   . 'needs (the first: %d bytes; the text answer: %d)', $hits[0] // 0, $bounds[0] // 0))
    or diag(join "\n", @over);
is($after->{cmd_get} - $before->{cmd_get}, scalar(@reads),
   "memcached counted the same reads ($before->{cmd_get} -> $after->{cmd_get})");
is($after->{get_hits} - $before->{get_hits},
   scalar(grep { /^ANS mg \S+ \d+ VA / } @rec), 'and the same hits');
is(scalar($f->log_lines(0, qr/BRR00083/)), 0, 'the Apache never found its memcached unreachable');

# ---- 2. a server without the meta protocol ------------------------------------------

# An old memcached: the text protocol only (mode 'old'); or one of 1.6.0
# to 1.6.17, whose mg answers a miss with a bare EN (mode 'bare-en').
sub fake {
    my ($mode) = @_;
    return serve(sub {
        my ($c) = @_;
        while (defined(my $line = <$c>)) {
            $line =~ s/\r?\n\z//;
            my ($w) = split / /, $line;
            my $out;
            if ($line =~ /^(?:set|add|cas|replace) \S+ \d+ \d+ (\d+)/) {
                read $c, my $data, $1 + 2;
                $out = "STORED";
            }
            elsif ($w eq 'version')   { $out = 'VERSION 1.4.25' }
            elsif ($w eq 'stats')     { $out = "STAT pid $$\r\nSTAT uptime 100\r\nSTAT time "
                                               . time . "\r\nEND" }
            elsif ($w eq 'incr')      { $out = 'NOT_FOUND' }
            elsif ($w eq 'flush_all') { $out = 'OK' }
            elsif ($w eq 'delete')    { $out = $line =~ / noreply\z/ ? undef : 'NOT_FOUND' }
            elsif ($w eq 'gets' || $w eq 'get') { $out = 'END' }
            elsif ($w eq 'mg' && $mode eq 'bare-en') { $out = 'EN' }
            elsif ($w eq 'mn' && $mode eq 'bare-en') { $out = 'MN' }
            else                      { $out = 'ERROR' }
            print {$c} "$out\r\n" if defined $out;
            $c->flush;
        }
    });
}

for my $mode ('old') {
    my $port = fake($mode);
    my $g = BearerTest::Fleet->start(memcached => 0, apaches => 1, recheck => 0,
                                     conf => "BearerMemcache 127.0.0.1:$port");
    my $mark = $g->time_mark;
    my $res = $g->check(0, PATH_A, $t);
    ok($res->code == 503 && ($res->header('Retry-After') // '') =~ /^\d+$/,
       "$mode: a check on an Apache whose memcached has no mg: 503 with Retry-After "
       . '(BearerOutage stale, the token not cached there)')
        or diag(BearerTest::describe($res));
    $g->requests_within_ok($mark, $TIMEOUT, "$mode: the check");
    my @down = $g->log_lines(0, qr/BRR00083/, qr/127\.0\.0\.1:\Q$port\E/,
        qr/does not know the meta protocol \(mg\): memcached 1\.6 or later is needed/);
    is(scalar(@down), 1, "$mode: it is marked down once, with that reason (BRR00083)")
        or diag($g->error_log(0));
    $g->stop;

    # Beside a real memcached: once down, the old one is asked again each
    # retry time (2 s), by the request that wins it, with that request's
    # ops; and, with no request, by the refill's look at every server's
    # stats (every 5 s), which it answers: that must not bring it back up,
    # only to fail the next read. 12 s without a request, then 8 s of
    # checks and mints.
    $g = BearerTest::Fleet->start(memcached => 0, apaches => 1, recheck => 0,
                                  conf => "BearerMemcache 127.0.0.1:" . $mc->port
                                          . " 127.0.0.1:$port");
    my $u = $g->mint_on(0, { scopes => ['a'] });
    my @minted = ($u->{token_id});
    my @later = ($g->code(0, PATH_A, $u), 201);
    Time::HiRes::sleep(12);
    my $until = Time::HiRes::time() + 8;
    while (Time::HiRes::time() < $until) {
        my ($res, $json) = $g->mint(0, { scopes => ['a'] });
        push @later, $g->code(0, PATH_A, $u), $res->code;
        push @minted, $json->{token_id} if $res->code == 201;
        Time::HiRes::sleep(0.2);
    }
    my $up = () = $g->log_lines(0, qr/BRR00084/, qr/127\.0\.0\.1:\Q$port\E/);
    my $down = () = $g->log_lines(0, qr/BRR00083/, qr/127\.0\.0\.1:\Q$port\E/);
    my @wrong = grep { $later[$_] != ($_ % 2 ? 201 : 200) } 0 .. $#later;
    ok(@later >= 20 && !@wrong && $up == 0 && $down == 1,
       "$mode: beside a real memcached it stays down, 12 s idle then 8 s of traffic: "
       . @later / 2 . ' checks (200) and mints (201) through the real one; never logged '
       . "answering again (BRR00084 x $up), marked down once (BRR00083 x $down)")
        or diag("@later\n" . join "\n", $g->log_lines(0, qr/BRR0008[34]/));
    # The first mint (the old server not yet marked down, nor seen to
    # speak the meta protocol) and those that won its probe had its
    # STORED, then its ERROR to mn: that copy, on a server no read can
    # reach, must not count. Each mint is on 1 of its 2 replicas
    # (BRR00095).
    my @counted = grep { my $id = $_; !$g->log_lines(0, qr/BRR00095/, qr/\Q$id\E is on 1 of 2/) } @minted;
    ok(@minted >= 11 && !@counted, "$mode: each of " . scalar(@minted) . ' mints, the first one '
       . 'included, logged one copy of two (BRR00095): what the old server stored never counts')
        or diag(scalar(@counted) . " mints counted a copy on it: @counted");
    $g->stop;
}

{
    my $port = fake('bare-en');
    my $g = BearerTest::Fleet->start(memcached => 0, apaches => 1, recheck => 0,
                                     replicas => 1,
                                     conf => "BearerMemcache 127.0.0.1:$port");
    my $mark = $g->time_mark;
    my $res = $g->check(0, PATH_A, $t);
    is($res->code, 401, 'bare-en: a check against a memcached 1.6.0-1.6.17 that holds '
       . 'nothing: 401 (the bare EN is a miss, every server answered)')
        or diag(BearerTest::describe($res));
    $g->requests_within_ok($mark, $TIMEOUT, 'bare-en: the check');
    is(scalar($g->log_lines(0, qr/BRR00083/)), 0,
       'bare-en: the server is never marked down (no BRR00083)')
        or diag($g->error_log(0));
    $g->stop;
}

