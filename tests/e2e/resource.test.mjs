// The resource-server side against the real server: token introspection
// (RFC 7662) by a resource server registered as its own application,
// revocation (RFC 7009) of JWT and opaque tokens, and /oauth2/check as a
// reverse proxy's sub-request would call it. Tokens come from the token
// endpoint (client credentials) and from `latchkey app token` (bearer-token
// apps), for JWT, opaque, sliding and never-expiring applications.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import * as jose from 'jose';
import { startServer } from './harness.mjs';

let srv;
const apps = {};

// The members of an active introspection answer (DESIGN §6).
const ACTIVE_MEMBERS = ['active', 'aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub',
  'token_type'];

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function addApp(name, args) {
  const r = srv.cli(['app', 'add', '--name', name, ...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  apps[name] = r.json;
  return r.json;
}

function cliOk(args) {
  const r = srv.cli(args);
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

async function post(path, form, headers = {}) {
  const r = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

// A client-credentials token with Basic authentication. The server sees an
// application created a moment ago within a second or so: retry a 401.
async function tokenFor(name) {
  const { client_id: id, client_secret: secret } = apps[name];
  const deadline = Date.now() + 8000;
  for (;;) {
    const r = await post('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(id, secret) });
    if (r.status === 200) return r.json;
    if (r.status !== 401 || Date.now() > deadline) assert.fail(`token for ${name}: ${r.status} ${r.text}`);
    await sleep(200);
  }
}

// Introspection by the resource server `rs` (Basic) unless headers say otherwise.
const introspect = (token, { headers, form = {} } = {}) =>
  post('/oauth2/introspect', { token, ...form },
    headers ?? { authorization: basic(apps.rs.client_id, apps.rs.client_secret) });

const revoke = (name, token, form = {}) =>
  post('/oauth2/revoke', { token, ...form },
    { authorization: basic(apps[name].client_id, apps[name].client_secret) });

async function check(token, { scope, method = 'GET', authorization } = {}) {
  const q = scope === undefined ? '' : `?${new URLSearchParams({ scope })}`;
  const headers = {};
  if (authorization !== undefined) headers.authorization = authorization;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${srv.url}/oauth2/check${q}`, { method, headers });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

// Polls fn until it returns true, for at most ms.
async function within(ms, fn, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(200);
  }
}

async function assertInactive(token, what) {
  const r = await introspect(token);
  assert.equal(r.status, 200, `${what}: ${r.text}`);
  // RFC 7662 §2.2: nothing but active, so nothing leaks about why.
  assert.equal(r.text, '{"active":false}', what);
  assert.equal(r.headers.get('cache-control'), 'no-store');
}

function assertActiveAnswer(json, { clientId, scope, expires = true }) {
  const want = expires ? ACTIVE_MEMBERS : ACTIVE_MEMBERS.filter((m) => m !== 'exp');
  assert.deepEqual(Object.keys(json).sort(), want);
  assert.equal(json.active, true);
  assert.equal(json.client_id, clientId);
  assert.equal(json.sub, clientId); // no bound user: the app acts as itself
  assert.equal(json.scope, scope);
  assert.equal(json.token_type, 'Bearer');
  assert.equal(json.iss, srv.url);
  assert.equal(json.aud, srv.url);
  assert.equal(typeof json.jti, 'string');
  assert.ok(Number.isInteger(json.iat) && Math.abs(json.iat - Date.now() / 1000) < 120);
}

before(async () => {
  srv = await startServer();
  addApp('rs', ['--grant', 'client_credentials', '--scope', 'api']);
  addApp('jwt', ['--grant', 'client_credentials', '--scope', 'api odata_query', '--lifetime', '10']);
  addApp('jwt2', ['--grant', 'client_credentials', '--scope', 'api']);
  addApp('opaque', ['--grant', 'client_credentials', '--scope', 'api', '--token-format', 'opaque',
    '--lifetime', '30']);
  addApp('sliding', ['--grant', 'client_credentials', '--scope', 'api', '--lifecycle', 'sliding',
    '--lifetime', '1']);
  addApp('never', ['--grant', 'client_credentials', '--scope', 'api', '--lifetime', 'never']);
  addApp('scim', ['--grant', 'bearer_token', '--scope', 'user_sync']);
  addApp('native', ['--grant', 'authorization_code', '--client-type', 'public',
    '--redirect-strategy', 'mobile-localhost', '--redirect-uri', 'http://127.0.0.1/cb']);
  // Wait until the server's snapshot holds the apps.
  await tokenFor('rs');
});

after(async () => {
  await srv?.stop();
});

test('discovery advertises introspection and revocation', async () => {
  const md = await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json();
  assert.equal(md.introspection_endpoint, `${srv.url}/oauth2/introspect`);
  assert.equal(md.revocation_endpoint, `${srv.url}/oauth2/revoke`);
  assert.deepEqual([...md.introspection_endpoint_auth_methods_supported].sort(),
    ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  assert.deepEqual([...md.revocation_endpoint_auth_methods_supported].sort(),
    ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
});

test('an active JWT: exactly the listed members', async () => {
  const t = await tokenFor('jwt');
  assert.equal(t.access_token.split('.').length, 3);
  const r = await introspect(t.access_token);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assertActiveAnswer(r.json, { clientId: apps.jwt.client_id, scope: 'api odata_query' });
  assert.equal(r.json.exp - r.json.iat, 600);
  // The jti is the token's own.
  assert.equal(r.json.jti, jose.decodeJwt(t.access_token).jti);
  // client_secret_post works too, and token_type_hint is accepted.
  const p = await introspect(t.access_token, {
    headers: {},
    form: { client_id: apps.rs.client_id, client_secret: apps.rs.client_secret, token_type_hint: 'refresh_token' },
  });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.active, true);
});

test('opaque, never-expiring and CLI bearer tokens are active', async () => {
  const o = await tokenFor('opaque');
  assert.match(o.access_token, /^lk_at_[A-Za-z0-9_-]{43}$/);
  let r = await introspect(o.access_token);
  assertActiveAnswer(r.json, { clientId: apps.opaque.client_id, scope: 'api' });
  assert.equal(r.json.exp - r.json.iat, 1800);

  const n = await tokenFor('never');
  assert.match(n.access_token, /^lk_at_/);
  assert.equal(n.expires_in, undefined);
  r = await introspect(n.access_token);
  assertActiveAnswer(r.json, { clientId: apps.never.client_id, scope: 'api', expires: false });

  const c = cliOk(['app', 'token', 'scim', '--json']).json;
  assert.match(c.access_token, /^lk_at_/);
  r = await introspect(c.access_token);
  assertActiveAnswer(r.json, { clientId: apps.scim.client_id, scope: 'user_sync', expires: false });
});

test('unknown, garbage and forged tokens are exactly {"active":false}', async () => {
  const t = await tokenFor('jwt');
  const [h, p] = t.access_token.split('.');
  const claims = jose.decodeJwt(t.access_token);
  const none = `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${p}.`;
  const key = (await jose.generateKeyPair('ES256')).privateKey;
  const forged = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: jose.decodeProtectedHeader(t.access_token).kid })
    .sign(key);
  const cases = {
    unknown: `lk_at_${randomBytes(32).toString('base64url')}`,
    'no prefix': randomBytes(32).toString('base64url'),
    garbage: 'not a token',
    dots: 'a.b.c',
    'alg none': none,
    'foreign key': forged,
    'bad signature': `${h}.${p}.${'A'.repeat(86)}`,
    huge: 'A'.repeat(20000),
  };
  for (const [what, token] of Object.entries(cases)) await assertInactive(token, what);
});

test('introspection needs an authenticated confidential application', async () => {
  const t = await tokenFor('jwt');
  let r = await introspect(t.access_token, { headers: {} });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json.error, 'invalid_client');
  assert.equal(r.headers.get('cache-control'), 'no-store');

  r = await introspect(t.access_token, { headers: { authorization: basic(apps.rs.client_id, 'lk_cs_wrong') } });
  assert.equal(r.status, 401);
  assert.equal(r.json.error, 'invalid_client');
  assert.match(r.headers.get('www-authenticate'), /^Basic /);

  // A public client may not introspect.
  r = await introspect(t.access_token, { headers: {}, form: { client_id: apps.native.client_id } });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json.error, 'invalid_client');

  r = await introspect('', {});
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error, 'invalid_request');
  r = await post('/oauth2/introspect', {}, { authorization: basic(apps.rs.client_id, apps.rs.client_secret) });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_request');
  // RFC 6749 §3.2: a repeated parameter is invalid_request.
  r = await post('/oauth2/introspect', `token=a&token=b`, { authorization: basic(apps.rs.client_id, apps.rs.client_secret) });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_request');
  // Only POST.
  const g = await fetch(`${srv.url}/oauth2/introspect?token=x`);
  assert.equal(g.status, 405);
});

test('revocation of an opaque token', async () => {
  const t = (await tokenFor('opaque')).access_token;
  assert.equal((await check(t)).status, 200);
  const r = await revoke('opaque', t, { token_type_hint: 'access_token' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  await assertInactive(t, 'revoked opaque');
  const c = await check(t);
  assert.equal(c.status, 401);
  assert.match(c.headers.get('www-authenticate'), /error="invalid_token"/);
  // Revoking again is still 200 (RFC 7009 §2.2).
  assert.equal((await revoke('opaque', t)).status, 200);
});

test('revocation of a JWT access token', async () => {
  const t = (await tokenFor('jwt')).access_token;
  assert.equal((await introspect(t)).json.active, true);
  const r = await revoke('jwt', t);
  assert.equal(r.status, 200, r.text);
  await assertInactive(t, 'revoked JWT');
  assert.equal((await check(t)).status, 401);
  // Another token of the same app is unaffected.
  const u = (await tokenFor('jwt')).access_token;
  assert.equal((await introspect(u)).json.active, true);
});

test("another client's token is not revoked, and the answer does not say so", async () => {
  const jwt = (await tokenFor('jwt')).access_token;
  const opaque = (await tokenFor('opaque')).access_token;
  for (const t of [jwt, opaque]) {
    const r = await revoke('jwt2', t);
    assert.equal(r.status, 200, r.text);
    // A public client identifies itself with client_id alone and is no luckier.
    const p = await post('/oauth2/revoke', { token: t, client_id: apps.native.client_id });
    assert.equal(p.status, 200, p.text);
    assert.equal((await introspect(t)).json.active, true);
  }
});

test('revocation: unknown tokens, hints, and client authentication', async () => {
  for (const token of [`lk_at_${randomBytes(32).toString('base64url')}`, 'garbage', 'a.b.c',
    `lk_rt_${randomBytes(32).toString('base64url')}`]) {
    const r = await revoke('jwt', token);
    assert.equal(r.status, 200, `${token}: ${r.text}`);
  }
  // A refresh_token hint is accepted; an unknown hint is refused.
  assert.equal((await revoke('jwt', 'x', { token_type_hint: 'refresh_token' })).status, 200);
  const t = (await tokenFor('jwt')).access_token;
  let r = await revoke('jwt', t, { token_type_hint: 'id_token' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error, 'unsupported_token_type');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal((await introspect(t)).json.active, true, 'a refused request revokes nothing');
  // No client authentication at all, or a wrong secret.
  r = await post('/oauth2/revoke', { token: t });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json.error, 'invalid_client');
  r = await post('/oauth2/revoke', { token: t }, { authorization: basic(apps.jwt.client_id, 'lk_cs_wrong') });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Basic /);
  assert.equal((await introspect(t)).json.active, true);
  // The token parameter is required.
  r = await revoke('jwt', '');
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_request');
});

test('check: 200 with the X-Auth headers, GET and HEAD', async () => {
  const t = (await tokenFor('jwt')).access_token;
  for (const method of ['GET', 'HEAD']) {
    for (const scope of [undefined, 'api', 'api odata_query', '']) {
      const r = await check(t, { scope, method });
      assert.equal(r.status, 200, `${method} ${scope}: ${r.text}`);
      assert.equal(r.headers.get('x-auth-subject'), apps.jwt.client_id);
      assert.equal(r.headers.get('x-auth-client'), apps.jwt.client_id);
      assert.equal(r.headers.get('x-auth-scope'), 'api odata_query');
      assert.equal(r.headers.get('cache-control'), 'no-store');
      if (method === 'GET') assert.equal(r.json.sub, apps.jwt.client_id);
    }
  }
  const o = (await tokenFor('opaque')).access_token;
  const r = await check(o, { scope: 'api' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-auth-client'), apps.opaque.client_id);
});

test('check: 403 insufficient_scope names the scope', async () => {
  const t = (await tokenFor('jwt')).access_token;
  for (const scope of ['admin', 'api admin']) {
    const r = await check(t, { scope });
    assert.equal(r.status, 403, r.text);
    const w = r.headers.get('www-authenticate');
    assert.match(w, /^Bearer realm="latchkey"/);
    assert.match(w, /error="insufficient_scope"/);
    assert.ok(w.includes(`scope="${scope}"`), w);
    assert.equal(r.headers.get('x-auth-subject'), null);
  }
});

test('check: 401 invalid_token for missing, malformed and unknown tokens', async () => {
  const cases = {
    missing: { authorization: undefined },
    basic: { authorization: basic('a', 'b') },
    empty: { authorization: 'Bearer ' },
    malformed: { authorization: 'Bearer a b' },
    unknown: { token: `lk_at_${randomBytes(32).toString('base64url')}` },
    garbage: { token: 'abc.def.ghi' },
  };
  for (const [what, c] of Object.entries(cases)) {
    const r = await check(c.token, { authorization: c.authorization });
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    const w = r.headers.get('www-authenticate');
    assert.match(w, /^Bearer realm="latchkey"/, what);
    assert.match(w, /error="invalid_token"/, what);
    assert.equal(r.headers.get('x-auth-subject'), null);
    assert.equal(r.headers.get('cache-control'), 'no-store');
  }
});

test('check: a bad scope parameter is invalid_request', async () => {
  const t = (await tokenFor('jwt')).access_token;
  for (const scope of ['a"b', 'a\\b', 'x'.repeat(4097), 'é']) {
    const r = await check(t, { scope });
    assert.equal(r.status, 400, `${scope.slice(0, 10)}: ${r.text}`);
    assert.equal(r.json.error, 'invalid_request');
  }
  const r = await fetch(`${srv.url}/oauth2/check?scope=a&scope=b`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal(r.status, 400);
});

test("a sliding token's exp moves forward when it is used", async () => {
  const t = (await tokenFor('sliding')).access_token;
  assert.match(t, /^lk_at_/);
  const first = (await introspect(t)).json;
  assert.equal(first.active, true);
  assert.ok(first.exp - first.iat <= 60);
  // Writes are batched by 5 s: wait past that, then use it again.
  await sleep(6500);
  assert.equal((await check(t)).status, 200);
  const second = (await introspect(t)).json;
  assert.equal(second.active, true);
  assert.ok(second.exp >= first.exp + 6, `exp ${first.exp} -> ${second.exp}`);
  assert.ok(second.exp <= Math.ceil(Date.now() / 1000) + 60);
});

test('disabling an app makes its tokens inactive within 5 s; enabling restores them', async () => {
  addApp('tmp-jwt', ['--grant', 'client_credentials', '--scope', 'api']);
  addApp('tmp-opaque', ['--grant', 'client_credentials', '--scope', 'api', '--token-format', 'opaque']);
  const j = (await tokenFor('tmp-jwt')).access_token;
  const o = (await tokenFor('tmp-opaque')).access_token;
  cliOk(['app', 'disable', 'tmp-jwt']);
  cliOk(['app', 'disable', 'tmp-opaque']);
  for (const t of [j, o]) {
    await within(5000, async () => (await introspect(t)).text === '{"active":false}', 'disabled app');
    assert.equal((await check(t)).status, 401);
  }
  cliOk(['app', 'enable', 'tmp-jwt']);
  cliOk(['app', 'enable', 'tmp-opaque']);
  for (const t of [j, o]) {
    await within(5000, async () => (await introspect(t)).json.active === true, 'enabled app');
    assert.equal((await check(t)).status, 200);
  }
  cliOk(['app', 'remove', 'tmp-jwt']);
  await within(5000, async () => (await introspect(j)).text === '{"active":false}', 'removed app');
});

test("openid-client's tokenIntrospection and tokenRevocation", async () => {
  const rs = await client.discovery(new URL(srv.url), apps.rs.client_id, apps.rs.client_secret,
    client.ClientSecretBasic(apps.rs.client_secret), { execute: [client.allowInsecureRequests] });
  const owner = await client.discovery(new URL(srv.url), apps.opaque.client_id, apps.opaque.client_secret,
    undefined, { execute: [client.allowInsecureRequests] });
  const t = (await tokenFor('opaque')).access_token;
  const info = await client.tokenIntrospection(rs, t);
  assert.equal(info.active, true);
  assert.equal(info.client_id, apps.opaque.client_id);
  await client.tokenRevocation(owner, t);
  assert.deepEqual(await client.tokenIntrospection(rs, t), { active: false });
});

// A self-signed RSA certificate in dir; returns the certificate and key paths.
function makeCert(dir) {
  const key = join(dir, 'rs.key');
  const pem = join(dir, 'rs.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rs',
    '-days', '2', '-keyout', key, '-out', pem], { stdio: 'pipe' });
  return { key, pem };
}

test('private_key_jwt authenticates at introspection (aud = endpoint URL or issuer)', async () => {
  const { key, pem } = makeCert(srv.dir.dir);
  const app = addApp('rs-cert', ['--grant', 'client_certificate', '--public-key', pem]);
  const pk = await jose.importPKCS8(readFileSync(key, 'utf8'), 'RS256');
  const t = (await tokenFor('jwt')).access_token;
  const assertion = (aud) => new jose.SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(app.client_id)
    .setSubject(app.client_id)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime('2m')
    .setJti(randomBytes(16).toString('base64url'))
    .sign(pk);
  const form = async (aud) => ({
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(aud),
  });
  let r;
  await within(5000, async () => {
    r = await introspect(t, { headers: {}, form: await form(`${srv.url}/oauth2/introspect`) });
    return r.status !== 401;
  }, 'certificate app known');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, true);
  r = await introspect(t, { headers: {}, form: await form(srv.url) });
  assert.equal(r.status, 200, r.text);
  // An assertion made for another endpoint is refused.
  r = await introspect(t, { headers: {}, form: await form(`${srv.url}/oauth2/elsewhere`) });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json.error, 'invalid_client');
});
