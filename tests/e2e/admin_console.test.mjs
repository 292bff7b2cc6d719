// The admin console's page (DESIGN §6): only an enabled administrator gets
// it. A browser without a session goes through latchkey's own login page and
// comes back to /admin; a signed-in user who is not an administrator gets a
// 403 page; the page's policy lets its script call the API on the same
// origin and nowhere else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, freshDir, startServer } from './harness.mjs';
import { Browser } from './web.mjs';

const PASSWORD = 'correct horse battery staple';

let srv;
let dir;

before(async () => {
  dir = freshDir();
  for (const [name, role] of [['boss', 'admin'], ['worker', 'user']]) {
    const r = cli(['user', 'add', name, '--role', role, '--password-stdin', '--json'], { db: dir.db, input: `${PASSWORD}\n` });
    assert.equal(r.status, 0, r.stderr);
  }
  srv = await startServer({ dir });
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

// GET /admin in a fresh browser, through the login page as username.
async function signInToConsole(username, password = PASSWORD) {
  const b = new Browser(srv.url);
  let r = await b.request('/admin');
  assert.equal(r.status, 302, r.text);
  assert.ok(r.location.startsWith(`${srv.url}/login?request=`), r.location);
  const login = await b.request(r.location);
  assert.equal(login.status, 200, login.text);
  assert.match(login.text, /latchkey administration/);
  r = await b.submit(login, { username, password });
  return { b, r };
}

test('an administrator signs in through the login page and gets the console', async () => {
  const { b, r } = await signInToConsole('boss');
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, `${srv.url}/admin`);
  const page = await b.request(r.location);
  assert.equal(page.status, 200, page.text);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.ok(!csp.includes('unsafe-inline'), csp);
  assert.match(page.text, /\/static\/admin\.js/);
  assert.match(page.headers.get('cache-control'), /no-store/);

  // The session stays: the next visit goes straight to the console.
  const again = await b.request('/admin');
  assert.equal(again.status, 200);

  const js = await b.request('/static/admin.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
});

test('a wrong password stays on the login page and never reaches the console', async () => {
  const { b, r } = await signInToConsole('boss', 'not the password');
  assert.equal(r.status, 200);
  assert.match(r.text, /The username or password is incorrect/);
  const page = await b.request('/admin');
  assert.equal(page.status, 302);
});

test('a signed-in user who is not an administrator gets a 403 page', async () => {
  const { b, r } = await signInToConsole('worker');
  assert.equal(r.status, 303, r.text);
  const page = await b.request(r.location);
  assert.equal(page.status, 403);
  assert.match(page.text, /not an administrator/);
  assert.doesNotMatch(page.text, /admin\.js/);
});

test('a disabled administrator loses the console at once', async () => {
  const r = cli(['user', 'add', 'temp-admin', '--role', 'admin', '--password-stdin'], { db: dir.db, input: `${PASSWORD}\n` });
  assert.equal(r.status, 0, r.stderr);
  const { b } = await signInToConsole('temp-admin');
  assert.equal((await b.request('/admin')).status, 200);
  assert.equal(cli(['user', 'disable', 'temp-admin'], { db: dir.db }).status, 0);
  const page = await b.request('/admin');
  assert.notEqual(page.status, 200);
});
