// A person without an account, in a real browser (headless Chromium through
// playwright-core): signs up from the login page, and signs in through each
// upstream OpenID provider — a second latchkey and node-oidc-provider — and
// each time the application that sent them gets its code and redeems it.
//
// The upstreams serve TLS on 127.0.0.1 under the name "localhost", so that
// their cookies are not the downstream's (a browser keeps cookies per host,
// whatever the port, and an http page may not replace a Secure cookie).
// Screenshots: signup.png, upstream-login.png, upstream-node.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { cli, freePort, freshDir, startServer } from '../e2e/harness.mjs';
import { makeCert, startNodeProvider, startTls } from '../e2e/upstreams.mjs';

const PASSWORD = 'correct horse battery staple';
const SHOTS = process.env.LATCHKEY_SCREENSHOT_DIR ?? 'build/screenshots';
// latchkey refuses a LATCHKEY_* variable that names no configuration key.
delete process.env.LATCHKEY_SCREENSHOT_DIR;
// This process's own requests to the upstreams (health checks) skip
// verification of their test certificate; latchkey's never do.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

let tmp;
let up;       // the upstream latchkey
let down;     // the latchkey under test
let downDir;
let nodeSrv;  // node-oidc-provider
let app;      // the downstream application
let browser;
let callback; // the application's loopback listener
let callbackPort;
let waiting = null; // resolves with the next callback URL

before(async () => {
  tmp = freshDir();
  const tls = makeCert(tmp.dir);

  const upDir = freshDir();
  const u = cli(['user', 'add', 'carol', '--email', 'carol@example.com', '--email-verified',
    '--name', 'Carol Upstream', '--password-stdin'], { db: upDir.db, input: `${PASSWORD}\n` });
  assert.equal(u.status, 0, u.stderr);
  const corp = cli(['app', 'add', '--name', 'downstream', '--grant', 'authorization_code',
    '--redirect-strategy', 'mobile-localhost', '--client-type', 'confidential',
    '--redirect-uri', 'http://127.0.0.1/login/upstream/corp/callback',
    '--scope', 'openid email profile', '--json'], { db: upDir.db });
  assert.equal(corp.status, 0, corp.stderr);
  up = await startTls(tls, upDir, { host: 'localhost' });

  downDir = freshDir();
  const a = cli(['app', 'add', '--name', 'Field App', '--grant', 'authorization_code',
    '--redirect-strategy', 'mobile-localhost', '--redirect-uri', 'http://127.0.0.1/cb',
    '--scope', 'openid api', '--first-party', '--json'], { db: downDir.db });
  assert.equal(a.status, 0, a.stderr);
  app = a.json;
  const nodePort = await freePort();
  down = await startServer({
    dir: downDir,
    env: {
      SSL_CERT_FILE: tls.cert,
      LATCHKEY_SIGNUP_ENABLED: 'true',
      LATCHKEY_UPSTREAM_CORP_ISSUER: up.url,
      LATCHKEY_UPSTREAM_CORP_CLIENT_ID: corp.json.client_id,
      LATCHKEY_UPSTREAM_CORP_CLIENT_SECRET: corp.json.client_secret,
      LATCHKEY_UPSTREAM_CORP_DISPLAY_NAME: 'Corp',
      LATCHKEY_UPSTREAM_NODE_ISSUER: `https://localhost:${nodePort}`,
      LATCHKEY_UPSTREAM_NODE_CLIENT_ID: 'latchkey-downstream',
      LATCHKEY_UPSTREAM_NODE_CLIENT_SECRET: 'a-client-secret-of-node-oidc-provider-for-latchkey',
      LATCHKEY_UPSTREAM_NODE_DISPLAY_NAME: 'Node Provider',
    },
  });
  nodeSrv = await startNodeProvider(tls, nodePort, `${down.url}/login/upstream/node/callback`, { host: 'localhost' });

  callbackPort = await freePort();
  callback = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('done');
    if (req.url.startsWith('/cb') && waiting) waiting(new URL(req.url, `http://127.0.0.1:${callbackPort}`));
  });
  await new Promise((resolve) => callback.listen(callbackPort, '127.0.0.1', resolve));
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (callback ? callback.close(resolve) : resolve()));
  nodeSrv?.closeAllConnections?.();
  nodeSrv?.close();
  await down?.stop();
  downDir?.remove();
  await up?.stop();
  tmp?.remove();
});

// The application's side: an authorization request, and redeeming its code.
async function appRequest() {
  const cfg = new client.Configuration({
    issuer: down.url,
    authorization_endpoint: `${down.url}/oauth2/authorize`,
    token_endpoint: `${down.url}/oauth2/token`,
    authorization_response_iss_parameter_supported: true,
  }, app.client_id, {}, client.None());
  client.allowInsecureRequests(cfg);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: `http://127.0.0.1:${callbackPort}/cb`,
    scope: 'openid api',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const received = new Promise((resolve) => { waiting = resolve; });
  return {
    url,
    // Waits for the code at the callback and redeems it; the ID token's claims.
    // When it does not come, says where the browser stopped instead.
    async redeem(page) {
      let timer;
      const late = new Promise((resolve) => { timer = setTimeout(resolve, 30_000, null); });
      const cb = await Promise.race([received, late]);
      clearTimeout(timer);
      if (!cb) {
        const text = (await page.textContent('body').catch(() => '')) ?? '';
        throw new Error(`no code reached the application; the browser is at ${page.url()}: ${text.trim().slice(0, 300)}`);
      }
      assert.equal(cb.searchParams.get('state'), state);
      assert.match(cb.searchParams.get('code') ?? '', /^lk_ac_/);
      const t = await client.authorizationCodeGrant(cfg, cb, { pkceCodeVerifier: verifier, expectedState: state });
      assert.ok(t.access_token);
      return JSON.parse(Buffer.from(t.id_token.split('.')[1], 'base64url').toString());
    },
  };
}

const users = () => cli(['user', 'list', '--json'], { db: downDir.db }).json;

// A fresh browser profile (no cookies) per person.
async function withPage(fn) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  try {
    await fn(page);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

test('a newcomer signs up from the login page and lands back in the application', async () => {
  await withPage(async (page) => {
    const req = await appRequest();
    await page.goto(req.url.href);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL((u) => u.pathname === '/signup');
    await page.getByLabel('Username').fill('newton');
    await page.getByLabel('Email').fill('newton@example.com');
    // A common password first: refused with a message, nothing created.
    await page.locator('input[name="password"]').fill('password1234');
    await page.locator('input[name="password_confirm"]').fill('password1234');
    await page.locator('form button[type="submit"]').click();
    await page.waitForSelector('[role="alert"]');
    assert.equal(users().some((u) => u.username === 'newton'), false);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('input[name="password_confirm"]').fill(PASSWORD);
    await page.screenshot({ path: join(SHOTS, 'signup.png'), fullPage: true });
    await page.locator('form button[type="submit"]').click();
    const claims = await req.redeem(page);
    const newton = users().find((u) => u.username === 'newton');
    assert.ok(newton);
    assert.equal(newton.email, 'newton@example.com');
    assert.equal(claims.sub, String(newton.id));
  });
});

test('a person signs in through a second latchkey, its login page and back', async () => {
  await withPage(async (page) => {
    const req = await appRequest();
    await page.goto(req.url.href);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByRole('link', { name: 'Sign in with Corp' }).click();
    // The upstream's own login page, on its own origin.
    await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname === '/login');
    await page.screenshot({ path: join(SHOTS, 'upstream-login.png'), fullPage: true });
    await page.fill('input[name="username"]', 'carol');
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The upstream asks carol to let latchkey see her profile.
    await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname === '/consent');
    await page.locator('[name="decision"][value="allow"]').click();
    const claims = await req.redeem(page);
    const carol = users().find((u) => u.email === 'carol@example.com');
    assert.ok(carol, 'a local user was created from the upstream identity');
    assert.equal(carol.domain, 'corp');
    assert.equal(claims.sub, String(carol.id));
  });
});

test('a person signs in through node-oidc-provider and back', async () => {
  await withPage(async (page) => {
    const req = await appRequest();
    await page.goto(req.url.href);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByRole('link', { name: 'Sign in with Node Provider' }).click();
    // node-oidc-provider's development login form takes any name.
    await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname.startsWith('/interaction/'));
    await page.locator('input[name="login"]').fill('dana-at-node');
    await page.locator('input[name="password"]').fill('any');
    await page.screenshot({ path: join(SHOTS, 'upstream-node.png'), fullPage: true });
    await page.locator('button[type="submit"]').click();
    // Its consent page.
    await page.waitForURL((u) => u.hostname === 'localhost' && u.pathname.startsWith('/interaction/'));
    await page.locator('button[type="submit"]').click();
    const claims = await req.redeem(page);
    const dana = users().find((u) => u.email === 'dana@example.com');
    assert.ok(dana, 'a local user was created from the upstream identity');
    assert.equal(dana.domain, 'node');
    assert.equal(claims.sub, String(dana.id));
  });
});
