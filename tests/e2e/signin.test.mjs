// Sign-in and the authorization code flow against the real server (RFC 6749
// §4.1, RFC 7636, RFC 9207, RFC 8252, OAuth 2.0 Form Post Response Mode;
// DESIGN §2 and §3), driven the way a browser drives it: a small cookie jar
// over fetch that never follows redirects, the login form and the consent
// page filled in from their HTML, and openid-client on the application's
// side. Confidential and public web apps, first-party apps, every prompt and
// response mode, each redirect strategy, the three forms of a user name, the
// password grant, refresh rotation, and the headers of every HTML page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { cli, freshDir, startServer } from './harness.mjs';
import { Browser, csrfForm, forms, tags, unescapeHtml } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://app.example/cb';
const OOB = 'urn:ietf:wg:oauth:2.0:oob:auto';
const GENERIC = 'The username or password is incorrect.';

let srv;
let dir;
const apps = {};
const users = {};

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const scopeSet = (s) => (s ?? '').split(' ').filter(Boolean).sort().join(' ');

function cliOk(args, opts = {}) {
  const r = cli(args, { db: dir.db, ...opts });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

function addApp(name, args) {
  apps[name] = cliOk(['app', 'add', '--name', name, '--grant', 'authorization_code', ...args, '--json']).json;
  return apps[name];
}

function addUser(name, extra = []) {
  users[name] = cliOk(['user', 'add', name, ...extra, '--password-stdin', '--json'], { input: `${PASSWORD}\n` }).json;
  return users[name];
}

// The text of <title>, entities decoded, exactly (no trimming).
function title(html) {
  const m = /<title>([\s\S]*?)<\/title>/i.exec(html);
  assert.ok(m, `no <title> in:\n${html}`);
  return unescapeHtml(m[1]);
}

// Every HTML page of sign-in carries these headers.
function assertHtmlHeaders(r, what = `${r.status} ${r.url}`) {
  const h = r.headers;
  assert.match(h.get('content-type') ?? '', /^text\/html/, what);
  const csp = h.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP ${csp}`);
  assert.ok(!csp.includes('unsafe-inline'), `${what}: CSP ${csp}`);
  // Every copy of the header must say nosniff (fetch joins repeated ones).
  assert.ok((h.get('x-content-type-options') ?? '').split(/,\s*/).every((v) => v === 'nosniff'), `${what}: X-Content-Type-Options ${h.get('x-content-type-options')}`);
  assert.equal(h.get('referrer-policy'), 'no-referrer', what);
  assert.match(h.get('cache-control') ?? '', /\bno-store\b/, what);
}

// An error page: 400, HTML, and never a redirect.
function assertErrorPage(r, what) {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.location ?? ''} ${r.text.slice(0, 300)}`);
  assert.equal(r.location, null, what);
  assertHtmlHeaders(r, what);
}

const isPage = (loc, path) => loc !== null && loc.startsWith(`${srv.url}${path}?request=`);

// Runs an authorization request in browser b to its result: logs in when
// asked to (the login form), answers the consent page when shown. Returns
// the last response (a redirect to the client, or a result page) and what
// was seen on the way.
async function authorize(b, url, { username = 'alice', password = PASSWORD, decision = 'allow' } = {}) {
  const seen = { login: null, consent: null };
  let r = await b.request(url);
  if ((r.status === 302 || r.status === 303) && isPage(r.location, '/login')) {
    seen.login = await b.request(r.location);
    assert.equal(seen.login.status, 200, seen.login.text);
    r = await b.submit(seen.login, { username, password });
  }
  if ((r.status === 302 || r.status === 303) && isPage(r.location, '/consent')) {
    seen.consent = await b.request(r.location);
    assert.equal(seen.consent.status, 200, seen.consent.text);
    r = await b.submit(seen.consent, { decision });
  }
  return { r, ...seen };
}

// The parameters of a redirect to the client (query, or fragment).
function redirectParams(r, redirect = REDIRECT, { fragment = false } = {}) {
  assert.ok(r.status === 302 || r.status === 303, `expected a redirect to ${redirect}: ${r.status} ${r.location} ${r.text.slice(0, 300)}`);
  assert.ok(r.location, `no Location: ${r.status}`);
  const u = new URL(r.location);
  assert.equal(`${u.origin}${u.pathname}`, redirect, r.location);
  if (fragment) {
    assert.equal(u.search, '', r.location);
    return new URLSearchParams(u.hash.slice(1));
  }
  assert.equal(u.hash, '', r.location);
  return u.searchParams;
}

function assertCode(p, state) {
  assert.match(p.get('code') ?? '', /^lk_ac_[A-Za-z0-9_-]+$/, p.toString());
  assert.equal(p.get('iss'), srv.url);
  assert.equal(p.get('state'), state ?? null);
  assert.equal(p.get('error'), null);
  return p.get('code');
}

function assertRedirectError(r, error, state, redirect = REDIRECT, what = '') {
  const p = redirectParams(r, redirect);
  assert.equal(p.get('error'), error, `${what} ${r.location}`);
  assert.equal(typeof p.get('error_description'), 'string', r.location);
  assert.equal(p.get('state'), state ?? null, r.location);
  assert.equal(p.get('iss'), srv.url, r.location);
  assert.equal(p.get('code'), null);
}

// openid-client's view of an application, without discovery.
function config(name, auth) {
  const cfg = new client.Configuration({
    issuer: srv.url,
    authorization_endpoint: `${srv.url}/oauth2/authorize`,
    token_endpoint: `${srv.url}/oauth2/token`,
    authorization_response_iss_parameter_supported: true,
  }, apps[name].client_id, {}, auth ?? (apps[name].client_secret ? client.ClientSecretBasic(apps[name].client_secret) : client.None()));
  client.allowInsecureRequests(cfg);
  return cfg;
}

// A fresh PKCE pair and state, and the authorization URL with them.
async function start(name, params = {}, { pkce = true } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const p = { response_type: 'code', redirect_uri: REDIRECT, scope: 'api offline_access', state, ...params };
  // Challenge and method given in params (even undefined) win.
  if (pkce && !('code_challenge' in params)) p.code_challenge = await client.calculatePKCECodeChallenge(verifier);
  if (pkce && !('code_challenge_method' in params)) p.code_challenge_method = 'S256';
  for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  return { url: client.buildAuthorizationUrl(config(name), p), verifier, state: p.state, params: p };
}

async function token(form, headers = {}) {
  const r = await fetch(`${srv.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  assert.equal(r.headers.get('cache-control'), 'no-store', text);
  return { status: r.status, headers: r.headers, json, text };
}

async function introspect(tok) {
  const r = await fetch(`${srv.url}/oauth2/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(apps.rs.client_id, apps.rs.client_secret) },
    body: new URLSearchParams({ token: tok }),
  });
  return r.json();
}

// A token response of the code or refresh grant, checked.
// openid-client lower-cases token_type; raw answers must say "Bearer".
async function assertTokens(t, { scope, user = 'alice', clientId, refresh = true, raw = false }) {
  assert.ok(t.access_token, JSON.stringify(t));
  assert.equal(t.token_type, raw ? 'Bearer' : 'bearer');
  assert.ok(Number.isInteger(t.expires_in) && t.expires_in > 0, JSON.stringify(t));
  assert.equal(scopeSet(t.scope), scopeSet(scope));
  if (refresh) assert.match(t.refresh_token ?? '', /^lk_rt_[A-Za-z0-9_-]+$/);
  else assert.equal(t.refresh_token, undefined);
  const info = await introspect(t.access_token);
  assert.equal(info.active, true, JSON.stringify(info));
  assert.equal(info.sub, String(users[user].id));
  assert.equal(info.client_id, clientId);
  assert.equal(scopeSet(info.scope), scopeSet(scope));
}

function assertCookie(line, name) {
  assert.ok(line, `no Set-Cookie ${name}`);
  assert.match(line, new RegExp(`^${name}=[^;]+`));
  const attrs = line.split(';').slice(1).map((a) => a.trim().toLowerCase());
  assert.ok(attrs.includes('httponly'), line);
  assert.ok(attrs.includes('samesite=lax'), line);
  assert.ok(attrs.includes('path=/'), line);
  assert.ok(!attrs.includes('secure'), `no Secure on http: ${line}`);
}

const setCookie = (r, name) => r.setCookies.find((c) => c.startsWith(`${name}=`));

before(async () => {
  dir = freshDir();
  cliOk(['scope', 'add', 'reports:read', '--description', 'Read the quarterly reports']);
  addUser('alice', ['--email', 'alice@example.com']);
  addUser('bob');
  addUser('carol');
  addApp('web', ['--redirect-uri', REDIRECT, '--scope', 'api reports:read offline_access']);
  addApp('pub', ['--client-type', 'public', '--redirect-uri', REDIRECT, '--scope', 'api reports:read offline_access']);
  addApp('fp', ['--first-party', '--redirect-uri', REDIRECT, '--scope', 'api offline_access']);
  addApp('nat', ['--redirect-strategy', 'mobile-localhost', '--redirect-uri', 'http://127.0.0.1/cb']);
  addApp('ttl', ['--redirect-strategy', 'mobile-title']);
  apps.pw = cliOk(['app', 'add', '--name', 'pw', '--grant', 'password', '--scope', 'api offline_access', '--json']).json;
  apps.rs = cliOk(['app', 'add', '--name', 'rs', '--grant', 'client_credentials', '--scope', 'api', '--json']).json;
  assert.equal(apps.pub.client_secret ?? undefined, undefined, 'a public client has no secret');
  assert.equal(apps.nat.client_secret ?? undefined, undefined, 'mobile apps are public by default');
  // Enough room that the failures this file makes never lock anyone out.
  srv = await startServer({ dir, env: { LATCHKEY_LOGIN_MAX_FAILURES: '50' } });
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('confidential web app: login form, consent page, code + PKCE with openid-client; consent remembered', async () => {
  const b = new Browser(srv.url);
  const a = await start('web');

  // No session: to the login page, with a browser cookie that binds the request.
  const r1 = await b.request(a.url);
  assert.equal(r1.status, 302, r1.text);
  assert.ok(isPage(r1.location, '/login'), r1.location);
  assertCookie(setCookie(r1, 'lk_browser'), 'lk_browser');
  const id = new URL(r1.location).searchParams.get('request');
  assert.ok(id);

  const login = await b.request(r1.location);
  assert.equal(login.status, 200);
  assertHtmlHeaders(login);
  const lf = csrfForm(login.text);
  assert.equal(lf.attrs.action, '/login');
  assert.equal(lf.attrs.method?.toLowerCase(), 'post');
  assert.equal(lf.fields.request, id);
  assert.ok(lf.fields.csrf.length >= 16, 'a csrf token');
  const input = (n) => lf.inputs.find((i) => i.name === n);
  assert.equal(input('request').type, 'hidden');
  assert.equal(input('csrf').type, 'hidden');
  assert.ok(input('username'));
  assert.equal(input('password').type, 'password');

  // Signed in: a session cookie, then the consent page.
  const r2 = await b.submit(login, { username: 'alice', password: PASSWORD });
  assert.equal(r2.status, 303, r2.text);
  assert.equal(r2.location, `${srv.url}/consent?request=${encodeURIComponent(id)}`);
  assertCookie(setCookie(r2, 'lk_session'), 'lk_session');

  const consent = await b.request(r2.location);
  assert.equal(consent.status, 200);
  assertHtmlHeaders(consent);
  const cf = csrfForm(consent.text);
  assert.equal(cf.fields.request, id);
  assert.ok(cf.fields.csrf);
  assert.equal(cf.attrs.method?.toLowerCase(), 'post');
  const decisions = cf.buttons.filter((x) => x.name === 'decision').map((x) => x.value).sort();
  assert.deepEqual(decisions, ['allow', 'deny']);

  const r3 = await b.submit(consent, { decision: 'allow' });
  assert.equal(r3.status, 303, r3.text);
  const p = redirectParams(r3);
  assertCode(p, a.state);
  assert.deepEqual([...p.keys()].sort(), ['code', 'iss', 'state']);

  const t = await client.authorizationCodeGrant(config('web'), new URL(r3.location),
    { pkceCodeVerifier: a.verifier, expectedState: a.state });
  await assertTokens(t, { scope: 'api offline_access', clientId: apps.web.client_id });

  // The same scopes, or fewer: the code at once, no login, no consent.
  for (const scope of ['api offline_access', 'api']) {
    const again = await start('web', { scope });
    const r = await b.request(again.url);
    assert.equal(r.status, 302, `${scope}: ${r.status} ${r.location}`);
    assertCode(redirectParams(r), again.state);
    const t2 = await client.authorizationCodeGrant(config('web'), new URL(r.location),
      { pkceCodeVerifier: again.verifier, expectedState: again.state });
    await assertTokens(t2, { scope, clientId: apps.web.client_id, refresh: scope.includes('offline_access') });
  }

  // More scopes than consented to: the consent page again, listing them.
  const more = await start('web', { scope: 'api reports:read offline_access' });
  const r4 = await b.request(more.url);
  assert.equal(r4.status, 302, r4.text);
  assert.ok(isPage(r4.location, '/consent'), r4.location);
  const consent2 = await b.request(r4.location);
  assert.equal(consent2.status, 200);
  assert.match(consent2.text, /Read the quarterly reports/);
  const r5 = await b.submit(consent2, { decision: 'allow' });
  assertCode(redirectParams(r5), more.state);

  // prompt=consent shows the page although consent is remembered.
  const forced = await start('web', { scope: 'api', prompt: 'consent' });
  const r6 = await b.request(forced.url);
  assert.equal(r6.status, 302, r6.text);
  assert.ok(isPage(r6.location, '/consent'), r6.location);
});

test('/login and /consent: unknown request, and consent without a session', async () => {
  const b = new Browser(srv.url);
  const unknown = await b.request('/login?request=nope');
  assertErrorPage(unknown, 'unknown request id');
  const a = await start('web');
  const r = await b.request(a.url);
  assert.ok(isPage(r.location, '/login'), r.location);
  const id = new URL(r.location).searchParams.get('request');
  const c = await b.request(`/consent?request=${encodeURIComponent(id)}`);
  assert.equal(c.status, 302, c.text); // a GET is answered with 302, a POST with 303
  assert.equal(c.location, `${srv.url}/login?request=${encodeURIComponent(id)}`);
});

test('public app: client_id only; refresh rotates, narrows the scope, refuses a wider one', async () => {
  const b = new Browser(srv.url);
  const cfg = config('pub', client.None());
  const a = await start('pub', { scope: 'api reports:read offline_access' });
  const { r, login, consent } = await authorize(b, a.url);
  assert.ok(login && consent, 'login form and consent page shown');
  const t = await client.authorizationCodeGrant(cfg, new URL(r.location), { pkceCodeVerifier: a.verifier, expectedState: a.state });
  await assertTokens(t, { scope: 'api reports:read offline_access', clientId: apps.pub.client_id });

  // A narrower scope, and a new refresh token each time.
  const t2 = await client.refreshTokenGrant(cfg, t.refresh_token, { scope: 'api offline_access' });
  await assertTokens(t2, { scope: 'api offline_access', clientId: apps.pub.client_id });
  assert.notEqual(t2.refresh_token, t.refresh_token);
  const t3 = await client.refreshTokenGrant(cfg, t2.refresh_token);
  assert.notEqual(t3.refresh_token, t2.refresh_token);
  assert.ok(t3.access_token);

  // Granted only api offline_access: asking for reports:read on refresh is wider.
  const a2 = await start('pub', { scope: 'api offline_access' });
  const second = await authorize(b, a2.url);
  assert.equal(second.consent, null, 'fewer scopes than consented: no consent page');
  const u = await client.authorizationCodeGrant(cfg, new URL(second.r.location), { pkceCodeVerifier: a2.verifier, expectedState: a2.state });
  await assertTokens(u, { scope: 'api offline_access', clientId: apps.pub.client_id });
  const wide = await token({ grant_type: 'refresh_token', refresh_token: u.refresh_token, client_id: apps.pub.client_id,
    scope: 'api reports:read offline_access' });
  assert.equal(wide.status, 400, wide.text);
  assert.equal(wide.json.error, 'invalid_scope');

  // A public client's code needs its verifier: no secret to fall back on.
  const a3 = await start('pub', { scope: 'api' });
  const third = await authorize(b, a3.url);
  const code = assertCode(redirectParams(third.r), a3.state);
  const bad = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: apps.pub.client_id });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json.error, 'invalid_grant');
});

test('first-party app: no consent page', async () => {
  const b = new Browser(srv.url);
  const a = await start('fp');
  const { r, login, consent } = await authorize(b, a.url);
  assert.ok(login);
  assert.equal(consent, null);
  assert.equal(r.status, 303, r.text);
  assertCode(redirectParams(r), a.state);
  const t = await client.authorizationCodeGrant(config('fp'), new URL(r.location), { pkceCodeVerifier: a.verifier, expectedState: a.state });
  await assertTokens(t, { scope: 'api offline_access', clientId: apps.fp.client_id });
});

test('prompt=none: login_required, consent_required, or the code at once', async () => {
  const b = new Browser(srv.url);
  const none1 = await start('web', { prompt: 'none' });
  assertRedirectError(await b.request(none1.url), 'login_required', none1.state);

  const a = await start('web', { scope: 'api' });
  const first = await authorize(b, a.url, { username: 'bob' });
  assertCode(redirectParams(first.r), a.state);

  const none2 = await start('web', { scope: 'api', prompt: 'none' });
  const r2 = await b.request(none2.url);
  assert.equal(r2.status, 302);
  assertCode(redirectParams(r2), none2.state);

  // bob never consented to pub, and more scopes for web need consent too.
  const none3 = await start('pub', { scope: 'api', prompt: 'none' });
  assertRedirectError(await b.request(none3.url), 'consent_required', none3.state);
  const none4 = await start('web', { scope: 'api reports:read', prompt: 'none' });
  assertRedirectError(await b.request(none4.url), 'consent_required', none4.state);
});

test('prompt=login: the login form again although a session exists', async () => {
  const b = new Browser(srv.url);
  const a = await start('fp');
  assertCode(redirectParams((await authorize(b, a.url)).r), a.state);
  const again = await start('fp', { prompt: 'login' });
  const r = await b.request(again.url);
  assert.equal(r.status, 302, r.text);
  assert.ok(isPage(r.location, '/login'), r.location);
  const { r: done, login } = await authorize(b, again.url);
  assert.ok(login);
  const code = assertCode(redirectParams(done), again.state);
  const t = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: again.verifier },
    { authorization: basic(apps.fp.client_id, apps.fp.client_secret) });
  assert.equal(t.status, 200, t.text);
});

test('consent denied: access_denied to the client', async () => {
  const b = new Browser(srv.url);
  const a = await start('web', { scope: 'api' });
  const { r, consent } = await authorize(b, a.url, { username: 'carol', decision: 'deny' });
  assert.ok(consent);
  assert.equal(r.status, 303, r.text);
  assertRedirectError(r, 'access_denied', a.state);
  // Nothing was remembered: the page comes again.
  const again = await start('web', { scope: 'api' });
  const r2 = await b.request(again.url);
  assert.ok(isPage(r2.location, '/consent'), r2.location);
});

test('authorization errors after the client is trusted go to the client', async () => {
  const b = new Browser(srv.url);
  const cases = [
    ['web', { response_type: undefined }, 'invalid_request'],
    ['web', { response_type: 'token' }, 'unsupported_response_type'],
    ['web', { response_type: 'code token' }, 'unsupported_response_type'],
    ['web', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['web', { code_challenge: 'tooshort' }, 'invalid_request'],
    ['web', { scope: 'admin' }, 'invalid_scope'],
    ['web', { response_mode: 'jwt' }, 'invalid_request'],
    ['web', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ['web', { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'request_uri_not_supported'],
  ];
  for (const [name, extra, error] of cases) {
    const a = await start(name, extra);
    const u = new URL(a.url);
    if ('response_type' in extra && extra.response_type === undefined) u.searchParams.delete('response_type');
    const r = await b.request(u);
    assert.equal(r.status, 302, `${JSON.stringify(extra)}: ${r.status} ${r.text.slice(0, 200)}`);
    assertRedirectError(r, error, a.state, REDIRECT, JSON.stringify(extra));
  }
  // Public clients and mobile apps always need a challenge; confidential ones by default.
  for (const name of ['pub', 'web']) {
    const a = await start(name, {}, { pkce: false });
    assertRedirectError(await b.request(a.url), 'invalid_request', a.state);
  }
  // POST: the same, with 303.
  const a = await start('web', { response_type: 'token' });
  const r = await b.request('/oauth2/authorize', { method: 'POST', form: new URL(a.url).searchParams });
  assert.equal(r.status, 303, r.text);
  assertRedirectError(r, 'unsupported_response_type', a.state);
});

test('POST to the authorization endpoint runs the same flow', async () => {
  const b = new Browser(srv.url);
  const a = await start('fp');
  const r = await b.request('/oauth2/authorize', { method: 'POST', form: new URL(a.url).searchParams });
  assert.ok(r.status === 302 || r.status === 303, r.text);
  assert.ok(isPage(r.location, '/login'), r.location);
  const { r: done } = await authorize(b, a.url);
  assertCode(redirectParams(done), a.state);
});

test('response_mode=fragment and form_post', async () => {
  const b = new Browser(srv.url);
  const fpAuth = { authorization: basic(apps.fp.client_id, apps.fp.client_secret) };

  // form_post through the login form: the result page comes with the login POST.
  const fp1 = await start('fp', { response_mode: 'form_post' });
  const { r: page1 } = await authorize(b, fp1.url);
  const check = async (page, a) => {
    assert.equal(page.status, 200, page.text);
    assertHtmlHeaders(page);
    const f = forms(page.text).find((x) => x.attrs.id === 'form_post');
    assert.ok(f, page.text);
    assert.equal(f.attrs.method?.toLowerCase(), 'post');
    assert.equal(f.attrs.action, REDIRECT);
    for (const i of f.inputs.filter((x) => x.name)) assert.equal(i.type, 'hidden', i.name);
    assert.equal(f.fields.state, a.state);
    assert.equal(f.fields.iss, srv.url);
    assert.match(f.fields.code, /^lk_ac_/);
    assert.ok(tags(page.text, 'script').some((s) => s.src === '/static/form_post.js'), 'loads /static/form_post.js');
    const t = await token({ grant_type: 'authorization_code', code: f.fields.code, redirect_uri: REDIRECT, code_verifier: a.verifier }, fpAuth);
    assert.equal(t.status, 200, t.text);
  };
  await check(page1, fp1);
  // With the session: the page at once.
  const fp2 = await start('fp', { response_mode: 'form_post' });
  await check(await b.request(fp2.url), fp2);
  const js = await fetch(`${srv.url}/static/form_post.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);

  // fragment: everything after '#'.
  const fr = await start('fp', { response_mode: 'fragment' });
  const r = await b.request(fr.url);
  assert.equal(r.status, 302, r.text);
  const p = redirectParams(r, REDIRECT, { fragment: true });
  const code = assertCode(p, fr.state);
  const t = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: fr.verifier }, fpAuth);
  assert.equal(t.status, 200, t.text);
  // response_mode=query is the default made explicit.
  const q = await start('fp', { response_mode: 'query' });
  assertCode(redirectParams(await b.request(q.url)), q.state);
});

test('web strategy: exact match only', async () => {
  const b = new Browser(srv.url);
  const a = await start('fp');
  await authorize(b, a.url);
  for (const uri of [`${REDIRECT}/`, `${REDIRECT}?x=1`, 'https://app.example/cb2', 'http://app.example/cb']) {
    const bad = await start('fp', { redirect_uri: uri });
    assertErrorPage(await b.request(bad.url), uri);
  }
});

test('mobile-localhost: the loopback redirect with any port', async () => {
  const b = new Browser(srv.url);
  const cfg = config('nat', client.None());
  for (const port of [54321, 8080]) {
    const redirect = `http://127.0.0.1:${port}/cb`;
    const a = await start('nat', { redirect_uri: redirect, scope: 'api' });
    const { r } = await authorize(b, a.url);
    assertCode(redirectParams(r, redirect), a.state);
    const t = await client.authorizationCodeGrant(cfg, new URL(r.location), { pkceCodeVerifier: a.verifier, expectedState: a.state });
    await assertTokens(t, { scope: 'api', clientId: apps.nat.client_id, refresh: false });
  }
  for (const uri of ['http://127.0.0.1:54321/other', 'http://evil.example:54321/cb', 'http://127.0.0.1:54321/cb/x']) {
    const bad = await start('nat', { redirect_uri: uri, scope: 'api' });
    assertErrorPage(await b.request(bad.url), uri);
  }
  // A mobile app must send a challenge.
  const np = await start('nat', { redirect_uri: 'http://127.0.0.1:9/cb', scope: 'api' }, { pkce: false });
  assertRedirectError(await b.request(np.url), 'invalid_request', np.state, 'http://127.0.0.1:9/cb');
});

test('mobile-title: the code in the page <title>, with and without state', async () => {
  const b = new Browser(srv.url);
  const redeem = (code, verifier, extra = {}) =>
    token({ grant_type: 'authorization_code', code, client_id: apps.ttl.client_id, code_verifier: verifier, ...extra });
  const successCode = (page, state) => {
    assert.equal(page.status, 200, page.text);
    assertHtmlHeaders(page);
    const t = title(page.text);
    assert.match(t, /^Success code=lk_ac_[A-Za-z0-9_-]+(&state=.*)?$/, t);
    const p = new URLSearchParams(t.slice('Success '.length));
    assert.deepEqual([...p.keys()], state === undefined ? ['code'] : ['code', 'state']);
    if (state !== undefined) assert.equal(p.get('state'), state);
    return p.get('code');
  };

  // A state that needs form-urlencoding; no redirect_uri at all.
  const state = 'a b/c&d=é';
  const a = await start('ttl', { redirect_uri: undefined, scope: 'api', state });
  const { r, consent } = await authorize(b, a.url);
  assert.ok(consent);
  const code = successCode(r, state);
  // Encoded so that the title splits at '&' and '=' only: no raw space, '&', '=' or
  // non-ASCII inside the value (a space may be '+' or %20; both decode the same).
  const raw = title(r.text).slice('Success '.length);
  assert.equal(raw.split('&').length, 2, raw);
  assert.match(raw.split('&')[1], /^state=[A-Za-z0-9%+._~*-]+$/, raw);
  const t = await redeem(code, a.verifier);
  assert.equal(t.status, 200, t.text);

  // No state: no "&state=". An absent redirect_uri equals the oob one at the token endpoint.
  const b2 = await start('ttl', { redirect_uri: undefined, scope: 'api', state: undefined });
  const page2 = await b.request(b2.url);
  const code2 = successCode(page2, undefined);
  assert.equal(title(page2.text), `Success code=${code2}`);
  assert.equal((await redeem(code2, b2.verifier, { redirect_uri: OOB })).status, 200);

  // redirect_uri=oob: the same page; redeemed without redirect_uri.
  const c = await start('ttl', { redirect_uri: OOB, scope: 'api', state: 'xyz' });
  const page3 = await b.request(c.url);
  const code3 = successCode(page3, 'xyz');
  assert.equal(title(page3.text), `Success code=${code3}&state=xyz`);
  assert.equal((await redeem(code3, c.verifier)).status, 200);

  // An error once the client is known.
  const e = await start('ttl', { redirect_uri: undefined, scope: 'api', state: 'st1', code_challenge_method: 'plain' });
  const err = await b.request(e.url);
  assert.equal(err.location, null);
  assertHtmlHeaders(err);
  assert.equal(title(err.text), 'Error error=invalid_request&state=st1');
  const e2 = await start('ttl', { redirect_uri: undefined, scope: 'admin', state: undefined });
  assert.equal(title((await b.request(e2.url)).text), 'Error error=invalid_scope');

  // Any other redirect_uri: the error page.
  const bad = await start('ttl', { redirect_uri: REDIRECT, scope: 'api' });
  assertErrorPage(await b.request(bad.url), 'mobile-title with a redirect_uri');
});

test('user names: alice, local\\alice and the email sign in the same user', async () => {
  for (const username of ['alice', 'local\\alice', 'alice@example.com']) {
    const b = new Browser(srv.url);
    const a = await start('fp');
    const { r } = await authorize(b, a.url, { username });
    const code = assertCode(redirectParams(r), a.state);
    const t = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: a.verifier },
      { authorization: basic(apps.fp.client_id, apps.fp.client_secret) });
    assert.equal(t.status, 200, `${username}: ${t.text}`);
    await assertTokens(t.json, { scope: 'api offline_access', clientId: apps.fp.client_id, raw: true });
  }
});

test('wrong credentials: the form again with one generic message', async () => {
  const b = new Browser(srv.url);
  const a = await start('fp');
  const r = await b.request(a.url);
  const login = await b.request(r.location);
  const wrongPassword = await b.submit(login, { username: 'alice', password: 'wrong' });
  const unknownUser = await b.submit(wrongPassword, { username: 'nobody', password: PASSWORD });
  for (const page of [wrongPassword, unknownUser]) {
    assert.equal(page.status, 200, page.text);
    assertHtmlHeaders(page);
    assert.ok(page.text.includes(GENERIC), page.text);
    assert.equal(setCookie(page, 'lk_session'), undefined);
    const f = csrfForm(page.text);
    assert.ok(f.fields.request && 'username' in f.fields && 'password' in f.fields);
  }
  assert.ok(!login.text.includes(GENERIC));
  // The password is never echoed back; the right one then works.
  assert.ok(!wrongPassword.text.includes('value="wrong"'));
  const ok = await b.submit(unknownUser, { username: 'alice', password: PASSWORD });
  assert.equal(ok.status, 303, ok.text);
  assertCode(redirectParams(ok), a.state);
});

test('password grant: only for password apps; generic invalid_grant', async () => {
  const auth = { authorization: basic(apps.pw.client_id, apps.pw.client_secret) };
  for (const username of ['alice', 'local\\alice', 'alice@example.com']) {
    const r = await token({ grant_type: 'password', username, password: PASSWORD, scope: 'api offline_access' }, auth);
    assert.equal(r.status, 200, r.text);
    await assertTokens(r.json, { scope: 'api offline_access', clientId: apps.pw.client_id, raw: true });
  }
  for (const [username, password] of [['alice', 'wrong'], ['nobody', PASSWORD]]) {
    const r = await token({ grant_type: 'password', username, password, scope: 'api' }, auth);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error, 'invalid_grant');
  }
  const web = await token({ grant_type: 'password', username: 'alice', password: PASSWORD, scope: 'api' },
    { authorization: basic(apps.web.client_id, apps.web.client_secret) });
  assert.equal(web.status, 400, web.text);
  assert.equal(web.json.error, 'unauthorized_client');
});
