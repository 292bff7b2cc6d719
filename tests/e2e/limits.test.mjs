// The abuse limits of [limits] against the real server: per client address
// on the token, authorization and login endpoints and per client at the
// token endpoint, each answering 429 with Retry-After once its burst is
// spent; addresses told apart through --behind-proxy and X-Forwarded-For
// (IPv6 by /64); and the defaults: token limits off, the login form limited,
// X-Forwarded-For ignored without --behind-proxy.
//
// The rates here are 1 request a second with a burst of 5, so a test that
// spends a burst must do so within about a second; each one allows a spare
// request or two for a slow machine (the exact arithmetic is the unit
// test's, tests/unit/test_ratelimit.c).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, freshDir, startServer } from './harness.mjs';

const BURST = 5;

let srv;
let dir;
const apps = {};

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

function cliOk(args, db = dir.db) {
  const r = cli(args, { db });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

// One request from client address addr (X-Forwarded-For, honoured only
// behind a proxy). form: an object sent as application/x-www-form-urlencoded.
async function send(base, path, { method = 'GET', form, headers = {}, addr } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual' };
  if (addr) init.headers['x-forwarded-for'] = addr;
  if (form) {
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

// Sends requests made by make(i) one after another until one is refused
// with 429 or max have been sent; returns the answers.
async function untilRefused(make, max) {
  const out = [];
  for (let i = 0; i < max; i++) {
    const r = await make(i);
    out.push(r);
    if (r.status === 429) break;
  }
  return out;
}

// The first `allowed` answers went through and a 429 came within `spare`
// requests more; returns the refusal.
function assertSpent(answers, allowed, spare, what) {
  const statuses = answers.map((r) => r.status);
  assert.ok(statuses.slice(0, allowed).every((s) => s !== 429), `${what}: refused inside the burst: ${statuses}`);
  const refused = answers[answers.length - 1];
  assert.equal(refused.status, 429, `${what}: never refused: ${statuses}`);
  assert.ok(answers.length <= allowed + 1 + spare, `${what}: refused only after ${answers.length - 1}`);
  const after = refused.headers.get('retry-after');
  assert.match(after ?? '', /^[1-9][0-9]*$/, `${what}: Retry-After ${after}`);
  assert.ok(Number(after) <= 5, `${what}: Retry-After ${after}`);
  return refused;
}

// A refusal at the token endpoint: the RFC 6749 §5.2 shape, not cached.
function assertTokenRefusal(r, what) {
  assert.equal(r.json?.error, 'slow_down', `${what}: ${r.text}`);
  assert.equal(typeof r.json.error_description, 'string');
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
}

// A refusal of a sign-in page: an HTML page.
function assertPageRefusal(r, what) {
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.match(r.text, /Too many requests/, what);
}

const cc = (name, addr) => send(srv.url, '/oauth2/token', {
  method: 'POST', form: { grant_type: 'client_credentials' },
  headers: { authorization: basic(apps[name].client_id, apps[name].client_secret) }, addr,
});

before(async () => {
  dir = freshDir();
  for (const name of ['a', 'b', 'c', 'd']) {
    apps[name] = cliOk(['app', 'add', '--name', name, '--grant', 'client_credentials', '--scope', 'api', '--json']).json;
  }
  srv = await startServer({
    dir,
    args: ['--behind-proxy'],
    env: {
      LATCHKEY_LIMITS_TOKEN_PER_ADDRESS: '1',
      LATCHKEY_LIMITS_TOKEN_PER_CLIENT: '1',
      LATCHKEY_LIMITS_AUTHORIZE_PER_ADDRESS: '1',
      LATCHKEY_LIMITS_LOGIN_PER_ADDRESS: '1',
      LATCHKEY_LIMITS_BURST: String(BURST),
    },
  });
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('the configuration shows the limits', () => {
  const r = cliOk(['config', 'dump', '--json']);
  assert.deepEqual(r.json.limits, {
    token_per_address: 0, token_per_client: 0, authorize_per_address: 0, login_per_address: 5, burst: 10,
  });
  const e = cli(['config', 'dump', '--json'], { env: { LATCHKEY_LIMITS_TOKEN_PER_CLIENT: '-1' } });
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /LATCHKEY_LIMITS_TOKEN_PER_CLIENT/);
});

test('token endpoint per address: the burst, then 429 slow_down before the client is checked', async () => {
  // A real client goes through while the address has allowance left.
  const ok = await cc('a', '10.1.0.1');
  assert.equal(ok.status, 200, ok.text);
  assert.ok(ok.json.access_token);
  // No client at all: invalid_client until the address has spent its burst.
  const answers = await untilRefused((i) => send(srv.url, '/oauth2/token', {
    method: 'POST', form: { grant_type: 'client_credentials' }, addr: '10.1.0.1',
  }), BURST + 5);
  for (const r of answers.slice(0, -1)) assert.equal(r.json?.error, 'invalid_client', r.text);
  const refused = assertSpent([ok, ...answers], BURST, 2, 'token per address');
  assertTokenRefusal(refused, 'token per address');
  // Any method counts, so a GET is refused too.
  assert.equal((await send(srv.url, '/oauth2/token', { addr: '10.1.0.1' })).status, 429);
  // Another address is not held back.
  const other = await cc('a', '10.1.0.2');
  assert.equal(other.status, 200, other.text);
});

test('token endpoint per client: client_id or Basic user, from any address', async () => {
  // Each request from its own address, so that only the client's limit counts.
  const answers = await untilRefused((i) => {
    const addr = `10.2.0.${i + 1}`;
    if (i % 2 === 0) return cc('b', addr);
    return send(srv.url, '/oauth2/token', {
      method: 'POST', addr,
      form: { grant_type: 'client_credentials', client_id: apps.b.client_id, client_secret: apps.b.client_secret },
    });
  }, BURST + 5);
  for (const r of answers.slice(0, -1)) assert.equal(r.status, 200, r.text);
  assertTokenRefusal(assertSpent(answers, BURST, 2, 'token per client'), 'token per client');
  // Naming the client is enough to be counted: a wrong secret is refused the same way.
  const forged = await send(srv.url, '/oauth2/token', {
    method: 'POST', addr: '10.2.1.1', form: { grant_type: 'client_credentials', client_id: apps.b.client_id, client_secret: 'wrong' },
  });
  assert.equal(forged.status, 429, forged.text);
  // Another client is not.
  const other = await cc('c', '10.2.1.2');
  assert.equal(other.status, 200, other.text);
});

test('IPv6 addresses count by /64; IPv4-mapped addresses as IPv4', async () => {
  // Eight addresses of one /64 share one allowance.
  const answers = await untilRefused((i) => send(srv.url, '/oauth2/token', {
    method: 'POST', form: { grant_type: 'client_credentials' }, addr: `2001:db8:1:2::${(i + 1).toString(16)}`,
  }), BURST + 5);
  assertTokenRefusal(assertSpent(answers, BURST, 2, 'one /64'), 'one /64');
  const next = await send(srv.url, '/oauth2/token', {
    method: 'POST', form: { grant_type: 'client_credentials' }, addr: '2001:db8:1:3::1',
  });
  assert.equal(next.status, 401, `the next /64 is another address: ${next.text}`);
  // ::ffff:10.6.0.1 is 10.6.0.1.
  const mapped = await untilRefused((i) => send(srv.url, '/oauth2/token', {
    method: 'POST', form: { grant_type: 'client_credentials' }, addr: i % 2 ? '10.6.0.1' : '::ffff:10.6.0.1',
  }), BURST + 5);
  assertSpent(mapped, BURST, 2, 'IPv4-mapped');
});

test('authorization endpoint per address: an HTML 429 with Retry-After', async () => {
  const answers = await untilRefused((i) => send(srv.url, '/oauth2/authorize?response_type=code&client_id=nobody', {
    method: i % 2 ? 'POST' : 'GET', addr: '10.3.0.1', ...(i % 2 ? { form: { client_id: 'nobody' } } : {}),
  }), BURST + 5);
  for (const r of answers.slice(0, -1)) assert.equal(r.status, 400, r.text.slice(0, 200));
  const refused = assertSpent(answers, BURST, 2, 'authorize');
  assertPageRefusal(refused, 'authorize');
  assert.equal((await send(srv.url, '/oauth2/authorize?client_id=nobody', { addr: '10.3.0.2' })).status, 400);
});

test('login form per address: POST only, refused before any password is checked', async () => {
  const form = { request: 'no-such-request', csrf: 'x', username: 'someone', password: 'guess' };
  const answers = await untilRefused(() => send(srv.url, '/login', { method: 'POST', form, addr: '10.4.0.1' }), BURST + 5);
  for (const r of answers.slice(0, -1)) assert.notEqual(r.status, 429);
  assertPageRefusal(assertSpent(answers, BURST, 2, 'login'), 'login');
  // Showing the form is not limited.
  for (let i = 0; i < BURST + 2; i++) {
    const r = await send(srv.url, '/login?request=no-such-request', { addr: '10.4.0.1' });
    assert.notEqual(r.status, 429);
  }
  const other = await send(srv.url, '/login', { method: 'POST', form, addr: '10.4.0.2' });
  assert.notEqual(other.status, 429);
});

test('defaults: the token endpoint unlimited, the login form 5/s with a burst of 50, X-Forwarded-For ignored without --behind-proxy', async () => {
  const d = freshDir();
  const s = await startServer({ dir: d });
  try {
    for (let i = 0; i < 150; i++) {
      const r = await send(s.url, '/oauth2/token', { method: 'POST', form: { grant_type: 'client_credentials' } });
      assert.equal(r.status, 401, `request ${i}: ${r.text}`);
    }
    for (let i = 0; i < 60; i++) {
      const r = await send(s.url, '/oauth2/authorize?client_id=nobody');
      assert.equal(r.status, 400, `authorize ${i}`);
    }
    // Every request claims another address, but the peer is what counts.
    const form = { request: 'no-such-request', csrf: 'x', username: 'someone', password: 'guess' };
    const answers = await untilRefused((i) => send(s.url, '/login', { method: 'POST', form, addr: `10.5.0.${i % 250}` }), 80);
    const refused = assertSpent(answers, 50, 15, 'default login limit');
    assertPageRefusal(refused, 'default login limit');
  } finally {
    await s.stop();
    d.remove();
  }
});
