// SPDX-License-Identifier: Apache-2.0
// Drives mod_bearer's introspection (RFC 7662) and revocation (RFC 7009)
// endpoints with oauth4webapi, an OAuth client library written elsewhere,
// for t/oauth/oauth4webapi.t. Reads one JSON object on stdin:
//   { base, operator, live, r_basic, r_post, r_public, r_twice }
// (tokens are passed this way, never in argv or the environment) and
// prints one line per check: "ok <name>" or "not ok <name>: <why>".
// Nothing printed holds a token.
import * as oauth from 'oauth4webapi';

const input = JSON.parse(await new Promise((resolve) => {
    let data = '';
    process.stdin.on('data', (c) => { data += c; });
    process.stdin.on('end', () => resolve(data));
}));

const as = {
    issuer: input.base,
    introspection_endpoint: `${input.base}/auth/v1/introspect`,
    revocation_endpoint: `${input.base}/auth/v1/revoke`,
};
// plain http on loopback only: the library refuses it unless told
const options = { [oauth.allowInsecureRequests]: true };
const resourceServer = { client_id: 'resource-server' };
const spa = { client_id: 'browser-app' };
const basic = oauth.ClientSecretBasic(input.operator);
const post = oauth.ClientSecretPost(input.operator);

let failed = 0;
function check(name, ok, why) {
    if (ok) {
        console.log(`ok ${name}`);
    } else {
        failed++;
        console.log(`not ok ${name}: ${why}`);
    }
}

function describe(e) {
    return `${e?.name}: ${e?.message} (${e?.code ?? ''} ${e?.error ?? ''} ${e?.status ?? ''})`;
}

async function introspect(token, auth) {
    const res = await oauth.introspectionRequest(as, resourceServer, auth, token, options);
    return oauth.processIntrospectionResponse(as, resourceServer, res);
}

async function revoke(client, auth, token) {
    const res = await oauth.revocationRequest(as, client, auth, token, options);
    return oauth.processRevocationResponse(res);
}

async function attempt(name, fn, expect) {
    try {
        const value = await fn();
        const why = expect(value);
        check(name, why === true, why === true ? '' : why);
    } catch (e) {
        check(name, false, describe(e));
    }
}

async function refused(name, fn, expect) {
    try {
        await fn();
        check(name, false, 'the library accepted it');
    } catch (e) {
        const why = expect(e);
        check(name, why === true, why === true ? '' : `${why}; ${describe(e)}`);
    }
}

const activeWith = (want) => (json) => {
    if (json.active !== true) return `active is ${json.active}`;
    for (const [k, v] of Object.entries(want)) {
        if (json[k] !== v) return `${k} is ${JSON.stringify(json[k])}, not ${JSON.stringify(v)}`;
    }
    return true;
};
const inactive = (json) => (json.active === false && Object.keys(json).length === 1)
    || `not exactly {"active":false}: keys ${Object.keys(json)}`;

// --- introspection ---------------------------------------------------------------
await attempt('introspection, ClientSecretBasic: a live token is active with its claims',
    () => introspect(input.live.access_token, basic),
    activeWith({ sub: 'carol', scope: 'stream:view', jti: input.live.token_id,
                 token_type: 'Bearer', exp: input.live.expires_at }));
await attempt('introspection, ClientSecretPost: the same',
    () => introspect(input.live.access_token, post),
    activeWith({ sub: 'carol', jti: input.live.token_id }));
await attempt('introspection of an operator token: active, operator',
    () => introspect(input.operator, basic),
    activeWith({ operator: true, sub: 'operator' }));
await attempt('introspection of something not a token: inactive',
    () => introspect('no-such-token', basic), inactive);
await refused('introspection with a wrong secret (Basic): 401 and a Basic challenge',
    () => introspect(input.live.access_token, oauth.ClientSecretBasic('wrong-secret')),
    (e) => (e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401
            && e.cause?.[0]?.scheme === 'basic' && e.cause[0].parameters?.realm === 'mod_bearer')
        || 'not a 401 with a Basic challenge');
await refused('introspection with a wrong secret (post): 401 and a Bearer challenge',
    () => introspect(input.live.access_token, oauth.ClientSecretPost('wrong-secret')),
    (e) => (e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401
            && e.cause?.[0]?.scheme === 'bearer')
        || 'not a 401 with a Bearer challenge');

// --- revocation --------------------------------------------------------------------------
await attempt('revocation, ClientSecretBasic (operator): accepted',
    () => revoke(resourceServer, basic, input.r_basic.access_token), (v) => v === undefined || 'a value');
await attempt('and introspection then says inactive',
    () => introspect(input.r_basic.access_token, basic), inactive);
await attempt('revocation, ClientSecretPost (operator): accepted',
    () => revoke(resourceServer, post, input.r_post.access_token), (v) => v === undefined || 'a value');
await attempt('and introspection then says inactive',
    () => introspect(input.r_post.access_token, post), inactive);
await attempt('revocation, None() (a public client revoking its own token): accepted',
    () => revoke(spa, oauth.None(), input.r_public.access_token), (v) => v === undefined || 'a value');
await attempt('and introspection then says inactive',
    () => introspect(input.r_public.access_token, basic), inactive);
await attempt('revocation, None(), of an already revoked token: accepted (RFC 7009 2.2)',
    () => revoke(spa, oauth.None(), input.r_public.access_token), (v) => v === undefined || 'a value');
await attempt('revocation of an unknown token: accepted',
    () => revoke(resourceServer, basic, 'no-such-token'), (v) => v === undefined || 'a value');
await refused('revocation of an operator token: error unsupported_token_type, 400',
    () => revoke(resourceServer, basic, input.operator),
    (e) => (e instanceof oauth.ResponseBodyError && e.status === 400
            && e.error === 'unsupported_token_type') || 'not unsupported_token_type');
await refused('revocation with a wrong secret: 401, Basic challenge, nothing revoked',
    () => revoke(resourceServer, oauth.ClientSecretBasic('wrong'), input.r_twice.access_token),
    (e) => (e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401
            && e.cause?.[0]?.scheme === 'basic') || 'not a 401 with a Basic challenge');
await attempt('the token the wrong secret tried to revoke is still active',
    () => introspect(input.r_twice.access_token, basic), activeWith({ jti: input.r_twice.token_id }));

process.exit(failed ? 1 : 0);
