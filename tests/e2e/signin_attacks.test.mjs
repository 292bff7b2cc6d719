// The attacks of RFC 9700 (OAuth 2.0 Security Best Current Practice) and
// RFC 6749 §10 against the authorization code flow of the real server, with
// raw HTTP: code replay and what it revokes, PKCE downgrade, redirect URI
// mismatches and open-redirect payloads, unknown clients, refresh token
// replay, concurrent redemptions, CSRF on the login form, login throttling
// per account and per address (behind a proxy), and a user disabled with
// the CLI losing sessions and refresh tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { cli, freshDir, startServer } from './harness.mjs';
import { Browser as WebBrowser, pageForm } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://app.example/cb';
const GENERIC = 'The username or password is incorrect.';

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns true, for at most ms.
async function within(ms, fn, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(200);
  }
}

// ---- A browser (web.mjs) with one shortcut: to the login page. ----

class Browser extends WebBrowser {
  constructor(srv) {
    super(() => srv.url);
    this.srv = srv;
  }

  // To the login page of a new authorization request.
  async loginPage(authUrl) {
    const r = await this.request(authUrl);
    assert.equal(r.status, 302, r.text);
    assert.ok(r.location?.startsWith(`${this.srv.url}/login?request=`), r.location);
    const page = await this.request(r.location);
    assert.equal(page.status, 200, page.text);
    return page;
  }
}

// An authorization URL for app (with PKCE unless pkce is false).
async function authUrl(srv, app, params = {}, { pkce = true } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const p = { response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'api offline_access',
    state: client.randomState(), ...params };
  // Challenge and method given in params (even undefined) win.
  if (pkce && !('code_challenge' in params)) p.code_challenge = await client.calculatePKCECodeChallenge(verifier);
  if (pkce && !('code_challenge_method' in params)) p.code_challenge_method = 'S256';
  for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  const u = new URL(`${srv.url}/oauth2/authorize`);
  for (const [k, v] of Object.entries(p)) u.searchParams.append(k, v);
  return { url: u, verifier, params: p };
}

async function post(srv, path, form, headers = {}) {
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

// Client authentication for app: Basic for confidential ones, client_id for public.
function clientAuth(app) {
  return app.client_secret ? { headers: { authorization: basic(app.client_id, app.client_secret) }, form: {} }
    : { headers: {}, form: { client_id: app.client_id } };
}

function tokenRequest(srv, app, form, headers = {}) {
  const a = clientAuth(app);
  return post(srv, '/oauth2/token', { ...a.form, ...form }, { ...a.headers, ...headers });
}

// redirect null leaves redirect_uri out.
const redeem = (srv, app, code, { verifier, redirect = REDIRECT } = {}) => {
  const form = { grant_type: 'authorization_code', code };
  if (redirect !== null) form.redirect_uri = redirect;
  if (verifier !== undefined) form.code_verifier = verifier;
  return tokenRequest(srv, app, form);
};

const refresh = (srv, app, rt, extra = {}) => tokenRequest(srv, app, { grant_type: 'refresh_token', refresh_token: rt, ...extra });

function assertGrantError(r, error = 'invalid_grant', what = '') {
  assert.equal(r.status, 400, `${what}: ${r.text}`);
  assert.equal(r.json?.error, error, `${what}: ${r.text}`);
  assert.equal(r.headers.get('cache-control'), 'no-store');
}

// An error page: 400, HTML, never a redirect, no way out to the payload.
function assertErrorPage(r, what) {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.location ?? ''} ${r.text.slice(0, 200)}`);
  assert.equal(r.location, null, what);
  assert.equal(r.headers.get('refresh'), null, what);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.ok(!/http-equiv\s*=\s*["']?refresh/i.test(r.text), `${what}: a meta refresh`);
  assert.ok(!/(href|action|src)\s*=\s*["']?\s*(javascript|data):/i.test(r.text), `${what}: a script link`);
  assert.ok(!/<a\b[^>]*href\s*=\s*["']?https?:\/\/[^"'\s>]*evil/i.test(r.text), `${what}: a link to the payload`);
}

// ============================================================================
describe('codes, PKCE, redirects, refresh tokens', () => {
  let srv;
  let dir;
  let sess; // a browser with alice's session
  const apps = {};
  const users = {};

  const cliOk = (args, opts = {}) => {
    const r = cli(args, { db: dir.db, ...opts });
    assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const addApp = (name, args) => {
    apps[name] = cliOk(['app', 'add', '--name', name, ...args, '--json']).json;
    return apps[name];
  };
  const introspect = (tok) => post(srv, '/oauth2/introspect', { token: tok },
    { authorization: basic(apps.rs.client_id, apps.rs.client_secret) });
  const assertActive = async (tok, what) => {
    const r = await introspect(tok);
    assert.equal(r.json?.active, true, `${what}: ${r.text}`);
  };
  const assertInactive = async (tok, what) => {
    const r = await introspect(tok);
    assert.equal(r.status, 200, `${what}: ${r.text}`);
    assert.equal(r.text, '{"active":false}', what);
  };

  // A code for app from browser b (a first-party app and a session: no page in between).
  async function code(name, params = {}, { pkce = true, b = sess } = {}) {
    const a = await authUrl(srv, apps[name], params, { pkce });
    const r = await b.request(a.url);
    assert.equal(r.status, 302, `${name}: ${r.text}`);
    const u = new URL(r.location);
    assert.equal(`${u.origin}${u.pathname}`, a.params.redirect_uri ?? REDIRECT, r.location);
    const c = u.searchParams.get('code');
    assert.match(c ?? '', /^lk_ac_/, r.location);
    return { code: c, verifier: a.verifier, redirect: a.params.redirect_uri };
  }

  // Tokens for app through a fresh code.
  async function tokens(name, params = {}) {
    const c = await code(name, params);
    const r = await redeem(srv, apps[name], c.code, { verifier: c.verifier, redirect: c.redirect });
    assert.equal(r.status, 200, r.text);
    return r.json;
  }

  async function signIn(b, username) {
    const page = await b.loginPage((await authUrl(srv, apps.fpweb)).url);
    const r = await b.submit(page, { username, password: PASSWORD });
    assert.equal(r.status, 303, r.text);
    assert.ok(r.location.startsWith(`${REDIRECT}?`), r.location);
  }

  before(async () => {
    dir = freshDir();
    const user = (name) => {
      users[name] = cliOk(['user', 'add', name, '--password-stdin', '--json'], { input: `${PASSWORD}\n` }).json;
    };
    user('alice');
    user('dan');
    const scope = ['--scope', 'api offline_access'];
    addApp('web', ['--grant', 'authorization_code', '--redirect-uri', REDIRECT, ...scope]);
    addApp('fpweb', ['--grant', 'authorization_code', '--first-party', '--redirect-uri', REDIRECT, ...scope]);
    addApp('fppub', ['--grant', 'authorization_code', '--first-party', '--client-type', 'public', '--redirect-uri', REDIRECT, ...scope]);
    addApp('other', ['--grant', 'authorization_code', '--first-party', '--redirect-uri', REDIRECT, ...scope]);
    addApp('multi', ['--grant', 'authorization_code', '--first-party', '--redirect-uri', REDIRECT,
      '--redirect-uri', 'https://app.example/cb2', ...scope]);
    addApp('nat', ['--grant', 'authorization_code', '--first-party', '--redirect-strategy', 'mobile-localhost',
      '--redirect-uri', 'http://127.0.0.1/cb']);
    addApp('gone', ['--grant', 'authorization_code', '--first-party', '--redirect-uri', REDIRECT]);
    cliOk(['app', 'disable', 'gone']);
    addApp('rs', ['--grant', 'client_credentials', '--scope', 'api']);
    srv = await startServer({
      dir,
      env: {
        LATCHKEY_TOKENS_PKCE_REQUIRED: 'false',
        LATCHKEY_TOKENS_CODE_LIFETIME: '10',
        LATCHKEY_LOGIN_MAX_FAILURES: '50',
      },
    });
    sess = new Browser(srv);
    await signIn(sess, 'alice');
  });

  after(async () => {
    await srv?.stop();
    dir?.remove();
  });

  test('code replay: the second redemption fails and revokes what the first issued', async () => {
    for (const name of ['fpweb', 'fppub']) {
      const c = await code(name);
      const first = await redeem(srv, apps[name], c.code, { verifier: c.verifier });
      assert.equal(first.status, 200, first.text);
      assert.match(first.json.refresh_token ?? '', /^lk_rt_/);
      await assertActive(first.json.access_token, 'the first access token');
      assertGrantError(await redeem(srv, apps[name], c.code, { verifier: c.verifier }), 'invalid_grant', `${name} replay`);
      await assertInactive(first.json.access_token, `${name}: the first access token after the replay`);
      assertGrantError(await refresh(srv, apps[name], first.json.refresh_token), 'invalid_grant', `${name}: the first refresh token`);
    }
    // Each replay is in the audit log under the client.
    const r = cli(['audit', '--limit', '1000', '--json'], { db: dir.db });
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['fpweb', 'fppub'])
      assert.ok(r.json.some((e) => e.action === 'code.reuse' && e.object_id === apps[name].client_id), name);
  });

  test('a code is bound to its client and its redirect URI', async () => {
    const c = await code('fpweb');
    assertGrantError(await redeem(srv, apps.other, c.code, { verifier: c.verifier }), 'invalid_grant', "another client's code");
    const c2 = await code('multi');
    assertGrantError(await redeem(srv, apps.multi, c2.code, { verifier: c2.verifier, redirect: 'https://app.example/cb2' }),
      'invalid_grant', 'another registered redirect');
    const c3 = await code('multi');
    assertGrantError(await redeem(srv, apps.multi, c3.code, { verifier: c3.verifier, redirect: null }),
      'invalid_grant', 'redirect_uri left out');
    const c4 = await code('fpweb');
    assertGrantError(await redeem(srv, apps.fpweb, `${c4.code}x`, { verifier: c4.verifier }), 'invalid_grant', 'a made-up code');
    assertGrantError(await redeem(srv, apps.fpweb, 'lk_ac_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { verifier: c4.verifier }),
      'invalid_grant', 'an unknown code');
    // The right request still works afterwards for a code nobody misused.
    assert.equal((await redeem(srv, apps.fpweb, c4.code, { verifier: c4.verifier })).status, 200);
  });

  test('an expired code is invalid_grant', async () => {
    const c = await code('fpweb');
    await sleep(11_000);
    assertGrantError(await redeem(srv, apps.fpweb, c.code, { verifier: c.verifier }), 'invalid_grant', 'a code past its lifetime');
  });

  test('PKCE downgrade: verifier without challenge, missing or wrong verifier', async () => {
    // PKCE is optional for this confidential client here; a code without challenge redeems without verifier.
    const plainOk = await code('fpweb', {}, { pkce: false });
    assert.equal((await redeem(srv, apps.fpweb, plainOk.code)).status, 200);
    const noChallenge = await code('fpweb', {}, { pkce: false });
    assertGrantError(await redeem(srv, apps.fpweb, noChallenge.code, { verifier: client.randomPKCECodeVerifier() }),
      'invalid_grant', 'a verifier for a code without challenge');
    for (const name of ['fpweb', 'fppub']) {
      const missing = await code(name);
      assertGrantError(await redeem(srv, apps[name], missing.code), 'invalid_grant', `${name}: no verifier`);
      const wrong = await code(name);
      assertGrantError(await redeem(srv, apps[name], wrong.code, { verifier: client.randomPKCECodeVerifier() }),
        'invalid_grant', `${name}: another verifier`);
      // The challenge itself sent as the verifier.
      const asChallenge = await code(name);
      const challenge = await client.calculatePKCECodeChallenge(asChallenge.verifier);
      assertGrantError(await redeem(srv, apps[name], asChallenge.code, { verifier: challenge }), 'invalid_grant', `${name}: challenge as verifier`);
    }
  });

  test('PKCE at the authorization endpoint: plain refused, public clients must send S256', async () => {
    const expectError = async (name, params, opts, error) => {
      const a = await authUrl(srv, apps[name], params, opts);
      const r = await sess.request(a.url);
      assert.equal(r.status, 302, `${JSON.stringify(params)}: ${r.text}`);
      const u = new URL(r.location);
      assert.equal(`${u.origin}${u.pathname}`, a.params.redirect_uri ?? REDIRECT);
      assert.equal(u.searchParams.get('error'), error, r.location);
      assert.equal(u.searchParams.get('code'), null);
      assert.equal(u.searchParams.get('state'), a.params.state);
      assert.equal(u.searchParams.get('iss'), srv.url);
    };
    const verifier = client.randomPKCECodeVerifier();
    // plain, with a challenge equal to the verifier; no method with a plain-looking challenge.
    await expectError('fpweb', { code_challenge: verifier, code_challenge_method: 'plain' }, { pkce: false }, 'invalid_request');
    await expectError('fppub', { code_challenge: verifier, code_challenge_method: 'plain' }, { pkce: false }, 'invalid_request');
    await expectError('fppub', { code_challenge: verifier }, { pkce: false }, 'invalid_request');
    await expectError('fppub', {}, { pkce: false }, 'invalid_request');
    await expectError('nat', { redirect_uri: 'http://127.0.0.1:4000/cb', scope: 'api' }, { pkce: false }, 'invalid_request');
    await expectError('fppub', { code_challenge: 'A'.repeat(42), code_challenge_method: 'S256' }, { pkce: false }, 'invalid_request');
    await expectError('fppub', { code_challenge: `${'A'.repeat(42)}+`, code_challenge_method: 'S256' }, { pkce: false }, 'invalid_request');
    await expectError('fppub', { code_challenge: 'A'.repeat(44), code_challenge_method: 'S256' }, { pkce: false }, 'invalid_request');
  });

  test('redirect mismatches and open-redirect payloads: a 400 page, never a redirect', async () => {
    const payloads = [
      'https://evil.example/cb',
      'https://evil.example/',
      'https://app.example.evil.example/cb',
      'https://app.example/cb/evil',
      'https://app.example/cbx',
      'https://app.example/cb/',
      'https://app.example/cb?next=https://evil.example/',
      'https://app.example/cb#https://evil.example/',
      'https://app.example/CB',
      'HTTPS://APP.EXAMPLE/cb',
      'http://app.example/cb',
      'https://app.example:443/cb',
      'https://app.example:8443/cb',
      'https://app.example@evil.example/cb',
      'https://app.example:x@evil.example/cb',
      'https://evil.example/https://app.example/cb',
      'https://evil.example?https://app.example/cb',
      'https://app.example\\@evil.example/cb',
      'https://app.example\\evil.example/cb',
      'https:\\\\evil.example\\cb',
      '//evil.example/cb',
      '/\\evil.example/cb',
      'https://app.example/cb/../evil',
      'https://app.example/cb/./',
      'https://app.example/cb/..%2Fevil',
      'https://app.example/cb%2F..%2Fevil',
      'https://app.example%2F@evil.example/cb',
      'https://app.example%40evil.example/cb',
      'https://app.example/%63b',
      'https%3A%2F%2Fevil.example%2Fcb',
      'https%3A%2F%2Fapp.example%2Fcb',
      'https://app.example/cb%00',
      'https://app.example/cb%0d%0aLocation:%20https://evil.example/',
      'https://app.example/cb\r\nLocation: https://evil.example/',
      ' https://app.example/cb',
      'https://app.example/cb ',
      'javascript:alert(1)',
      'javascript://app.example/cb%0aalert(1)',
      'JaVaScRiPt:alert(document.domain)',
      'data:text/html,<script>alert(1)</script>',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'urn:ietf:wg:oauth:2.0:oob:auto',
    ];
    for (const p of payloads) {
      const a = await authUrl(srv, apps.fpweb, { redirect_uri: p });
      assertErrorPage(await sess.request(a.url), `GET ${JSON.stringify(p)}`);
      assertErrorPage(await sess.request('/oauth2/authorize', { method: 'POST', form: a.params }), `POST ${JSON.stringify(p)}`);
    }
    // The same for a loopback app: only the port may differ.
    for (const p of ['http://127.0.0.1:4000/evil', 'http://127.0.0.1:4000/cb/../evil', 'http://127.0.0.1.evil.example:4000/cb',
      'http://127.0.0.1@evil.example/cb', 'http://evil.example:4000/cb', 'https://127.0.0.1:4000/cb', 'http://127.0.0.1:4000/cb?x=1',
      'javascript:alert(1)', 'data:text/html,x']) {
      const a = await authUrl(srv, apps.nat, { redirect_uri: p, scope: 'api' });
      assertErrorPage(await sess.request(a.url), `nat ${JSON.stringify(p)}`);
    }
    // Several registered: redirect_uri is required.
    const multi = await authUrl(srv, apps.multi, { redirect_uri: undefined });
    assertErrorPage(await sess.request(multi.url), 'no redirect_uri with several registered');
    // Repeated parameters.
    const rep = await authUrl(srv, apps.fpweb);
    const u = new URL(rep.url);
    u.searchParams.append('redirect_uri', 'https://evil.example/cb');
    assertErrorPage(await sess.request(u), 'redirect_uri twice');
    const u2 = new URL(rep.url);
    u2.searchParams.append('redirect_uri', REDIRECT);
    assertErrorPage(await sess.request(u2), 'redirect_uri twice, the same value');
    const u3 = new URL(rep.url);
    u3.searchParams.append('client_id', apps.other.client_id);
    assertErrorPage(await sess.request(u3), 'client_id twice');
    // After all that, the honest request still gets its code.
    await code('fpweb');
  });

  test('unknown, missing or disabled client: a 400 page', async () => {
    const a = await authUrl(srv, apps.fpweb);
    for (const [what, edit] of [
      ['unknown client_id', (u) => u.searchParams.set('client_id', 'no-such-client')],
      ['missing client_id', (u) => u.searchParams.delete('client_id')],
      ['empty client_id', (u) => u.searchParams.set('client_id', '')],
      ['disabled client', (u) => u.searchParams.set('client_id', apps.gone.client_id)],
      ['a resource server, no redirect URI', (u) => u.searchParams.set('client_id', apps.rs.client_id)],
    ]) {
      const u = new URL(a.url);
      edit(u);
      assertErrorPage(await sess.request(u), what);
      assertErrorPage(await new Browser(srv).request(u), `${what}, no session`);
    }
  });

  test('refresh token replay revokes the whole family', async () => {
    for (const name of ['fpweb', 'fppub']) {
      const t1 = await tokens(name);
      const r2 = await refresh(srv, apps[name], t1.refresh_token);
      assert.equal(r2.status, 200, r2.text);
      const t2 = r2.json;
      assert.match(t2.refresh_token, /^lk_rt_/);
      assert.notEqual(t2.refresh_token, t1.refresh_token);
      await assertActive(t2.access_token, 'the rotated access token');
      // The old one again: refused, and the family ends.
      assertGrantError(await refresh(srv, apps[name], t1.refresh_token), 'invalid_grant', `${name}: replayed refresh token`);
      assertGrantError(await refresh(srv, apps[name], t2.refresh_token), 'invalid_grant', `${name}: newest refresh token of a revoked family`);
      await assertInactive(t2.access_token, `${name}: access token of the revoked family`);
      await assertInactive(t1.access_token, `${name}: first access token of the revoked family`);
    }
  });

  test("another client's refresh token is invalid_grant", async () => {
    const t = await tokens('fpweb');
    assertGrantError(await refresh(srv, apps.other, t.refresh_token), 'invalid_grant', 'a confidential thief');
    assertGrantError(await refresh(srv, apps.fppub, t.refresh_token), 'invalid_grant', 'a public thief');
    const p = await tokens('fppub');
    assertGrantError(await refresh(srv, apps.fpweb, p.refresh_token), 'invalid_grant', "a confidential client with a public one's token");
  });

  test('concurrent redemptions of one code: exactly one succeeds', async () => {
    for (const name of ['fpweb', 'fppub']) {
      const c = await code(name);
      const all = await Promise.all(Array.from({ length: 10 }, () => redeem(srv, apps[name], c.code, { verifier: c.verifier })));
      const ok = all.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, `${name}: ${all.map((r) => r.status).join(' ')}`);
      for (const r of all.filter((x) => x.status !== 200)) assertGrantError(r, 'invalid_grant', name);
    }
  });

  test('concurrent refreshes of one refresh token: exactly one succeeds', async () => {
    for (const name of ['fpweb', 'fppub']) {
      const t = await tokens(name);
      const all = await Promise.all(Array.from({ length: 10 }, () => refresh(srv, apps[name], t.refresh_token)));
      const ok = all.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, `${name}: ${all.map((r) => r.status).join(' ')}`);
      for (const r of all.filter((x) => x.status !== 200)) assertGrantError(r, 'invalid_grant', name);
    }
  });

  test('a user disabled with the CLI loses sessions, refresh tokens and access tokens', async () => {
    const b = new Browser(srv);
    await signIn(b, 'dan');
    const c = await code('fpweb', {}, { b });
    const r = await redeem(srv, apps.fpweb, c.code, { verifier: c.verifier });
    assert.equal(r.status, 200, r.text);
    const { access_token: at, refresh_token: rt } = r.json;
    await assertActive(at, "dan's access token");
    const pw = cliOk(['app', 'add', '--name', 'danpw', '--grant', 'password', '--scope', 'api', '--json']).json;

    cliOk(['user', 'disable', 'dan']);
    // Read-only checks first, so that nothing rotates the refresh token meanwhile.
    await within(5000, async () => (await introspect(at)).text === '{"active":false}', "dan's access token to go inactive");
    await within(5000, async () => {
      const x = await b.request((await authUrl(srv, apps.fpweb)).url);
      return x.status === 302 && x.location.startsWith(`${srv.url}/login?request=`);
    }, "dan's session to end");
    assertGrantError(await refresh(srv, apps.fpweb, rt), 'invalid_grant', "dan's refresh token");
    // The login form and the password grant refuse him with the generic answer.
    const page = await b.loginPage((await authUrl(srv, apps.fpweb)).url);
    const again = await b.submit(page, { username: 'dan', password: PASSWORD });
    assert.equal(again.status, 200, again.text);
    assert.ok(again.text.includes(GENERIC));
    await within(5000, async () => (await tokenRequest(srv, pw, { grant_type: 'password', username: 'alice', password: PASSWORD })).status === 200,
      'the new password app');
    assertGrantError(await tokenRequest(srv, pw, { grant_type: 'password', username: 'dan', password: PASSWORD }), 'invalid_grant', 'password grant');
  });
});

// ============================================================================
describe('CSRF and throttling (behind a proxy, 3 failures)', () => {
  let srv;
  let dir;
  const apps = {};

  const xff = (addr) => ({ headers: { 'x-forwarded-for': addr } });
  const start = async (b) => b.loginPage((await authUrl(srv, apps.fpweb)).url);

  function assertLocked(r, what) {
    assert.equal(r.status, 429, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
    const after = r.headers.get('retry-after');
    assert.match(after ?? '', /^[0-9]+$/, `${what}: Retry-After ${after}`);
    assert.ok(Number(after) >= 1 && Number(after) <= 60, `${what}: the first lock is at most a minute, Retry-After ${after}`);
    assert.match(r.text, /Too many/, what);
  }

  function assertFailed(r, what) {
    assert.equal(r.status, 200, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(r.text.includes(GENERIC), `${what}: the generic message`);
  }

  function assertSignedIn(r, what) {
    assert.equal(r.status, 303, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(r.location.startsWith(`${REDIRECT}?`), `${what}: ${r.location}`);
    assert.ok(new URL(r.location).searchParams.get('code'), what);
  }

  before(async () => {
    dir = freshDir();
    for (const name of ['quinn', 'tom', 'uma', 'vic', 'pat', 'zed']) {
      const r = cli(['user', 'add', name, '--password-stdin', '--json'], { db: dir.db, input: `${PASSWORD}\n` });
      assert.equal(r.status, 0, r.stderr);
    }
    for (const [name, args] of [
      ['fpweb', ['--grant', 'authorization_code', '--first-party', '--redirect-uri', REDIRECT, '--scope', 'api']],
      ['pw', ['--grant', 'password', '--scope', 'api']],
    ]) {
      const r = cli(['app', 'add', '--name', name, ...args, '--json'], { db: dir.db });
      assert.equal(r.status, 0, r.stderr);
      apps[name] = r.json;
    }
    srv = await startServer({ dir, args: ['--behind-proxy'], env: { LATCHKEY_LOGIN_MAX_FAILURES: '3' } });
  });

  after(async () => {
    await srv?.stop();
    dir?.remove();
  });

  test('the login form: no csrf, a wrong one, no or another browser cookie -> 403, not counted', async () => {
    const b = new Browser(srv);
    const page = await start(b);
    const f = pageForm(page.text);
    const addr = xff('10.7.7.7');
    const wrong = { username: 'quinn', password: 'wrong' };
    const refusals = [];
    const { csrf, ...noCsrf } = f.fields;
    refusals.push(['no csrf field', await b.request('/login', { method: 'POST', form: { ...noCsrf, ...wrong }, ...addr })]);
    refusals.push(['empty csrf', await b.request('/login', { method: 'POST', form: { ...f.fields, csrf: '', ...wrong }, ...addr })]);
    refusals.push(['wrong csrf', await b.request('/login', { method: 'POST', form: { ...f.fields, csrf: `${csrf}x`, ...wrong }, ...addr })]);
    refusals.push(['no cookie', await b.request('/login', { method: 'POST', form: { ...f.fields, ...wrong }, cookies: false, ...addr })]);
    // Another browser's cookie (with its own pending request) and this page's fields.
    const other = new Browser(srv);
    await start(other);
    refusals.push(['another browser', await other.request('/login', { method: 'POST', form: { ...f.fields, ...wrong }, ...addr })]);
    for (const [what, r] of refusals)
      assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith('lk_session=')), what);
    // Five refusals with a wrong password, yet neither quinn nor the address is locked.
    assertSignedIn(await b.submit(page, { username: 'quinn', password: PASSWORD }, addr), 'quinn after the refusals');
    const statuses = refusals.map(([what, r]) => `${what}: ${r.status}`);
    assert.deepEqual(statuses, refusals.map(([what]) => `${what}: 403`));
  });

  test('per account: failures from anywhere lock the account, the right password too', async () => {
    const b = new Browser(srv);
    let page = await start(b);
    for (let i = 1; i <= 3; i++) {
      page = await b.submit(page, { username: 'tom', password: `wrong${i}` }, xff(`10.1.0.${i}`));
      assertFailed(page, `tom failure ${i}`);
    }
    const locked = await b.submit(page, { username: 'tom', password: PASSWORD }, xff('10.1.0.9'));
    assertLocked(locked, 'tom, right password, fresh address');
    // The address 10.1.0.9 is not locked: uma signs in from it.
    const b2 = new Browser(srv);
    assertSignedIn(await b2.submit(await start(b2), { username: 'uma', password: PASSWORD }, xff('10.1.0.9')), 'uma from the same address');
    // tom stays locked from yet another address and another browser.
    const b3 = new Browser(srv);
    assertLocked(await b3.submit(await start(b3), { username: 'tom', password: PASSWORD }, xff('10.1.0.10')), 'tom again');
    // The audit log has each failure, the lockout and the refusal, with the address; never a password.
    const r = cli(['audit', '--limit', '1000', '--json'], { db: dir.db });
    assert.equal(r.status, 0, r.stderr);
    const tom = r.json.filter((e) => e.object_id === 'local\\tom');
    assert.equal(tom.filter((e) => e.action === 'signin.failure').length, 3, JSON.stringify(tom));
    assert.ok(tom.some((e) => e.action === 'signin.lockout'), JSON.stringify(tom));
    assert.ok(tom.some((e) => e.action === 'signin.refused' && e.actor === 'addr:10.1.0.10'), JSON.stringify(tom));
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stdout.includes('wrong1'));
  });

  test('per address: failures for any names lock the address, for every account', async () => {
    const b = new Browser(srv);
    let page = await start(b);
    for (const [i, name] of ['ghost1', 'ghost2', 'zed'].entries()) {
      page = await b.submit(page, { username: name, password: 'wrong' }, xff('10.9.9.9'));
      assertFailed(page, `failure ${i + 1} from 10.9.9.9`);
    }
    assertLocked(await b.submit(page, { username: 'vic', password: PASSWORD }, xff('10.9.9.9')), 'vic from the locked address');
    // The same with a proxy chain whose last hop is that address.
    const b2 = new Browser(srv);
    assertLocked(await b2.submit(await start(b2), { username: 'vic', password: PASSWORD }, xff('203.0.113.5, 10.9.9.9')),
      'vic, the locked address as last hop');
    // vic's account is fine from elsewhere, even when the client claims the locked address first.
    const b3 = new Browser(srv);
    assertSignedIn(await b3.submit(await start(b3), { username: 'vic', password: PASSWORD }, xff('10.9.9.9, 10.9.9.10')),
      'vic from another address');
  });

  test('the password grant counts failures too; then invalid_grant with Retry-After', async () => {
    const grant = (password, addr) => tokenRequest(srv, apps.pw, { grant_type: 'password', username: 'pat', password, scope: 'api' },
      { 'x-forwarded-for': addr });
    for (let i = 1; i <= 3; i++) assertGrantError(await grant(`wrong${i}`, `10.5.0.${i}`), 'invalid_grant', `pat failure ${i}`);
    const locked = await grant(PASSWORD, '10.5.0.9');
    assertGrantError(locked, 'invalid_grant', 'pat locked');
    const after = locked.headers.get('retry-after');
    assert.match(after ?? '', /^[0-9]+$/, `Retry-After ${after}`);
    assert.ok(Number(after) >= 1 && Number(after) <= 60, `Retry-After ${after}`);
    // The login page knows the same lock.
    const b = new Browser(srv);
    assertLocked(await b.submit(await start(b), { username: 'pat', password: PASSWORD }, xff('10.5.0.10')), 'pat on the login page');
  });
});
