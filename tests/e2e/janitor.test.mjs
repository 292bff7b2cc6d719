// Retention (issue: hardening): the running server's housekeeping deletes
// expired rows and audit entries past [audit] retention_days in bounded
// batches, every [server] janitor_interval seconds, and again at the next
// tick while a backlog remains; live rows stay. `latchkey audit` filters.
//
// Nothing the server issues expires within seconds (codes are kept an hour
// past their expiry, tokens live at least a minute), so the backlog is
// written straight into the SQLite file with the sqlite3 program, as rows
// that expired long ago; in PostgreSQL mode that part is skipped. Watching
// the row counts stay flat under a steady load of one-minute tokens would
// take well over a minute, so this suite does not do it: the backlog test
// shows the same deletion at work on more rows than one batch holds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli, freshDir, PG, sqliteCount, sqliteSql, startServer } from './harness.mjs';

// More than two batches of LK_STORE_JANITOR_BATCH (1000) in each table.
const BACKLOG = 2500;
const LIVE = 20;

const dirs = [];
after(() => dirs.forEach((d) => d.remove()));

function fresh() {
  const d = freshDir();
  dirs.push(d);
  return d;
}

function cliOk(d, args, input) {
  const r = cli(args, { db: d.db, input });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const sql = sqliteSql;
const count = sqliteCount;

const basic = (a) => `Basic ${Buffer.from(`${a.client_id}:${a.client_secret}`).toString('base64')}`;

async function waitFor(what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v === true) return;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

test('housekeeping drains an expired backlog in batches and keeps live rows', { skip: PG && 'reads the SQLite file' }, async () => {
  const d = fresh();
  const app = cliOk(d, ['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--scope', 'api',
    '--token-format', 'opaque', '--lifetime', '1', '--json']).json;
  const srv = await startServer({
    dir: d,
    env: {
      LATCHKEY_SERVER_JANITOR_INTERVAL: '1',
      LATCHKEY_TOKENS_CODE_LIFETIME: '10',
      LATCHKEY_AUDIT_RETENTION_DAYS: '1',
      LATCHKEY_LOG_LEVEL: 'debug',
    },
  });
  try {
    for (let i = 0; i < LIVE; i++) {
      const r = await fetch(`${srv.url}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: basic(app), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(r.status, 200);
    }
    const now = Math.floor(Date.now() / 1000);
    const old = now - 3 * 86400;
    // One transaction, so that the server sees the whole backlog at once.
    sql(d, `BEGIN;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BACKLOG})
      INSERT INTO access_tokens (hash, jti, client_id, subject, issued_at, expires_at)
        SELECT randomblob(32), 'old-' || i, '${app.client_id}', '${app.client_id}', ${old}, ${old + 60} FROM n;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BACKLOG})
      INSERT INTO revoked_jtis (jti, expires_at) SELECT 'old-' || i, ${old} FROM n;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BACKLOG})
      INSERT INTO login_throttle (key, failures, window_start, expires_at)
        SELECT 'addr:192.0.2.' || i, 1, ${old}, ${old + 900} FROM n;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${BACKLOG})
      INSERT INTO audit (at, actor, action, object_type, object_id)
        SELECT ${old}, 'cli:root', 'app.update', 'app', '${app.client_id}' FROM n;
      COMMIT;`);

    await waitFor('expired rows left', () => {
      const left = {
        tokens: count(d, 'access_tokens', `expires_at <= ${now}`),
        jtis: count(d, 'revoked_jtis'),
        throttle: count(d, 'login_throttle'),
        audit: count(d, 'audit', `at < ${now - 86400}`),
      };
      return Object.values(left).every((v) => v === 0) || left;
    });
    // The live tokens and the recent audit entries are all still there.
    assert.equal(count(d, 'access_tokens'), LIVE);
    assert.equal(count(d, 'audit', `action = 'app.add'`), 1);
    // More than one batch of each table: three rounds or more, in one pass
    // or over several.
    const rounds = [...srv.stderr.matchAll(/housekeeping deleted \d+ row\(s\) in (\d+) round/g)]
      .reduce((n, m) => n + Number(m[1]), 0);
    assert.ok(rounds >= 3, `${rounds} round(s):\n${srv.stderr}`);
    assert.equal(sql(d, 'PRAGMA integrity_check'), 'ok');
  } finally {
    await srv.stop({ keepDir: true });
  }
});

test('audit retention 0 keeps every entry', { skip: PG && 'reads the SQLite file' }, async () => {
  const d = fresh();
  cliOk(d, ['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--scope', 'api']);
  const srv = await startServer({
    dir: d,
    env: { LATCHKEY_SERVER_JANITOR_INTERVAL: '1', LATCHKEY_AUDIT_RETENTION_DAYS: '0' },
  });
  try {
    sql(d, `INSERT INTO audit (at, actor, action, object_type) VALUES (1, 'cli:root', 'app.update', 'app')`);
    // Three passes at least.
    await new Promise((ok) => setTimeout(ok, 3500));
    assert.equal(count(d, 'audit', 'at = 1'), 1);
  } finally {
    await srv.stop({ keepDir: true });
  }
});

test('latchkey audit filters by action prefix, actor, object and time', () => {
  const d = fresh();
  const a1 = cliOk(d, ['app', 'add', '--name', 'a1', '--grant', 'client_credentials', '--scope', 'api', '--json']).json;
  const a2 = cliOk(d, ['app', 'add', '--name', 'a2', '--grant', 'client_credentials', '--scope', 'api', '--json']).json;
  cliOk(d, ['app', 'disable', 'a1']);
  cliOk(d, ['user', 'add', 'erin', '--json']);
  const audit = (...args) => cliOk(d, ['audit', ...args, '--json']).json.map((e) => `${e.action} ${e.object_id}`);

  assert.deepEqual(audit('--action', 'app.'), [`app.disable ${a1.client_id}`, `app.add ${a2.client_id}`, `app.add ${a1.client_id}`]);
  assert.deepEqual(audit('--action', 'app.add', '--limit', '1'), [`app.add ${a2.client_id}`]);
  assert.deepEqual(audit('--object', a1.client_id), [`app.disable ${a1.client_id}`, `app.add ${a1.client_id}`]);
  assert.deepEqual(audit('--action', 'app.add', '--object', a1.client_id), [`app.add ${a1.client_id}`]);
  assert.equal(audit('--actor', 'cli:root').length, 4);
  assert.deepEqual(audit('--actor', 'cli'), []);
  assert.deepEqual(audit('--action', 'user.'), [`user.add local\\erin`]);
  const future = Math.floor(Date.now() / 1000) + 3600;
  assert.deepEqual(audit('--since', String(future)), []);
  assert.equal(audit('--since', '0').length, 4);

  // Text output takes the filters too.
  const text = cliOk(d, ['audit', '--action', 'app.disable']).stdout.trim().split('\n');
  assert.equal(text.length, 1);
  assert.match(text[0], / cli:root app\.disable app /);

  for (const bad of [['--since', '-1'], ['--since', 'soon'], ['--limit', '0'], ['--actor', 'x'.repeat(5000)]]) {
    const r = cli(['audit', ...bad], { db: d.db });
    assert.notEqual(r.status, 0, bad.join(' '));
    assert.match(r.stderr, /latchkey audit: /);
  }
});
