// Sign-in through upstream OpenID providers (DESIGN §3, [upstream.NAME]),
// end to end through the login pages of both sides. The downstream latchkey
// (the one under test) is configured with four upstreams through the
// environment:
//   corp  a second latchkey, over TLS, with a user who has a password;
//   node  node-oidc-provider, an independent implementation, whose
//         interactions (login, consent) are driven over HTTP;
//   fake  a small provider written here that answers with a chosen flaw
//         (a wrong nonce, a signature by a key it does not publish);
//   down  an issuer on a closed port.
// Upstream issuers must be https (the configuration refuses others), so the
// upstreams serve a certificate made here, and the downstream trusts it
// through SSL_CERT_FILE; this test process trusts it for its own requests.
// Every refusal must end on an error page with nothing created: the user
// list and the upstream.link audit entries stay as they were.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import * as jose from 'jose';
import { cli, freePort, freshDir, startServer } from './harness.mjs';
import { listen, makeCert, startNodeProvider, startTls } from './upstreams.mjs';
import { Browser, forms } from './web.mjs';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://app.example/cb';

// The upstreams' certificate is this test's own: its requests to them skip
// verification; latchkey's never do (SSL_CERT_FILE).
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

let tmp;          // certificate files
let up;           // the upstream latchkey
let down;         // the downstream latchkey under test
let downDir;      // its database
let nodeSrv;      // node-oidc-provider's server
let fakeSrv;      // the flawed provider
let shop;         // the downstream application
const fake = { mode: 'good', codes: new Map() };

// ---- Servers ----

// The flawed provider: discovery, a JWKS with key A, an authorization
// endpoint that answers at once, and a token endpoint whose ID token has
// the flaw of fake.mode.
async function startFake(tls, port) {
  const issuer = `https://127.0.0.1:${port}`;
  const a = await jose.generateKeyPair('ES256', { extractable: true });
  const b = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(a.publicKey)), kid: 'key-a', alg: 'ES256', use: 'sig' };
  const json = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, async (req, res) => {
    const u = new URL(req.url, issuer);
    if (u.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'],
      });
    }
    if (u.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (u.pathname === '/authorize') {
      const code = randomBytes(16).toString('hex');
      fake.codes.set(code, { nonce: u.searchParams.get('nonce'), clientId: u.searchParams.get('client_id') });
      const back = new URL(u.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state'));
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (u.pathname === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const grant = fake.codes.get(form.get('code'));
      fake.codes.delete(form.get('code'));
      if (!grant) return json(res, 400, { error: 'invalid_grant' });
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer, aud: grant.clientId, sub: 'fake-subject', iat: now, exp: now + 300,
        nonce: fake.mode === 'nonce' ? 'not-the-nonce-that-was-sent' : grant.nonce,
        email: 'erin@example.com', email_verified: true, preferred_username: 'erin',
      };
      const key = fake.mode === 'signature' ? b.privateKey : a.privateKey;
      const idToken = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'key-a' }).sign(key);
      return json(res, 200, { access_token: 'opaque', token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    res.writeHead(404);
    res.end();
  });
  await listen(server, port);
  return server;
}

// ---- A browser over several origins: one cookie jar per origin ----

class Browsers {
  constructor() { this.jars = new Map(); }

  jar(url) {
    const origin = new URL(url).origin;
    if (!this.jars.has(origin)) this.jars.set(origin, new Browser(origin));
    return this.jars.get(origin);
  }

  request(url, opts) { return this.jar(url).request(url, opts); }

  submit(page, values) { return this.jar(page.url).submit(page, values); }
}

// ---- The flow ----

const pkcePair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

// Starts an authorization request of the shop at the downstream; returns
// the login page and what the request was made with.
async function startAtShop(b) {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  const u = new URL(`${down.url}/oauth2/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: shop.client_id, redirect_uri: REDIRECT, scope: 'openid',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  })) u.searchParams.set(k, v);
  const r = await b.request(u.href);
  assert.equal(r.status, 302, r.text);
  const login = await b.request(r.location);
  assert.equal(login.status, 200, login.text);
  return { login, state, verifier };
}

// The "Sign in with NAME" link of a login page.
function upstreamLink(login, text) {
  const a = [...login.text.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/g)]
    .find((m) => m[2].trim() === text);
  assert.ok(a, `no link "${text}" on:\n${login.text}`);
  return new URL(a[1].replaceAll('&amp;', '&'), down.url).href;
}

// Follows redirects (GET) from r while they stay away from stop(url),
// answering consent pages of either latchkey with "allow".
async function follow(b, r, stop) {
  for (let i = 0; i < 20; i++) {
    if ((r.status === 302 || r.status === 303) && !stop(r.location)) {
      r = await b.request(r.location);
    } else if (r.status === 200 && /\/consent\?request=/.test(r.url)) {
      r = await b.submit(r, { decision: 'allow' });
    } else {
      return r;
    }
  }
  throw new Error('too many redirects');
}

const isShop = (loc) => loc?.startsWith(REDIRECT);
const isLogin = (loc) => /\/login\?request=/.test(loc ?? '');

// From the downstream login page through upstream corp's login page, until
// stop(location) holds; by default back to the shop. Returns the last response.
async function viaCorp(b, login, { user = 'carol', stop = isShop } = {}) {
  let r = await b.request(upstreamLink(login, 'Sign in with Corp'));
  assert.equal(r.status, 302, r.text);
  assert.ok(r.location.startsWith(`${up.url}/oauth2/authorize?`), r.location);
  r = await follow(b, r, (loc) => stop(loc) || (isLogin(loc) && loc.startsWith(up.url)));
  if (isLogin(r.location) && r.location.startsWith(up.url)) {
    const page = await b.request(r.location);
    assert.equal(page.status, 200, page.text);
    r = await b.submit(page, { username: user, password: PASSWORD });
  }
  return follow(b, r, stop);
}

function codeOf(r, state) {
  assert.ok(r.status === 302 || r.status === 303, `${r.status} ${r.url}\n${r.text.slice(0, 500)}`);
  assert.ok(isShop(r.location), r.location);
  const p = new URL(r.location).searchParams;
  assert.equal(p.get('state'), state);
  assert.ok(p.get('code'), r.location);
  return p.get('code');
}

// Redeems a shop code; returns the ID token's claims.
async function idClaims(code, verifier) {
  const basic = Buffer.from(`${encodeURIComponent(shop.client_id)}:${encodeURIComponent(shop.client_secret)}`).toString('base64');
  const r = await fetch(`${down.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
  });
  const t = await r.json();
  assert.equal(r.status, 200, JSON.stringify(t));
  return jose.decodeJwt(t.id_token);
}

const users = () => {
  const r = down.cli(['user', 'list', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return r.json;
};
const links = () => {
  const r = down.cli(['audit', '--limit', '1000', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return r.json.filter((e) => e.action === 'upstream.link');
};

// An error page: the status, HTML, the message, no redirect, no session.
function assertFailure(r, status, text) {
  assert.equal(r.status, status, `${r.url}: ${r.status} ${r.location ?? ''}\n${r.text.slice(0, 500)}`);
  assert.equal(r.location, null);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
  assert.ok(r.text.includes(text), r.text);
  assert.ok(!r.setCookies.some((c) => c.startsWith('lk_session=') && !/Max-Age=0/i.test(c)), 'no session');
}

before(async () => {
  const d = freshDir();
  tmp = d;
  const tls = makeCert(d.dir);
  // carol and latchkey's application exist before the upstream starts, so that it knows them.
  const upDir = freshDir();
  const r1 = cli(['user', 'add', 'carol', '--email', 'carol@example.com', '--email-verified',
    '--name', 'Carol Upstream', '--given-name', 'Carol', '--family-name', 'Upstream',
    '--password-stdin', '--json'], { db: upDir.db, input: `${PASSWORD}\n` });
  assert.equal(r1.status, 0, r1.stderr);
  // latchkey's own redirect URI at the upstream: a loopback one, any port (RFC 8252 §7.3).
  // frank's email is a local user's at the downstream, where corp may not link by email.
  const rf = cli(['user', 'add', 'frank', '--email', 'frank@example.com', '--email-verified',
    '--password-stdin', '--json'], { db: upDir.db, input: `${PASSWORD}\n` });
  assert.equal(rf.status, 0, rf.stderr);
  const r2 = cli(['app', 'add', '--name', 'downstream', '--grant', 'authorization_code',
    '--redirect-strategy', 'mobile-localhost', '--client-type', 'confidential',
    '--redirect-uri', 'http://127.0.0.1/login/upstream/corp/callback',
    '--scope', 'openid email profile', '--first-party', '--json'], { db: upDir.db });
  assert.equal(r2.status, 0, r2.stderr);
  up = await startTls(tls, upDir);
  const corpApp = r2.json;

  const nodePort = await freePort();
  const fakePort = await freePort();
  const closedPort = await freePort();
  // The shop and dana exist before the server starts, so that it knows them at once.
  downDir = freshDir();
  const r3 = cli(['app', 'add', '--name', 'shop', '--grant', 'authorization_code',
    '--redirect-uri', REDIRECT, '--scope', 'openid', '--first-party', '--json'], { db: downDir.db });
  assert.equal(r3.status, 0, r3.stderr);
  shop = r3.json;
  // dana has a password account at the downstream already: node's verified
  // email links to it (link_verified_email = true).
  const r4 = cli(['user', 'add', 'dana', '--email', 'dana@example.com', '--password-stdin', '--json'],
    { db: downDir.db, input: `${PASSWORD}\n` });
  assert.equal(r4.status, 0, r4.stderr);
  const r5 = cli(['user', 'add', 'frank', '--email', 'frank@example.com', '--password-stdin', '--json'],
    { db: downDir.db, input: `${PASSWORD}\n` });
  assert.equal(r5.status, 0, r5.stderr);
  down = await startServer({
    dir: downDir,
    env: {
      SSL_CERT_FILE: tls.cert,
      LATCHKEY_UPSTREAM_CORP_ISSUER: up.url,
      LATCHKEY_UPSTREAM_CORP_CLIENT_ID: corpApp.client_id,
      LATCHKEY_UPSTREAM_CORP_CLIENT_SECRET: corpApp.client_secret,
      LATCHKEY_UPSTREAM_CORP_DISPLAY_NAME: 'Corp',
      LATCHKEY_UPSTREAM_NODE_ISSUER: `https://127.0.0.1:${nodePort}`,
      LATCHKEY_UPSTREAM_NODE_CLIENT_ID: 'latchkey-downstream',
      LATCHKEY_UPSTREAM_NODE_CLIENT_SECRET: 'a-client-secret-of-node-oidc-provider-for-latchkey',
      LATCHKEY_UPSTREAM_NODE_DISPLAY_NAME: 'Node Provider',
      LATCHKEY_UPSTREAM_NODE_LINK_VERIFIED_EMAIL: 'true',
      LATCHKEY_UPSTREAM_FAKE_ISSUER: `https://127.0.0.1:${fakePort}`,
      LATCHKEY_UPSTREAM_FAKE_CLIENT_ID: 'fake-client',
      LATCHKEY_UPSTREAM_FAKE_CLIENT_SECRET: 'fake-secret',
      LATCHKEY_UPSTREAM_FAKE_DISPLAY_NAME: 'Fake',
      LATCHKEY_UPSTREAM_DOWN_ISSUER: `https://127.0.0.1:${closedPort}`,
      LATCHKEY_UPSTREAM_DOWN_CLIENT_ID: 'down-client',
      LATCHKEY_UPSTREAM_DOWN_DISPLAY_NAME: 'Down',
    },
  });
  nodeSrv = await startNodeProvider(tls, nodePort, `${down.url}/login/upstream/node/callback`);
  fakeSrv = await startFake(tls, fakePort);
});

after(async () => {
  // UPSTREAM_TEST_LOG=FILE keeps both servers' logs, to see why a sign-in was refused.
  if (process.env.UPSTREAM_TEST_LOG) writeFileSync(process.env.UPSTREAM_TEST_LOG, `${down?.stderr}\n---\n${up?.stderr}`);
  nodeSrv?.closeAllConnections?.();
  nodeSrv?.close();
  fakeSrv?.closeAllConnections?.();
  fakeSrv?.close();
  await down?.stop();
  downDir?.remove();
  await up?.stop();
  tmp?.remove();
});

test('the login page links every upstream; an unknown one is 404', async () => {
  const b = new Browsers();
  const { login } = await startAtShop(b);
  for (const name of ['Corp', 'Node Provider', 'Fake', 'Down']) upstreamLink(login, `Sign in with ${name}`);
  const r = await b.request(`${down.url}/login/upstream/nope?request=x`);
  assert.equal(r.status, 404);
  const r2 = await b.request(`${down.url}/login/upstream/corp/elsewhere`);
  assert.equal(r2.status, 404);
});

test('a second latchkey as the upstream: a new local user at first sign-in, the same one after', async () => {
  const before = users();
  const b = new Browsers();
  const { login, state, verifier } = await startAtShop(b);
  const done = await viaCorp(b, login);
  const claims = await idClaims(codeOf(done, state), verifier);

  const after1 = users();
  assert.equal(after1.length, before.length + 1);
  const carol = after1.find((u) => u.email === 'carol@example.com');
  assert.ok(carol, JSON.stringify(after1));
  assert.equal(carol.domain, 'corp');
  assert.equal(carol.username, 'carol');
  assert.equal(carol.email_verified, true);
  assert.equal(carol.display_name, 'Carol Upstream');
  assert.equal(carol.given_name, 'Carol');
  assert.equal(carol.family_name, 'Upstream');
  assert.equal(carol.has_password, false);
  assert.equal(claims.sub, String(carol.id));
  assert.deepEqual(claims.amr, ['fed']);
  const l = links();
  assert.equal(l.length, 1);
  assert.equal(l[0].actor, 'upstream:corp');
  assert.equal(l[0].object_id, 'corp\\carol');

  // Again, from a new downstream browser: the upstream still has its session.
  const b2 = new Browsers();
  b2.jars.set(up.url, b.jar(up.url));
  const second = await startAtShop(b2);
  const done2 = await viaCorp(b2, second.login);
  const claims2 = await idClaims(codeOf(done2, second.state), second.verifier);
  assert.equal(claims2.sub, String(carol.id));
  assert.equal(users().length, after1.length, 'no second user');
  assert.equal(links().length, 1, 'no second link');
});

test('a callback is single-use and bound to the browser that started it', async () => {
  const b = new Browsers();
  const { login } = await startAtShop(b);
  const r = await viaCorp(b, login, { stop: (loc) => loc.startsWith(`${down.url}/login/upstream/corp/callback`) });
  const callback = r.location;
  assert.ok(callback, r.text);
  const before = users().length;

  // Another browser (an attacker's link): refused, and the flow is gone.
  const other = new Browsers();
  assertFailure(await other.request(callback), 400, 'Sign-in with Corp failed');
  assertFailure(await b.request(callback), 400, 'Sign-in with Corp failed');
  // A made-up state.
  const forged = new URL(callback);
  forged.searchParams.set('state', 'made-up');
  assertFailure(await b.request(forged.href), 400, 'Sign-in with Corp failed');
  assert.equal(users().length, before);
});

test('an email that is a local user\'s, where linking by email is off: refused, nothing created', async () => {
  const beforeUsers = users();
  const beforeLinks = links().length;
  const b = new Browsers();
  const { login } = await startAtShop(b);
  const r = await viaCorp(b, login, { user: 'frank', stop: (loc) => isShop(loc) || loc.includes('/callback?') });
  const answer = await b.request(r.location);
  assertFailure(answer, 409, 'Sign-in with Corp failed: an account with this email address exists already.');
  assert.deepEqual(users(), beforeUsers);
  assert.equal(links().length, beforeLinks);
});

test('node-oidc-provider: a verified email links to the existing local user', async () => {
  const dana = users().find((u) => u.username === 'dana');
  const before = users().length;
  const b = new Browsers();
  const { login, state, verifier } = await startAtShop(b);
  let r = await b.request(upstreamLink(login, 'Sign in with Node Provider'));
  assert.equal(r.status, 302, r.text);
  const nodeOrigin = new URL(r.location).origin;
  // The provider's own pages: its login form, then its consent form.
  for (let i = 0; i < 12 && !(r.location ?? '').startsWith(down.url); i++) {
    if (r.status === 302 || r.status === 303) {
      r = await b.request(new URL(r.location, nodeOrigin).href);
      continue;
    }
    assert.equal(r.status, 200, r.text);
    const f = forms(r.text)[0];
    assert.ok(f, r.text);
    const prompt = f.fields.prompt;
    const values = prompt === 'login' ? { ...f.fields, login: 'dana-at-node', password: 'any' } : f.fields;
    r = await b.request(new URL(f.attrs.action, r.url).href, { method: 'POST', form: values });
  }
  assert.ok(r.location?.startsWith(`${down.url}/login/upstream/node/callback?`), `${r.status} ${r.location}\n${r.text}`);
  const done = await follow(b, r, isShop);
  const claims = await idClaims(codeOf(done, state), verifier);
  assert.equal(claims.sub, String(dana.id), 'signed in as the existing user');
  assert.equal(users().length, before, 'no new user');
  const l = links().filter((e) => e.actor === 'upstream:node');
  assert.equal(l.length, 1);
  assert.equal(l[0].object_id, 'local\\dana');
});

// Runs a sign-in through the fake provider in its current mode; returns the callback's answer.
async function viaFake() {
  const b = new Browsers();
  const { login, state, verifier } = await startAtShop(b);
  let r = await b.request(upstreamLink(login, 'Sign in with Fake'));
  assert.equal(r.status, 302, r.text);
  r = await b.request(r.location);
  assert.equal(r.status, 302, r.text);
  assert.ok(r.location.startsWith(`${down.url}/login/upstream/fake/callback?`), r.location);
  return { r: await b.request(r.location), b, state, verifier };
}

test('the fake provider signs in when nothing is wrong (so that its refusals mean something)', async () => {
  fake.mode = 'good';
  const { r, b, state, verifier } = await viaFake();
  const done = await follow(b, r, isShop);
  const claims = await idClaims(codeOf(done, state), verifier);
  const erin = users().find((u) => u.email === 'erin@example.com');
  assert.ok(erin);
  assert.equal(erin.domain, 'fake');
  assert.equal(claims.sub, String(erin.id));
});

for (const [mode, what] of [['nonce', 'a wrong nonce'], ['signature', 'a signature by a key it does not publish']]) {
  test(`an ID token with ${what} is refused, and nothing is created`, async () => {
    fake.mode = mode;
    // A new subject each time would be created if the token were believed; the
    // count of users and links must not move.
    const beforeUsers = users();
    const beforeLinks = links().length;
    const { r } = await viaFake();
    assertFailure(r, 502, 'Sign-in with Fake failed: the provider&#39;s answer could not be verified.');
    assert.deepEqual(users(), beforeUsers);
    assert.equal(links().length, beforeLinks);
    assert.match(down.stderr, mode === 'nonce' ? /the nonce does not match/ : /signature does not verify/);
  });
}

test('an upstream that is down: an error page at once, nothing created', async () => {
  const beforeUsers = users();
  const beforeLinks = links().length;
  const b = new Browsers();
  const { login } = await startAtShop(b);
  const r = await b.request(upstreamLink(login, 'Sign in with Down'));
  assertFailure(r, 502, 'Sign-in with Down failed: the provider could not be reached.');
  assert.deepEqual(users(), beforeUsers);
  assert.equal(links().length, beforeLinks);
});

test('an error answer from the upstream ends on an error page', async () => {
  const b = new Browsers();
  const { login } = await startAtShop(b);
  let r = await b.request(upstreamLink(login, 'Sign in with Corp'));
  const state = new URL(r.location).searchParams.get('state');
  r = await b.request(`${down.url}/login/upstream/corp/callback?error=access_denied&state=${encodeURIComponent(state)}`);
  assertFailure(r, 403, 'Sign-in with Corp failed: the provider did not allow it.');
});

test('the secrets of a sign-in never reach the log', async () => {
  assert.ok(!/lk_cs_|lk_ac_|eyJ/.test(down.stderr), 'no client secret, code or token in the log');
});
