// The administration console in a real browser: headless Chromium
// (playwright-core) signs in as an administrator created by the CLI, registers
// an application of every grant type through the form (a certificate file
// uploaded through the file input), reads the keys shown once and uses them
// at the token endpoint, rotates a secret with and without a grace period
// (and sees the old secret stop when its grace is over),
// disables and deletes applications, manages users (their whole profile, an
// edit, a removal and its refusal while an application acts as the user),
// scopes and signing keys, and finds all of it in the audit log. The page runs under a strict CSP: any
// violation reported on the console fails the test. Screenshots of every
// view are kept for people to look at (LATCHKEY_SCREENSHOT_DIR, default
// build/screenshots), named admin-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { chromium } from 'playwright-core';
import { freshDir, startServer } from '../e2e/harness.mjs';

const PASSWORD = 'correct horse battery staple';
const SHOTS = process.env.LATCHKEY_SCREENSHOT_DIR ?? 'build/screenshots';
// latchkey refuses a LATCHKEY_* variable that names no configuration key, and
// the harness passes this environment on to it.
delete process.env.LATCHKEY_SCREENSHOT_DIR;

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let graceOver = null; // the secret rotated with a grace period (set by that test)
let srv;
let dir;
let browser;
let context;
let page;
let cert; // { der, keyFile }
const consoleLines = [];
const apps = {}; // registered through the form: name -> { client_id, client_secret }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const shot = (name) => page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage: true });

// POSTs a form to an endpoint of latchkey; returns { status, json }.
async function post(path, form, headers = {}) {
  const r = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text };
}

const clientCredentials = (id, secret) => post('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(id, secret) });

// Polls until fn() is true: changes reach every worker within seconds.
async function until(fn, what, ms = 8000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

async function expectStatus(fn, status, code, what) {
  let last;
  await until(async () => {
    last = await fn();
    return last.status === status && (!code || last.json?.error === code);
  }, `${what}: wanted ${status} ${code ?? ''}, last ${last?.status} ${last?.text}`);
  return last;
}

// Navigates the console by its hash and waits for the view's heading.
async function go(hash, heading) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

// The dialog's confirm button, once the dialog is open.
async function confirm(label) {
  const dlg = page.getByRole('dialog');
  await dlg.waitFor();
  await dlg.getByRole('button', { name: label, exact: true }).click();
  await dlg.waitFor({ state: 'detached' });
}

// Registers an application through the form; returns its keys as shown once.
async function register(name, grant, fill = async () => {}, { screenshot = false } = {}) {
  await go('#/apps', 'OAuth2 Applications');
  await page.getByRole('link', { name: 'Register application' }).click();
  await page.getByRole('heading', { level: 1, name: 'Register application' }).waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
  await page.getByLabel('Grant type').selectOption(grant);
  await fill();
  if (screenshot) await shot('register');
  await page.getByRole('button', { name: 'Register application' }).click();
  await page.getByRole('heading', { level: 1, name: 'Application registered' }).waitFor();
  const keys = {
    client_id: (await page.locator('#lk-client-id').textContent()).trim(),
    client_secret: (await page.locator('#lk-client-secret').count()) ? (await page.locator('#lk-client-secret').textContent()).trim() : null,
  };
  assert.match(keys.client_id, /^\S{8,}$/);
  apps[name] = keys;
  return keys;
}

async function openApp(name) {
  await go(`#/apps/${encodeURIComponent(apps[name].client_id)}`, name);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = freshDir();
  srv = await startServer({ dir });
  const boss = srv.cli(['user', 'add', 'boss', '--role', 'admin', '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  assert.equal(boss.status, 0, boss.stderr);
  const svc = srv.cli(['user', 'add', 'svc-billing', '--name', 'Billing service', '--json']);
  assert.equal(svc.status, 0, svc.stderr);

  // A client certificate, uploaded as DER (.cer) so that the console's
  // conversion to PEM is exercised.
  const keyFile = join(dir.dir, 'client.key');
  const pem = join(dir.dir, 'client.pem');
  const der = join(dir.dir, 'client.cer');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=console-test', '-days', '2',
    '-keyout', keyFile, '-out', pem], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-in', pem, '-outform', 'der', '-out', der], { stdio: 'pipe' });
  cert = { der, keyFile };

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  page = await context.newPage();
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  dir?.remove();
});

test('an administrator is sent through the login page and lands on the console', async () => {
  await page.goto(`${srv.url}/admin`);
  await page.waitForURL((u) => u.pathname === '/login');
  await shot('login');
  await page.fill('input[name="username"]', 'boss');
  await page.fill('input[name="password"]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/admin');
  await page.getByRole('heading', { level: 1, name: 'OAuth2 Applications' }).waitFor();
  // The page's policy is the strict one: scripts and styles from itself only.
  const r = await fetch(`${srv.url}/admin`, { headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
  const csp = r.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(await page.locator('.lk-account-name').textContent(), /boss/);
});

test('an application of every grant type is registered through the form', async () => {
  // Authorization code, web strategy, with a hostile name that must stay text.
  const web = await register('Web <img src=x id=pwn> Portal', 'authorization_code', async () => {
    assert.equal(await page.getByLabel('User', { exact: true }).isVisible(), false);
    assert.equal(await page.getByLabel('Public key (.cer)').isVisible(), false);
    await page.getByLabel('Redirect strategy').selectOption('web');
    await page.getByRole('textbox', { name: 'Redirect URI 1', exact: true }).fill('https://portal.example.com/callback');
    await page.getByRole('button', { name: 'Add redirect URI' }).click();
    await page.getByRole('textbox', { name: 'Redirect URI 2', exact: true }).fill('https://portal.example.com/other');
    await page.getByRole('checkbox', { name: 'openid' }).check();
    await page.getByLabel('Website').fill('https://portal.example.com');
    await page.getByLabel('Description').fill('The customer portal');
  }, { screenshot: true });
  await shot('keys-once');
  assert.match(web.client_secret, /^lk_cs_/);
  assert.match(await page.locator('.lk-once').textContent(), /shown only now/);
  assert.equal(await page.locator('#pwn').count(), 0, 'an application name became HTML');
  await page.getByRole('button', { name: 'Copy client secret' }).click();
  await page.getByRole('button', { name: 'Copy client secret' }).filter({ hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), web.client_secret);

  const cc = await register('Billing', 'client_credentials', async () => {
    assert.equal(await page.getByRole('textbox', { name: 'Redirect URI 1', exact: true }).isVisible(), false);
    await page.getByLabel('User', { exact: true }).fill('svc-billing');
    await page.getByLabel('Token lifetime').selectOption('minutes');
    await page.getByLabel('Lifetime in minutes').fill('30');
  });
  assert.match(cc.client_secret, /^lk_cs_/);

  const certApp = await register('Query robot', 'client_certificate', async () => {
    // The scopes are fixed to the catalog's certificate scope(s).
    const odata = page.getByRole('checkbox', { name: 'odata_query' });
    assert.equal(await odata.isChecked(), true);
    assert.equal(await odata.isDisabled(), true);
    assert.equal(await page.getByRole('checkbox', { name: 'api' }).isChecked(), false);
    await page.getByLabel('Public key (.cer)').setInputFiles(cert.der);
    await page.getByText('certificate read').waitFor();
  });
  assert.equal(certApp.client_secret, null);

  const bearer = await register('Directory sync', 'bearer_token', async () => {
    await page.getByRole('checkbox', { name: 'user_sync' }).check();
  });
  assert.match(bearer.client_secret, /^lk_cs_/);
  const pw = await register('Kiosk', 'password');
  assert.match(pw.client_secret, /^lk_cs_/);
  const all = await register('Everything', 'all', async () => {
    await page.getByRole('textbox', { name: 'Redirect URI 1', exact: true }).fill('https://everything.example.com/cb');
  });
  assert.match(all.client_secret, /^lk_cs_/);

  // An error of the API shows next to the form, and nothing is registered.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Applications' }).click();
  await page.getByRole('link', { name: 'Register application' }).click();
  await page.getByRole('heading', { level: 1, name: 'Register application' }).waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Insecure');
  await page.getByRole('textbox', { name: 'Redirect URI 1', exact: true }).fill('http://insecure.example.com/cb');
  await page.getByRole('button', { name: 'Register application' }).click();
  const alert = page.locator('form.lk-appform [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /redirect_uris/);

  await go('#/apps', 'OAuth2 Applications');
  for (const name of Object.keys(apps)) await page.getByRole('link', { name, exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Insecure' }).count(), 0);
  await shot('apps');

  // Search uses the API's q.
  await page.getByLabel('Search applications').fill('robot');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction(() => location.hash.includes('q=robot'));
  await until(async () => (await page.locator('tbody tr').count()) === 1, 'the search result');
  await page.getByRole('link', { name: 'Query robot' }).waitFor();
});

test('the keys shown once work at the token endpoint', async () => {
  // Another worker of the server may take a moment to see a new application.
  const cc = apps.Billing;
  const t = await expectStatus(() => clientCredentials(cc.client_id, cc.client_secret), 200, null, 'client credentials');
  assert.ok(t.json.access_token);
  assert.equal(t.json.expires_in, 30 * 60);
  const all = apps.Everything;
  await expectStatus(() => clientCredentials(all.client_id, all.client_secret), 200, null, 'all');

  // A bearer-token application posts only its keys.
  const b = apps['Directory sync'];
  const bt = await expectStatus(() => post('/oauth2/token', {}, { authorization: basic(b.client_id, b.client_secret) }), 200, null, 'bearer token');
  assert.match(bt.json.scope, /user_sync/);

  const k = apps.Kiosk;
  await expectStatus(() => post('/oauth2/token', { grant_type: 'password', username: 'boss', password: PASSWORD, scope: 'api' },
    { authorization: basic(k.client_id, k.client_secret) }), 200, null, 'password');

  // The web application's keys authenticate: a made-up code is then the
  // only thing wrong; a wrong secret is refused first.
  const web = apps['Web <img src=x id=pwn> Portal'];
  const code = { grant_type: 'authorization_code', code: 'lk_ac_made_up', redirect_uri: 'https://portal.example.com/callback' };
  await expectStatus(() => post('/oauth2/token', code, { authorization: basic(web.client_id, web.client_secret) }), 400, 'invalid_grant', 'authorization code');
  const bad = await post('/oauth2/token', code, { authorization: basic(web.client_id, `${web.client_secret}x`) });
  assert.equal(bad.status, 401, bad.text);
  assert.equal(bad.json.error, 'invalid_client');

  // The certificate uploaded as DER signs in with a private_key_jwt.
  const id = apps['Query robot'].client_id;
  const key = await jose.importPKCS8(readFileSync(cert.keyFile, 'utf8'), 'RS256');
  // A new jti each time: an assertion is single-use.
  const jwt = () => {
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ iss: id, sub: id, aud: srv.url, jti: randomBytes(16).toString('hex'), iat: now, exp: now + 120 })
      .setProtectedHeader({ alg: 'RS256' }).sign(key);
  };
  const ct = await expectStatus(async () => post('/oauth2/token', { grant_type: 'client_credentials', client_id: id, client_assertion_type: ASSERTION_TYPE, client_assertion: await jwt() }),
    200, null, 'client certificate');
  assert.equal(ct.json.scope, 'odata_query');
});

test('the detail page shows the settings but never the secret', async () => {
  await openApp('Billing');
  const text = await page.locator('main').textContent();
  assert.ok(!text.includes(apps.Billing.client_secret), 'the secret is shown again');
  assert.match(text, /svc-billing/);
  assert.match(text, /30 minutes/);
  assert.equal(await page.locator('#lk-client-secret').count(), 0);
  await shot('app');

  await openApp('Query robot');
  assert.match(await page.locator('main').textContent(), /CN\s*=\s*console-test/);
});

test('rotating a secret without grace refuses the old one at once', async () => {
  const app = apps.Billing;
  await openApp('Billing');
  await page.getByLabel('Grace period (minutes)').fill('0');
  await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
  await confirm('Rotate secret');
  await page.locator('#lk-new-secret').waitFor();
  const fresh = (await page.locator('#lk-new-secret').textContent()).trim();
  assert.notEqual(fresh, app.client_secret);
  await expectStatus(() => clientCredentials(app.client_id, app.client_secret), 401, 'invalid_client', 'the old secret');
  assert.equal((await clientCredentials(app.client_id, fresh)).status, 200);
  app.client_secret = fresh;
});

test('rotating a secret with a grace period keeps both working', async () => {
  const app = apps.Everything;
  await openApp('Everything');
  await page.getByLabel('Grace period (minutes)').fill('1');
  await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
  await confirm('Rotate secret');
  await page.locator('#lk-new-secret').waitFor();
  const fresh = (await page.locator('#lk-new-secret').textContent()).trim();
  await expectStatus(() => clientCredentials(app.client_id, fresh), 200, null, 'the new secret');
  assert.equal((await clientCredentials(app.client_id, app.client_secret)).status, 200, 'the old secret within its grace');
  // The last test sees the old secret stop once the minute is over.
  graceOver = { clientId: app.client_id, secret: app.client_secret, fresh, at: Date.now() + 60_000 };
  app.client_secret = fresh;
});

test('an application is edited: only what changed is saved', async () => {
  await openApp('Everything');
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Edit Everything' }).waitFor();
  // The stored values fill the form.
  assert.equal(await page.getByRole('textbox', { name: 'Redirect URI 1', exact: true }).inputValue(), 'https://everything.example.com/cb');
  assert.equal(await page.getByLabel('Client type').isDisabled(), true);
  await page.getByLabel('Description').fill('Edited <i>here</i>');
  await page.getByLabel('Token lifetime').selectOption('never');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { level: 1, name: 'Everything', exact: true }).waitFor();
  const text = await page.locator('main').textContent();
  assert.match(text, /Never expires/);
  assert.match(text, /Edited <i>here<\/i>/);
  assert.equal(await page.locator('main i').count(), 0);
  const shown = srv.cli(['app', 'show', 'Everything', '--json']);
  assert.equal(shown.json.lifetime, 'never');
  // A lifetime of never implies opaque tokens; the unchanged format was not sent.
  assert.equal(shown.json.token_format, 'opaque');
  assert.deepEqual(shown.json.redirect_uris, ['https://everything.example.com/cb']);
});

test('a bearer token is minted for a bearer-token application', async () => {
  await openApp('Directory sync');
  await page.getByRole('button', { name: 'Issue a token' }).click();
  await page.locator('#lk-access-token').waitFor();
  const token = (await page.locator('#lk-access-token').textContent()).trim();
  const all = apps.Everything;
  const i = await post('/oauth2/introspect', { token }, { authorization: basic(all.client_id, all.client_secret) });
  assert.equal(i.status, 200, i.text);
  assert.equal(i.json.active, true);
  assert.equal(i.json.client_id, apps['Directory sync'].client_id);
});

test('a disabled application is refused', async () => {
  const app = apps.Billing;
  const before = await clientCredentials(app.client_id, app.client_secret);
  assert.equal(before.status, 200);
  await openApp('Billing');
  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await page.getByRole('button', { name: 'Enable', exact: true }).waitFor();
  assert.match(await page.locator('.lk-pagehead').textContent(), /Disabled/);
  await expectStatus(() => clientCredentials(app.client_id, app.client_secret), 401, 'invalid_client', 'the disabled app');
  const all = apps.Everything;
  const i = await post('/oauth2/introspect', { token: before.json.access_token }, { authorization: basic(all.client_id, all.client_secret) });
  assert.equal(i.status, 200, i.text);
  assert.equal(i.json.active, false);
});

test('an application is deleted after a confirmation', async () => {
  const app = apps['Web <img src=x id=pwn> Portal'];
  await openApp('Web <img src=x id=pwn> Portal');
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  // Cancelling keeps it.
  const dlg = page.getByRole('dialog');
  await dlg.waitFor();
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await dlg.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm('Delete application');
  await page.getByRole('heading', { level: 1, name: 'OAuth2 Applications' }).waitFor();
  await page.getByRole('link', { name: 'Billing' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Web <img src=x id=pwn> Portal' }).count(), 0);
  const code = { grant_type: 'authorization_code', code: 'lk_ac_made_up', redirect_uri: 'https://portal.example.com/callback' };
  await expectStatus(() => post('/oauth2/token', code, { authorization: basic(app.client_id, app.client_secret) }), 401, 'invalid_client', 'the deleted app');
});

test('users are added, get a new password, and are disabled', async () => {
  const kiosk = apps.Kiosk;
  const login = (password) => post('/oauth2/token', { grant_type: 'password', username: 'carol', password, scope: 'api' },
    { authorization: basic(kiosk.client_id, kiosk.client_secret) });

  await go('#/users', 'Users');
  await page.getByText('Add a user').click();
  await page.getByLabel('User name').fill('carol');
  await page.getByLabel('Display name').fill('Carol Example');
  await page.getByLabel('Email', { exact: true }).fill('carol@example.com');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.locator('#lk-password').waitFor();
  const first = (await page.locator('#lk-password').textContent()).trim();
  assert.ok(first.length >= 12);
  await page.getByRole('cell', { name: 'Carol Example' }).waitFor();
  await expectStatus(() => login(first), 200, null, 'the generated password');

  await page.getByRole('button', { name: 'Reset password: local\\carol' }).click();
  await confirm('Reset password');
  await until(async () => {
    const v = (await page.locator('#lk-password').textContent()).trim();
    return v !== first;
  }, 'the new password');
  const second = (await page.locator('#lk-password').textContent()).trim();
  assert.equal((await login(second)).status, 200);
  const old = await login(first);
  assert.equal(old.status, 400, old.text);
  assert.equal(old.json.error, 'invalid_grant');
  await shot('users');

  await page.getByRole('button', { name: 'Disable: local\\carol' }).click();
  await page.getByRole('button', { name: 'Enable: local\\carol' }).waitFor();
  await expectStatus(() => login(second), 400, 'invalid_grant', 'the disabled user');

  await page.getByRole('button', { name: 'Make admin: local\\carol' }).click();
  await confirm('Make administrator');
  await page.getByRole('button', { name: 'Make user: local\\carol' }).waitFor();
  const shown = srv.cli(['user', 'show', 'carol', '--json']);
  assert.equal(shown.json.role, 'admin');
  assert.equal(shown.json.enabled, false);
});

// Shows the users matching q (a new hash draws the list again).
async function findUsers(q) {
  await go(`#/users?q=${encodeURIComponent(q)}`, 'Users');
  await page.waitForFunction((want) => location.hash.endsWith(want), `q=${encodeURIComponent(q)}`);
}

const userShow = (name) => srv.cli(['user', 'show', name, '--json']);

test('a user is added with the whole profile', async () => {
  await go('#/users', 'Users');
  await page.getByText('Add a user').click();
  await page.getByLabel('User name').fill('dave');
  await page.getByLabel('Display name').fill('Dave Example');
  await page.getByLabel('Given name').fill('Dave');
  await page.getByLabel('Family name').fill('Example');
  await page.getByLabel('Email', { exact: true }).fill('dave@example.com');
  await page.getByRole('checkbox', { name: 'Email verified' }).check();
  await page.getByLabel('Phone').fill('+1 555 0100');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.locator('#lk-password').waitFor();
  await page.getByRole('cell', { name: 'Dave Example' }).waitFor();
  const shown = userShow('dave');
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(shown.json.display_name, 'Dave Example');
  assert.equal(shown.json.given_name, 'Dave');
  assert.equal(shown.json.family_name, 'Example');
  assert.equal(shown.json.email, 'dave@example.com');
  assert.equal(shown.json.email_verified, true);
  assert.equal(shown.json.phone_number, '+1 555 0100');
  assert.equal(shown.json.role, 'user');
  // The form is empty again for the next user.
  await page.getByText('Add a user').click();
  assert.equal(await page.getByLabel('Phone').inputValue(), '');
  assert.equal(await page.getByRole('checkbox', { name: 'Email verified' }).isChecked(), false);
});

test('a user is edited through the Edit action: only what changed is sent', async () => {
  const patches = [];
  const onRequest = (r) => { if (r.method() === 'PATCH') patches.push({ url: r.url(), body: r.postDataJSON() }); };
  page.on('request', onRequest);
  try {
    await findUsers('dave');
    const edit = page.getByRole('button', { name: 'Edit: local\\dave', exact: true });
    await edit.click();
    const dlg = page.getByRole('dialog', { name: 'Edit local\\dave' });
    await dlg.waitFor();
    // The stored profile fills the form; focus is in its first field.
    const email = dlg.getByLabel('Email', { exact: true });
    assert.equal(await email.inputValue(), 'dave@example.com');
    assert.equal(await dlg.getByLabel('Given name').inputValue(), 'Dave');
    assert.equal(await dlg.getByLabel('Family name').inputValue(), 'Example');
    assert.equal(await dlg.getByLabel('Phone').inputValue(), '+1 555 0100');
    assert.equal(await dlg.getByRole('checkbox', { name: 'Email verified' }).isChecked(), true);
    assert.equal(await page.evaluate(() => document.activeElement.type), 'email');
    // Every control of the dialog has a label.
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('dialog input, dialog select, dialog textarea')]
      .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.outerHTML));
    assert.deepEqual(unlabelled, []);
    await shot('user-edit');

    // Nothing changed: said in the dialog, nothing sent.
    await dlg.getByRole('button', { name: 'Save changes' }).click();
    const alert = dlg.getByRole('alert');
    await alert.filter({ hasText: 'Nothing has changed' }).waitFor();
    assert.equal(patches.length, 0);

    // A value the API refuses: its message shows next to the form, which stays open.
    await email.fill('dave@corp.example.com');
    await dlg.getByLabel('Phone').fill('call me maybe');
    await dlg.getByRole('button', { name: 'Save changes' }).click();
    await alert.filter({ hasText: 'phone_number' }).waitFor();
    assert.equal(userShow('dave').json.phone_number, '+1 555 0100');

    await dlg.getByLabel('Phone').fill('+44 20 7946 0000');
    await dlg.getByRole('button', { name: 'Save changes' }).click();
    await dlg.waitFor({ state: 'detached' });
    const last = patches.at(-1);
    assert.match(last.url, /\/admin\/api\/users\/local%5Cdave$/);
    assert.deepEqual(last.body, { email: 'dave@corp.example.com', phone_number: '+44 20 7946 0000' });
    const shown = userShow('dave');
    assert.equal(shown.json.email, 'dave@corp.example.com');
    assert.equal(shown.json.phone_number, '+44 20 7946 0000');
    assert.equal(shown.json.given_name, 'Dave');
    assert.equal(shown.json.email_verified, true);
    await page.getByRole('cell', { name: /dave@corp\.example\.com/ }).waitFor();
    // Focus is back on the row's Edit button.
    await until(async () => (await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) === 'Edit: local\\dave', 'focus back on Edit');

    // An emptied field clears the member; Escape closes without saving.
    await edit.click();
    await dlg.waitFor();
    await dlg.getByLabel('Phone').fill('');
    await dlg.getByRole('button', { name: 'Save changes' }).click();
    await dlg.waitFor({ state: 'detached' });
    assert.deepEqual(patches.at(-1).body, { phone_number: null });
    assert.equal(userShow('dave').json.phone_number, null);
    await edit.click();
    await dlg.waitFor();
    await dlg.getByLabel('Given name').fill('David');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    assert.equal(userShow('dave').json.given_name, 'Dave');
  } finally {
    page.off('request', onRequest);
  }
});

test('a user is deleted after a confirmation', async () => {
  const add = srv.cli(['user', 'add', 'erin', '--json']);
  assert.equal(add.status, 0, add.stderr);
  await findUsers('erin');
  const del = page.getByRole('button', { name: 'Delete: local\\erin', exact: true });
  await del.click();
  // Cancelling keeps the user.
  const dlg = page.getByRole('dialog');
  await dlg.waitFor();
  assert.match(await dlg.textContent(), /Delete the user local\\erin\?/);
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await dlg.waitFor({ state: 'detached' });
  assert.equal(userShow('erin').status, 0);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Delete: local\\erin');

  await del.click();
  await confirm('Delete user');
  await until(async () => (await del.count()) === 0, 'the deleted user to leave the list');
  assert.match(await page.locator('main').textContent(), /Nothing matches/);
  const gone = userShow('erin');
  assert.notEqual(gone.status, 0, gone.stdout);
});

test('a user an application acts as is not deleted: the refusal is shown', async () => {
  const add = srv.cli(['user', 'add', 'frank', '--json']);
  assert.equal(add.status, 0, add.stderr);
  const app = srv.cli(['app', 'add', '--name', 'bound', '--grant', 'client_credentials', '--user', 'frank', '--json']);
  assert.equal(app.status, 0, app.stderr);
  await findUsers('frank');
  await page.getByRole('button', { name: 'Delete: local\\frank', exact: true }).click();
  await confirm('Delete user');
  const alert = page.locator('.lk-list [role="alert"]');
  await alert.filter({ hasText: 'bound to application' }).waitFor();
  assert.match(await alert.textContent(), /'bound'/);
  assert.equal(await alert.isVisible(), true);
  await page.getByRole('button', { name: 'Delete: local\\frank', exact: true }).waitFor();
  assert.equal(userShow('frank').status, 0);
});

test('scopes are added and removed', async () => {
  await go('#/scopes', 'Scopes');
  await page.getByText('Add a scope').click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('reports.read');
  await page.getByLabel('Description').fill('Read the <b>reports</b>');
  await page.getByRole('button', { name: 'Add scope' }).click();
  await page.getByRole('rowheader', { name: 'reports.read', exact: true }).waitFor();
  assert.equal(await page.locator('main b').count(), 0);
  await shot('scopes');
  assert.ok(srv.cli(['scope', 'list', '--json']).json.some((s) => s.name === 'reports.read'));

  await page.getByRole('button', { name: 'Remove: reports.read' }).click();
  await confirm('Remove scope');
  await until(async () => (await page.getByRole('rowheader', { name: 'reports.read', exact: true }).count()) === 0, 'the removed scope');
  assert.ok(!srv.cli(['scope', 'list', '--json']).json.some((s) => s.name === 'reports.read'));

  // Search uses the API's q.
  await page.getByLabel('Search scopes').fill('user_sync');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction(() => location.hash.includes('q=user_sync'));
  await page.getByRole('rowheader', { name: 'user_sync', exact: true }).waitFor();
});

test('signing keys are rotated', async () => {
  await go('#/keys', 'Signing keys');
  await page.locator('tbody tr').first().waitFor();
  const n = await page.locator('tbody tr').count();
  await page.getByRole('button', { name: 'Rotate keys' }).click();
  await confirm('Rotate keys');
  await until(async () => (await page.locator('tbody tr').count()) > n, 'the new keys');
  await shot('keys');
  assert.ok(srv.cli(['key', 'list', '--json']).json.length > n);
});

test('the audit log lists what was done', async () => {
  await go('#/audit', 'Audit log');
  await page.locator('tbody tr').first().waitFor();
  const actions = await page.locator('tbody td[data-label="Action"]').allTextContents();
  for (const a of ['app.add', 'app.rotate-secret', 'app.disable', 'app.remove', 'user.add', 'user.passwd', 'user.disable',
    'user.update', 'user.remove', 'scope.add', 'scope.remove', 'key.rotate']) {
    assert.ok(actions.includes(a), `the audit log lacks ${a}: ${actions.join(', ')}`);
  }
  const actors = await page.locator('tbody td[data-label="Actor"]').allTextContents();
  assert.ok(actors.some((a) => a.includes('boss')), actors.join(', '));
  await shot('audit');

  await page.getByLabel('Action').fill('scope');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => location.hash.includes('action=scope'));
  await until(async () => {
    const only = await page.locator('tbody td[data-label="Action"]').allTextContents();
    return only.length === 2 && only.every((a) => a.startsWith('scope.'));
  }, 'the filtered audit log');
});

test('on a phone the list is a stack of cards', async () => {
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    storageState: await context.storageState(),
  });
  const p = await phone.newPage();
  p.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  try {
    await p.goto(`${srv.url}/admin#/apps`);
    await p.getByRole('heading', { level: 1, name: 'OAuth2 Applications' }).waitFor();
    await p.getByRole('link', { name: 'Billing' }).waitFor();
    const cell = p.locator('tbody td[data-label="Grant type"]').first();
    assert.equal(await cell.evaluate((el) => getComputedStyle(el).display), 'grid');
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page scrolls sideways (${width}px)`);
    await p.screenshot({ path: join(SHOTS, 'admin-apps-phone.png'), fullPage: true });
  } finally {
    await phone.close();
  }
});

test('the console works from the keyboard with a visible focus', async () => {
  // A fresh load: the first Tab starts at the top of the page.
  await page.goto(`${srv.url}/admin#/apps`);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'OAuth2 Applications' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'lk-main');
  // The next stops are the view's own controls, each with a focus ring.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
  });
  assert.equal(focused.text, 'Register application');
  assert.equal(focused.outline, 'solid');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Register application' }).waitFor();
  // Every control of the form has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('main input, main select, main textarea')]
    .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, []);
});

test('sign out posts to the logout endpoint', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname === '/oauth2/logout');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`${srv.url}/admin`);
  await page.waitForURL((u) => u.pathname === '/login');
});

test('the old secret stops once its grace period is over, the new one goes on', async () => {
  assert.ok(graceOver, 'a secret was rotated with a grace period');
  await sleep(Math.max(0, graceOver.at - Date.now()));
  await expectStatus(() => clientCredentials(graceOver.clientId, graceOver.secret), 401, 'invalid_client', 'the old secret after its grace');
  assert.equal((await clientCredentials(graceOver.clientId, graceOver.fresh)).status, 200, 'the new secret');
});

test('the console broke no Content-Security-Policy rule', () => {
  const csp = consoleLines.filter((l) => /Content Security Policy|Content-Security-Policy|Refused to/i.test(l));
  assert.deepEqual(csp, []);
  assert.deepEqual(consoleLines.filter((l) => l.startsWith('pageerror')), []);
});
