# SPDX-License-Identifier: Apache-2.0
# Checks over the whole configuration (mod_bearer/configcheck.c): each
# mistake fails "httpd -t" with a message naming the directive, the file
# and the line; the working arrangements pass.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use BearerTest;
use BearerTest::Configtest ();

my $ct  = BearerTest::Configtest->new(name => 'cfgtree', modules => ['authz_user']);
my $dir = $ct->dir;
my $op  = $ct->put('op', ('o' x 40) . "\n");
my $sec = $ct->put('secret', 's' x 40);
mkdir "$dir/a-directory";

# httpd -t on a config whose first 11 lines are fixed, so that test lines
# start on line 12 of the file (the helper dies if they do not): returns
# (exit status, output, file)
sub configtest {
    my ($lines) = @_;
    return $ct->run($lines, line => 12);
}

my $vhost_a = "<VirtualHost 127.0.0.1:8999>\n    ServerName a.test\n";
my @bad = (
    # [ lines (line 12 on), regex the message must match (file added), what ]
    [ "<Location /tokens>\n    SetHandler bearer-tokens\n</Location>",
      qr/SetHandler bearer-tokens on line 13 of /,
      'SetHandler bearer-tokens and no operator token file anywhere' ],
    [ "<VirtualHost 127.0.0.1:8999>\n    BearerOperatorTokenFile $op\n</VirtualHost>\n"
      . "<VirtualHost 127.0.0.1:8999>\n    ServerName b.test\n"
      . "    <Location /tokens>\n        SetHandler bearer-tokens\n    </Location>\n</VirtualHost>",
      qr/SetHandler bearer-tokens on line 18 of .*virtual host of line 15/,
      'SetHandler bearer-tokens in a vhost without operator tokens (another vhost has some)' ],
    [ "<Location /introspect>\n    SetHandler bearer-introspect\n</Location>",
      qr/SetHandler bearer-introspect on line 13 of .*every call would get 401/,
      'SetHandler bearer-introspect and no operator token file anywhere' ],
    [ "<Location /api>\n    Require bearer-scope a:b\n</Location>",
      qr/Require bearer-scope a:b on line 13 of .*no AuthType Bearer applies to <Location \/api> \(line 12\)/,
      'Require bearer-scope in a Location without AuthType' ],
    [ "<Location /api>\n    <RequireAll>\n        Require valid-user\n        Require bearer-operator\n    </RequireAll>\n</Location>",
      qr/Require bearer-operator on line 15 of /,
      'Require bearer-operator inside <RequireAll> without AuthType' ],
    [ "<Location /ab>\n    AuthType Bearer\n</Location>\n<Location /abc>\n    Require bearer-scope x\n</Location>",
      qr/Require bearer-scope x on line 16 of /,
      'AuthType Bearer on /ab does not reach /abc (not a path segment)' ],
    [ "<Location /api>\n    AuthType Basic\n    AuthName x\n    Require bearer-scope x\n</Location>",
      qr/Require bearer-scope x on line 15 of .*AuthType Basic \(on line 13 /,
      'Require bearer-scope under AuthType Basic' ],
    [ "<VirtualHost 127.0.0.1:8999>\n    <Location /api>\n        AuthType Bearer\n    </Location>\n</VirtualHost>\n"
      . "<VirtualHost 127.0.0.1:8999>\n    ServerName b.test\n    <Location /api>\n        Require bearer-scope x\n    </Location>\n</VirtualHost>",
      qr/Require bearer-scope x on line 20 of /,
      "another vhost's AuthType Bearer does not reach this vhost" ],
    [ "BearerMemcache 127.0.0.1:11211",
      qr/BearerMemcache on line 12 of .*BearerSecretFile is not set/,
      'BearerMemcache without BearerSecretFile' ],
    [ "BearerSecretFile $sec\n<VirtualHost 127.0.0.1:8999>\n    BearerSecretFile $dir/a-directory\n</VirtualHost>",
      qr/line 14 of .*\n?.*BearerSecretFile: .*a-directory is not a regular file/,
      'a BearerSecretFile that is a directory (unreadable as a file)' ],
    [ "<Location /api>\n    AuthType Bearer\n    Require bearer-scope x\n</Location>",
      qr/Require bearer-scope x on line 14 of .*AuthzSendForbiddenOnFailure is not set for <Location \/api> \(line 12\).*403/s,
      'Require bearer-scope without AuthzSendForbiddenOnFailure' ],
    [ "<Location /other>\n    AuthzSendForbiddenOnFailure On\n</Location>\n<Location /api>\n    AuthType Bearer\n    <RequireAny>\n        Require bearer-operator\n    </RequireAny>\n</Location>",
      qr/Require bearer-operator on line 18 of .*AuthzSendForbiddenOnFailure is not set for <Location \/api> \(line 15\)/s,
      'AuthzSendForbiddenOnFailure On in a Location that does not cover this one' ],
);
my @good = (
    [ "BearerOperatorTokenFile $op\n<Location /tokens>\n    SetHandler bearer-tokens\n</Location>",
      'SetHandler bearer-tokens with an operator token file' ],
    [ "BearerOperatorTokenFile $op\n<VirtualHost 127.0.0.1:8999>\n"
      . "    <Location /tokens>\n        SetHandler bearer-tokens\n    </Location>\n</VirtualHost>",
      'a vhost endpoint inheriting the main server operator tokens' ],
    [ "<VirtualHost 127.0.0.1:8999>\n    BearerOperatorTokenFile $op\n"
      . "    <Location /tokens>\n        SetHandler bearer-tokens\n    </Location>\n</VirtualHost>",
      'a vhost endpoint with operator tokens of its own' ],
    [ "<Location /revoke>\n    SetHandler bearer-revoke\n</Location>",
      'SetHandler bearer-revoke without operator tokens (public clients revoke their own)' ],
    [ "BearerOperatorTokenFile $op\n<Location /introspect>\n    SetHandler bearer-introspect\n</Location>",
      'SetHandler bearer-introspect with an operator token file' ],
    [ "<Location /p>\n    AuthType bearer\n    AuthzSendForbiddenOnFailure On\n</Location>\n<Location /p/q>\n    Require bearer-scope x\n</Location>",
      'AuthType Bearer (any case) in an enclosing Location path' ],
    [ "<Location /api>\n    AuthType Bearer\n    AuthzSendForbiddenOnFailure On\n    <RequireAny>\n        Require bearer-scope x\n        Require bearer-operator\n    </RequireAny>\n</Location>",
      'Require lines in <RequireAny> under AuthType Bearer' ],
    [ "<LocationMatch \"^/s/(?<id>[^/]+)\">\n    AuthType Bearer\n    AuthzSendForbiddenOnFailure On\n    Require bearer-scope \"s:%{env:MATCH_ID}\"\n</LocationMatch>",
      'LocationMatch with its own AuthType Bearer' ],
    [ "<LocationMatch \"^/s/\">\n    AuthType Bearer\n    AuthzSendForbiddenOnFailure On\n</LocationMatch>\n<Location /s/x>\n    Require bearer-scope x\n</Location>",
      'an AuthType Bearer in a regex section may reach: passes' ],
    [ "<Location /api>\n    AuthType Bearer\n    AuthzSendForbiddenOnFailure On\n</Location>\n<VirtualHost 127.0.0.1:8999>\n    <Location /api/v1>\n        Require bearer-scope x\n    </Location>\n</VirtualHost>",
      "a vhost Location under the main server's AuthType Bearer" ],
    [ "<Location /api>\n    AuthType Bearer\n    AuthzSendForbiddenOnFailure Off\n    Require bearer-scope x\n</Location>",
      'AuthzSendForbiddenOnFailure Off: the admin chose 401' ],
    [ "<Location />\n    AuthzSendForbiddenOnFailure On\n</Location>\n<Location /api>\n    AuthType Bearer\n    Require bearer-operator\n</Location>",
      'AuthzSendForbiddenOnFailure On in an enclosing Location path' ],
    [ "BearerSecretFile $sec\nBearerMemcache 127.0.0.1:11211",
      'BearerMemcache with BearerSecretFile' ],
);
plan tests => @bad + @good;

for my $case (@bad) {
    my ($lines, $named, $what) = @$case;
    my ($status, $out, $conf) = configtest($lines);
    ok($status != 0 && $out =~ $named && $out =~ /\Q$conf\E/,
       "$what: configtest fails, naming the directive, file and line")
        or diag("exit $status, output:\n$out");
}
for my $case (@good) {
    my ($lines, $what) = @$case;
    my ($status, $out) = configtest($lines);
    ok($status == 0 && $out =~ /Syntax OK/, "$what: configtest passes")
        or diag("exit $status, output:\n$out");
}
