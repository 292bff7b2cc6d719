// Token endpoint outcomes in the audit log ([audit] token_events): refusals
// with their reason by default, every issued token too with "all", nothing
// with "none". The endpoint only queues them; the server writes them within
// about a second, and on a clean stop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, freshDir, startServer } from './harness.mjs';

const dirs = [];
after(() => { for (const d of dirs) d.remove(); });

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function setup(events) {
  const dir = freshDir();
  dirs.push(dir);
  const a = cli(['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--scope', 'api', '--json'], { db: dir.db });
  assert.equal(a.status, 0, a.stderr);
  const env = events ? { LATCHKEY_AUDIT_TOKEN_EVENTS: events } : {};
  const srv = await startServer({ dir, env });
  return { dir, srv, app: a.json };
}

const grant = (srv, id, secret) => fetch(`${srv.url}/oauth2/token`, {
  method: 'POST',
  headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});

// The audit entries of action, read with the CLI until count are there.
async function entries(dir, action, count) {
  let got = [];
  for (let i = 0; i < 40; i++) {
    const r = cli(['audit', '--action', action, '--json'], { db: dir.db });
    assert.equal(r.status, 0, r.stderr);
    got = r.json;
    if (got.length >= count) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return got;
}

test('by default refusals are audited with their reason, issued tokens are not', async () => {
  const { dir, srv, app } = await setup(null);
  try {
    assert.equal((await grant(srv, app.client_id, app.client_secret)).status, 200);
    assert.equal((await grant(srv, app.client_id, 'wrong')).status, 401);
    const refused = await entries(dir, 'token.refuse', 1);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].actor, `client:${app.client_id}`);
    assert.equal(refused[0].object_id, app.client_id);
    assert.match(refused[0].detail, /grant=client_credentials error=invalid_client/);
    assert.ok(!refused[0].detail.includes('wrong'), 'the presented secret is never written');
    // Give the writer a second more: still no issue entry.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await entries(dir, 'token.issue', 0)).length, 0);
  } finally {
    await srv.stop();
  }
});

test('with "all" every issued token is audited with its scope and subject', async () => {
  const { dir, srv, app } = await setup('all');
  try {
    for (let i = 0; i < 3; i++) assert.equal((await grant(srv, app.client_id, app.client_secret)).status, 200);
    const issued = await entries(dir, 'token.issue', 3);
    assert.equal(issued.length, 3);
    assert.equal(issued[0].object_id, app.client_id);
    assert.match(issued[0].detail, new RegExp(`grant=client_credentials scope=api sub=${app.client_id}`));
  } finally {
    await srv.stop();
  }
});

test('an opaque token is audited once it is stored', async () => {
  const { dir, srv } = await setup('all');
  try {
    const a = cli(['app', 'add', '--name', 'ref', '--grant', 'client_credentials', '--scope', 'api',
      '--token-format', 'opaque', '--json'], { db: dir.db });
    assert.equal(a.status, 0, a.stderr);
    let r;
    for (let i = 0; i < 50; i++) {
      r = await grant(srv, a.json.client_id, a.json.client_secret);
      if (r.status !== 401) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const answers = [r, ...await Promise.all(Array.from({ length: 19 }, () =>
      grant(srv, a.json.client_id, a.json.client_secret)))];
    for (const x of answers) assert.equal(x.status, 200);
    const issued = (await entries(dir, 'token.issue', 20)).filter((e) => e.object_id === a.json.client_id);
    assert.equal(issued.length, 20);
    assert.match(issued[0].detail, new RegExp(`grant=client_credentials scope=api sub=${a.json.client_id}`));
  } finally {
    await srv.stop();
  }
});

test('a refused client_id cannot forge log lines', async () => {
  const { dir, srv } = await setup('refused');
  try {
    const r = await fetch(`${srv.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${encodeURIComponent('x\n2026-01-01 forged')}&client_secret=s`,
    });
    assert.equal(r.status, 401);
    const refused = await entries(dir, 'token.refuse', 1);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].object_id, 'x?2026-01-01 forged');
  } finally {
    await srv.stop();
  }
});

test('what is queued at a clean stop is written', async () => {
  const { dir, srv, app } = await setup('all');
  assert.equal((await grant(srv, app.client_id, app.client_secret)).status, 200);
  await srv.stop();
  assert.equal((await entries(dir, 'token.issue', 1)).length, 1);
});

test('with "none" nothing is audited', async () => {
  const { dir, srv, app } = await setup('none');
  try {
    assert.equal((await grant(srv, app.client_id, app.client_secret)).status, 200);
    assert.equal((await grant(srv, app.client_id, 'wrong')).status, 401);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await entries(dir, 'token.refuse', 0)).length, 0);
    assert.equal((await entries(dir, 'token.issue', 0)).length, 0);
  } finally {
    await srv.stop();
  }
});
