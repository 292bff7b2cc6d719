// The claims request parameter (OpenID Connect Core 1.0 §5.5) and signed
// userinfo answers (Core §5.3.2) against the real server: openid-client runs
// the authorization code flow with PKCE and a nonce while a small cookie jar
// drives the login and consent forms; the claims asked of the ID token are
// checked in it, also after a refresh, and those asked of userinfo in its
// answer, for JWT and opaque access tokens; a first-party application gets
// what its allowed scopes cover, another only what the user consented to; a
// sub value names the only user the answer may be for; a malformed request
// is invalid_request at the application's redirect URI. Signed userinfo is
// verified with jose against the JWKS for each algorithm, and the option
// goes through the CLI and dynamic client registration (RFC 7591 / 7592).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import * as jose from 'jose';
import { cli, freshDir, startServer } from './harness.mjs';
import { Browser, pageForm as form } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://rp.example/cb';
const SCOPES = 'openid profile email phone offline_access';
// Every algorithm signs, so that each can be asked for.
const ENV = { LATCHKEY_KEYS_SIGNING_ALGS: 'ES256 RS256 PS256' };
const ALGS = ['RS256', 'PS256', 'ES256'];

let srv;
let dir;
let jwks;
let iat; // an initial access token (scope register) for dynamic registration
const apps = {};
const users = {};

function cliRun(args, opts = {}) {
  return cli(args, { db: dir.db, ...opts, env: { ...ENV, ...(opts.env ?? {}) } });
}

function cliOk(args, opts = {}) {
  const r = cliRun(args, opts);
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

function addUser(name, extra = []) {
  users[name] = cliOk(['user', 'add', name, ...extra, '--password-stdin', '--json'], { input: `${PASSWORD}\n` }).json;
  return users[name];
}

function addApp(name, extra = []) {
  apps[name] = cliOk(['app', 'add', '--name', name, '--grant', 'authorization_code', '--redirect-uri', REDIRECT,
    '--scope', SCOPES, ...extra, '--json']).json;
  return apps[name];
}

const redirected = (r) => r.status === 302 || r.status === 303;
const onPage = (r, path) => redirected(r) && r.location?.startsWith(`${srv.url}${path}?request=`);

// ---- The relying party: openid-client with discovery. ----

async function rpConfig(name) {
  const cfg = await client.discovery(new URL(srv.url), apps[name].client_id, {},
    client.ClientSecretBasic(apps[name].client_secret), { execute: [client.allowInsecureRequests] });
  client.enableNonRepudiationChecks(cfg);
  return cfg;
}

// Runs an authorization request in browser b through the login and consent
// forms as `who`; returns the final redirect to the application and what the
// token request needs.
async function authorize(b, cfg, { who = 'alice', scope = SCOPES, params = {} } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT, scope, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    ...params,
  });
  let r = await b.request(url);
  if (onPage(r, '/login')) {
    const page = await b.request(r.location);
    assert.equal(page.status, 200, page.text);
    r = await b.submit(page, { username: who, password: PASSWORD });
  }
  if (onPage(r, '/consent')) {
    const page = await b.request(r.location);
    assert.equal(page.status, 200, page.text);
    r = await b.submit(page, { decision: 'allow' });
  }
  assert.ok(redirected(r) && r.location?.startsWith(`${REDIRECT}?`), `${r.status} ${r.location} ${r.text.slice(0, 300)}`);
  return { location: new URL(r.location), verifier, state, nonce };
}

// Signs in and redeems the code; openid-client validates the ID token.
async function signIn(b, cfg, opts = {}) {
  const a = await authorize(b, cfg, opts);
  return client.authorizationCodeGrant(cfg, a.location,
    { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce, idTokenExpected: true });
}

// The ID token's claims, verified independently against the published keys.
async function idClaims(name, idToken) {
  const { payload } = await jose.jwtVerify(idToken, jwks, { issuer: srv.url, audience: apps[name].client_id });
  return payload;
}

async function userinfo(accessToken, { method = 'GET' } = {}) {
  const r = await fetch(`${srv.url}/oauth2/userinfo`, { method, headers: { authorization: `Bearer ${accessToken}` } });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

// The user claims of an object: everything but the protocol's own.
const PROTOCOL = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'amr', 'at_hash']);
const userClaims = (o) => Object.keys(o).filter((k) => !PROTOCOL.has(k)).sort();

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function token(form, authorization) {
  const r = await fetch(`${srv.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(form),
  });
  return { status: r.status, json: await r.json() };
}

const refresh = (name, rt) =>
  token({ grant_type: 'refresh_token', refresh_token: rt }, basic(apps[name].client_id, apps[name].client_secret));

before(async () => {
  dir = freshDir();
  addUser('alice', ['--email', 'alice@example.org', '--email-verified', '--name', 'Alice Liddell',
    '--given-name', 'Alice', '--family-name', 'Liddell', '--phone', '+1 555 0100']);
  addUser('bob', ['--email', 'bob@example.org']);
  addApp('first', ['--first-party']);
  addApp('third');
  addApp('opaque', ['--first-party', '--token-format', 'opaque']);
  for (const alg of ALGS) addApp(`signed-${alg}`, ['--first-party', '--userinfo-alg', alg]);
  apps.registrar = cliOk(['app', 'add', '--name', 'registrar', '--grant', 'client_credentials',
    '--scope', 'register', '--json']).json;
  srv = await startServer({ dir, env: ENV });
  jwks = jose.createRemoteJWKSet(new URL(`${srv.url}/oauth2/jwks`));
  const t = await token({ grant_type: 'client_credentials' }, basic(apps.registrar.client_id, apps.registrar.client_secret));
  assert.equal(t.status, 200, JSON.stringify(t.json));
  iat = t.json.access_token;
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('discovery: the claims parameter and the algorithms of signed userinfo', async () => {
  const md = await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json();
  assert.equal(md.claims_parameter_supported, true);
  assert.deepEqual(md.userinfo_signing_alg_values_supported, ['ES256', 'RS256', 'PS256']);
  assert.deepEqual(md.userinfo_signing_alg_values_supported, md.id_token_signing_alg_values_supported);
});

test('claims: asked of the ID token and of userinfo, kept through a refresh (JWT access tokens)', async () => {
  const cfg = await rpConfig('first');
  const claims = {
    userinfo: { email: null, name: { essential: true }, nickname: null },
    id_token: { given_name: null, phone_number: { essential: true }, email_verified: { value: true }, acr: { values: ['x'] } },
  };
  const tokens = await signIn(new Browser(srv.url), cfg, { scope: 'openid offline_access', params: { claims: JSON.stringify(claims) } });
  const sub = String(users.alice.id);
  const id = await idClaims('first', tokens.id_token);
  assert.equal(id.sub, sub);
  assert.deepEqual(userClaims(id), ['email_verified', 'given_name', 'phone_number']);
  assert.equal(id.given_name, 'Alice');
  assert.equal(id.phone_number, '+1 555 0100');
  assert.equal(id.email_verified, true);

  // Userinfo: no scope releases anything here, the request does.
  const info = await client.fetchUserInfo(cfg, tokens.access_token, sub);
  assert.deepEqual(info, { sub, email: 'alice@example.org', name: 'Alice Liddell' });

  // A refreshed ID token and access token honour the same request.
  const r = await refresh('first', tokens.refresh_token);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const id2 = await idClaims('first', r.json.id_token);
  assert.deepEqual(userClaims(id2), ['email_verified', 'given_name', 'phone_number']);
  assert.equal(id2.sub, sub);
  assert.deepEqual((await userinfo(r.json.access_token)).json, { sub, email: 'alice@example.org', name: 'Alice Liddell' });

  // Without a request, the same grant releases only what the scopes do.
  const plain = await signIn(new Browser(srv.url), cfg, { scope: 'openid offline_access' });
  assert.deepEqual(userClaims(await idClaims('first', plain.id_token)), []);
  assert.deepEqual((await userinfo(plain.access_token)).json, { sub });
});

test('claims: with opaque access tokens too; claims of scopes and of the request together', async () => {
  const cfg = await rpConfig('opaque');
  const tokens = await signIn(new Browser(srv.url), cfg, {
    scope: 'openid email',
    params: { claims: JSON.stringify({ userinfo: { phone_number: null, family_name: null }, id_token: { email: null } }) },
  });
  assert.match(tokens.access_token, /^lk_at_/);
  const sub = String(users.alice.id);
  assert.deepEqual(userClaims(await idClaims('opaque', tokens.id_token)), ['email']);
  assert.deepEqual((await userinfo(tokens.access_token, { method: 'POST' })).json, {
    sub, email: 'alice@example.org', email_verified: true, family_name: 'Liddell', phone_number: '+1 555 0100',
  });
});

test('claims: an application the user consents to gets only what the consented scopes cover', async () => {
  const cfg = await rpConfig('third');
  const sub = String(users.alice.id);
  const tokens = await signIn(new Browser(srv.url), cfg, {
    scope: 'openid email',
    params: { claims: JSON.stringify({ userinfo: { name: null, phone_number: null, email: null }, id_token: { email: null, name: null } }) },
  });
  // name and phone_number need scopes the user was not asked for.
  assert.deepEqual(userClaims(await idClaims('third', tokens.id_token)), ['email']);
  assert.deepEqual((await userinfo(tokens.access_token)).json, { sub, email: 'alice@example.org', email_verified: true });
});

test('claims: a sub value names the only user the answer may be for', async () => {
  const cfg = await rpConfig('first');
  const alice = String(users.alice.id);
  const asSub = (v) => ({ claims: JSON.stringify({ id_token: { sub: { value: v, essential: true } } }) });

  const tokens = await signIn(new Browser(srv.url), cfg, { scope: 'openid', params: asSub(alice) });
  assert.equal((await idClaims('first', tokens.id_token)).sub, alice);

  // Signed in as alice, a request for bob is refused at the redirect URI.
  const b = new Browser(srv.url);
  await signIn(b, cfg, { scope: 'openid' });
  const a = await authorize(b, cfg, { scope: 'openid', params: asSub(String(users.bob.id)) });
  assert.equal(a.location.searchParams.get('error'), 'login_required');
  assert.equal(a.location.searchParams.get('state'), a.state);
  assert.equal(a.location.searchParams.get('code'), null);
  // A new browser signing in as alice is refused alike.
  const fresh = await authorize(new Browser(srv.url), cfg, { scope: 'openid', params: asSub(String(users.bob.id)) });
  assert.equal(fresh.location.searchParams.get('error'), 'login_required');
});

test('claims: a malformed or oversized request is invalid_request at the redirect URI', async () => {
  const { client_id: clientId } = apps.first;
  const long = JSON.stringify({ userinfo: { email: null }, pad: 'x'.repeat(4096) });
  const cases = [
    ['not JSON', '{"userinfo":'],
    ['not an object', '["email"]'],
    ['userinfo not an object', '{"userinfo":["email"]}'],
    ['a claim neither null nor an object', '{"userinfo":{"email":"yes"}}'],
    ['essential not a boolean', '{"id_token":{"email":{"essential":"true"}}}'],
    ['a repeated member', '{"userinfo":{"email":null},"userinfo":{"name":null}}'],
    ['a sub value not a string', '{"id_token":{"sub":{"value":42}}}'],
    ['longer than 4 KiB', long],
  ];
  for (const [what, claims] of cases) {
    const r = await fetch(`${srv.url}/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', claims,
      }),
    });
    assert.ok(r.status === 302 || r.status === 303, `${what}: ${r.status} ${await r.text()}`);
    const loc = new URL(r.headers.get('location'));
    assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT, what);
    assert.equal(loc.searchParams.get('error'), 'invalid_request', what);
    assert.equal(loc.searchParams.get('state'), 'st', what);
    assert.equal(loc.searchParams.get('iss'), srv.url, what);
  }
});

test('signed userinfo: a JWT of each algorithm, verified against the JWKS', async () => {
  for (const alg of ALGS) {
    const name = `signed-${alg}`;
    const cfg = await rpConfig(name);
    const tokens = await signIn(new Browser(srv.url), cfg, {
      scope: 'openid profile email', params: { claims: JSON.stringify({ userinfo: { phone_number: null } }) },
    });
    const sub = String(users.alice.id);
    for (const method of ['GET', 'POST']) {
      const r = await userinfo(tokens.access_token, { method });
      assert.equal(r.status, 200, `${alg} ${method}: ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/jwt/, alg);
      assert.equal(r.headers.get('cache-control'), 'no-store', alg);
      // Core §5.3.2: iss is the issuer, aud the client.
      const { payload, protectedHeader } = await jose.jwtVerify(r.text, jwks,
        { issuer: srv.url, audience: apps[name].client_id, algorithms: [alg] });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.sub, sub);
      assert.equal(payload.email, 'alice@example.org');
      assert.equal(payload.name, 'Alice Liddell');
      assert.equal(payload.phone_number, '+1 555 0100');
      assert.equal(payload.sub, (await idClaims(name, tokens.id_token)).sub);
    }
    // A refusal is still a JSON error with its challenge.
    const bad = await userinfo('lk_at_nope');
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error, 'invalid_token');
  }
  // An application without the option still gets JSON.
  const cfg = await rpConfig('first');
  const tokens = await signIn(new Browser(srv.url), cfg, { scope: 'openid email' });
  const r = await userinfo(tokens.access_token);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(r.json.email, 'alice@example.org');
});

test('CLI: --userinfo-alg on app add and app update, shown, refused when bad', () => {
  const help = cliRun(['app', 'add', '--help']);
  assert.match(help.stdout + help.stderr, /--userinfo-alg RS256\|PS256\|ES256/);
  const add = cliOk(['app', 'add', '--name', 'cli-signed', '--grant', 'authorization_code', '--redirect-uri', REDIRECT,
    '--scope', 'openid', '--userinfo-alg', 'ES256', '--json']).json;
  assert.equal(add.userinfo_signed_response_alg, 'ES256');
  assert.match(cliOk(['app', 'show', 'cli-signed']).stdout, /userinfo algorithm: +ES256/);
  let upd = cliOk(['app', 'update', 'cli-signed', '--userinfo-alg', 'PS256', '--json']).json;
  assert.equal(upd.userinfo_signed_response_alg, 'PS256');
  assert.equal(cliOk(['app', 'show', 'cli-signed', '--json']).json.userinfo_signed_response_alg, 'PS256');
  // Another option leaves it alone; "" returns the app to plain JSON.
  upd = cliOk(['app', 'update', 'cli-signed', '--description', 'd', '--json']).json;
  assert.equal(upd.userinfo_signed_response_alg, 'PS256');
  upd = cliOk(['app', 'update', 'cli-signed', '--userinfo-alg', '', '--json']).json;
  assert.equal(upd.userinfo_signed_response_alg, null);
  assert.match(cliOk(['app', 'show', 'cli-signed']).stdout, /userinfo algorithm: +- \(plain JSON\)/);
  // Not given: plain JSON.
  const plain = cliOk(['app', 'add', '--name', 'cli-plain', '--grant', 'authorization_code', '--redirect-uri', REDIRECT,
    '--scope', 'openid', '--json']).json;
  assert.equal(plain.userinfo_signed_response_alg, null);

  // A bad value is invalid input (exit 1) and changes nothing.
  for (const v of ['HS256', 'none', 'rs256']) {
    const r = cliRun(['app', 'update', 'cli-signed', '--userinfo-alg', v]);
    assert.equal(r.status, 1, `${v}: ${r.stderr}`);
    assert.match(r.stderr, /--userinfo-alg/);
  }
  const r = cliRun(['app', 'add', '--name', 'cli-bad', '--grant', 'authorization_code', '--redirect-uri', REDIRECT,
    '--userinfo-alg', 'HS256']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(cliRun(['app', 'show', 'cli-bad']).status, 1);
  // An algorithm the server has no key for is refused too.
  const nokey = cliRun(['app', 'update', 'cli-signed', '--userinfo-alg', 'PS256'],
    { env: { LATCHKEY_KEYS_SIGNING_ALGS: 'ES256 RS256' } });
  assert.equal(nokey.status, 1, nokey.stderr);
  assert.match(nokey.stderr, /no PS256 signing key/);
  assert.equal(cliOk(['app', 'show', 'cli-signed', '--json']).json.userinfo_signed_response_alg, null);
});

test('dynamic registration: userinfo_signed_response_alg registered, read, replaced, refused when bad', async () => {
  const call = async (method, path, token, body) => {
    const r = await fetch(`${srv.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined, text };
  };
  const base = { client_name: 'dcr-signed', redirect_uris: [REDIRECT], scope: 'openid email' };
  let r = await call('POST', '/oauth2/register', iat, { ...base, userinfo_signed_response_alg: 'RS256' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.userinfo_signed_response_alg, 'RS256');
  const reg = r.json;
  const path = `/oauth2/register/${reg.client_id}`;
  r = await call('GET', path, reg.registration_access_token);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.userinfo_signed_response_alg, 'RS256');
  assert.equal(cliOk(['app', 'show', reg.client_id, '--json']).json.userinfo_signed_response_alg, 'RS256');

  // RFC 7592 §2.2: a replacement that omits it returns it to plain JSON.
  r = await call('PUT', path, reg.registration_access_token,
    { ...base, client_id: reg.client_id, userinfo_signed_response_alg: 'ES256' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.userinfo_signed_response_alg, 'ES256');
  r = await call('PUT', path, reg.registration_access_token, { ...base, client_id: reg.client_id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.userinfo_signed_response_alg, undefined);
  assert.equal(cliOk(['app', 'show', reg.client_id, '--json']).json.userinfo_signed_response_alg, null);

  // Registrations without it say nothing of it.
  r = await call('POST', '/oauth2/register', iat, { ...base, client_name: 'dcr-plain' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.userinfo_signed_response_alg, undefined);

  for (const bad of ['HS256', 'none', 7, ['RS256']]) {
    r = await call('POST', '/oauth2/register', iat, { ...base, client_name: `dcr-bad-${bad}`, userinfo_signed_response_alg: bad });
    assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
    assert.equal(r.json.error, 'invalid_client_metadata', r.text);
    assert.match(r.json.error_description, /userinfo_signed_response_alg/);
  }
});
