# SPDX-License-Identifier: Apache-2.0
# Many clients at once: 8 processes mint 50 tokens each in parallel, then 8
# processes check every token in parallel (each on tokens another process
# minted, over fresh connections that spread over httpd's children).
# No token lost, ids and tokens unique, no 5xx.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use File::Temp qw(tempdir);
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();

plan tests => 8;

my $clients = 8;
my $each    = 50;
my $dir     = tempdir(CLEANUP => 1);
my $mint_url  = url(ENDPOINT);
my $check_url = url('/p/view/r.txt');

# Runs $code->($n, $fh) in $clients processes at once; each writes lines to
# its own file, returned as a list of arrays of lines.
sub in_parallel {
    my ($tag, $code) = @_;
    my @pids;
    for my $n (0 .. $clients - 1) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            open my $fh, '>', "$dir/$tag.$n" or POSIX::_exit(3);
            my $ok = eval { $code->($n, $fh); 1 };
            close $fh;
            POSIX::_exit($ok ? 0 : 4);
        }
        push @pids, $pid;
    }
    my $bad = 0;
    for my $pid (@pids) {
        waitpid $pid, 0;
        $bad++ if $?;
    }
    my @out;
    for my $n (0 .. $clients - 1) {
        open my $fh, '<', "$dir/$tag.$n" or die "read $tag.$n: $!";
        chomp(my @lines = <$fh>);
        push @out, \@lines;
    }
    return ($bad, @out);
}

# --- mint in parallel ---------------------------------------------------------------
my ($bad, @minted) = in_parallel(mint => sub {
    my ($n, $fh) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 60);
    for my $i (1 .. $each) {
        my $res = $ua->post($mint_url,
            Authorization => 'Bearer ' . OPERATOR_TOKEN,
            'Content-Type' => 'application/json',
            Content => qq({"subject": "c$n-$i", "scopes": ["stream:view"]}));
        my $json = eval { JSON::PP::decode_json($res->decoded_content) } || {};
        print {$fh} join(' ', $res->code, $json->{token_id} // '-',
                         $json->{access_token} // '-', "c$n-$i"), "\n";
    }
});
is($bad, 0, "$clients minting processes finished cleanly");

my @rows = map { [ split / / ] } map { @$_ } @minted;
my %codes;
$codes{ $_->[0] }++ for @rows;
is(scalar(grep { $_->[0] == 201 } @rows), $clients * $each,
   "all " . $clients * $each . " parallel mints got 201")
    or diag('status counts: ' . join(', ', map { "$_ x $codes{$_}" } sort keys %codes));
my %ids    = map { $_->[1] => 1 } grep { $_->[0] == 201 } @rows;
my %tokens = map { $_->[2] => 1 } grep { $_->[0] == 201 } @rows;
is(scalar keys %ids, $clients * $each, 'every token_id is distinct');
is(scalar keys %tokens, $clients * $each, 'every token is distinct');

# --- check in parallel, each process on another one's tokens ---------------------------
($bad, my @checked) = in_parallel(check => sub {
    my ($n, $fh) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 60);
    for my $row (@{ $minted[ ($n + 1) % $clients ] }) {
        my ($code, $id, $token, $subject) = split / /, $row;
        next unless $code == 201;
        my $res = $ua->get($check_url, Authorization => "Bearer $token");
        my $user = $res->header('X-Echo-User') // '';
        print {$fh} join(' ', $res->code, $id, $user eq $subject ? 'same' : 'other'), "\n";
    }
});
is($bad, 0, "$clients checking processes finished cleanly");
my @results = map { [ split / / ] } map { @$_ } @checked;
%codes = ();
$codes{ $_->[0] }++ for @results;
is(scalar(grep { $_->[0] == 200 } @results), $clients * $each,
   'every token works on a protected location')
    or diag('status counts: ' . join(', ', map { "$_ x $codes{$_}" } sort keys %codes));
is(scalar(grep { $_->[2] ne 'same' } @results), 0,
   'each request is authenticated as its own subject');
is(scalar(grep { $_->[0] >= 500 } @rows, @results), 0, 'no 5xx anywhere');
