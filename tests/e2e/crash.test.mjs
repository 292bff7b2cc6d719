// Crash safety (DESIGN §2 durability, issue: hardening): a mixed load of
// client credentials (opaque tokens, stored), password grants with refresh
// tokens, refresh rotations and code redemptions runs while the server is
// killed with SIGKILL. After a restart on the same database, everything
// whose response arrived before the kill must still be there and still be
// single-use, and SQLite's integrity check must pass (with PostgreSQL, whose
// server is not the process killed, the rest of the test runs unchanged).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cli, freshDir, PG, startServer } from './harness.mjs';

const dir = freshDir();
after(() => dir.remove());

const PASSWORD = 'crash test passphrase';

function cliOk(args, input) {
  const r = cli(args, { db: dir.db, input });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r.json;
}

const basic = (a) => `Basic ${Buffer.from(`${a.client_id}:${a.client_secret}`).toString('base64')}`;

async function post(url, path, app, form) {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: basic(app), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: r.status, json: await r.json() };
}

test('SIGKILL under load loses nothing acknowledged and reuses nothing', async () => {
  const opaque = cliOk(['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--scope', 'api',
    '--token-format', 'opaque', '--json']);
  const pw = cliOk(['app', 'add', '--name', 'pw', '--grant', 'password', '--scope', 'api offline_access', '--json']);
  const rs = cliOk(['app', 'add', '--name', 'rs', '--grant', 'client_credentials', '--scope', 'api', '--json']);
  cliOk(['user', 'add', 'carol', '--password-stdin', '--json'], `${PASSWORD}\n`);

  const srv = await startServer({ dir });
  const tokens = [];   // opaque access tokens acknowledged
  const refresh = new Map(); // chain id -> newest refresh token acknowledged
  const spent = [];    // refresh tokens acknowledged as rotated away
  let stop = false;

  // Seed a few refresh-token chains.
  for (let i = 0; i < 4; i++) {
    const r = await post(srv.url, '/oauth2/token', pw, { grant_type: 'password', username: 'carol', password: PASSWORD });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    refresh.set(i, r.json.refresh_token);
  }
  const issue = async () => {
    while (!stop) {
      try {
        const r = await post(srv.url, '/oauth2/token', opaque, { grant_type: 'client_credentials' });
        if (r.status === 200) tokens.push(r.json.access_token);
      } catch { return; }
    }
  };
  const rotate = async (chain) => {
    while (!stop) {
      const old = refresh.get(chain);
      try {
        const r = await post(srv.url, '/oauth2/token', pw, { grant_type: 'refresh_token', refresh_token: old });
        if (r.status !== 200) throw new Error(JSON.stringify(r.json));
        refresh.set(chain, r.json.refresh_token);
        spent.push(old);
      } catch { return; }
    }
  };
  const load = [issue(), issue(), ...[0, 1, 2, 3].map(rotate)];
  await new Promise((ok) => setTimeout(ok, 1500));
  await srv.kill();
  stop = true;
  await Promise.all(load);
  assert.ok(tokens.length > 50, `only ${tokens.length} tokens issued before the kill`);
  assert.ok(spent.length > 10, `only ${spent.length} rotations before the kill`);

  // SQLite runs inside the killed process, so its file must have survived the
  // kill. A PostgreSQL server is a process of its own that the kill never
  // touched: there is nothing of latchkey's to check in its files.
  if (!PG) {
    const check = spawnSync('sqlite3', [dir.db.replace(/^sqlite:/, ''), 'PRAGMA integrity_check'], { encoding: 'utf8' });
    assert.equal(check.stdout.trim(), 'ok', check.stderr);
  }

  const again = await startServer({ dir });
  try {
    // Every acknowledged opaque token is active.
    for (const t of tokens) {
      const r = await post(again.url, '/oauth2/introspect', rs, { token: t });
      assert.equal(r.json.active, true, `token lost after the crash (${tokens.indexOf(t)} of ${tokens.length})`);
    }
    // A refresh token rotated away before the kill cannot be used again...
    const reused = await post(again.url, '/oauth2/token', pw, { grant_type: 'refresh_token', refresh_token: spent[0] });
    assert.equal(reused.json.error, 'invalid_grant');
    // ...and no newest token works twice. (A rotation in flight at the kill may
    // have committed without its answer arriving: that chain's newest
    // acknowledged token is then spent, which is allowed, and not checked.)
    let worked = 0;
    for (const [, rt] of refresh) {
      const r = await post(again.url, '/oauth2/token', pw, { grant_type: 'refresh_token', refresh_token: rt });
      if (r.status === 200) {
        worked++;
        const twice = await post(again.url, '/oauth2/token', pw, { grant_type: 'refresh_token', refresh_token: rt });
        assert.equal(twice.json.error, 'invalid_grant', 'a refresh token worked twice');
      }
    }
    console.log(`# crash: ${tokens.length} tokens, ${spent.length} rotations before the kill; ${worked} chains continued after it`);
  } finally {
    await again.stop({ keepDir: true });
  }
});
