# SPDX-License-Identifier: Apache-2.0
# DELETE <collection>?subject=<subject> (embedded mode): every token of the
# subject minted at or before it fails at once (401 invalid_token, GET by
# id 404, DELETE by id 404); tokens minted afterwards, also in the same
# second, work; other subjects and tokens without a subject are untouched;
# 204 also for a subject with no token; the cut-off survives a graceful
# restart; the log names the subject's keyed hash, the subject only at
# debug; bad requests: 400 invalid_request, 403 for a client token, 405
# with Allow: POST, DELETE.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Secrets ();
use Digest::SHA ();
use MIME::Base64 ();
use HTTP::Request ();
use URI::Escape ();

plan tests => 46;

my $vars = Apache::Test::vars();
my $log = "$vars->{t_logs}/error_log";

sub revoke_subject {
    my ($query, %o) = @_;
    my $path = ($o{endpoint} || ENDPOINT) . (defined $query ? "?$query" : '');
    return req(DELETE => $path,
               (exists $o{as} ? (token => $o{as}) : (token => OPERATOR_TOKEN)),
               (defined $o{vhost} ? (vhost => $o{vhost}) : ()));
}

sub code_of {
    my ($t, %o) = @_;
    return req(GET => '/p/any/r.txt', token => $t->{access_token}, %o)->code;
}

sub log_text {
    open my $fh, '<', $log or return '';
    local $/;
    return <$fh> // '';
}

# --- every token of one subject, at once --------------------------------------------
my @alice = map { mint_ok({ subject => 'alice-w', scopes => ['stream:view'] }) } 1 .. 3;
my $alice_counted = mint_ok({ subject => 'alice-w', max_uses => 5 });
my $bob = mint_ok({ subject => 'bob-w' });
my $anon = mint_ok();
my $alice_prefix = mint_ok({ subject => 'alice-w2' });
my @before = map { code_of($_) } @alice, $alice_counted, $bob, $anon, $alice_prefix;
is("@before", '200 200 200 200 200 200 200', 'seven tokens work before');

my $res = revoke_subject('subject=alice-w');
status_is($res, 204, 'DELETE ?subject=alice-w by the operator: 204');
is($res->decoded_content // '', '', 'with no body');

my @after = map { code_of($_) } @alice, $alice_counted;
is("@after", '401 401 401 401', "every token of alice-w is refused at once");
$res = req(GET => '/p/view/r.txt', token => $alice[0]{access_token});
challenge_is($res, 401, 'Bearer realm="platform", error="invalid_token"',
             'with 401 invalid_token, like any revoked token');
error_is(req(GET => token_path($alice[1]{token_id}), token => OPERATOR_TOKEN),
         404, 'not_found', 'GET of its id: 404');
error_is(req(DELETE => token_path($alice[2]{token_id}), token => OPERATOR_TOKEN),
         404, 'not_found', 'DELETE of its id: 404 (already revoked)');
status_is(req(GET => token_path('self'), token => $alice[0]{access_token}), 401,
          'GET self with it: 401');
is(code_of($bob) . ' ' . code_of($anon) . ' ' . code_of($alice_prefix), '200 200 200',
   'another subject, a token without subject, and a subject that only starts '
   . 'the same still work');

# --- minted afterwards: works, also within the same second --------------------------
my (@fresh, @fresh_codes);
status_is(revoke_subject('subject=carol-w'), 204, 'DELETE ?subject=carol-w');
for my $n (1 .. 5) {
    revoke_subject('subject=carol-w') if $n > 1;
    push @fresh, mint_ok({ subject => 'carol-w' });
    push @fresh_codes, code_of($fresh[-1]);
}
is("@fresh_codes", '200 200 200 200 200',
   'a token minted right after each of five revocations (mostly in the same '
   . 'second) works: the cut-off is finer than a second');
my $old_carol = mint_ok({ subject => 'carol-w' });
status_is(revoke_subject('subject=carol-w'), 204, 'revoking carol-w again');
is(code_of($old_carol) . ' ' . code_of($fresh[-1]), '401 401',
   'then the tokens minted before are refused');
my $new_alice = mint_ok({ subject => 'alice-w' });
is(code_of($new_alice), 200, 'a token minted for alice-w after her revocation works');

# --- 204 for nobody; encodings ---------------------------------------------------------
status_is(revoke_subject('subject=nobody-has-this'), 204,
          'a subject without any token: 204');
my $odd = mint_ok({ subject => "d\xc3\xa9j\xc3\xa0 vu/100%+x" });
is(code_of($odd), 200, 'a token whose subject holds a space, /, %, + and UTF-8');
status_is(revoke_subject('subject=d%C3%A9j%C3%A0+vu%2F100%25%2Bx'), 204,
          'its subject URL-encoded (+ for the space)');
is(code_of($odd), 401, 'revokes it');
my $spaced = mint_ok({ subject => 'e w' });
status_is(revoke_subject('subject=e%20w'), 204, '%20 for a space');
is(code_of($spaced), 401, 'revokes "e w" too');
my $long = mint_ok({ subject => 'L' x 256 });
status_is(revoke_subject('subject=' . ('L' x 256)), 204, 'a subject of 256 bytes: 204');
is(code_of($long), 401, 'and its token is revoked');

# --- bad requests ----------------------------------------------------------------------
error_is(revoke_subject(undef), 400, 'invalid_request', 'DELETE of the collection without a query: 400');
error_is(revoke_subject(''), 400, 'invalid_request', 'with an empty query: 400');
error_is(revoke_subject('subject='), 400, 'invalid_request', 'subject empty: 400');
error_is(revoke_subject('subject'), 400, 'invalid_request', 'subject without =: 400');
error_is(revoke_subject('subject=' . ('L' x 257)), 400, 'invalid_request', 'subject of 257 bytes: 400');
error_is(revoke_subject('subject=' . ('L' x 255) . '%4C%4C'), 400, 'invalid_request',
         'subject of 257 bytes once decoded: 400');
error_is(revoke_subject('subject=a%zz'), 400, 'invalid_request', 'percent-broken (%zz): 400');
error_is(revoke_subject('subject=a%4'), 400, 'invalid_request', 'percent-broken (%4 at the end): 400');
error_is(revoke_subject('subject=a&subject=b'), 400, 'invalid_request', 'subject twice: 400');
error_is(revoke_subject('subject=a&all=1'), 400, 'invalid_request', 'an unknown parameter: 400');
# a parameter's name is quoted only when it is short and plain: a long
# one (a pasted credential, say) is never sent back. Not a real token:
# the query string goes to the access log, which t/logscan scans.
my $long_name = 'Q' x 40;
$res = revoke_subject("subject=a&$long_name=1");
error_is($res, 400, 'invalid_request', 'a 40-character parameter name: 400');
ok(index($res->content, 'Q' x 16) < 0, '... and the answer holds no 16 characters of it');
$res = revoke_subject('subject=alice-w', as => $bob->{access_token});
error_is($res, 403, 'insufficient_scope', 'a client token: 403');
$res = revoke_subject('subject=bob-w', as => undef);
challenge_is($res, 401, 'Bearer realm="mod_bearer"', 'no token: 401 with a bare challenge');
is(code_of($bob), 200, 'and none of these revoked anything');

$res = req(PUT => ENDPOINT, token => OPERATOR_TOKEN);
ok($res->code == 405 && ($res->header('Allow') // '') eq 'POST, DELETE',
   'the collection answers other methods 405 with Allow: POST, DELETE')
    or diag(BearerTest::describe($res));

# --- the log: the subject's hash; the subject only at debug ------------------------------
my $secret = BearerTest::Secrets::SECRET_ACME;
my $hash = MIME::Base64::encode_base64url(substr(
    Digest::SHA::hmac_sha256("mod_bearer subject v1\0quiet-subject-w", $secret), 0, 16));
my $acme_tok = mint_ok({ subject => 'quiet-subject-w' }, vhost => 'bearer_acme');
my $before = -s $log || 0;
status_is(revoke_subject('subject=quiet-subject-w', endpoint => '/t/quiet/tokens',
                         vhost => 'bearer_acme'), 204,
          'revocation on an endpoint with LogLevel info');
is(code_of($acme_tok, vhost => 'bearer_acme'), 401, 'works there too (the vhost\'s secret)');
my $text = '';
wait_until(5, sub { $text = substr(log_text(), $before); $text =~ /BRR00220/ });
ok($text =~ /BRR00220: revoked every token of subject \Q$hash\E /,
   'the info line names the subject\'s keyed hash')
    or diag($text);
ok(index($text, 'quiet-subject-w') < 0, 'and not the subject (LogLevel info)');
ok(log_text() =~ /BRR00221: subject \S+ is "alice-w"/,
   'at LogLevel bearer:debug the subject is named (the main endpoint logs at trace8)');

# --- kept across a graceful restart --------------------------------------------------------
my $dave = mint_ok({ subject => 'dave-w' });
status_is(revoke_subject('subject=dave-w'), 204, 'dave-w revoked before a graceful restart');
open my $pfh, '<', $vars->{t_pid_file} or die "open pid file: $!";
chomp(my $pid = <$pfh> // '');
close $pfh;
my $offset = -s $log || 0;
kill 'USR1', $pid;
my $restarted = wait_until(30, sub {
    my $t = substr(log_text(), $offset);
    return $t =~ /SIGUSR1 received|Graceful restart requested/
        && $t =~ /resuming normal operations/;
});
ok($restarted && wait_until(30, sub { req(GET => '/plain/r.txt')->code == 200 }),
   'graceful restart done');
sleep 1;
is(code_of($dave) . ' ' . code_of($alice[0]) . ' ' . code_of($bob), '401 401 200',
   'after it, the revoked subjects\' tokens stay refused, others work');
