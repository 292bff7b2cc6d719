// Several instances on one database (DESIGN §4, issue 7): two latchkey
// servers A and B share a database and a master key, with one issuer, as
// behind a load balancer. A code issued by A is redeemed at B; a refresh
// token issued by A is rotated at B; a client secret rotated by the CLI is
// honoured by both within DESIGN §2's 5 seconds; one code redeemed at A and
// at B at once works exactly once; and B keeps serving after A is killed.
// With PostgreSQL (LATCHKEY_E2E_PG_URL) this is the deployment the issue is
// about; with SQLite the two processes share one database file, which works
// as well on one machine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { cli, freshDir, startServer } from './harness.mjs';

// The public URL of the pair, as a load balancer in front would give it.
const ISSUER = 'https://login.example';
const REDIRECT = 'https://app.example/cb';
const PASSWORD = 'correct horse battery staple';
// DESIGN §2: changes made with the CLI reach running instances within 5 s.
const BOUND_MS = 5000;

let dir;
let a;
let b;
const apps = {};

function cliOk(args, opts = {}) {
  const r = cli(args, { db: dir.db, ...opts });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r.json;
}

const basic = (app, secret = app.client_secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(app.client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function post(srv, path, form, headers = {}) {
  const r = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text };
}

const token = (srv, app, form, secret) => post(srv, '/oauth2/token', form, { authorization: basic(app, secret) });
const introspect = async (srv, tok) => (await post(srv, '/oauth2/introspect', { token: tok },
  { authorization: basic(apps.rs) })).json;

// A browser's cookie jar over fetch, without following redirects. Locations
// carry the shared issuer; the browser sends each request to the instance
// it is pointed at, as the load balancer would.
class Browser {
  constructor() { this.cookies = new Map(); }

  async request(srv, url, { form } = {}) {
    const u = new URL(url.startsWith(ISSUER) ? url.slice(ISSUER.length) : url, srv.url);
    const headers = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const r = await fetch(u, { method: form ? 'POST' : 'GET', headers, body, redirect: 'manual' });
    for (const line of r.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    return { status: r.status, text: await r.text(), location: r.headers.get('location') };
  }
}

// The named fields of the page's form that carries a csrf field.
function loginFields(html) {
  const form = [...html.matchAll(/<form\b[\s\S]*?<\/form>/gi)].map((m) => m[0]).find((f) => /name="csrf"/.test(f));
  assert.ok(form, `no login form in:\n${html}`);
  const fields = {};
  for (const m of form.matchAll(/<input\b([^>]*)>/gi)) {
    const name = /\bname="([^"]*)"/.exec(m[1]);
    const value = /\bvalue="([^"]*)"/.exec(m[1]);
    if (name && !/type="submit"/.test(m[1])) fields[name[1]] = value ? value[1].replace(/&amp;/g, '&') : '';
  }
  return fields;
}

// The authorization code flow of the first-party app through srv, to the
// code: the login form when the browser has no session, no consent page.
async function codeVia(srv, browser = new Browser()) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: apps.fp.client_id,
    redirect_uri: REDIRECT,
    scope: 'openid api offline_access',
    state,
    nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let r = await browser.request(srv, `/oauth2/authorize?${q}`);
  assert.ok(r.status === 302 || r.status === 303, `authorize: ${r.status} ${r.text.slice(0, 300)}`);
  if (r.location.startsWith(`${ISSUER}/login?`)) {
    const page = await browser.request(srv, r.location);
    assert.equal(page.status, 200, page.text);
    r = await browser.request(srv, '/login', { form: { ...loginFields(page.text), username: 'alice', password: PASSWORD } });
    assert.equal(r.status, 303, r.text);
  }
  const back = new URL(r.location);
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT, r.location);
  assert.equal(back.searchParams.get('state'), state);
  assert.equal(back.searchParams.get('iss'), ISSUER);
  const code = back.searchParams.get('code');
  assert.match(code ?? '', /^lk_ac_/, r.location);
  return { code, verifier, browser };
}

const redeem = (srv, c) => token(srv, apps.fp, {
  grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier,
});

// A JWT verified with the keys srv publishes.
async function verifyAt(srv, jwt) {
  const jwks = await (await fetch(`${srv.url}/oauth2/jwks`)).json();
  return (await jose.jwtVerify(jwt, jose.createLocalJWKSet(jwks), { issuer: ISSUER })).payload;
}

before(async () => {
  dir = freshDir();
  cliOk(['user', 'add', 'alice', '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  apps.fp = cliOk(['app', 'add', '--name', 'fp', '--grant', 'authorization_code', '--first-party',
    '--redirect-uri', REDIRECT, '--scope', 'openid api offline_access', '--json']);
  apps.svc = cliOk(['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--scope', 'api',
    '--token-format', 'opaque', '--json']);
  apps.rs = cliOk(['app', 'add', '--name', 'rs', '--grant', 'client_credentials', '--scope', 'api', '--json']);
  // A first, so that B finds the schema and the signing keys in place.
  a = await startServer({ dir, args: ['--issuer', ISSUER] });
  b = await startServer({ dir, args: ['--issuer', ISSUER] });
});

after(async () => {
  try {
    await b?.stop();
    if (a && a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
  } finally {
    dir?.remove();
  }
});

test('both instances publish the same signing keys', async () => {
  const kids = async (srv) => (await (await fetch(`${srv.url}/oauth2/jwks`)).json()).keys.map((k) => k.kid).sort();
  const ka = await kids(a);
  assert.ok(ka.length >= 2);
  assert.deepEqual(await kids(b), ka);
});

test('a code issued by A is redeemed at B; the tokens are good at both', async () => {
  const c = await codeVia(a);
  const t = await redeem(b, c);
  assert.equal(t.status, 200, t.text);
  assert.match(t.json.refresh_token ?? '', /^lk_rt_/);
  for (const srv of [a, b]) {
    const info = await introspect(srv, t.json.access_token);
    assert.equal(info.active, true, JSON.stringify(info));
    assert.equal(info.client_id, apps.fp.client_id);
    // One issuer and one key set: either instance verifies what the other signed.
    const id = await verifyAt(srv, t.json.id_token);
    assert.equal(id.aud, apps.fp.client_id);
  }
  // Spent at B, so refused at A.
  const again = await redeem(a, c);
  assert.equal(again.json?.error, 'invalid_grant', again.text);
});

test('a refresh token issued by A is rotated at B, and its replay at A is refused', async () => {
  const c = await codeVia(a);
  const first = await redeem(a, c);
  assert.equal(first.status, 200, first.text);
  const rt = first.json.refresh_token;
  const rotated = await token(b, apps.fp, { grant_type: 'refresh_token', refresh_token: rt });
  assert.equal(rotated.status, 200, rotated.text);
  assert.notEqual(rotated.json.refresh_token, rt);
  assert.equal((await introspect(a, rotated.json.access_token)).active, true);
  const replay = await token(a, apps.fp, { grant_type: 'refresh_token', refresh_token: rt });
  assert.equal(replay.json?.error, 'invalid_grant', replay.text);
});

test('app rotate-secret --grace 0 by the CLI: the old secret refused at A and B within 5 s', async (t) => {
  const cc = { grant_type: 'client_credentials' };
  // Both instances have the application cached with its first secret.
  for (const srv of [a, b]) assert.equal((await token(srv, apps.svc, cc)).status, 200);
  const old = apps.svc.client_secret;
  const r = cliOk(['app', 'rotate-secret', 'svc', '--grace', '0', '--json']);
  assert.ok(r.client_secret && r.client_secret !== old, JSON.stringify(r));
  apps.svc.client_secret = r.client_secret;
  const started = Date.now();
  const pending = new Set([a, b]);
  while (pending.size && Date.now() - started < BOUND_MS) {
    for (const srv of [...pending]) {
      const o = await token(srv, apps.svc, cc, old);
      const n = await token(srv, apps.svc, cc);
      if (o.status === 401 && n.status === 200) pending.delete(srv);
    }
    if (pending.size) await sleep(100);
  }
  assert.equal(pending.size, 0, `${[...pending].map((s) => (s === a ? 'A' : 'B')).join(' and ')} still ` +
    `accept(s) the old secret or refuse the new one after ${BOUND_MS} ms`);
  t.diagnostic(`the rotation was honoured at both after ${Date.now() - started} ms`);
  for (const srv of [a, b]) {
    const o = await token(srv, apps.svc, cc, old);
    assert.equal(o.status, 401, o.text);
    assert.equal(o.json.error, 'invalid_client');
  }
});

test('one code redeemed at A and at B at once: exactly one success', async () => {
  for (let round = 0; round < 3; round++) {
    const c = await codeVia(a);
    const tries = await Promise.all([a, b, a, b, a, b, a, b].map((srv) => redeem(srv, c)));
    const ok = tries.filter((t) => t.status === 200);
    assert.equal(ok.length, 1, tries.map((t) => `${t.status} ${t.text}`).join('\n'));
    for (const t of tries.filter((x) => x.status !== 200)) {
      assert.equal(t.status, 400, t.text);
      assert.equal(t.json.error, 'invalid_grant', t.text);
    }
    // RFC 6749 §4.1.2: the replays revoke what the one success issued.
    const refresh = await token(b, apps.fp, { grant_type: 'refresh_token', refresh_token: ok[0].json.refresh_token });
    assert.equal(refresh.json?.error, 'invalid_grant', refresh.text);
  }
});

test('A killed with SIGKILL: B keeps issuing and introspecting', async () => {
  // Something issued by A before it dies, and a session it created.
  const c = await codeVia(a);
  const fromA = await redeem(a, c);
  assert.equal(fromA.status, 200, fromA.text);
  const opaque = await token(a, apps.svc, { grant_type: 'client_credentials' });
  assert.equal(opaque.status, 200, opaque.text);
  await a.kill();
  assert.equal(a.proc.signalCode, 'SIGKILL');

  const health = await fetch(`${b.url}/healthz`);
  assert.equal(health.status, 200);
  const cc = await token(b, apps.svc, { grant_type: 'client_credentials' });
  assert.equal(cc.status, 200, cc.text);
  for (const t of [opaque.json.access_token, fromA.json.access_token, cc.json.access_token])
    assert.equal((await introspect(b, t)).active, true);
  const rotated = await token(b, apps.fp, { grant_type: 'refresh_token', refresh_token: fromA.json.refresh_token });
  assert.equal(rotated.status, 200, rotated.text);
  // The session A created signs the browser in at B: a code without the login form.
  const again = await codeVia(b, c.browser);
  assert.equal((await redeem(b, again)).status, 200);
});
