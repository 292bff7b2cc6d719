// The registry commands of the CLI (DESIGN §6): latchkey app|user|scope|audit,
// each test on a fresh database that the CLI creates and migrates itself.
// Every refusal must exit 1 and change nothing: the application, user and
// scope lists and the audit log are compared before and after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { cli, databaseBytes, databaseUntouched, freshDir } from './harness.mjs';

// The actor the CLI writes into the audit log: "cli:" and the account name.
function expectedActor() {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid-${process.geteuid()}`;
  }
}

// A fresh database and helpers bound to it.
function setup() {
  const d = freshDir();
  const run = (args, opts = {}) => cli(args, { db: d.db, ...opts });
  const ok = (args, opts) => {
    const r = run(args, opts);
    assert.equal(r.status, 0, `latchkey ${args.join(' ')} failed:\n${r.stderr}`);
    return r;
  };
  const snapshot = () => ({
    apps: ok(['app', 'list', '--json']).json,
    users: ok(['user', 'list', '--json']).json,
    scopes: ok(['scope', 'list', '--json']).json,
    audit: ok(['audit', '--limit', '10000', '--json']).json,
  });
  // Exit 1 with a message matching re, and nothing changed.
  const refused = (args, re, opts) => {
    const before = snapshot();
    const r = run(args, opts);
    assert.equal(r.status, 1, `latchkey ${args.join(' ')}: expected exit 1, got ${r.status}\n${r.stderr}`);
    if (re) assert.match(r.stderr, re);
    assert.equal(r.stdout, '', 'a refusal prints nothing on stdout');
    assert.deepEqual(snapshot(), before, `latchkey ${args.join(' ')} changed something`);
    return r;
  };
  return { d, run, ok, refused, snapshot };
}

async function withDb(fn) {
  const c = setup();
  try {
    await fn(c);
  } finally {
    c.d.remove();
  }
}

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

// A self-signed certificate valid for two days; key 'rsa:2048', 'rsa:1024'
// or 'ec' (P-256). Returns the certificate's path (PEM, or DER when der).
function makeCert(dir, name, { key = 'rsa:2048', der = false } = {}) {
  const keyFile = join(dir, `${name}.key`);
  const pem = join(dir, `${name}.pem`);
  const newkey = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', key];
  openssl(['req', '-x509', ...newkey, '-nodes', '-subj', `/CN=${name}`, '-days', '2',
    '-keyout', keyFile, '-out', pem]);
  if (!der) return pem;
  const out = join(dir, `${name}.der`);
  openssl(['x509', '-in', pem, '-outform', 'DER', '-out', out]);
  return out;
}

// A certificate that expired long ago. OpenSSL 3.0's `req -x509` refuses a
// -days value below 1, and `x509 -req -days -1` gives a certificate whose
// notAfter precedes its notBefore, which tests something else. `openssl ca`
// takes explicit -startdate / -enddate, so a minimal CA configuration issues a
// self-signed (-selfsign) certificate valid only on 1 January 2020.
function makeExpiredCert(dir) {
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = ca_default',
    '[ca_default]', `database = ${join(dir, 'index.txt')}`, `new_certs_dir = ${dir}`,
    `serial = ${join(dir, 'serial')}`, 'default_md = sha256', 'policy = policy_any',
    '[policy_any]', 'commonName = supplied', '',
  ].join('\n'));
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=expired',
    '-keyout', join(dir, 'expired.key'), '-out', join(dir, 'expired.csr')]);
  openssl(['ca', '-batch', '-config', join(dir, 'ca.cnf'), '-selfsign', '-keyfile', join(dir, 'expired.key'),
    '-in', join(dir, 'expired.csr'), '-startdate', '20200101000000Z', '-enddate', '20200102000000Z',
    '-out', join(dir, 'expired.pem')], dir);
  return join(dir, 'expired.pem');
}

// RFC 7638 thumbprint of a certificate's public key.
async function certKid(path) {
  const cert = new X509Certificate(readFileSync(path));
  return jose.calculateJwkThumbprint(cert.publicKey.export({ format: 'jwk' }), 'sha256');
}

// add --json, show (by client_id and by name, JSON and text), list,
// rotate-secret, disable, enable, remove: the life of one application.
function lifeCycle(c, addArgs, { secret }) {
  const add = c.ok(['app', 'add', ...addArgs, '--json']);
  const app = add.json;
  assert.ok(app, `app add --json printed JSON:\n${add.stdout}`);
  assert.match(app.client_id, /^[A-Za-z0-9_-]{22,}$/);
  if (secret) assert.match(app.client_secret, /^lk_cs_[A-Za-z0-9_-]{43}$/);
  else assert.equal(app.client_secret, undefined);
  const { client_secret: first, ...settings } = app;
  assert.equal(settings.enabled, true);

  assert.deepEqual(c.ok(['app', 'show', app.client_id, '--json']).json, settings);
  assert.deepEqual(c.ok(['app', 'show', app.name, '--json']).json, settings);
  const text = c.ok(['app', 'show', app.name]).stdout;
  assert.ok(text.includes(app.client_id));
  assert.ok(!first || !text.includes(first), 'show never prints the secret');

  const list = c.ok(['app', 'list', '--json']).json;
  assert.ok(Array.isArray(list));
  assert.deepEqual(list.find((a) => a.client_id === app.client_id), settings);
  const table = c.ok(['app', 'list']).stdout.split('\n');
  assert.match(table[0], /^NAME\s+CLIENT_ID\s+GRANT\s+SCOPES\s+ENABLED$/);
  const row = table.find((l) => l.includes(app.client_id));
  assert.ok(row.startsWith(app.name) && row.includes(app.grant_type) && /yes$/.test(row), row);

  if (secret) {
    const rot = c.ok(['app', 'rotate-secret', app.name, '--json']).json;
    assert.equal(rot.client_id, app.client_id);
    assert.match(rot.client_secret, /^lk_cs_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rot.client_secret, first);
    assert.deepEqual(Object.keys(rot).sort(), ['client_id', 'client_secret']);
  } else {
    c.refused(['app', 'rotate-secret', app.client_id], /no client secret/);
  }

  const off = c.ok(['app', 'disable', app.name, '--json']).json;
  assert.equal(off.enabled, false);
  assert.equal(off.client_id, app.client_id);
  assert.equal(c.ok(['app', 'show', app.client_id, '--json']).json.enabled, false);
  assert.match(c.ok(['app', 'enable', app.client_id]).stdout, /enabled/);
  assert.equal(c.ok(['app', 'show', app.client_id, '--json']).json.enabled, true);

  assert.deepEqual(c.ok(['app', 'remove', app.name, '--json']).json, { removed: app.client_id });
  c.refused(['app', 'show', app.client_id], /no application/);
  assert.deepEqual(c.ok(['app', 'list', '--json']).json, []);
  return app;
}

test('authorization_code (web): the whole life of an application', () => withDb((c) => {
  const app = lifeCycle(c, ['--name', 'Web portal', '--grant', 'authorization_code',
    '--redirect-uri', 'https://portal.example.com/cb', '--redirect-uri', 'https://portal.example.com/cb2',
    '--scope', 'openid profile', '--scope', 'api', '--post-logout-redirect-uri', 'https://portal.example.com/bye',
    '--description', 'The portal', '--website', 'https://portal.example.com',
    '--id-token-alg', 'ES256', '--audience', 'https://api.example.com', '--first-party'], { secret: true });
  assert.equal(app.grant_type, 'authorization_code');
  assert.equal(app.redirect_strategy, 'web');
  assert.equal(app.client_type, 'confidential');
  assert.deepEqual(app.redirect_uris, ['https://portal.example.com/cb', 'https://portal.example.com/cb2']);
  assert.deepEqual(app.post_logout_redirect_uris, ['https://portal.example.com/bye']);
  assert.deepEqual([...app.scopes].sort(), ['api', 'openid', 'profile']);
  assert.equal(app.token_format, 'jwt');
  assert.equal(app.lifetime, 'default');
  assert.equal(app.lifecycle, 'absolute');
  assert.equal(app.id_token_signed_response_alg, 'ES256');
  assert.equal(app.audience, 'https://api.example.com');
  assert.equal(app.first_party, true);
  assert.equal(app.description, 'The portal');
  assert.equal(app.user, null);
}));

test('authorization_code (mobile-title and mobile-localhost): public clients without secrets', () => withDb((c) => {
  const title = lifeCycle(c, ['--name', 'phone', '--grant', 'authorization_code',
    '--redirect-strategy', 'mobile-title'], { secret: false });
  assert.equal(title.client_type, 'public');
  assert.deepEqual(title.redirect_uris, []);
  const local = lifeCycle(c, ['--name', 'desktop', '--grant', 'authorization_code',
    '--redirect-strategy', 'mobile-localhost', '--redirect-uri', 'http://127.0.0.1/callback',
    '--redirect-uri', 'http://[::1]:8400/callback', '--redirect-uri', 'https://localhost/cb'], { secret: false });
  assert.equal(local.client_type, 'public');
  assert.equal(local.redirect_strategy, 'mobile-localhost');
  assert.equal(local.redirect_uris.length, 3);
  // A mobile strategy may still be registered confidential (DESIGN §1).
  const conf = c.ok(['app', 'add', '--name', 'tablet', '--grant', 'authorization_code',
    '--redirect-strategy', 'mobile-title', '--client-type', 'confidential', '--json']).json;
  assert.equal(conf.client_type, 'confidential');
  assert.match(conf.client_secret, /^lk_cs_/);
}));

test('client_credentials: secret, default scope api, options', () => withDb((c) => {
  const app = lifeCycle(c, ['--name', 'billing', '--grant', 'client_credentials', '--lifetime', '60',
    '--lifecycle', 'absolute', '--token-format', 'jwt'], { secret: true });
  assert.deepEqual(app.scopes, ['api']);
  assert.equal(app.scope, 'api');
  assert.equal(app.lifetime, 60);
  assert.equal(app.token_format, 'jwt');
}));

test('bearer_token: tokens never expire and are opaque by default', () => withDb((c) => {
  const app = lifeCycle(c, ['--name', 'scim-connector', '--grant', 'bearer_token', '--scope', 'user_sync'],
    { secret: true });
  assert.equal(app.lifetime, 'never');
  assert.equal(app.token_format, 'opaque');
  assert.deepEqual(app.scopes, ['user_sync']);
}));

test('password and all grants', () => withDb((c) => {
  const pw = lifeCycle(c, ['--name', 'legacy', '--grant', 'password', '--scope', 'openid api'], { secret: true });
  assert.equal(pw.grant_type, 'password');
  const all = lifeCycle(c, ['--name', 'everything', '--grant', 'all',
    '--redirect-uri', 'https://all.example.com/cb'], { secret: true });
  assert.equal(all.grant_type, 'all');
}));

test('client_certificate: RSA PEM, EC P-256 PEM and DER certificates', async () => withDb(async (c) => {
  const rsa = makeCert(c.d.dir, 'rsa-client');
  const app = lifeCycle(c, ['--name', 'reports', '--grant', 'client_certificate', '--public-key', rsa],
    { secret: false });
  assert.deepEqual(app.scopes, ['odata_query']);
  assert.equal(app.client_type, 'confidential');
  assert.equal(app.certificate.key_type, 'RSA-2048');
  assert.match(app.certificate.subject, /CN=rsa-client/);
  assert.equal(app.certificate.kid, await certKid(rsa));
  assert.ok(Date.parse(app.certificate.not_after) > Date.now());

  const ec = makeCert(c.d.dir, 'ec-client', { key: 'ec' });
  const ecApp = c.ok(['app', 'add', '--name', 'ec', '--grant', 'client_certificate', '--public-key', ec,
    '--json']).json;
  assert.equal(ecApp.certificate.key_type, 'EC-P256');
  assert.equal(ecApp.certificate.kid, await certKid(ec));
  assert.equal(ecApp.client_secret, undefined);

  const der = makeCert(c.d.dir, 'der-client', { der: true });
  const derApp = c.ok(['app', 'add', '--name', 'der', '--grant', 'client_certificate', '--public-key', der,
    '--json']).json;
  assert.equal(derApp.certificate.kid, await certKid(der));
  // The certificate can be replaced.
  const upd = c.ok(['app', 'update', 'der', '--public-key', ec, '--json']).json;
  assert.equal(upd.certificate.key_type, 'EC-P256');
}));

test('client_certificate refusals: weak, expired, not a certificate, unreadable, too large', () => withDb((c) => {
  c.ok(['app', 'add', '--name', 'keep', '--grant', 'client_credentials']);
  const add = (file) => ['app', 'add', '--name', 'cert', '--grant', 'client_certificate', '--public-key', file];
  c.refused(add(makeCert(c.d.dir, 'weak', { key: 'rsa:1024' })), /--public-key/);
  c.refused(add(makeExpiredCert(c.d.dir)), /--public-key.*expired/i);
  c.refused(add(join(c.d.dir, 'weak.key')), /--public-key/);
  const missing = join(c.d.dir, 'no-such.pem');
  assert.ok(c.refused(add(missing), /--public-key/).stderr.includes(missing), 'the file is named');
  const big = join(c.d.dir, 'big.pem');
  writeFileSync(big, Buffer.alloc(70 * 1024, 0x41));
  c.refused(add(big), /--public-key.*big\.pem/);
  // The certificate is missing, or given to another grant.
  c.refused(['app', 'add', '--name', 'cert', '--grant', 'client_certificate'], /--public-key/);
  c.refused(['app', 'add', '--name', 'cc', '--grant', 'client_credentials', '--public-key',
    makeCert(c.d.dir, 'other')], /--public-key/);
  // A client-certificate application only gets certificate scopes.
  c.refused([...add(join(c.d.dir, 'other.pem')), '--scope', 'api'], /--scope.*certificate/);
}));

test('redirect URI rules', () => withDb((c) => {
  const code = (...extra) => ['app', 'add', '--name', 'web', '--grant', 'authorization_code', ...extra];
  c.refused(code('--redirect-uri', 'http://web.example.com/cb'), /--redirect-uri.*https/);
  c.refused(code('--redirect-uri', 'https://web.example.com/cb#top'), /--redirect-uri.*fragment/);
  c.refused(code('--redirect-uri', '/cb'), /--redirect-uri.*absolute/);
  c.refused(code(), /--redirect-uri/);
  // Loopback http is for mobile-localhost only.
  c.refused(code('--redirect-uri', 'http://127.0.0.1:8080/cb'), /--redirect-uri.*https/);
  c.refused(code('--redirect-strategy', 'mobile-localhost', '--redirect-uri', 'https://web.example.com/cb'),
    /--redirect-uri.*loopback/);
  c.refused(code('--redirect-strategy', 'mobile-localhost'), /--redirect-uri/);
  c.refused(code('--redirect-strategy', 'mobile-title', '--redirect-uri', 'https://web.example.com/cb'),
    /mobile-title/);
  c.refused(code('--redirect-strategy', 'carrier-pigeon', '--redirect-uri', 'https://web.example.com/cb'),
    /--redirect-strategy/);
  c.refused(code('--redirect-uri', 'https://web.example.com/cb', '--post-logout-redirect-uri', 'http://x.example/'),
    /--post-logout-redirect-uri/);
  // Redirect URIs belong to the authorization code flow.
  c.refused(['app', 'add', '--name', 'svc', '--grant', 'client_credentials', '--redirect-uri',
    'https://web.example.com/cb'], /--redirect-uri/);
  c.ok(code('--redirect-strategy', 'mobile-localhost', '--redirect-uri', 'http://127.0.0.1:8080/cb'));
  // More values than the registry takes is invalid input.
  const many = Array.from({ length: 33 }, (_, i) => ['--redirect-uri', `https://web.example.com/${i}`]).flat();
  c.refused(['app', 'add', '--name', 'many', '--grant', 'authorization_code', ...many], /--redirect-uri/);
}));

test('grant, scope, user, client type, token format and lifetime rules', () => withDb((c) => {
  c.ok(['user', 'add', 'svc', '--password-stdin'], { input: 'a-long-service-password\n' });
  c.ok(['user', 'add', 'gone', '--password-stdin'], { input: 'another-long-password\n' });
  c.ok(['user', 'disable', 'gone']);
  const add = (grant, ...extra) => ['app', 'add', '--name', 'x', '--grant', grant, ...extra];
  const web = ['--redirect-uri', 'https://x.example.com/cb'];
  c.refused(add('implicit'), /--grant.*implicit/);
  c.refused(add('client_credentials', '--scope', 'api nope'), /--scope.*nope/);
  c.refused(add('authorization_code', ...web, '--user', 'svc'), /--user/);
  c.refused(add('password', '--user', 'svc'), /--user/);
  c.refused(add('client_credentials', '--user', 'nobody'), /--user.*nobody/);
  c.refused(add('client_credentials', '--user', 'gone'), /--user.*disabled/);
  c.refused(add('client_credentials', '--user', 'bad name!'), /--user/);
  for (const grant of ['client_credentials', 'bearer_token', 'password']) {
    c.refused(add(grant, '--client-type', 'public'), /--client-type/);
  }
  c.refused(add('all', ...web, '--client-type', 'public'), /--client-type/);
  c.refused(add('client_certificate', '--public-key', makeCert(c.d.dir, 'pub'), '--client-type', 'public'),
    /--client-type/);
  c.refused(add('client_credentials', '--client-type', 'secret'), /--client-type/);
  c.refused(add('client_credentials', '--lifecycle', 'sliding', '--token-format', 'jwt'), /--token-format.*sliding/);
  c.refused(add('client_credentials', '--lifetime', 'never', '--token-format', 'jwt'), /--token-format.*never/);
  c.refused(add('bearer_token', '--token-format', 'jwt'), /--token-format.*bearer_token/);
  c.refused(add('client_credentials', '--token-format', 'paseto'), /--token-format/);
  c.refused(add('client_credentials', '--lifecycle', 'forever'), /--lifecycle/);
  for (const bad of ['0', '-5', 'soon', '12abc', '99999999999']) {
    c.refused(add('client_credentials', '--lifetime', bad), /--lifetime/);
  }
  c.refused(add('client_credentials', '--id-token-alg', 'HS256'), /--id-token-alg/);
  c.refused(add('client_credentials', '--website', 'javascript:alert(1)'), /--website/);
  c.refused(['app', 'add', '--grant', 'client_credentials'], /--name/);
  c.refused(['app', 'add', '--name', 'x'], /--grant/);
  // Duplicate names, also in another case.
  c.ok(add('client_credentials').map((a) => (a === 'x' ? 'Billing' : a)));
  c.refused(add('client_credentials').map((a) => (a === 'x' ? 'Billing' : a)), /already exists/);
  c.refused(add('password').map((a) => (a === 'x' ? 'BILLING' : a)), /already exists/);
  const many = Array.from({ length: 33 }, () => ['--scope', 'api']).flat();
  c.refused(add('client_credentials', ...many), /--scope/);
}));

test('defaults that follow from other options', () => withDb((c) => {
  const add = (name, ...args) => c.ok(['app', 'add', '--name', name, ...args, '--json']).json;
  const bearer = add('b', '--grant', 'bearer_token');
  assert.equal(bearer.lifetime, 'never');
  assert.equal(bearer.token_format, 'opaque');
  const sliding = add('s', '--grant', 'client_credentials', '--lifecycle', 'sliding', '--lifetime', '30');
  assert.equal(sliding.token_format, 'opaque');
  assert.equal(sliding.lifetime, 30);
  const never = add('n', '--grant', 'client_credentials', '--lifetime', 'never');
  assert.equal(never.token_format, 'opaque');
  const plain = add('p', '--grant', 'client_credentials');
  assert.deepEqual(plain.scopes, ['api']);
  assert.equal(plain.token_format, 'jwt');
  assert.equal(plain.client_type, 'confidential');
  assert.equal(plain.id_token_signed_response_alg, 'RS256');
  assert.equal(plain.first_party, false);
  const title = add('t', '--grant', 'authorization_code', '--redirect-strategy', 'mobile-title');
  assert.equal(title.client_type, 'public');
  const cert = add('c', '--grant', 'client_certificate', '--public-key', makeCert(c.d.dir, 'defaults'));
  assert.deepEqual(cert.scopes, ['odata_query']);
}));

test('binding an administrator warns on stderr and succeeds; stdout stays JSON', () => withDb((c) => {
  const admin = c.ok(['user', 'add', 'corp\\root-admin', '--role', 'admin', '--json']);
  assert.match(admin.stderr, /latchkey: warning: .*administrator/);
  assert.equal(admin.json.role, 'admin');
  const r = c.ok(['app', 'add', '--name', 'ops', '--grant', 'client_credentials', '--user', 'corp\\root-admin',
    '--json']);
  assert.match(r.stderr, /^latchkey: warning: .*administrator/m);
  assert.ok(r.json, 'stdout is pure JSON');
  assert.equal(r.json.user, 'corp\\root-admin');
  // The app is bound, so the user cannot be removed; unbinding with --user '' frees it.
  const refused = c.refused(['user', 'remove', 'corp\\root-admin'], /ops/);
  assert.match(refused.stderr, /bound/);
  const upd = c.ok(['app', 'update', 'ops', '--user', '', '--json']).json;
  assert.equal(upd.user, null);
  c.ok(['user', 'remove', 'corp\\root-admin']);
}));

test('app update changes only what is given and is checked as a whole', () => withDb((c) => {
  const app = c.ok(['app', 'add', '--name', 'site', '--grant', 'authorization_code', '--redirect-uri',
    'https://site.example.com/cb', '--json']).json;
  let u = c.ok(['app', 'update', 'site', '--description', 'Our site', '--first-party', '--scope', 'openid',
    '--json']).json;
  assert.equal(u.description, 'Our site');
  assert.equal(u.first_party, true);
  assert.deepEqual(u.scopes, ['openid']);
  assert.deepEqual(u.redirect_uris, app.redirect_uris);
  u = c.ok(['app', 'update', app.client_id, '--no-first-party', '--name', 'Site', '--json']).json;
  assert.equal(u.first_party, false);
  assert.equal(u.name, 'Site');
  assert.equal(u.client_id, app.client_id);
  assert.match(c.ok(['app', 'update', 'Site', '--lifetime', '15']).stdout, /15 minutes/);
  c.refused(['app', 'update', 'Site', '--redirect-uri', 'http://site.example.com/cb'], /--redirect-uri/);
  c.refused(['app', 'update', 'Site', '--redirect-strategy', 'mobile-title'], /--redirect-uri|mobile-title/);
  c.refused(['app', 'update', 'Site', '--client-type', 'public'], /--client-type/);
  c.refused(['app', 'update', 'no-such-app', '--description', 'x'], /no application/);
  assert.equal(c.run(['app', 'add', '--name', 'y', '--grant', 'password', '--no-first-party']).status, 2);
}));

test('app add and rotate-secret in text show the secret once', () => withDb((c) => {
  const add = c.ok(['app', 'add', '--name', 'text-app', '--grant', 'client_credentials']);
  const id = add.stdout.match(/client_id:\s+(\S+)/)[1];
  const secret = add.stdout.match(/client_secret:\s+(lk_cs_\S+)/)[1];
  assert.match(add.stdout, /not be shown again/);
  const rot = c.ok(['app', 'rotate-secret', id, '--grace', '10']);
  const next = rot.stdout.match(/(lk_cs_[A-Za-z0-9_-]{43})/)[1];
  assert.notEqual(next, secret);
  assert.match(rot.stdout, /10 minutes/);
  c.refused(['app', 'rotate-secret', id, '--grace', 'soon'], /--grace/);
  c.refused(['app', 'rotate-secret', id, '--grace', '-1'], /--grace/);
  c.refused(['app', 'rotate-secret', 'missing'], /no application/);
  assert.ok(!c.ok(['app', 'show', id]).stdout.includes('lk_cs_'));
}));

test('users: add, show, list, passwd, disable, enable, remove', () => withDb((c) => {
  const alice = c.ok(['user', 'add', 'alice', '--email', 'alice@example.com', '--email-verified', '--name',
    'Alice Liddell', '--given-name', 'Alice', '--family-name', 'Liddell', '--phone', '+44 20 7946 0000', '--json']);
  const a = alice.json;
  assert.equal(a.user, 'local\\alice');
  assert.equal(a.email, 'alice@example.com');
  assert.equal(a.email_verified, true);
  assert.equal(a.display_name, 'Alice Liddell');
  assert.equal(a.phone_number, '+44 20 7946 0000');
  assert.equal(a.role, 'user');
  assert.equal(a.has_password, true);
  assert.equal(typeof a.password, 'string');
  assert.equal(a.password.length, 24);
  assert.equal(a.password_hash, undefined);

  const bob = c.ok(['user', 'add', 'Corp\\bob', '--password-stdin', '--json'], { input: 'correct horse battery\r\n' });
  assert.equal(bob.json.user, 'corp\\bob');
  assert.equal(bob.json.password, undefined);
  assert.ok(!bob.stdout.includes('correct horse') && !bob.stderr.includes('correct horse'));

  const { password: _p, ...shown } = a;
  assert.deepEqual(c.ok(['user', 'show', 'alice', '--json']).json, shown);
  assert.deepEqual(c.ok(['user', 'show', 'local\\alice', '--json']).json, shown);
  assert.match(c.ok(['user', 'show', 'corp\\bob']).stdout, /corp\\bob/);
  const list = c.ok(['user', 'list', '--json']).json;
  assert.deepEqual(list.map((u) => u.user).sort(), ['corp\\bob', 'local\\alice']);
  const table = c.ok(['user', 'list']).stdout;
  assert.match(table, /^USER\s+ROLE\s+ENABLED/);
  assert.match(table, /local\\alice\s+user\s+yes\s+alice@example\.com/);

  const gen = c.ok(['user', 'passwd', 'alice']);
  const pw = gen.stdout.match(/password:\s+(\S+)/)[1];
  assert.equal(pw.length, 24);
  assert.notEqual(pw, a.password);
  c.ok(['user', 'passwd', 'corp\\bob', '--password-stdin'], { input: 'a brand new password\n' });
  c.refused(['user', 'passwd', 'corp\\bob', '--password-stdin'], /no password on standard input/, { input: '' });
  c.refused(['user', 'passwd', 'corp\\bob', '--password-stdin'], /password/, { input: '\n' });
  c.refused(['user', 'passwd', 'corp\\bob', '--password-stdin'], /longer than/, { input: `${'x'.repeat(1025)}\n` });
  c.refused(['user', 'passwd', 'nobody'], /no user/);

  assert.equal(c.ok(['user', 'disable', 'alice', '--json']).json.enabled, false);
  assert.equal(c.ok(['user', 'show', 'alice', '--json']).json.enabled, false);
  assert.match(c.ok(['user', 'enable', 'alice']).stdout, /enabled/);
  assert.equal(c.ok(['user', 'show', 'alice', '--json']).json.enabled, true);
  assert.deepEqual(c.ok(['user', 'remove', 'Corp\\bob', '--json']).json, { removed: 'corp\\bob' });
  c.refused(['user', 'show', 'corp\\bob'], /no user/);
  c.refused(['user', 'remove', 'corp\\bob'], /no user/);
}));

test('user refusals: duplicates, bad values, empty standard input', () => withDb((c) => {
  c.ok(['user', 'add', 'alice', '--email', 'alice@example.com']);
  c.refused(['user', 'add', 'Alice'], /already exists/);
  c.refused(['user', 'add', 'LOCAL\\ALICE'], /already exists/);
  c.refused(['user', 'add', 'alice2', '--email', 'ALICE@example.com'], /--email/);
  c.refused(['user', 'add', 'carol', '--email', 'not-an-email'], /--email/);
  c.refused(['user', 'add', 'carol', '--email-verified'], /--email-verified/);
  c.refused(['user', 'add', 'carol', '--role', 'root'], /--role/);
  c.refused(['user', 'add', 'carol', '--phone', 'call me'], /--phone/);
  c.refused(['user', 'add', 'bad user'], /user name/);
  c.refused(['user', 'add', 'carol', '--password-stdin'], /no password on standard input/, { input: '' });
}));

test('scopes: add, list, remove, and the rules on removal', () => withDb((c) => {
  c.ok(['scope', 'add', 'reports:read', '--description', 'Read the reports']);
  let scopes = c.ok(['scope', 'list', '--json']).json;
  const mine = scopes.find((s) => s.name === 'reports:read');
  assert.deepEqual(mine, { name: 'reports:read', description: 'Read the reports', certificate: false, builtin: false });
  for (const b of ['api', 'login', 'user_sync', 'odata_query', 'rpa', 'openid', 'profile', 'email', 'phone',
    'address', 'offline_access', 'register', 'admin']) {
    assert.ok(scopes.some((s) => s.name === b && s.builtin), b);
  }
  assert.ok(scopes.find((s) => s.name === 'odata_query').certificate);
  const table = c.ok(['scope', 'list']).stdout;
  assert.match(table, /^NAME\s+CERTIFICATE\s+DESCRIPTION/);
  assert.match(table, /reports:read\s+-\s+Read the reports/);
  assert.match(table, /odata_query\s+yes/);

  c.ok(['app', 'add', '--name', 'dashboard', '--grant', 'client_credentials', '--scope', 'reports:read']);
  c.refused(['scope', 'remove', 'reports:read'], /dashboard/);
  c.refused(['scope', 'remove', 'api'], /built in/);
  c.refused(['scope', 'remove', 'nothing'], /no scope/);
  c.refused(['scope', 'add', 'reports:read'], /already exists/);
  c.refused(['scope', 'add', 'bad scope'], /NAME/);
  c.ok(['app', 'remove', 'dashboard']);
  assert.match(c.ok(['scope', 'remove', 'reports:read']).stdout, /removed/);
  scopes = c.ok(['scope', 'list', '--json']).json;
  assert.ok(!scopes.some((s) => s.name === 'reports:read'));

  // A certificate scope is then given to client-certificate applications.
  c.ok(['scope', 'add', 'files:read', '--certificate', '--description', 'Files']);
  assert.equal(c.ok(['scope', 'list', '--json']).json.find((s) => s.name === 'files:read').certificate, true);
  const cert = makeCert(c.d.dir, 'scoped');
  const all = c.ok(['app', 'add', '--name', 'c1', '--grant', 'client_certificate', '--public-key', cert,
    '--json']).json;
  assert.deepEqual([...all.scopes].sort(), ['files:read', 'odata_query']);
  const one = c.ok(['app', 'add', '--name', 'c2', '--grant', 'client_certificate', '--public-key', cert,
    '--scope', 'files:read', '--json']).json;
  assert.deepEqual(one.scopes, ['files:read']);
}));

test('audit lists the changes newest first and never holds a secret', () => withDb((c) => {
  const app = c.ok(['app', 'add', '--name', 'audited', '--grant', 'client_credentials', '--json']).json;
  const rotated = c.ok(['app', 'rotate-secret', 'audited', '--json']).json.client_secret;
  const generated = c.ok(['user', 'add', 'dave', '--json']).json.password;
  const typed = 'typed-password-1234567';
  c.ok(['user', 'add', 'erin', '--password-stdin'], { input: `${typed}\n` });
  c.ok(['user', 'passwd', 'dave', '--password-stdin'], { input: 'dave-second-password\n' });
  c.ok(['scope', 'add', 'audit:test']);
  c.ok(['app', 'disable', 'audited']);

  const log = c.ok(['audit', '--json']).json;
  assert.deepEqual(log.map((e) => e.action), ['app.disable', 'scope.add', 'user.passwd', 'user.add', 'user.add',
    'app.rotate-secret', 'app.add']);
  for (let i = 1; i < log.length; i++) assert.ok(log[i - 1].id > log[i].id, 'newest first');
  for (const e of log) {
    assert.equal(e.actor, expectedActor());
    assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  assert.equal(log.at(-1).object_type, 'app');
  assert.equal(log.at(-1).object_id, app.client_id);
  assert.equal(log[2].object_id, 'local\\dave');
  assert.equal(c.ok(['audit', '--limit', '2', '--json']).json.length, 2);
  const text = c.ok(['audit']).stdout.trim().split('\n');
  assert.equal(text.length, log.length);
  assert.match(text[0], new RegExp(`^\\S+Z ${expectedActor()} app\\.disable app ${app.client_id}`));
  c.refused(['audit', '--limit', '0'], /--limit/);
  c.refused(['audit', '--limit', 'many'], /--limit/);

  // Neither the audit log nor the database (its file, or a dump) holds a secret or a password.
  const out = c.ok(['audit', '--limit', '10000', '--json']).stdout;
  const bytes = databaseBytes(c.d);
  assert.ok(bytes.includes(app.client_id), 'the client_id is stored');
  for (const secret of [app.client_secret, rotated, generated, typed, 'dave-second-password']) {
    assert.ok(!out.includes(secret), 'no secret in the audit log');
    assert.ok(!bytes.includes(secret), 'no secret in the database');
  }
}));

test('usage errors exit 2, --help exits 0 for every command', () => withDb((c) => {
  const usage = [
    ['app', 'add', '--bogus'], ['app', 'add', '--name'], ['app', 'add', '--name', 'x', '--grant', 'password', 'extra'],
    ['app', 'list', '--bogus'], ['app', 'list', 'extra'], ['app', 'show'], ['app', 'show', 'a', 'b'],
    ['app', 'update'], ['app', 'update', 'x', '--bogus'], ['app', 'disable'], ['app', 'enable'], ['app', 'remove'],
    ['app', 'rotate-secret'], ['app', 'rotate-secret', 'x', '--grace'], ['app', 'bogus'], ['app'],
    ['user', 'add'], ['user', 'add', 'x', '--bogus'], ['user', 'list', 'x'], ['user', 'show'], ['user', 'disable'],
    ['user', 'enable'], ['user', 'remove'], ['user', 'passwd'], ['user', 'passwd', 'x', '--json'], ['user', 'bogus'],
    ['scope', 'add'], ['scope', 'add', 'x', '--json'], ['scope', 'list', '--bogus'], ['scope', 'remove'],
    ['scope', 'remove', 'a', 'b'], ['scope', 'bogus'], ['audit', '--bogus'], ['audit', 'extra'], ['audit', '--limit'],
  ];
  for (const args of usage) {
    const r = c.run(args);
    assert.equal(r.status, 2, `latchkey ${args.join(' ')}: expected 2, got ${r.status}\n${r.stderr}`);
  }
  // A usage error happens before anything is opened.
  assert.ok(databaseUntouched(c.d));

  const commands = ['app add', 'app list', 'app show', 'app update', 'app disable', 'app enable', 'app remove',
    'app rotate-secret', 'user add', 'user list', 'user show', 'user disable', 'user enable', 'user remove',
    'user passwd', 'scope add', 'scope list', 'scope remove', 'audit'];
  for (const cmd of commands) {
    const r = c.run([...cmd.split(' '), '--help']);
    assert.equal(r.status, 0, `${cmd} --help`);
    assert.match(r.stdout, new RegExp(`^usage: latchkey ${cmd}`));
  }
  assert.match(c.run(['app', 'add', '--help']).stdout, /--redirect-strategy[\s\S]*--first-party/);
  assert.match(c.run(['app', 'update', 'x', '--help']).stdout, /--no-first-party/);
  assert.match(c.run(['user', 'add', '--help']).stdout, /--password-stdin/);
  assert.ok(databaseUntouched(c.d), '--help opens no database');

  // --help as the value of an option is refused rather than acting on a default database.
  const r = cli(['--db', `sqlite:${join(c.d.dir, 'other.db')}`, 'app', 'add', '--name', '--help', '--grant',
    'password'], { cwd: c.d.dir });
  assert.equal(r.status, 2);
  assert.ok(!existsSync(join(c.d.dir, 'other.db')) && !existsSync(join(c.d.dir, 'latchkey.db')));

  // Options may follow the positional argument, and "--" ends the options.
  c.ok(['scope', 'add', '--description', 'dash', '--', '-odd']);
  assert.ok(c.ok(['scope', 'list', '--json']).json.some((s) => s.name === '-odd'));
}));
