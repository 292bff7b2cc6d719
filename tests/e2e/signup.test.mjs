// Self sign-up against the real server (DESIGN §3): /signup is 404 while
// [signup] enabled is off and the login page does not offer it; when on, a
// person follows "Create an account" from the login page of an application's
// authorization request, creates an account, is signed in and continues to
// the application, which redeems the code with PKCE (openid-client) and sees
// the new user in the ID token and userinfo; the same person then signs in
// with the password. Every refusal (the password policy, a taken name or
// email, a forged form, no pending request, throttling) answers with a clear
// message and creates nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { freshDir, startServer, cli } from './harness.mjs';
import { Browser, csrfForm, tags, unescapeHtml } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://rp.example/cb';
const SCOPE = 'openid profile email';

const redirected = (r) => r.status === 302 || r.status === 303;
const onPage = (srv, r, path) => redirected(r) && (r.location ?? '').startsWith(`${srv.url}${path}?request=`);

function cliOk(dir, args, opts = {}) {
  const r = cli(args, { db: dir.db, ...opts });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const userList = (dir) => cliOk(dir, ['user', 'list', '--json']).json;

// Prepares a database with alice and the application rp; returns rp.
function prepare(dir) {
  cliOk(dir, ['user', 'add', 'alice', '--email', 'alice@example.com', '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  // A user whose name looks like an email, as SCIM user names often do.
  cliOk(dir, ['user', 'add', 'dora@corp.example', '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  return cliOk(dir, ['app', 'add', '--name', 'rp', '--grant', 'authorization_code', '--redirect-uri', REDIRECT,
    '--scope', SCOPE, '--json']).json;
}

// openid-client's view of the application, by discovery.
async function rpConfig(srv, app) {
  const cfg = await client.discovery(new URL(srv.url), app.client_id, {},
    client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
  client.enableNonRepudiationChecks(cfg);
  return cfg;
}

// Starts an authorization request in browser b: to the login page.
async function startAuthz(srv, b, cfg) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT, scope: SCOPE, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const r = await b.request(url);
  assert.ok(onPage(srv, r, '/login'), `${r.status} ${r.location}`);
  const login = await b.request(r.location);
  assert.equal(login.status, 200, login.text);
  return { verifier, state, nonce, login, id: new URL(r.location).searchParams.get('request') };
}

// The "Create an account" link of a login page, or undefined.
const signupLink = (html) => tags(html, 'a').find((a) => (a.href ?? '').startsWith('/signup'))?.href;

// Answers the consent page when shown; returns the redirect to the application.
async function throughConsent(srv, b, r) {
  if (onPage(srv, r, '/consent')) {
    const page = await b.request(r.location);
    assert.equal(page.status, 200, page.text);
    r = await b.submit(page, { decision: 'allow' });
  }
  assert.ok(redirected(r) && (r.location ?? '').startsWith(`${REDIRECT}?`), `${r.status} ${r.location} ${r.text.slice(0, 300)}`);
  return r;
}

// The error alert of a page, its text decoded.
function alertText(html) {
  const m = /<div class="lk-alert lk-alert-error" role="alert">([\s\S]*?)<\/div>/.exec(html);
  return m ? unescapeHtml(m[1]) : null;
}

describe('sign-up off (the default)', () => {
  let srv;
  let dir;
  let app;

  before(async () => {
    dir = freshDir();
    app = prepare(dir);
    srv = await startServer({ dir });
  });

  after(async () => {
    await srv?.stop();
    dir?.remove();
  });

  test('/signup is 404 like any unknown path, and the login page does not link to it', async () => {
    const b = new Browser(srv.url);
    const a = await startAuthz(srv, b, await rpConfig(srv, app));
    assert.equal(signupLink(a.login.text), undefined);
    assert.doesNotMatch(a.login.text, /Create an account/);

    const unknown = await fetch(`${srv.url}/no-such-page`);
    const get = await b.request(`/signup?request=${encodeURIComponent(a.id)}`);
    assert.equal(get.status, 404, get.text);
    assert.equal(get.text, await unknown.text());
    const f = csrfForm(a.login.text).fields;
    const before = userList(dir);
    const post = await b.request('/signup', {
      method: 'POST',
      form: { request: a.id, csrf: f.csrf, username: 'mallory', email: 'mallory@example.com', password: 'a fine long passphrase', password_confirm: 'a fine long passphrase' },
    });
    assert.equal(post.status, 404, post.text);
    assert.deepEqual(userList(dir), before);
    // Nor does another method tell that the path exists.
    const del = await fetch(`${srv.url}/signup`, { method: 'DELETE' });
    assert.equal(del.status, 404);
  });
});

describe('sign-up on', () => {
  let srv;
  let dir;
  let app;
  let cfg;
  const NEW_PASSWORD = 'violet kettle under 7 bridges';

  before(async () => {
    dir = freshDir();
    app = prepare(dir);
    // No per-address limit here: the throttling test below has its own server.
    srv = await startServer({ dir, env: { LATCHKEY_SIGNUP_ENABLED: 'true', LATCHKEY_LIMITS_LOGIN_PER_ADDRESS: '0' } });
    cfg = await rpConfig(srv, app);
  });

  after(async () => {
    await srv?.stop();
    dir?.remove();
  });

  // The sign-up page of a fresh authorization request in a fresh browser.
  async function signupPage() {
    const b = new Browser(srv.url);
    const a = await startAuthz(srv, b, cfg);
    const href = signupLink(a.login.text);
    assert.equal(href, `/signup?request=${a.id}`);
    const page = await b.request(href);
    assert.equal(page.status, 200, page.text);
    return { b, a, page };
  }

  test('the form: fields, autocomplete, hidden request and csrf, a link back to sign in', async () => {
    const { a, page } = await signupPage();
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(page.headers.get('cache-control') ?? '', /no-store/);
    const f = csrfForm(page.text);
    assert.equal(f.attrs.action, '/signup');
    assert.equal(f.attrs.method.toLowerCase(), 'post');
    const input = (n) => f.inputs.find((i) => i.name === n);
    assert.equal(input('request').type, 'hidden');
    assert.equal(input('request').value, a.id);
    assert.equal(input('csrf').type, 'hidden');
    assert.ok(input('csrf').value.length >= 16);
    assert.equal(input('username').autocomplete, 'username');
    assert.equal(input('email').autocomplete, 'email');
    assert.equal(input('email').type, 'email');
    assert.equal(input('password').autocomplete, 'new-password');
    assert.equal(input('password').type, 'password');
    assert.equal(input('password_confirm').autocomplete, 'new-password');
    assert.equal(input('password_confirm').type, 'password');
    assert.equal(input('password').minlength, '12');
    for (const i of f.inputs.filter((x) => x.type !== 'hidden')) {
      assert.ok(tags(page.text, 'label').some((l) => l.for === i.id), `a label for ${i.name}`);
    }
    assert.ok(tags(page.text, 'a').some((l) => l.href === `/login?request=${a.id}`), 'a link back to sign in');
    assert.equal(alertText(page.text), null);
  });

  test('methods other than GET and POST: 405 with Allow', async () => {
    const r = await fetch(`${srv.url}/signup`, { method: 'PUT' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD, POST');
  });

  test('refusals: a clear message, the form again without the password, nothing created', async () => {
    const { b, page } = await signupPage();
    const before = userList(dir);
    const auditBefore = cliOk(dir, ['audit', '--json']).json.length;
    const good = { username: 'newbie', email: 'newbie@example.com', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD };
    const cases = [
      [{ password: 'short pass', password_confirm: 'short pass' }, /at least 12 characters/],
      // Twelve bytes, but only six characters.
      [{ password: 'éééééé', password_confirm: 'éééééé' }, /at least 12 characters/],
      [{ password: 'password1234', password_confirm: 'password1234' }, /too common/],
      [{ password: 'QwertyUIOP123', password_confirm: 'QwertyUIOP123' }, /too common/],
      [{ username: 'longusername1', password: 'LongUserName1', password_confirm: 'LongUserName1' }, /not be your username or your email/],
      [{ email: 'my.own.name@example.com', password: 'my.own.name@example.com', password_confirm: 'my.own.name@example.com' }, /not be your username or your email/],
      [{ email: 'my.own.name@example.com', password: 'My.Own.Name', password_confirm: 'My.Own.Name' }, /at least 12/],
      [{ email: 'my.own.name1@example.com', password: 'My.Own.Name1', password_confirm: 'My.Own.Name1' }, /not be your username or your email/],
      [{ password_confirm: `${NEW_PASSWORD}!` }, /passwords do not match/],
      [{ username: 'alice' }, /^That username is taken\.$/],
      [{ username: 'ALICE' }, /^That username is taken\.$/],
      // A user name another account's email answers to at the login form.
      [{ username: 'alice@example.com' }, /^That username is taken\.$/],
      [{ email: 'Alice@Example.com' }, /^An account with that email exists\.$/],
      // An email the login form would take for another account's user name.
      [{ email: 'dora@corp.example' }, /^An account with that email exists\.$/],
      [{ username: 'corp\\newbie' }, /without a domain/],
      [{ username: 'new bie' }, /letters, digits/],
      [{ username: '' }, /letters, digits/],
      [{ username: 'x'.repeat(65) }, /at most 64/],
      [{ email: '' }, /valid email/],
      [{ email: 'newbie' }, /valid email/],
      [{ email: 'newbie@localhost' }, /valid email/],
      [{ email: 'new..bie@example.com' }, /valid email/],
      [{ email: `${'a'.repeat(250)}@example.com` }, /valid email/],
    ];
    for (const [change, message] of cases) {
      const values = { ...good, ...change };
      const r = await b.submit(page, values);
      const what = JSON.stringify(change);
      assert.equal(r.status, 200, `${what}: ${r.status} ${r.location} ${r.text.slice(0, 300)}`);
      assert.match(alertText(r.text) ?? '', message, what);
      const f = csrfForm(r.text);
      assert.equal(f.fields.username, values.username, `${what}: the username is kept`);
      assert.equal(f.fields.email, values.email, `${what}: the email is kept`);
      assert.equal(f.fields.password, '', `${what}: never the password`);
      assert.equal(f.fields.password_confirm, '', what);
      if (values.password !== values.email) assert.ok(!r.text.includes(values.password), `${what}: the password is not on the page`);
      assert.equal(r.setCookies.find((c) => c.startsWith('lk_session=')), undefined, what);
    }

    // A forged form: 403 and the form again, with the right token.
    const forged = await b.submit(page, { ...good, csrf: 'A'.repeat(44) });
    assert.equal(forged.status, 403, forged.text);
    assert.match(alertText(forged.text) ?? '', /could not be verified/);
    assert.equal(csrfForm(forged.text).fields.csrf, csrfForm(page.text).fields.csrf);
    const noCsrf = await b.submit(page, { ...good, csrf: '' });
    assert.equal(noCsrf.status, 403, noCsrf.text);

    // The form of one browser posted from another: refused.
    const other = new Browser(srv.url);
    const stolen = await other.request('/signup', { method: 'POST', form: { ...csrfForm(page.text).fields, ...good } });
    assert.equal(stolen.status, 403, stolen.text);
    assert.doesNotMatch(stolen.text, /name="password"/);

    assert.deepEqual(userList(dir), before);
    assert.equal(cliOk(dir, ['audit', '--json']).json.length, auditBefore, 'nothing audited');
  });

  test('without a pending request: an error page, nothing created', async () => {
    const before = userList(dir);
    const b = new Browser(srv.url);
    for (const path of ['/signup', '/signup?request=', '/signup?request=no-such-request']) {
      const r = await b.request(path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.text, /Sign-in request expired/);
      assert.doesNotMatch(r.text, /name="password"/, `${path}: no form`);
    }
    const r = await b.request('/signup', {
      method: 'POST',
      form: { username: 'orphan', email: 'orphan@example.com', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD },
    });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(userList(dir), before);
  });

  test('sign up, signed in, back to the application with a code; then sign in with the password', async () => {
    const { b, a, page } = await signupPage();
    const started = Math.floor(Date.now() / 1000);
    const r1 = await b.submit(page, { username: 'Newbie', email: 'Newbie@Example.com', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    assert.equal(r1.status, 303, `${r1.status} ${r1.text.slice(0, 400)}`);
    const session = r1.setCookies.find((c) => c.startsWith('lk_session='));
    assert.ok(session, 'a session cookie');
    assert.match(session, /HttpOnly/i);
    assert.match(session, /SameSite=Lax/i);
    const r2 = await throughConsent(srv, b, r1);

    const tokens = await client.authorizationCodeGrant(cfg, new URL(r2.location),
      { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    const user = userList(dir).find((u) => u.username === 'Newbie');
    assert.ok(user, JSON.stringify(userList(dir)));
    assert.equal(user.domain, 'local');
    assert.equal(user.role, 'user');
    assert.equal(user.email, 'Newbie@Example.com');
    assert.equal(user.email_verified, false);
    assert.equal(user.enabled, true);

    const claims = tokens.claims();
    assert.equal(claims.sub, String(user.id));
    assert.deepEqual(claims.amr, ['pwd']);
    assert.ok(claims.auth_time >= started - 1, JSON.stringify(claims));
    const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
    assert.equal(info.sub, String(user.id));
    assert.equal(info.email, 'Newbie@Example.com');
    assert.equal(info.email_verified, false);
    assert.equal(info.preferred_username, 'Newbie');

    // The registry wrote the audit entry, by "signup".
    const entry = cliOk(dir, ['audit', '--json']).json.find((e) => e.action === 'user.add' && e.object_id === 'local\\Newbie');
    assert.ok(entry, 'a user.add entry');
    assert.equal(entry.actor, 'signup');

    // The session goes on: another request of the application needs no sign-in.
    const again = await startAuthzSilently(b);
    assert.ok(redirected(again) && again.location.startsWith(`${REDIRECT}?`), `${again.status} ${again.location}`);

    // A new browser: the login page, the new password, a code.
    const b2 = new Browser(srv.url);
    const a2 = await startAuthz(srv, b2, cfg);
    const r3 = await b2.submit(a2.login, { username: 'newbie', password: NEW_PASSWORD });
    const r4 = await throughConsent(srv, b2, r3);
    const t2 = await client.authorizationCodeGrant(cfg, new URL(r4.location),
      { pkceCodeVerifier: a2.verifier, expectedState: a2.state, expectedNonce: a2.nonce });
    assert.equal(t2.claims().sub, String(user.id));

    // And by email.
    const b3 = new Browser(srv.url);
    const a3 = await startAuthz(srv, b3, cfg);
    const r5 = await b3.submit(a3.login, { username: 'newbie@example.com', password: NEW_PASSWORD });
    assert.ok(redirected(r5), `${r5.status} ${r5.text.slice(0, 300)}`);
    assert.ok(!onPage(srv, r5, '/login'));

    // The name is now taken, the same as alice's.
    const { b: b4, page: p4 } = await signupPage();
    const before = userList(dir);
    const dup = await b4.submit(p4, { username: 'NEWBIE', email: 'other@example.com', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    assert.equal(dup.status, 200);
    assert.equal(alertText(dup.text), 'That username is taken.');
    assert.deepEqual(userList(dir), before);
  });

  // An authorization request that needs no page, answered at once.
  async function startAuthzSilently(b) {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(cfg, {
      redirect_uri: REDIRECT, scope: SCOPE, state: client.randomState(), nonce: client.randomNonce(),
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return b.request(url);
  }
});

describe('sign-up from a configuration file, throttled per address', () => {
  let srv;
  let dir;
  let app;

  before(async () => {
    dir = freshDir();
    app = prepare(dir);
    const conf = join(dir.dir, 'latchkey.conf');
    writeFileSync(conf, '[signup]\nenabled = true\nmin_password_length = 16\n\n[limits]\nlogin_per_address = 1\nburst = 2\n');
    srv = await startServer({ dir, globalArgs: ['--config', conf] });
  });

  after(async () => {
    await srv?.stop();
    dir?.remove();
  });

  test('the configured minimum, then 429 with Retry-After before anything is created', async () => {
    const b = new Browser(srv.url);
    const a = await startAuthz(srv, b, await rpConfig(srv, app));
    const page = await b.request(signupLink(a.login.text));
    assert.equal(page.status, 200, page.text);
    assert.equal(csrfForm(page.text).inputs.find((i) => i.name === 'password').minlength, '16');
    const before = userList(dir);
    const good = { username: 'eager', email: 'eager@example.com', password: 'fourteen chars', password_confirm: 'fourteen chars' };

    const r1 = await b.submit(page, good);
    assert.equal(r1.status, 200, r1.text);
    assert.match(alertText(r1.text), /at least 16 characters/);
    const r2 = await b.submit(page, { ...good, password: 'a sixteen char pw', password_confirm: 'a sixteen char px' });
    assert.equal(r2.status, 200, r2.text);
    assert.match(alertText(r2.text), /do not match/);

    // The burst is spent: refused before the password is looked at.
    const r3 = await b.submit(page, { ...good, password: 'a sixteen char pw', password_confirm: 'a sixteen char pw' });
    assert.equal(r3.status, 429, r3.text);
    assert.match(r3.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.match(r3.text, /Too many requests/);
    assert.equal(r3.setCookies.find((c) => c.startsWith('lk_session=')), undefined);
    assert.deepEqual(userList(dir), before);
  });
});
