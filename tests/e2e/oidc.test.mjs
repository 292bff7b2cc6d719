// latchkey as an OpenID Provider against the real server (OpenID Connect
// Core 1.0 §3.1 and §5.3, Discovery 1.0 §3, RP-Initiated Logout 1.0; RFC
// 6750; DESIGN §2): openid-client runs the authorization code flow with PKCE
// and a nonce while a small cookie jar drives the login and consent forms;
// the ID token is validated by openid-client and checked claim by claim;
// userinfo is read through openid-client and with raw requests for every way
// of sending a token and every refusal; CORS headers and preflights on the
// endpoints browser-based applications call; RP-initiated logout with and
// without id_token_hint; and the discovery members of an OpenID Provider.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import * as jose from 'jose';
import { cli, freshDir, startServer } from './harness.mjs';
import { Browser, pageForm as form } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://rp.example/cb';
const BYE = 'https://rp.example/bye';
const SCOPE = 'openid profile email offline_access';
const SPA = 'https://spa.example';
const CORS_ORIGINS = `${SPA} https://admin.example`;

let srv;
let dir;
let jwks;
const apps = {};
const users = {};

function cliOk(args, opts = {}) {
  const r = cli(args, { db: dir.db, ...opts });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

function addUser(name, extra = []) {
  users[name] = cliOk(['user', 'add', name, ...extra, '--password-stdin', '--json'], { input: `${PASSWORD}\n` }).json;
  return users[name];
}

const redirected = (r) => r.status === 302 || r.status === 303;
const onPage = (r, path) => redirected(r) && r.location?.startsWith(`${srv.url}${path}?request=`);

// ---- The relying party: openid-client with discovery. ----

async function rpConfig(name = 'oidc') {
  const cfg = await client.discovery(new URL(srv.url), apps[name].client_id, {},
    client.ClientSecretBasic(apps[name].client_secret), { execute: [client.allowInsecureRequests] });
  // Verify the ID token's signature against the JWKS too (Core §3.1.3.7 step 6).
  client.enableNonRepudiationChecks(cfg);
  return cfg;
}

// Signs alice (or `who`) in with browser b through the login and consent
// forms; returns openid-client's token response and what it checked.
async function signIn(b, cfg, { who = 'alice', scope = SCOPE } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT, scope, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const started = Math.floor(Date.now() / 1000);
  let r = await b.request(url);
  let login = false;
  if (onPage(r, '/login')) {
    login = true;
    const page = await b.request(r.location);
    assert.equal(page.status, 200, page.text);
    const f = form(page.text);
    assert.ok('request' in f.fields && 'csrf' in f.fields, JSON.stringify(f.fields));
    r = await b.submit(page, { username: who, password: PASSWORD });
  }
  if (onPage(r, '/consent')) {
    const page = await b.request(r.location);
    assert.equal(page.status, 200, page.text);
    r = await b.submit(page, { decision: 'allow' });
  }
  assert.ok(redirected(r) && r.location?.startsWith(`${REDIRECT}?`), `${r.status} ${r.location} ${r.text.slice(0, 300)}`);
  const tokens = await client.authorizationCodeGrant(cfg, new URL(r.location),
    { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  return { tokens, nonce, started, login };
}

// ---- Raw requests. ----

async function userinfo({ method = 'GET', bearer, form: body, query = '', headers = {} } = {}) {
  const h = { ...headers };
  if (bearer !== undefined) h.authorization = `Bearer ${bearer}`;
  let payload;
  if (body !== undefined) {
    h['content-type'] = 'application/x-www-form-urlencoded';
    payload = typeof body === 'string' ? body : new URLSearchParams(body).toString();
  }
  const r = await fetch(`${srv.url}/oauth2/userinfo${query}`, { method, headers: h, body: payload });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

// A refused userinfo request: status, RFC 6750 §3 challenge and JSON error.
function assertRefused(r, status, error, what) {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  const challenge = r.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer realm="latchkey"/, what);
  if (error) {
    assert.match(challenge, new RegExp(`error="${error}"`), `${what}: ${challenge}`);
    assert.equal(r.json?.error, error, what);
  } else {
    // RFC 6750 §3.1: a request without a token gets no error code.
    assert.equal(challenge, 'Bearer realm="latchkey"', what);
  }
  assert.equal(r.headers.get('cache-control'), 'no-store', what);
}

async function token(form, headers = {}) {
  const r = await fetch(`${srv.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: r.status, headers: r.headers, json: await r.json() };
}

const basic = (name) => `Basic ${Buffer.from(`${apps[name].client_id}:${apps[name].client_secret}`).toString('base64')}`;

// The refresh grant for app `name`, raw, so that a refusal can be inspected.
const refresh = (name, rt) => token({ grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic(name) });

// Whether browser b is signed in: a new authorization request skips the login page.
async function signedIn(b, cfg) {
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT, scope: 'openid', state: 's', nonce: 'n',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const r = await b.request(url);
  assert.ok(redirected(r), `${r.status} ${r.text.slice(0, 200)}`);
  return !onPage(r, '/login');
}

function assertSessionCleared(r) {
  const c = r.setCookies.find((x) => x.startsWith('lk_session='));
  assert.ok(c, `no lk_session cookie cleared: ${r.setCookies}`);
  assert.match(c, /^lk_session=;/);
  assert.match(c, /Max-Age=0/i);
}

function assertSignedOutPage(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
  assert.equal(r.location, null, what);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.match(r.text, /You have signed out/, what);
}

before(async () => {
  dir = freshDir();
  addUser('alice', ['--email', 'alice@example.org', '--name', 'Alice Liddell', '--given-name', 'Alice', '--family-name', 'Liddell']);
  addUser('corp\\bob', ['--email', 'bob@example.org', '--email-verified', '--phone', '+1 555 0100']);
  for (const name of ['oidc', 'other']) {
    apps[name] = cliOk(['app', 'add', '--name', name, '--grant', 'authorization_code', '--redirect-uri', REDIRECT,
      '--post-logout-redirect-uri', BYE, '--scope', `${SCOPE} phone`, '--json']).json;
  }
  apps.svc = cliOk(['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--scope', 'api openid', '--json']).json;
  srv = await startServer({ dir, env: { LATCHKEY_SERVER_CORS_ORIGINS: CORS_ORIGINS, LATCHKEY_LOGIN_MAX_FAILURES: '50' } });
  jwks = jose.createRemoteJWKSet(new URL(`${srv.url}/oauth2/jwks`));
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('discovery: userinfo and end_session endpoints, claims, and what is not supported', async () => {
  const md = await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json();
  assert.equal(md.userinfo_endpoint, `${srv.url}/oauth2/userinfo`);
  assert.equal(md.end_session_endpoint, `${srv.url}/oauth2/logout`);
  assert.deepEqual(md.claims_supported, ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'amr',
    'at_hash', 'name', 'given_name', 'family_name', 'preferred_username', 'updated_at', 'email', 'email_verified',
    'phone_number', 'phone_number_verified']);
  assert.equal(md.request_parameter_supported, false);
  assert.equal(md.request_uri_parameter_supported, false);
  assert.equal(md.claims_parameter_supported, true);
  assert.deepEqual(md.subject_types_supported, ['public']);
  assert.ok(md.id_token_signing_alg_values_supported.includes('RS256'));
  // Signed userinfo uses the same keys as ID tokens.
  assert.deepEqual(md.userinfo_signing_alg_values_supported, md.id_token_signing_alg_values_supported);
  const cfg = await rpConfig();
  assert.equal(cfg.serverMetadata().end_session_endpoint, md.end_session_endpoint);
  assert.deepEqual(await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json(), md);
});

test('code + PKCE + nonce with openid-client: the ID token and userinfo', async () => {
  const cfg = await rpConfig();
  const b = new Browser(srv.url);
  const { tokens, nonce, started, login } = await signIn(b, cfg);
  assert.ok(login, 'a new browser signs in');
  assert.equal(tokens.scope.split(' ').sort().join(' '), SCOPE.split(' ').sort().join(' '));
  assert.match(tokens.refresh_token, /^lk_rt_/);

  // openid-client validated iss, aud, exp, iat, nonce and the signature.
  const claims = tokens.claims();
  assert.equal(claims.iss, srv.url);
  assert.equal(claims.aud, apps.oidc.client_id);
  assert.equal(claims.sub, String(users.alice.id));
  assert.equal(claims.nonce, nonce);
  assert.deepEqual(claims.amr, ['pwd']);
  assert.match(claims.sid, /^[A-Za-z0-9_-]+$/);
  assert.ok(Number.isInteger(claims.auth_time) && claims.auth_time >= started - 1 && claims.auth_time <= claims.iat, JSON.stringify(claims));
  // Core §3.1.3.6: at_hash is the left half of the access token's SHA-256.
  const digest = createHash('sha256').update(tokens.access_token).digest();
  assert.equal(claims.at_hash, digest.subarray(0, 16).toString('base64url'));
  // And independently of openid-client, against the published keys.
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: srv.url, audience: apps.oidc.client_id });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.sub, claims.sub);

  // Core §5.3.2: userinfo's sub equals the ID token's; profile and email claims.
  const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.name, 'Alice Liddell');
  assert.equal(info.given_name, 'Alice');
  assert.equal(info.family_name, 'Liddell');
  assert.equal(info.preferred_username, 'alice');
  assert.ok(Number.isInteger(info.updated_at) && info.updated_at > 0, JSON.stringify(info));
  assert.equal(info.email, 'alice@example.org');
  assert.equal(info.email_verified, false);
  // No phone scope asked for, and alice has no phone anyway.
  assert.equal(info.phone_number, undefined);
  assert.equal(info.phone_number_verified, undefined);
  // openid-client refuses an answer for another subject.
  await assert.rejects(client.fetchUserInfo(cfg, tokens.access_token, '999999'), { message: /unexpected JSON attribute value/ });
});

test('userinfo: the claims of each scope, empty values left out, a domain in preferred_username', async () => {
  const cfg = await rpConfig('other');
  const { tokens } = await signIn(new Browser(srv.url), cfg, { who: 'corp\\bob', scope: 'openid email phone' });
  assert.equal((await client.fetchUserInfo(cfg, tokens.access_token, String(users['corp\\bob'].id))).sub,
    String(users['corp\\bob'].id));
  // Exactly these members, checked on the raw answer.
  const info = (await userinfo({ bearer: tokens.access_token })).json;
  assert.deepEqual(info, {
    sub: String(users['corp\\bob'].id),
    email: 'bob@example.org',
    email_verified: true,
    phone_number: '+1 555 0100',
    phone_number_verified: false,
  });
  const { tokens: t2 } = await signIn(new Browser(srv.url), cfg, { who: 'corp\\bob', scope: 'openid profile' });
  const p = (await userinfo({ bearer: t2.access_token })).json;
  // bob has no names: only preferred_username (domain\user outside the default domain) and updated_at.
  assert.deepEqual(Object.keys(p).sort(), ['preferred_username', 'sub', 'updated_at']);
  assert.equal(p.preferred_username, 'corp\\bob');
});

test('userinfo: GET and POST, header and body, and every refusal', async () => {
  const cfg = await rpConfig();
  const { tokens } = await signIn(new Browser(srv.url), cfg);
  const at = tokens.access_token;
  const sub = String(users.alice.id);

  for (const [what, req] of [
    ['GET with the header', { bearer: at }],
    ['POST with the header', { method: 'POST', bearer: at }],
    ['POST with the form body', { method: 'POST', form: { access_token: at } }],
  ]) {
    const r = await userinfo(req);
    assert.equal(r.status, 200, `${what}: ${r.text}`);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(r.headers.get('cache-control'), 'no-store', what);
    assert.equal(r.json.sub, sub, what);
    assert.equal(r.json.email, 'alice@example.org', what);
  }

  // RFC 6750 §3.1: no token at all is 401 without an error code.
  assertRefused(await userinfo(), 401, null, 'no token');
  assertRefused(await userinfo({ method: 'POST', form: {} }), 401, null, 'an empty form');
  // More than one method, or one latchkey does not offer, is invalid_request.
  assertRefused(await userinfo({ method: 'POST', bearer: at, form: { access_token: at } }), 400, 'invalid_request', 'header and body');
  assertRefused(await userinfo({ query: `?access_token=${at}` }), 400, 'invalid_request', 'query string');
  assertRefused(await userinfo({ bearer: at, query: `?access_token=${at}` }), 400, 'invalid_request', 'header and query string');
  assertRefused(await userinfo({ method: 'POST', form: `access_token=${at}&access_token=${at}` }), 400, 'invalid_request', 'a repeated parameter');
  // Tokens that are not active.
  assertRefused(await userinfo({ bearer: 'lk_at_nope' }), 401, 'invalid_token', 'an unknown token');
  assertRefused(await userinfo({ bearer: `${at.slice(0, -4)}AAAA` }), 401, 'invalid_token', 'a bad signature');
  assertRefused(await userinfo({ bearer: tokens.id_token }), 401, 'invalid_token', 'an ID token');
  assertRefused(await userinfo({ method: 'POST', form: { access_token: 'x y' } }), 401, 'invalid_token', 'garbage in the body');
  assertRefused(await userinfo({ headers: { authorization: 'Bearer a b' } }), 401, 'invalid_token', 'a malformed header');

  // A token without openid: 403 insufficient_scope naming it (Core §5.3.1).
  const cc = await token({ grant_type: 'client_credentials', scope: 'api' }, { authorization: basic('svc') });
  assert.equal(cc.status, 200, JSON.stringify(cc.json));
  const r403 = await userinfo({ bearer: cc.json.access_token });
  assertRefused(r403, 403, 'insufficient_scope', 'no openid');
  assert.match(r403.headers.get('www-authenticate'), /scope="openid"/);
  // An application's own token describes no user.
  const own = await token({ grant_type: 'client_credentials', scope: 'openid' }, { authorization: basic('svc') });
  assertRefused(await userinfo({ bearer: own.json.access_token }), 401, 'invalid_token', 'an application token');

  // A revoked token stops working at once.
  await client.tokenRevocation(cfg, at);
  assertRefused(await userinfo({ bearer: at }), 401, 'invalid_token', 'a revoked token');
});

test('CORS: configured origins on userinfo, token, JWKS and discovery; preflights', async () => {
  const simple = [
    ['/.well-known/openid-configuration', 'GET'],
    ['/.well-known/oauth-authorization-server', 'GET'],
    ['/oauth2/jwks', 'GET'],
    ['/oauth2/userinfo', 'GET, POST'],
    ['/oauth2/token', 'POST'],
  ];
  for (const [path, methods] of simple) {
    const method = methods.startsWith('GET') ? 'GET' : 'POST';
    const ok = await fetch(`${srv.url}${path}`, { method, headers: { origin: SPA } });
    assert.equal(ok.headers.get('access-control-allow-origin'), SPA, path);
    assert.match(ok.headers.get('vary') ?? '', /\bOrigin\b/, path);
    assert.equal(ok.headers.get('access-control-allow-credentials'), null, path);
    // Another origin, or none, is not allowed; the answer still varies by Origin.
    for (const headers of [{ origin: 'https://evil.example' }, { origin: `${SPA}.evil.example` }, {}]) {
      const no = await fetch(`${srv.url}${path}`, { method, headers });
      assert.equal(no.headers.get('access-control-allow-origin'), null, `${path} ${JSON.stringify(headers)}`);
      assert.match(no.headers.get('vary') ?? '', /\bOrigin\b/, path);
    }

    const pre = await fetch(`${srv.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: SPA, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
    });
    assert.equal(pre.status, 204, path);
    assert.equal(await pre.text(), '');
    assert.equal(pre.headers.get('access-control-allow-origin'), SPA, path);
    assert.equal(pre.headers.get('access-control-allow-methods'), methods, path);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'Authorization, Content-Type', path);
    assert.equal(pre.headers.get('access-control-max-age'), '600', path);
    assert.equal(pre.headers.get('allow'), `${methods}, OPTIONS`, path);

    const denied = await fetch(`${srv.url}${path}`, {
      method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': method },
    });
    assert.equal(denied.status, 204, path);
    for (const h of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers'])
      assert.equal(denied.headers.get(h), null, `${path} ${h}`);
  }

  // A refusal is readable by the application too, challenge included.
  const r = await userinfo({ bearer: 'lk_at_nope', headers: { origin: 'https://admin.example' } });
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://admin.example');
  assert.match(r.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/i);
  const t = await token({ grant_type: 'client_credentials' }, { origin: SPA });
  assert.equal(t.status, 401);
  assert.equal(t.headers.get('access-control-allow-origin'), SPA);

  // Endpoints for servers, not browsers, have no CORS.
  const intro = await fetch(`${srv.url}/oauth2/introspect`, { method: 'OPTIONS', headers: { origin: SPA } });
  assert.equal(intro.status, 405);
  assert.equal(intro.headers.get('access-control-allow-origin'), null);
});

test('logout with id_token_hint and a registered post_logout_redirect_uri', async () => {
  const cfg = await rpConfig();
  const b = new Browser(srv.url);
  const { tokens } = await signIn(b, cfg);
  // The same application in another browser: a session logout does not touch.
  const b2 = new Browser(srv.url);
  const { tokens: keep } = await signIn(b2, cfg);
  // Another application in the same session keeps its tokens too.
  const otherCfg = await rpConfig('other');
  const { tokens: otherTokens, login } = await signIn(b, otherCfg);
  assert.equal(login, false, 'the session signs in to the second app without the login page');
  assert.ok(await signedIn(b, cfg));

  const url = client.buildEndSessionUrl(cfg, { id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: 'st a&te' });
  assert.equal(url.origin + url.pathname, `${srv.url}/oauth2/logout`);
  const r = await b.request(url);
  assert.equal(r.status, 302, r.text);
  assert.equal(r.location, `${BYE}?state=st%20a%26te`);
  assert.match(r.headers.get('cache-control') ?? '', /no-store/);
  assertSessionCleared(r);
  assert.equal(b.cookies.has('lk_session'), false);

  // The session is gone: the next authorization request shows the login page.
  assert.equal(await signedIn(b, cfg), false);
  // The application's refresh token and access token of that session are refused.
  const rt = await refresh('oidc', tokens.refresh_token);
  assert.equal(rt.status, 400);
  assert.equal(rt.json.error, 'invalid_grant');
  assertRefused(await userinfo({ bearer: tokens.access_token }), 401, 'invalid_token', 'after logout');
  // What the other browser and the other application hold still works.
  assert.equal((await refresh('oidc', keep.refresh_token)).status, 200);
  assert.equal((await refresh('other', otherTokens.refresh_token)).status, 200);
  assert.ok(await signedIn(b2, cfg));

  // Logging out again, with no session left, is no error.
  const again = await b.request(client.buildEndSessionUrl(cfg, { id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE }));
  assert.equal(again.status, 302);
  assert.equal(again.location, BYE);
  // POST works as GET does (RP-Initiated Logout §2).
  const { tokens: t3 } = await signIn(b, cfg);
  const post = await b.request('/oauth2/logout', { method: 'POST', form: { id_token_hint: t3.id_token, post_logout_redirect_uri: BYE, state: 'p' } });
  assert.equal(post.status, 303, post.text);
  assert.equal(post.location, `${BYE}?state=p`);
  assert.equal(await signedIn(b, cfg), false);
});

test('logout: no redirect to an unregistered URI; a bad hint or client_id is an error page', async () => {
  const cfg = await rpConfig();
  const b = new Browser(srv.url);
  const { tokens } = await signIn(b, cfg);

  // A hint of another app's ID token, or an access token, or a tampered one.
  const bad = [
    ['a tampered hint', { id_token_hint: `${tokens.id_token.slice(0, -4)}AAAA` }],
    ['an access token as hint', { id_token_hint: tokens.access_token }],
    ['garbage', { id_token_hint: 'not.a.jwt' }],
    ['client_id not the audience', { id_token_hint: tokens.id_token, client_id: apps.other.client_id }],
    ['an unknown client_id', { client_id: 'nope', post_logout_redirect_uri: BYE }],
  ];
  for (const [what, params] of bad) {
    const r = await b.request(`/oauth2/logout?${new URLSearchParams({ ...params, post_logout_redirect_uri: BYE, state: 's' })}`);
    assert.equal(r.status, 400, `${what}: ${r.text.slice(0, 300)}`);
    assert.equal(r.location, null, what);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/, what);
  }
  assert.ok(await signedIn(b, cfg), 'a refused logout leaves the session');

  // Not registered (or not exactly): signed out, but no redirect.
  for (const uri of ['https://evil.example/bye', `${BYE}/`, `${BYE}?x=1`, 'https://RP.example/bye']) {
    const { tokens: t } = await signIn(b, cfg);
    const r = await b.request(client.buildEndSessionUrl(cfg, { id_token_hint: t.id_token, post_logout_redirect_uri: uri, state: 's' }));
    assertSignedOutPage(r, uri);
    assertSessionCleared(r);
    assert.equal(await signedIn(b, cfg), false, uri);
  }
  // A hint without a redirect URI: signed out, the signed-out page.
  const { tokens: t2 } = await signIn(b, cfg);
  const r = await b.request(`/oauth2/logout?${new URLSearchParams({ id_token_hint: t2.id_token })}`);
  assertSignedOutPage(r, 'no redirect URI');
  assert.equal(await signedIn(b, cfg), false);
});

test('logout without a hint: a confirmation page, then its POST', async () => {
  const cfg = await rpConfig();
  const b = new Browser(srv.url);
  const { tokens } = await signIn(b, cfg);
  const q = new URLSearchParams({ client_id: apps.oidc.client_id, post_logout_redirect_uri: BYE, state: 'x"<y' });

  const page = await b.request(`/oauth2/logout?${q}`);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /Sign out/);
  const f = form(page.text);
  assert.equal(f.action, '/oauth2/logout');
  assert.deepEqual(Object.keys(f.fields).sort(), ['client_id', 'csrf', 'post_logout_redirect_uri', 'state']);
  assert.equal(f.fields.client_id, apps.oidc.client_id);
  assert.equal(f.fields.post_logout_redirect_uri, BYE);
  assert.equal(f.fields.state, 'x"<y');
  // The form's post may end in a redirect to the application (CSP form-action).
  // Every redirect after it too, which may go on to another origin: https as a whole.
  assert.match(page.headers.get('content-security-policy'), /form-action 'self' https:$/);
  assert.ok(!page.headers.get('content-security-policy').includes('unsafe-inline'));
  assert.match(page.headers.get('cache-control') ?? '', /no-store/);
  // Showing the page changes nothing.
  assert.ok(await signedIn(b, cfg));

  // Another site cannot post it: a wrong or missing browser binding is refused.
  const forged = await b.request('/oauth2/logout', { method: 'POST', form: { ...f.fields, csrf: 'A'.repeat(43) } });
  assert.equal(forged.status, 403);
  const stranger = new Browser(srv.url);
  const cross = await stranger.request('/oauth2/logout', { method: 'POST', form: f.fields });
  assert.equal(cross.status, 403);
  assert.ok(await signedIn(b, cfg));

  const done = await b.submit(page);
  assert.equal(done.status, 303, done.text);
  assert.equal(done.location, `${BYE}?state=x%22%3Cy`);
  assertSessionCleared(done);
  assert.equal(await signedIn(b, cfg), false);
  // The person confirmed for this application: its refresh token of the session goes.
  assert.equal((await refresh('oidc', tokens.refresh_token)).json.error, 'invalid_grant');

  // No parameters at all: confirm, then the signed-out page (no session is fine).
  const fresh = new Browser(srv.url);
  const p2 = await fresh.request('/oauth2/logout');
  assert.equal(p2.status, 200);
  assert.ok(p2.setCookies.some((c) => c.startsWith('lk_browser=')), 'the browser cookie binds the form');
  assert.deepEqual(Object.keys(form(p2.text).fields), ['csrf']);
  assertSignedOutPage(await fresh.submit(p2), 'confirmed without parameters');

  // post_logout_redirect_uri without a client: nowhere to check it against, so no redirect.
  await signIn(b, cfg);
  const p3 = await b.request(`/oauth2/logout?${new URLSearchParams({ post_logout_redirect_uri: BYE })}`);
  assertSignedOutPage(await b.submit(p3), 'no client');
  assert.equal(await signedIn(b, cfg), false);
});

test('logout: a hint for someone else than the person signed in asks first', async () => {
  const cfg = await rpConfig();
  const { tokens: bobs } = await signIn(new Browser(srv.url), cfg, { who: 'corp\\bob' });
  const b = new Browser(srv.url);
  await signIn(b, cfg);
  const r = await b.request(client.buildEndSessionUrl(cfg, { id_token_hint: bobs.id_token, post_logout_redirect_uri: BYE }));
  assert.equal(r.status, 200, r.text);
  assert.ok('csrf' in form(r.text).fields);
  assert.ok(await signedIn(b, cfg), 'alice is still signed in');
  // bob's tokens were not touched either.
  assert.equal((await refresh('oidc', bobs.refresh_token)).status, 200);
});

test('id_token_hint at the authorization endpoint: only the user it names gets through', async () => {
  const cfg = await rpConfig();
  const { tokens: alices } = await signIn(new Browser(srv.url), cfg);
  const b = new Browser(srv.url);
  await signIn(b, cfg, { who: 'corp\\bob' });
  const url = async (extra) => client.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT, scope: 'openid', state: 'h', nonce: 'n',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    ...extra,
  });
  const params = (r) => {
    assert.ok(redirected(r) && r.location?.startsWith(`${REDIRECT}?`), `${r.status} ${r.location} ${r.text.slice(0, 200)}`);
    return new URL(r.location).searchParams;
  };

  // bob is signed in; the hint names alice: with prompt=none, login_required.
  let p = params(await b.request(await url({ id_token_hint: alices.id_token, prompt: 'none' })));
  assert.equal(p.get('error'), 'login_required');
  assert.equal(p.get('state'), 'h');
  // Without prompt=none, the login page instead of bob's code.
  let r = await b.request(await url({ id_token_hint: alices.id_token }));
  assert.ok(onPage(r, '/login'), `${r.status} ${r.location}`);
  // Signing in there as bob again is not alice: login_required.
  const page = await b.request(r.location);
  r = await b.submit(page, { username: 'corp\\bob', password: PASSWORD });
  p = params(r);
  assert.equal(p.get('error'), 'login_required');
  // bob's own hint lets bob through at once.
  const { tokens: bobs } = await signIn(new Browser(srv.url), cfg, { who: 'corp\\bob' });
  p = params(await b.request(await url({ id_token_hint: bobs.id_token, prompt: 'none' })));
  assert.ok(p.get('code'), p.toString());
  // A hint that is not an ID token of ours: invalid_request, to the client.
  for (const bad of [`${alices.id_token.slice(0, -4)}AAAA`, alices.access_token, 'not.a.jwt']) {
    p = params(await b.request(await url({ id_token_hint: bad })));
    assert.equal(p.get('error'), 'invalid_request', bad.slice(0, 20));
  }
});
