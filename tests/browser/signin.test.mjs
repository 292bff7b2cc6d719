// Sign-in in a real browser: headless Chromium (playwright-core) walks a
// native app's authorization request (mobile-localhost strategy, PKCE)
// through the login form and the consent page to the app's loopback
// callback, then the app redeems the code. Screenshots of both pages are
// kept for people to look at (LATCHKEY_SCREENSHOT_DIR, default
// build/screenshots).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { cli, freePort, freshDir, startServer } from '../e2e/harness.mjs';

const PASSWORD = 'correct horse battery staple';
const SHOTS = process.env.LATCHKEY_SCREENSHOT_DIR ?? 'build/screenshots';
// latchkey refuses a LATCHKEY_* variable that names no configuration key, and
// the harness passes this environment on to it.
delete process.env.LATCHKEY_SCREENSHOT_DIR;

let srv;
let dir;
let app;
let user;
let browser;
let callback; // the app's loopback listener
let callbackPort;
let received; // resolves with the first callback's URL

before(async () => {
  dir = freshDir();
  user = cli(['user', 'add', 'alice', '--password-stdin', '--json'], { db: dir.db, input: `${PASSWORD}\n` });
  assert.equal(user.status, 0, user.stderr);
  const a = cli(['app', 'add', '--name', 'Field App', '--grant', 'authorization_code', '--redirect-strategy', 'mobile-localhost',
    '--redirect-uri', 'http://127.0.0.1/cb', '--scope', 'api', '--json'], { db: dir.db });
  assert.equal(a.status, 0, a.stderr);
  app = a.json;
  srv = await startServer({ dir });

  callbackPort = await freePort();
  received = new Promise((resolve) => {
    callback = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('done');
      if (req.url.startsWith('/cb')) resolve(new URL(req.url, `http://127.0.0.1:${callbackPort}`));
    });
  });
  await new Promise((resolve) => callback.listen(callbackPort, '127.0.0.1', resolve));

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (callback ? callback.close(resolve) : resolve()));
  await srv?.stop();
  dir?.remove();
});

test('a native app signs alice in through the login form and the consent page', async () => {
  mkdirSync(SHOTS, { recursive: true });
  const cfg = new client.Configuration({
    issuer: srv.url,
    authorization_endpoint: `${srv.url}/oauth2/authorize`,
    token_endpoint: `${srv.url}/oauth2/token`,
    authorization_response_iss_parameter_supported: true,
  }, app.client_id, {}, client.None());
  client.allowInsecureRequests(cfg);
  const redirect = `http://127.0.0.1:${callbackPort}/cb`;
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: redirect,
    scope: 'api',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });

  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(url.href);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.screenshot({ path: join(SHOTS, 'login.png'), fullPage: true });
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL((u) => u.pathname === '/consent');
    await page.screenshot({ path: join(SHOTS, 'consent.png'), fullPage: true });
    await page.locator('[name="decision"][value="allow"]').click();

    const cb = await received;
    await page.waitForURL((u) => u.port === String(callbackPort));
    assert.equal(await page.textContent('body'), 'done');
    assert.equal(cb.searchParams.get('state'), state);
    assert.equal(cb.searchParams.get('iss'), srv.url);
    assert.match(cb.searchParams.get('code') ?? '', /^lk_ac_/);

    const t = await client.authorizationCodeGrant(cfg, cb, { pkceCodeVerifier: verifier, expectedState: state });
    assert.ok(t.access_token);
    assert.equal(t.token_type, 'bearer');
    assert.equal(t.scope, 'api');
    assert.equal(t.refresh_token, undefined);
  } finally {
    await context.close();
  }
});
