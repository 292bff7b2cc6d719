// The admin JSON API against the real server (DESIGN §6, issue #11): who may
// call it (RFC 6750 §3.1 refusals, an administrator's token or console
// session with its CSRF token), every resource through it, the registry's
// validation and messages, secrets shown once, and the effect of each change
// on the token, introspection and login endpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, freshDir, startServer } from './harness.mjs';
import { Browser as WebBrowser } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const API = '/admin/api';

let srv;
let dir;
let adminToken;
const apps = {};

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function cliOk(args, opts = {}) {
  const r = cli(args, { db: dir.db, ...opts });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

// Polls until fn() resolves true: changes reach the running server within seconds.
async function until(fn, what, ms = 6000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

// Calls the API. Every answer must carry Cache-Control: no-store.
async function api(method, path, body, { token = adminToken, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const r = await fetch(`${srv.url}${API}${path}`, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (r.status !== 413) assert.match(r.headers.get('cache-control') ?? '', /no-store/, `${method} ${path}: ${r.status}`);
  return { status: r.status, headers: r.headers, json, text };
}

function assertApiError(r, status, code, what = '') {
  assert.equal(r.status, status, `${what} ${r.text}`);
  assert.equal(r.json?.error, code, `${what} ${r.text}`);
  assert.equal(typeof r.json.error_description, 'string');
}

async function token(form, auth) {
  const r = await fetch(`${srv.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, json: await r.json() };
}

const cc = (clientId, secret, extra = {}) =>
  token({ grant_type: 'client_credentials', ...extra }, basic(clientId, secret));

async function introspect(tok) {
  const r = await fetch(`${srv.url}/oauth2/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(apps.admin.client_id, apps.admin.client_secret),
    },
    body: new URLSearchParams({ token: tok }).toString(),
  });
  return r.json();
}

// A client credentials token of an app registered with the CLI, once the
// running server has picked the app up.
async function ccToken(name) {
  let r;
  await until(async () => (r = await cc(apps[name].client_id, apps[name].client_secret)).status === 200,
    `a token of ${name}`);
  return r.json.access_token;
}

before(async () => {
  dir = freshDir();
  srv = await startServer({ dir });
  cliOk(['user', 'add', 'boss', '--role', 'admin', '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  cliOk(['user', 'add', 'plain', '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  const add = (name, args) => {
    apps[name] = cliOk(['app', 'add', '--name', name, '--grant', 'client_credentials', ...args, '--json']).json;
  };
  add('admin', ['--scope', 'admin', '--user', 'boss']);
  add('plain-user', ['--scope', 'admin', '--user', 'plain']);
  add('no-scope', ['--scope', 'api', '--user', 'boss']);
  add('itself', ['--scope', 'admin']);
  adminToken = await ccToken('admin');
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('who may call: no token 401, inactive 401, no scope 403, not an admin 403, an admin works', async () => {
  const none = await api('GET', '/apps', undefined, { token: null });
  assertApiError(none, 401, 'invalid_token');
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="latchkey"');

  const bad = await api('GET', '/apps', undefined, { token: 'lk_at_not-a-token' });
  assertApiError(bad, 401, 'invalid_token');
  assert.match(bad.headers.get('www-authenticate'), /error="invalid_token"/);

  const scopeless = await api('GET', '/apps', undefined, { token: await ccToken('no-scope') });
  assertApiError(scopeless, 403, 'insufficient_scope');
  assert.match(scopeless.headers.get('www-authenticate'), /error="insufficient_scope".*scope="admin"/);

  assertApiError(await api('GET', '/apps', undefined, { token: await ccToken('plain-user') }), 403, 'forbidden');
  assertApiError(await api('GET', '/apps', undefined, { token: await ccToken('itself') }), 403, 'forbidden');

  const ok = await api('GET', '/apps');
  assert.equal(ok.status, 200, ok.text);
  assert.ok(ok.json.items.some((a) => a.name === 'admin'));
  assert.ok(ok.json.items.every((a) => !('client_secret' in a)));

  const me = await api('GET', '/session');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.user.user, 'local\\boss');
  assert.equal(me.json.csrf_token, null);
  assert.ok(me.json.grant_types.includes('client_certificate'));
  assert.ok(me.json.scopes.some((s) => s.name === 'admin'));
});

test('unknown paths 404, wrong methods 405 with Allow, bad bodies 400, big bodies 413', async () => {
  assertApiError(await api('GET', '/nothing'), 404, 'not_found');
  assertApiError(await api('GET', '/apps/x/y/z'), 404, 'not_found');
  const m = await api('DELETE', '/apps');
  assertApiError(m, 405, 'method_not_allowed');
  assert.equal(m.headers.get('allow'), 'GET, HEAD, POST');
  assertApiError(await api('POST', '/apps', undefined, { raw: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }), 400, 'invalid_request');
  assertApiError(await api('POST', '/apps', undefined, { raw: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
  assertApiError(await api('POST', '/apps', undefined, { raw: '[1]', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
  assertApiError(await api('POST', '/apps', undefined, { raw: '{"a":[[[[1]]]]}', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
  assertApiError(await api('POST', '/apps', undefined, { raw: '{"name":"a","name":"b"}', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
  assertApiError(await api('GET', '/apps?limit=501'), 400, 'invalid_request');
  assertApiError(await api('GET', '/apps?bogus=1'), 400, 'invalid_request');
  const big = await api('POST', '/apps', { name: 'big', description: 'x'.repeat(70 * 1024) });
  assert.equal(big.status, 413);
  assert.ok(!(await api('GET', '/apps/big')).json?.client_id, 'nothing created');
});

// A self-signed certificate valid for two days.
function makeCert(name) {
  const keyFile = join(dir.dir, `${name}.key`);
  const pem = join(dir.dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`,
    '-days', '2', '-keyout', keyFile, '-out', pem], { stdio: 'pipe' });
  return readFileSync(pem, 'utf8');
}

test('one app of each grant type; the secret is shown once and works', async () => {
  const made = {};
  const create = async (name, body) => {
    const r = await api('POST', '/apps', { name, ...body });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `${API}/apps/${r.json.client_id}`);
    made[name] = r.json;
    return r.json;
  };
  await create('web', { grant_type: 'authorization_code', redirect_uris: ['https://app.example/cb'], scopes: 'openid profile' });
  await create('svc', { grant_type: 'client_credentials', user: 'plain', scopes: ['api'], lifetime: 30 });
  await create('cert', { grant_type: 'client_certificate', public_key: makeCert('cert') });
  await create('bearer', { grant_type: 'bearer_token' });
  await create('pw', { grant_type: 'password', scopes: ['api', 'openid'] });
  await create('every', { grant_type: 'all', redirect_uris: ['https://every.example/cb'], first_party: true });

  assert.deepEqual(made.web.redirect_uris, ['https://app.example/cb']);
  assert.deepEqual(made.web.scopes, ['openid', 'profile']);
  assert.equal(made.svc.user, 'local\\plain');
  assert.equal(made.svc.lifetime, 30);
  assert.equal(made.cert.certificate.subject.includes('cert'), true);
  assert.equal(made.cert.client_secret, undefined, 'a certificate app has no secret');
  assert.equal(made.every.first_party, true);
  for (const n of ['web', 'svc', 'bearer', 'pw', 'every']) assert.match(made[n].client_secret, /^lk_cs_/, n);

  // GET never shows the secret, by name or by client_id.
  for (const key of ['svc', made.svc.client_id]) {
    const g = await api('GET', `/apps/${key}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.client_id, made.svc.client_id);
    assert.ok(!g.text.includes(made.svc.client_secret));
  }
  // Made through this server: in force for its very next request.
  assert.equal((await cc(made.svc.client_id, made.svc.client_secret)).status, 200, 'the new app at the token endpoint');
  const t = await cc(made.svc.client_id, made.svc.client_secret);
  assert.equal(t.json.expires_in, 1800);

  // PATCH changes the members given; null clears.
  const p = await api('PATCH', '/apps/svc', { description: 'billing', user: null, lifetime: 'never' });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.description, 'billing');
  assert.equal(p.json.user, null);
  assert.equal(p.json.lifetime, 'never');
  assert.equal(p.json.grant_type, 'client_credentials');

  // Minting a token as `app token` does.
  const mint = await api('POST', '/apps/bearer/token');
  assert.equal(mint.status, 200, mint.text);
  assert.equal(mint.json.token_type, 'Bearer');
  assert.equal((await introspect(mint.json.access_token)).active, true);
  assertApiError(await api('POST', '/apps/web/token'), 409, 'conflict');
});

test('rotate-secret: grace 0 stops the old secret, a grace keeps both', async () => {
  const app = (await api('POST', '/apps', { name: 'rot', grant_type: 'client_credentials' })).json;
  // Made through this server: in force for its very next request.
  assert.equal((await cc(app.client_id, app.client_secret)).status, 200, 'rot at the token endpoint');

  const r0 = await api('POST', '/apps/rot/rotate-secret', { grace: 0 });
  assert.equal(r0.status, 200, r0.text);
  assert.equal(r0.json.client_id, app.client_id);
  assert.notEqual(r0.json.client_secret, app.client_secret);
  // Made through this server: in force for its very next request.
  assert.equal((await cc(app.client_id, r0.json.client_secret)).status, 200, 'the new secret');
  const old = await cc(app.client_id, app.client_secret);
  assert.equal(old.status, 401);
  assert.equal(old.json.error, 'invalid_client');

  const r1 = await api('POST', '/apps/rot/rotate-secret', { grace: 10 });
  assert.equal(r1.status, 200, r1.text);
  // Made through this server: in force for its very next request.
  assert.equal((await cc(app.client_id, r1.json.client_secret)).status, 200, 'the newest secret');
  assert.equal((await cc(app.client_id, r0.json.client_secret)).status, 200, 'the previous one in its grace');

  assertApiError(await api('POST', '/apps/rot/rotate-secret', { grace: -1 }), 400, 'invalid_input');
  assertApiError(await api('POST', '/apps/rot/rotate-secret', { grace: 'soon' }), 400, 'invalid_request');
  assertApiError(await api('POST', '/apps/cert/rotate-secret', {}), 409, 'conflict');
});

test('disable refuses the app and its tokens; enable; delete', async () => {
  const app = (await api('POST', '/apps', { name: 'opaque', grant_type: 'client_credentials', token_format: 'opaque' })).json;
  // Made through this server: in force for its very next request.
  assert.equal((await cc(app.client_id, app.client_secret)).status, 200, 'opaque at the token endpoint');
  const tok = (await cc(app.client_id, app.client_secret)).json.access_token;
  assert.equal((await introspect(tok)).active, true);

  const d = await api('POST', '/apps/opaque/disable');
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.enabled, false);
  // Made through this server: in force for its very next request.
  assert.equal((await cc(app.client_id, app.client_secret)).status, 401, 'the disabled app refused');
  assert.equal((await cc(app.client_id, app.client_secret)).json.error, 'invalid_client');
  await until(async () => (await introspect(tok)).active === false, 'its token inactive');

  assert.equal((await api('POST', '/apps/opaque/enable', {})).json.enabled, true);
  await until(async () => (await cc(app.client_id, app.client_secret)).status === 200, 'enabled again');

  assert.equal((await api('DELETE', `/apps/${app.client_id}`)).status, 204);
  assertApiError(await api('GET', '/apps/opaque'), 404, 'not_found');
  assertApiError(await api('DELETE', '/apps/opaque'), 404, 'not_found');
  await until(async () => (await cc(app.client_id, app.client_secret)).status === 401, 'the removed app refused');
});

test('validation: the registry\'s message names the JSON member, and nothing is created', async () => {
  const count = async () => (await api('GET', '/apps?limit=500')).json.total;
  const before = await count();
  const cases = [
    [{ name: 'v1', grant_type: 'authorization_code', redirect_uris: ['http://app.example/cb'] }, /redirect_uris/],
    [{ name: 'v2', grant_type: 'teleport' }, /grant_type/],
    [{ name: 'v3', grant_type: 'client_credentials', scopes: ['nope'] }, /scopes: 'nope'/],
    [{ name: 'v4', grant_type: 'client_credentials', user: 'nobody' }, /^user: /],
    [{ name: 'v5', grant_type: 'client_credentials', lifetime: 0 }, /^lifetime: /],
    [{ name: 'v6', grant_type: 'client_certificate', public_key: 'not a certificate' }, /^public_key: /],
    [{ name: ' v7', grant_type: 'client_credentials' }, /^name: /],
  ];
  for (const [body, msg] of cases) {
    const r = await api('POST', '/apps', body);
    assertApiError(r, 400, 'invalid_input', JSON.stringify(body));
    assert.match(r.json.error_description, msg);
    assert.ok(!r.json.error_description.includes('--'), r.json.error_description);
  }
  const shape = [
    { name: 'v8', grant_type: 'client_credentials', colour: 'red' },
    { name: 'v9', grant_type: 'client_credentials', scopes: [1] },
    { name: 'v10', grant_type: 'client_credentials', first_party: 'yes' },
    { name: 12 },
  ];
  for (const body of shape) assertApiError(await api('POST', '/apps', body), 400, 'invalid_request', JSON.stringify(body));
  assertApiError(await api('POST', '/apps', { name: 'web', grant_type: 'client_credentials' }), 409, 'conflict');
  assertApiError(await api('PATCH', '/apps/web', { redirect_uris: ['ftp://x'] }), 400, 'invalid_input');
  assert.deepEqual((await api('GET', '/apps/web')).json.redirect_uris, ['https://app.example/cb'], 'a refused PATCH changes nothing');
  assert.equal(await count(), before);
});

test('users: create (password once), read, update, passwords, disable, delete', async () => {
  const c = await api('POST', '/users', { user: 'corp\\carol', email: 'carol@example.com', display_name: 'Carol' });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.user, 'corp\\carol');
  assert.equal(c.json.password.length, 24);
  const g = await api('GET', '/users/corp%5Ccarol');
  assert.equal(g.status, 200, g.text);
  assert.equal(g.json.email, 'carol@example.com');
  assert.ok(!g.text.includes(c.json.password));
  assert.equal(g.json.password, undefined);

  // The generated password works at the password grant.
  const pw = (await api('GET', '/apps/pw')).json;
  const pwSecret = (await api('POST', '/apps/pw/rotate-secret', {})).json.client_secret;
  const grant = (password) => token({ grant_type: 'password', username: 'corp\\carol', password, scope: 'api' }, basic(pw.client_id, pwSecret));
  await until(async () => (await grant(c.json.password)).status === 200, 'the password grant');

  const reset = await api('POST', '/users/corp%5Ccarol/password', {});
  assert.equal(reset.status, 200, reset.text);
  assert.notEqual(reset.json.password, c.json.password);
  assert.equal((await grant(reset.json.password)).status, 200);
  assert.equal((await grant(c.json.password)).status, 400);
  assert.equal((await api('POST', '/users/corp%5Ccarol/password', { password: PASSWORD })).status, 204);
  assert.equal((await grant(PASSWORD)).status, 200);

  const u = await api('PATCH', '/users/corp%5Ccarol', { display_name: 'Carol C.', role: 'admin', phone_number: null });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.json.display_name, 'Carol C.');
  assert.equal(u.json.role, 'admin');
  const bad = await api('PATCH', '/users/corp%5Ccarol', { email: 'not-an-email' });
  assertApiError(bad, 400, 'invalid_input');
  assert.match(bad.json.error_description, /^email: /);
  assertApiError(await api('PATCH', '/users/corp%5Ccarol', { user: 'x' }), 400, 'invalid_request');
  assertApiError(await api('POST', '/users', { user: 'corp\\carol' }), 409, 'conflict');
  assertApiError(await api('POST', '/users', { email: 'x@example.com' }), 400, 'invalid_request');

  assert.equal((await api('POST', '/users/corp%5Ccarol/disable')).json.enabled, false);
  assert.equal((await grant(PASSWORD)).status, 400);
  assert.equal((await api('POST', '/users/corp%5Ccarol/enable')).json.enabled, true);

  // A user an app is bound to cannot go; others can.
  assertApiError(await api('DELETE', '/users/plain'), 409, 'conflict');
  assert.equal((await api('DELETE', '/users/corp%5Ccarol')).status, 204);
  assertApiError(await api('GET', '/users/corp%5Ccarol'), 404, 'not_found');

  const given = await api('POST', '/users', { user: 'dave', password: PASSWORD, enabled: false });
  assert.equal(given.status, 201, given.text);
  assert.equal(given.json.password, undefined, 'a given password is not echoed');
});

test('scopes: add, list, refuse removing one in use, remove', async () => {
  const s = await api('POST', '/scopes', { name: 'reports', description: 'Read reports' });
  assert.equal(s.status, 201, s.text);
  assert.deepEqual(s.json, { name: 'reports', description: 'Read reports', certificate: false, builtin: false });
  assertApiError(await api('POST', '/scopes', { name: 'reports' }), 409, 'conflict');
  assertApiError(await api('POST', '/scopes', { name: 'bad scope' }), 400, 'invalid_input');
  const l = await api('GET', '/scopes?q=REPORT');
  assert.deepEqual(l.json.items.map((x) => x.name), ['reports']);

  const a = await api('POST', '/apps', { name: 'reporter', grant_type: 'client_credentials', scopes: ['reports'] });
  assert.equal(a.status, 201, a.text);
  const inUse = await api('DELETE', '/scopes/reports');
  assertApiError(inUse, 409, 'conflict');
  assert.match(inUse.json.error_description, /reporter/);
  assertApiError(await api('DELETE', '/scopes/admin'), 409, 'conflict');
  assert.equal((await api('DELETE', '/apps/reporter')).status, 204);
  assert.equal((await api('DELETE', '/scopes/reports')).status, 204);
  assertApiError(await api('GET', '/scopes/reports'), 404, 'not_found');
});

test('keys: list and rotate', async () => {
  const before = await api('GET', '/keys');
  assert.equal(before.status, 200, before.text);
  assert.ok(before.json.items.some((k) => k.alg === 'ES256' && k.state === 'active'));
  assert.ok(before.json.items.every((k) => !('d' in k) && !('private_jwk' in k)));
  const r = await api('POST', '/keys/rotate', { alg: 'ES256' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 1);
  const after = await api('GET', '/keys');
  assert.equal(after.json.items.find((k) => k.kid === r.json.items[0].kid).state, 'next');
  const bad = await api('POST', '/keys/rotate', { alg: 'HS256' });
  assertApiError(bad, 400, 'invalid_input');
  assert.match(bad.json.error_description, /^alg: /);
});

test('lists: q is a case-insensitive search, offset and limit page it', async () => {
  for (let i = 0; i < 7; i++) {
    const r = await api('POST', '/apps', { name: `Page-${i}`, grant_type: 'client_credentials', description: i === 6 ? 'the LAST one' : '' });
    assert.equal(r.status, 201, r.text);
  }
  const p = await api('GET', '/apps?q=page-&offset=2&limit=3');
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.total, 7);
  assert.equal(p.json.offset, 2);
  assert.equal(p.json.limit, 3);
  assert.deepEqual(p.json.items.map((a) => a.name), ['Page-2', 'Page-3', 'Page-4']);
  assert.deepEqual((await api('GET', '/apps?q=last')).json.items.map((a) => a.name), ['Page-6']);
  assert.equal((await api('GET', '/apps?q=page-&offset=7')).json.items.length, 0);
  const users = await api('GET', '/users?q=BOSS');
  assert.deepEqual(users.json.items.map((u) => u.user), ['local\\boss']);
});

test('audit: the API\'s changes with the token\'s actor, filtered and limited', async () => {
  const actor = `admin-token:${apps.admin.client_id}`;
  const r = await api('GET', `/audit?actor=${encodeURIComponent(actor)}&limit=500`);
  assert.equal(r.status, 200, r.text);
  const actions = new Set(r.json.items.map((e) => e.action));
  for (const a of ['app.add', 'app.update', 'app.disable', 'app.remove', 'app.rotate-secret', 'app.token', 'user.add', 'scope.add', 'key.rotate'])
    assert.ok(actions.has(a), `${a} in ${[...actions]}`);
  assert.ok(r.json.items.every((e) => e.actor === actor));
  const two = await api('GET', '/audit?action=app.&limit=2');
  assert.equal(two.json.items.length, 2);
  assert.ok(two.json.items[0].id > two.json.items[1].id, 'newest first');
  // No secret is ever in the log.
  assert.ok(!JSON.stringify((await api('GET', '/audit?limit=500')).json).includes('lk_cs_'));
  assertApiError(await api('GET', '/audit?since=yesterday'), 400, 'invalid_request');
});

// ---- The console's session: a browser (web.mjs) that signs in. ----

class Browser extends WebBrowser {
  constructor() { super(() => srv.url); }

  // Through /admin and the login page, as a person would.
  async signIn(username) {
    const r = await this.request('/admin');
    assert.equal(r.status, 302, r.text);
    assert.match(r.location, /\/login\?request=/);
    const page = await this.request(r.location);
    assert.equal(page.status, 200);
    const done = await this.submit(page, { username, password: PASSWORD });
    assert.ok([302, 303].includes(done.status), done.text);
    assert.ok(this.cookies.has('lk_session'), 'a session cookie');
    return done;
  }
}

test('session: sign in through the login page, then the CSRF token guards every change', async () => {
  const b = new Browser();
  await b.signIn('boss');
  const s = await b.request(`${API}/session`);
  assert.equal(s.status, 200, s.text);
  assert.equal(s.json.user.user, 'local\\boss');
  assert.match(s.json.csrf_token, /^[A-Za-z0-9_-]{43,}$/);

  assert.equal((await b.request(`${API}/apps`)).status, 200, 'reads need no CSRF token');
  const noCsrf = await b.request(`${API}/scopes`, { method: 'POST', json: { name: 'console' } });
  assert.equal(noCsrf.status, 403, noCsrf.text);
  assert.equal(noCsrf.json.error, 'invalid_csrf_token');
  const wrong = await b.request(`${API}/scopes`, { method: 'POST', json: { name: 'console' }, headers: { 'x-csrf-token': 'A'.repeat(43) } });
  assert.equal(wrong.status, 403);
  assert.equal((await api('GET', '/scopes/console')).status, 404, 'nothing created without the token');
  const ok = await b.request(`${API}/scopes`, { method: 'POST', json: { name: 'console' }, headers: { 'x-csrf-token': s.json.csrf_token } });
  assert.equal(ok.status, 201, ok.text);
  const log = await api('GET', '/audit?object=console');
  assert.equal(log.json.items[0].actor, 'admin:local\\boss');

  // Another browser's token does not fit this session.
  const other = new Browser();
  await other.signIn('boss');
  const otherCsrf = (await other.request(`${API}/session`)).json.csrf_token;
  assert.equal((await b.request(`${API}/scopes/console`, { method: 'DELETE', headers: { 'x-csrf-token': otherCsrf } })).status, 403);
  assert.equal((await b.request(`${API}/scopes/console`, { method: 'DELETE', headers: { 'x-csrf-token': s.json.csrf_token } })).status, 204);

  // A signed-in user who is not an administrator is refused.
  const p = new Browser();
  const r = await p.request('/admin');
  const page = await p.request(r.location);
  const form = /<form\b[^>]*action="([^"]*)"[\s\S]*?<\/form>/.exec(page.text);
  const fields = {};
  for (const m of form[0].matchAll(/<input\b[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields[m[1]] = m[2].replace(/&amp;/g, '&');
  await p.request(form[1].replace(/&amp;/g, '&'), { method: 'POST', form: { ...fields, username: 'plain', password: PASSWORD } });
  const refused = await p.request(`${API}/session`);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error, 'forbidden');

  // Without any session: 401.
  const anon = await new Browser().request(`${API}/session`);
  assert.equal(anon.status, 401);
});
