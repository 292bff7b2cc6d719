// Foundation: the server starts on a fresh database, publishes its metadata
// and keys, rotates keys without a restart, and the CLI follows DESIGN §6.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import * as jose from 'jose';
import { startServer, freshDir, cli, BIN, PG } from './harness.mjs';

let srv;

before(async () => {
  srv = await startServer();
});

after(async () => {
  await srv?.stop();
});

async function jwks() {
  const r = await fetch(`${srv.url}/oauth2/jwks`);
  assert.equal(r.status, 200);
  return r.json();
}

test('openid-client accepts the discovery document', async () => {
  const config = await client.discovery(new URL(srv.url), 'any-client', undefined, undefined, {
    execute: [client.allowInsecureRequests],
  });
  const md = config.serverMetadata();
  assert.equal(md.issuer, srv.url);
  assert.equal(md.jwks_uri, `${srv.url}/oauth2/jwks`);
  assert.deepEqual(md.subject_types_supported, ['public']);
  assert.ok(md.id_token_signing_alg_values_supported.includes('RS256'));
});

test('RFC 8414 metadata is served at its well-known path', async () => {
  const r = await fetch(`${srv.url}/.well-known/oauth-authorization-server`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const md = await r.json();
  assert.equal(md.issuer, srv.url);
  // RFC 8414 §3.3: the issuer in the document equals the one the client used.
  const config = await client.discovery(new URL(srv.url), 'c', undefined, undefined, {
    execute: [client.allowInsecureRequests],
    algorithm: 'oauth2',
  });
  assert.equal(config.serverMetadata().issuer, srv.url);
});

test('the JWKS holds an ES256 and an RS256 public key that jose imports', async () => {
  const set = await jwks();
  const algs = set.keys.map((k) => k.alg).sort();
  assert.deepEqual(algs, ['ES256', 'RS256']);
  for (const k of set.keys) {
    assert.equal(k.use, 'sig');
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined);
    // RFC 7638: kid is the thumbprint of the public key.
    assert.equal(k.kid, await jose.calculateJwkThumbprint(k, 'sha256'));
    const key = await jose.importJWK(k, k.alg);
    assert.equal(key.type, 'public');
  }
  // The remote key set works as resource servers use it.
  const remote = jose.createRemoteJWKSet(new URL(`${srv.url}/oauth2/jwks`));
  const es = set.keys.find((k) => k.alg === 'ES256');
  const key = await remote({ alg: 'ES256', kid: es.kid });
  assert.equal(key.type, 'public');
});

test('healthz reports the database and keys', async () => {
  const r = await fetch(`${srv.url}/healthz`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.database, 'ok');
});

test('unknown paths get a JSON 404, wrong methods a 405 with Allow', async () => {
  let r = await fetch(`${srv.url}/no/such/path`);
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal((await r.json()).error, 'not_found');
  r = await fetch(`${srv.url}/oauth2/jwks`, { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.match(r.headers.get('allow'), /GET/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
});

test('a body over the limit is refused with 413', async () => {
  const r = await fetch(`${srv.url}/oauth2/jwks`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a='.padEnd(70 * 1024, 'x'),
  });
  assert.equal(r.status, 413);
});

// With PostgreSQL there is no database directory: the harness writes the key
// file itself and passes the key to every process (DESIGN §4).
const NO_KEY_FILE = PG && 'PostgreSQL: serve creates no key file, the key is given to every instance';

test('the master key file is created beside the database with mode 0600', { skip: NO_KEY_FILE }, () => {
  const st = statSync(srv.dir.keyFile);
  assert.equal(st.mode & 0o777, 0o600);
  const key = Buffer.from(readFileSync(srv.dir.keyFile, 'utf8').trim(), 'base64');
  assert.equal(key.length, 32);
  // Never logged.
  assert.ok(!srv.stderr.includes(readFileSync(srv.dir.keyFile, 'utf8').trim()));
});

test('key rotate publishes a new key to the running server at once', async () => {
  const before = await jwks();
  const r = srv.cli(['key', 'rotate', '--alg', 'ES256', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const newKid = r.json[0].kid;
  assert.ok(!before.keys.some((k) => k.kid === newKid));
  // DESIGN §2: changes reach running instances within 5 seconds.
  const deadline = Date.now() + 5000;
  let after;
  do {
    await new Promise((res) => setTimeout(res, 200));
    after = await jwks();
  } while (!after.keys.some((k) => k.kid === newKid) && Date.now() < deadline);
  assert.ok(after.keys.some((k) => k.kid === newKid), 'new key published within 5 s');
  // The old key is still published (it signs until the new one activates).
  for (const k of before.keys) assert.ok(after.keys.some((a) => a.kid === k.kid));

  const list = srv.cli(['key', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  const states = Object.fromEntries(list.json.map((k) => [k.kid, k.state]));
  assert.equal(states[newKid], 'next');
  const oldEs = before.keys.find((k) => k.alg === 'ES256').kid;
  assert.equal(states[oldEs], 'active');
  assert.ok(list.json.find((k) => k.kid === oldEs).retire_at, 'old key has a retirement time');
});

test('key rotate --now makes the new key sign at once and retires the old one', () => {
  const r = srv.cli(['key', 'rotate', '--alg', 'RS256', '--now', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const list = srv.cli(['key', 'list', '--json']).json;
  const rs = list.filter((k) => k.alg === 'RS256');
  assert.equal(rs.find((k) => k.kid === r.json[0].kid).state, 'active');
  assert.equal(rs.filter((k) => k.state === 'retired').length, 1);
  assert.ok(rs.find((k) => k.state === 'retired').expire_at);
});

test('key list text output names every key', () => {
  const r = srv.cli(['key', 'list']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^KID\s+ALG\s+STATE/);
  assert.ok(r.stdout.split('\n').filter((l) => /ES256|RS256/.test(l)).length >= 4);
});

test('exit statuses: usage error 2, invalid input 1, help 0', () => {
  const d = freshDir();
  try {
    assert.equal(cli(['no-such-command'], { db: d.db }).status, 2);
    assert.equal(cli(['key', 'list', '--bogus'], { db: d.db }).status, 2);
    assert.equal(cli(['key', 'rotate', '--alg'], { db: d.db }).status, 2);
    assert.equal(cli(['key'], { db: d.db }).status, 2);
    assert.equal(cli(['key', 'rotate', '--alg', 'HS256'], { db: d.db }).status, 1);
    assert.equal(cli(['serve', '--listen', 'nonsense'], { db: d.db }).status, 1);
    assert.equal(cli(['serve', '--workers', 'many'], { db: d.db }).status, 1);
    const help = cli(['serve', '--help'], { db: d.db });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /usage: latchkey serve/);
    assert.equal(cli(['--help']).status, 0);
    assert.match(cli(['key', 'rotate', '--help'], { db: d.db }).stdout, /--now/);
  } finally {
    d.remove();
  }
});

test('plain HTTP on a public address is refused unless behind a proxy', () => {
  const d = freshDir();
  try {
    const r = cli(['serve', '--listen', '0.0.0.0:0'], { db: d.db });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /loopback/);
  } finally {
    d.remove();
  }
});

test('config dump: file < environment < flags, secrets masked', () => {
  const d = freshDir();
  try {
    const conf = join(d.dir, 'latchkey.conf');
    writeFileSync(conf, '[tokens]\naccess_lifetime = 30\n[server]\nlisten = 127.0.0.1:9001\n' +
      '[upstream.corp]\nissuer = https://idp.example.com\nclient_id = lk\nclient_secret = s3cret-value\n');
    let r = cli(['--config', conf, 'config', 'dump', '--json'], {
      env: { LATCHKEY_SERVER_LISTEN: '127.0.0.1:9002' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.tokens.access_lifetime, 30);
    assert.equal(r.json.server.listen, '127.0.0.1:9002');
    assert.equal(r.json.server.issuer, 'http://127.0.0.1:9002');
    assert.ok(!r.stdout.includes('s3cret-value'));
    r = cli(['--config', conf, '--db', 'sqlite:other.db', 'config', 'dump']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\[tokens\]/);
    assert.match(r.stdout, /access_lifetime\s*=\s*30/);
    assert.match(r.stdout, /sqlite:other\.db/);
    assert.ok(!r.stdout.includes('s3cret-value'));
    // A bad value is reported with file and line, exit 1.
    writeFileSync(conf, '[tokens]\n\naccess_lifetime = soon\n');
    r = cli(['--config', conf, 'config', 'dump']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /latchkey\.conf:3/);
    writeFileSync(conf, '[tokens]\nno_such_key = 1\n');
    assert.equal(cli(['--config', conf, 'config', 'dump']).status, 1);
  } finally {
    d.remove();
  }
});

test('migrate is idempotent', () => {
  const d = freshDir();
  try {
    let r = cli(['migrate', '--json'], { db: d.db });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.from, 0);
    assert.ok(r.json.to >= 1);
    r = cli(['migrate', '--json'], { db: d.db });
    assert.equal(r.json.from, r.json.to);
  } finally {
    d.remove();
  }
});

test('a wrong master key is refused at start, and the keys are untouched', async () => {
  const d = freshDir();
  try {
    const first = await startServer({ dir: d });
    const keysBefore = (await (await fetch(`${first.url}/oauth2/jwks`)).json()).keys;
    await first.stop();
    const wrong = Buffer.alloc(32, 7).toString('base64');
    const r = cli(['key', 'list'], { db: d.db, env: { LATCHKEY_MASTER_KEY: wrong } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /master key/);
    const again = await startServer({ dir: d });
    const keysAfter = (await (await fetch(`${again.url}/oauth2/jwks`)).json()).keys;
    await again.stop();
    assert.deepEqual(keysAfter.map((k) => k.kid).sort(), keysBefore.map((k) => k.kid).sort());
  } finally {
    d.remove();
  }
});

test('LATCHKEY_MASTER_KEY is used instead of a key file', async () => {
  const d = freshDir();
  try {
    const key = Buffer.alloc(32, 3).toString('base64');
    const s = await startServer({ dir: d, env: { LATCHKEY_MASTER_KEY: key } });
    await s.stop({ keepDir: true });
    // (With PostgreSQL d.keyFile is the harness's own file, never serve's.)
    if (!PG) assert.throws(() => statSync(d.keyFile));
    assert.ok(!s.stderr.includes(key));
  } finally {
    d.remove();
  }
});

// DESIGN §4: with PostgreSQL every instance is given the same key; there is
// no file beside the database to fall back to. (SQLite's default is tested
// above: the key file created beside the database.)
if (PG) {
  test('PostgreSQL: serve refuses to start without a master key; --master-key-file gives one', async () => {
    const d = freshDir();
    try {
      const r = cli(['serve', '--listen', '127.0.0.1:0'], { db: d.db, env: { LATCHKEY_MASTER_KEY: '' } });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /no master key.*LATCHKEY_MASTER_KEY.*--master-key-file/);
      const s = await startServer({ dir: d, env: { LATCHKEY_MASTER_KEY: '' }, globalArgs: ['--master-key-file', d.keyFile] });
      const health = await (await fetch(`${s.url}/healthz`)).json();
      await s.stop({ keepDir: true });
      assert.equal(health.status, 'ok');
      assert.ok(!s.stderr.includes(d.masterKey), 'the key is never logged');
      // The same key from the environment opens the same signing keys.
      const list = cli(['key', 'list', '--json'], { db: d.db });
      assert.equal(list.status, 0, list.stderr);
    } finally {
      d.remove();
    }
  });

  // A refusal comes before anything that cannot be undone: the administrator
  // (and its one-time password) is made only once the master key works, so
  // the first successful start is the one that shows the password.
  test('PostgreSQL: a start refused for want of a master key creates no administrator', async () => {
    const d = freshDir();
    try {
      const r = cli(['serve', '--listen', '127.0.0.1:0'], { db: d.db, env: { LATCHKEY_MASTER_KEY: '' } });
      assert.equal(r.status, 1, r.stderr);
      assert.doesNotMatch(r.stdout, /with the password/);
      const s = await startServer({ dir: d });
      await s.stop({ keepDir: true });
      assert.match(s.stdout, /with the password/);
    } finally {
      d.remove();
    }
  });
}

test('JSON logs carry a request id and never the query string', async () => {
  const d = freshDir();
  try {
    const s = await startServer({ dir: d, globalArgs: ['--log-format', 'json'] });
    await fetch(`${s.url}/healthz?code=lk_ac_secretvalue`);
    await s.stop();
    const lines = s.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const access = lines.filter((l) => l.path === '/healthz');
    assert.ok(access.length >= 1);
    assert.match(access.at(-1).request_id, /^[0-9a-f]{16}$/);
    assert.equal(access.at(-1).status, '200');
    assert.ok(!s.stderr.includes('lk_ac_secretvalue'));
  } finally {
    d.remove();
  }
});

test('the binary exists', () => {
  assert.ok(statSync(BIN).isFile());
});

test('the first start creates an administrator and shows its password once', async () => {
  const m = srv.stdout.match(/administrator local\\admin with the password: (\S+)/);
  assert.ok(m, `no administrator line in:\n${srv.stdout}`);
  assert.ok(m[1].length >= 20);
  assert.ok(!srv.stderr.includes(m[1]), 'password not in the log');
  const show = srv.cli(['user', 'show', 'admin', '--json']);
  assert.equal(show.status, 0, show.stderr);
  assert.equal(show.json.role, 'admin');
  assert.ok(!show.stdout.includes(m[1]));
  const d = freshDir();
  try {
    const first = await startServer({ dir: d });
    await first.stop({ keepDir: true });
    const second = await startServer({ dir: d });
    await second.stop();
    assert.match(first.stdout, /with the password/);
    assert.doesNotMatch(second.stdout, /with the password/);
  } finally {
    d.remove();
  }
});
