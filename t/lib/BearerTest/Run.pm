# SPDX-License-Identifier: Apache-2.0
package BearerTest::Run;
#
# The runner behind t/TEST.PL: Apache::TestRun, adjusted so that
#   - it runs as root (children as nobody) instead of exiting 0 untested;
#   - SIGTERM/SIGHUP stop httpd before the runner goes;
#   - the verdict comes from TAP::Harness's own counts: a run with no test,
#     a test file skipped whole, or any failure is a failure;
#   - the log scans (t/logscan/) run after every other test file.
# It also lays out the per-run directory (document root, operator token
# file, secrets) in a place the children (nobody) can traverse.

use strict;
use warnings FATAL => 'all';

use Apache::TestRun ();
use Apache::TestHarness ();
use TAP::Harness ();
use File::Copy qw(copy);
use File::Find qw(find);
use File::Path qw(make_path remove_tree);
use File::Spec::Functions qw(catfile catdir abs2rel);
use File::Temp qw(tempdir);

use BearerTest::Secrets ();

our @ISA = ('Apache::TestRun');

# Apache::TestRun's own list: these options make a request, not a run.
my @request_opts = qw(get post head);
# Options after which Apache::TestRun legitimately runs no test.
my @info_opts = qw(help clean configure ping start-httpd stop-httpd debug);

sub getopts {
    my ($self, $argv) = @_;
    $self->SUPER::getopts($argv);
    my $opts = $self->{opts};
    $self->{bearer_info_only} = 1 if grep { $opts->{$_} } @info_opts;
    return;
}

# Apache::TestRun refuses root and exits 0, so CI would go green with nothing
# tested. Root is fine: Apache::Test writes "User nobody" when run as root,
# httpd binds as root and its children drop to nobody.
sub check_runtime_user {
    return 1;
}

sub install_sighandlers {
    my $self = shift;
    $self->SUPER::install_sighandlers(@_);
    my %num = (HUP => 1, TERM => 15);
    for my $sig (sort keys %num) {
        $SIG{$sig} = sub {
            print STDERR "\nt/TEST.PL: caught SIG$sig: stopping httpd\n";
            eval { $self->{server}->stop if $self->{opts}->{'start-httpd'} };
            $self->{bearer_verdict} = 'signal';
            CORE::exit(128 + $num{$sig});
        };
    }
    return;
}

sub run_tests {
    my $self = shift;
    my $opts = $self->{opts};

    return $self->SUPER::run_tests(@_)
        if grep { exists $opts->{$_} } @request_opts;
    return unless $opts->{'run-tests'};

    my @tests = Apache::TestHarness->get_tests({
        tests => $self->{tests},
        order => $opts->{order},
    });
    # The log scans (t/logscan/) read what every other file made the
    # servers write, so they run after all the others, whatever the names
    # and whatever order the rest runs in.
    my @scans = grep { m{(?:^|/)logscan/} } @tests;
    @tests = ((grep { !m{(?:^|/)logscan/} } @tests), @scans);
    unless (@tests) {
        print "t/TEST.PL: no test file found\n";
        $self->{bearer_verdict} = 'empty';
        return;
    }

    my $harness = TAP::Harness->new({
        verbosity => $opts->{verbose} ? 1 : 0,
        lib       => [ split /:/, $ENV{PERL5LIB} ],
    });
    my $agg = $harness->runtests(@tests);

    my @skipped_whole = grep {
        my ($parser) = $agg->parsers($_);
        $parser && $parser->skip_all;
    } $agg->descriptions;

    if (@skipped_whole) {
        print "t/TEST.PL: skipped as a whole (not allowed here): "
            . join(', ', @skipped_whole) . "\n";
        print "Result: FAIL\n";
        $self->{bearer_verdict} = 'fail';
    }
    elsif (!$agg->total) {
        print "t/TEST.PL: no test was run\n";
        $self->{bearer_verdict} = 'empty';
    }
    else {
        $self->{bearer_verdict} = $agg->all_passed ? 'pass' : 'fail';
    }
    return;
}

# Quietly: the harness's summary ("Result: ...") stays the run's last line.
sub stop {
    my $self = shift;
    local $Apache::TestTrace::Level = 'error';
    return $self->SUPER::stop(@_);
}

# 0 only for a run that reached a verdict of 'pass'.
sub verdict_exit_status {
    my $self = shift;
    my $verdict = $self->{bearer_verdict} || '';
    return 0 if $verdict eq 'pass';
    return 0 if !$verdict && $self->{bearer_info_only};
    return 1;
}

# --- the per-run directory -------------------------------------------------

# The checkout may sit under a mode-0700 directory (/root): the document
# root and the files httpd reads lives in a fresh directory under /tmp that
# any user can traverse (not list).
sub prepare_run_dir {
    my ($t_dir) = @_;
    my $base = tempdir('mod_bearer-t.XXXXXX', TMPDIR => 1);
    chmod 0711, $base or die "chmod $base: $!";

    my $src  = catdir($t_dir, 'docroot');
    my $dest = catdir($base, 'htdocs');
    make_path($dest, { mode => 0755 });
    chmod 0755, $dest;
    find({ no_chdir => 1, wanted => sub {
        my $rel = abs2rel($File::Find::name, $src);
        return if $rel eq '.';
        my $to = catfile($dest, $rel);
        if (-d $File::Find::name) {
            make_path($to);
            chmod 0755, $to;
        }
        else {
            copy($File::Find::name, $to) or die "copy to $to: $!";
            chmod 0644, $to;
        }
    } }, $src);

    BearerTest::Secrets::write_files($base);

    # httpd expands ${BEARER_T_RUN} in t/conf/extra.conf from its
    # environment at every (re)start; test files read it too.
    $ENV{BEARER_T_RUN} = $base;
    return $base;
}

sub remove_run_dir {
    my ($dir) = @_;
    return unless defined $dir && $dir =~ m{/mod_bearer-t\.[^/]+$} && -d $dir;
    remove_tree($dir, { safe => 1 });
    return;
}

# t/conf/minimal.conf (event MPM), or a copy of it for another MPM written
# beside it (t/conf/minimal-<mpm>.conf, not in git).
sub minimal_conf {
    my ($t_dir, $mpm) = @_;
    my $base = catfile($t_dir, 'conf', 'minimal.conf');
    return $base if $mpm eq 'event';
    open my $in, '<', $base or die "read $base: $!";
    my $text = do { local $/; <$in> };
    close $in;
    $text =~ s/^LoadModule\s+mpm_event_module\s+(\S+)mod_mpm_event\.so$/LoadModule mpm_${mpm}_module $1mod_mpm_${mpm}.so/m
        or die "$base: no mpm_event_module line to replace\n";
    my $out = catfile($t_dir, 'conf', "minimal-$mpm.conf");
    open my $fh, '>', $out or die "write $out: $!";
    print {$fh} "# Generated by t/TEST.PL from minimal.conf for BEARER_MPM=$mpm\n",
        $text;
    close $fh or die "close $out: $!";
    return $out;
}

# Debian's binary is apache2; elsewhere Apache::Test finds httpd via apxs.
sub find_httpd {
    for my $path ($ENV{APACHE_TEST_HTTPD}, '/usr/sbin/apache2') {
        return $path if defined $path && -x $path;
    }
    return;
}

1;
