// The token endpoint against the real server (RFC 6749 §3.2, §4.4, §5; RFC
// 7523; DESIGN §2): client credentials with openid-client and every client
// authentication method, each access token verified independently against
// the published JWKS; the jwt-bearer grant; bearer-token applications and
// `latchkey app token`; opaque tokens; and, with raw requests, every error
// the RFCs name, with its exact code, status and headers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import * as jose from 'jose';
import { cli, freshDir, startServer } from './harness.mjs';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEFAULT_LIFETIME = 3600;

let srv;
let dir;
let jwks;
const apps = {};
const users = {};
const certs = {};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Math.floor(Date.now() / 1000);
const b64u = (s) => Buffer.from(s).toString('base64url');
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

function cliOk(args) {
  const r = cli(args, { db: dir.db });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

function addApp(name, args) {
  apps[name] = cliOk(['app', 'add', '--name', name, ...args, '--json']).json;
  return apps[name];
}

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

// A self-signed certificate valid for two days with its private key.
function makeCert(name, key = 'rsa:2048') {
  const keyFile = join(dir.dir, `${name}.key`);
  const pem = join(dir.dir, `${name}.pem`);
  const newkey = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', key];
  openssl(['req', '-x509', ...newkey, '-nodes', '-subj', `/CN=${name}`, '-days', '2', '-keyout', keyFile, '-out', pem]);
  return { pem, keyFile, alg: key === 'ec' ? 'ES256' : 'RS256' };
}

// OpenSSL's `ca -startdate/-enddate` sets any validity period, which `req
// -x509` cannot: a certificate valid from `start` to `end` (Date objects).
function makeTimedCert(name, start, end) {
  const d = join(dir.dir, `ca-${name}`);
  execFileSync('mkdir', ['-p', d]);
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), '01\n');
  writeFileSync(join(d, 'ca.cnf'), [
    '[ca]', 'default_ca = ca_default',
    '[ca_default]', `database = ${join(d, 'index.txt')}`, `new_certs_dir = ${d}`,
    `serial = ${join(d, 'serial')}`, 'default_md = sha256', 'policy = policy_any',
    '[policy_any]', 'commonName = supplied', '',
  ].join('\n'));
  const asn1 = (t) => `${t.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  const keyFile = join(d, 'cert.key');
  const pem = join(d, 'cert.pem');
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`,
    '-keyout', keyFile, '-out', join(d, 'cert.csr')]);
  openssl(['ca', '-batch', '-config', join(d, 'ca.cnf'), '-selfsign', '-keyfile', keyFile,
    '-in', join(d, 'cert.csr'), '-startdate', asn1(start), '-enddate', asn1(end), '-out', pem], d);
  return { pem, keyFile, alg: 'RS256' };
}

async function certKid(pem) {
  const cert = new X509Certificate(readFileSync(pem));
  return jose.calculateJwkThumbprint(cert.publicKey.export({ format: 'jwk' }), 'sha256');
}

const privateKey = (c) => jose.importPKCS8(readFileSync(c.keyFile, 'utf8'), c.alg);

// POSTs a form (object, URLSearchParams or string) to the token endpoint.
// Every answer must carry Cache-Control: no-store and Pragma: no-cache.
async function token(form = {}, headers = {}, { method = 'POST', contentType } = {}) {
  const init = { method, headers: { ...headers } };
  if (method !== 'GET') {
    init.headers['content-type'] = contentType ?? 'application/x-www-form-urlencoded';
    init.body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  }
  const r = await fetch(`${srv.url}/oauth2/token`, init);
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  assert.equal(r.headers.get('cache-control'), 'no-store', `Cache-Control on ${r.status} ${text}`);
  assert.equal(r.headers.get('pragma'), 'no-cache', `Pragma on ${r.status} ${text}`);
  return { status: r.status, headers: r.headers, json, text };
}

// An RFC 6749 §5.2 error: status, code, and a Basic challenge exactly when wanted.
function assertError(r, status, code, { basicChallenge = false } = {}) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.error, code, r.text);
  assert.equal(typeof r.json.error_description, 'string');
  const www = r.headers.get('www-authenticate');
  if (basicChallenge) assert.match(www ?? '', /^Basic realm="latchkey"/);
  else assert.equal(www, null);
}

const cc = (name, extra = {}) => token({ grant_type: 'client_credentials', ...extra },
  { authorization: basic(apps[name].client_id, apps[name].client_secret) });

// Polls until fn() is true (changes reach the server within seconds).
async function until(fn, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// A client assertion signed with the key of certificate c for app `name`.
async function assertion(name, c, { claims = {}, header = {}, key } = {}) {
  const id = apps[name].client_id;
  const payload = { iss: id, sub: id, aud: srv.url, jti: randomBytes(16).toString('hex'), iat: now(), exp: now() + 120, ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new jose.SignJWT(payload).setProtectedHeader({ alg: c.alg, ...header }).sign(key ?? await privateKey(c));
}

const pkjwt = (name, jwt, extra = {}) => token({
  grant_type: 'client_credentials', client_id: apps[name].client_id,
  client_assertion_type: ASSERTION_TYPE, client_assertion: jwt, ...extra,
});

// Verifies a JWT access token independently (RFC 9068) and returns its claims.
async function verifyAccessToken(at, { sub, clientId, scope, lifetime = DEFAULT_LIFETIME, aud = srv.url }) {
  const { payload, protectedHeader } = await jose.jwtVerify(at, jwks, { issuer: srv.url, audience: aud, typ: 'at+jwt' });
  assert.ok(protectedHeader.kid);
  assert.equal(payload.sub, sub);
  assert.equal(payload.client_id, clientId);
  assert.equal(payload.scope, scope);
  assert.equal(payload.exp - payload.iat, lifetime);
  assert.ok(Math.abs(payload.iat - now()) < 30);
  assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/);
  return payload;
}

async function config(name, auth, metadata = {}) {
  return client.discovery(new URL(srv.url), apps[name].client_id, metadata, auth,
    { execute: [client.allowInsecureRequests] });
}

before(async () => {
  dir = freshDir();
  // Applications registered before the server starts are known at once.
  users.svc = cliOk(['user', 'add', 'svc-billing', '--json']).json;
  addApp('svc', ['--grant', 'client_credentials', '--scope', 'api openid email', '--lifetime', '15']);
  addApp('bound', ['--grant', 'client_credentials', '--scope', 'api', '--user', 'svc-billing']);
  addApp('post', ['--grant', 'client_credentials', '--scope', 'api']);
  addApp('webapp', ['--grant', 'authorization_code', '--redirect-uri', 'https://app.example/cb']);
  addApp('scim', ['--grant', 'bearer_token', '--scope', 'user_sync']);
  addApp('sliding', ['--grant', 'client_credentials', '--scope', 'api', '--lifecycle', 'sliding', '--lifetime', '30']);
  addApp('never', ['--grant', 'client_credentials', '--scope', 'api', '--lifetime', 'never']);
  addApp('aud', ['--grant', 'client_credentials', '--scope', 'api', '--audience', 'https://api.example']);
  addApp('opaque', ['--grant', 'client_credentials', '--scope', 'api', '--token-format', 'opaque']);
  certs.rsa = makeCert('rsa-client');
  certs.ec = makeCert('ec-client', 'ec');
  certs.other = makeCert('other-client');
  addApp('cert', ['--grant', 'client_certificate', '--public-key', certs.rsa.pem]);
  addApp('certec', ['--grant', 'client_certificate', '--public-key', certs.ec.pem]);
  srv = await startServer({ dir });
  jwks = jose.createRemoteJWKSet(new URL(`${srv.url}/oauth2/jwks`));
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('client_secret_basic with openid-client: a verifiable RFC 9068 token', async () => {
  const cfg = await config('svc', client.ClientSecretBasic(apps.svc.client_secret));
  const t = await client.clientCredentialsGrant(cfg, { scope: 'email api' });
  assert.equal(t.token_type.toLowerCase(), 'bearer');
  assert.equal(t.expires_in, 15 * 60);
  // Granted scopes come in the order of the application's list.
  assert.equal(t.scope, 'api email');
  await verifyAccessToken(t.access_token, { sub: apps.svc.client_id, clientId: apps.svc.client_id, scope: 'api email', lifetime: 900 });
  // No scope requested: every allowed scope.
  const all = await client.clientCredentialsGrant(cfg);
  assert.equal(all.scope, 'api openid email');
});

test('client_secret_post with openid-client, and a bound user as subject', async () => {
  const cfg = await config('post', client.ClientSecretPost(apps.post.client_secret));
  const t = await client.clientCredentialsGrant(cfg, { scope: 'api' });
  await verifyAccessToken(t.access_token, { sub: apps.post.client_id, clientId: apps.post.client_id, scope: 'api' });
  const b = await client.clientCredentialsGrant(await config('bound', client.ClientSecretPost(apps.bound.client_secret)));
  await verifyAccessToken(b.access_token, { sub: String(users.svc.id), clientId: apps.bound.client_id, scope: 'api' });
});

test('private_key_jwt with openid-client: RSA and EC certificates, with and without kid', async () => {
  const rsaKey = await privateKey(certs.rsa);
  const kid = await certKid(certs.rsa.pem);
  for (const auth of [client.PrivateKeyJwt(rsaKey), client.PrivateKeyJwt({ key: rsaKey, kid })]) {
    const cfg = await config('cert', auth, { token_endpoint_auth_method: 'private_key_jwt' });
    const t = await client.clientCredentialsGrant(cfg);
    assert.equal(t.scope, 'odata_query');
    await verifyAccessToken(t.access_token, { sub: apps.cert.client_id, clientId: apps.cert.client_id, scope: 'odata_query' });
  }
  const ec = await config('certec', client.PrivateKeyJwt(await privateKey(certs.ec)), { token_endpoint_auth_method: 'private_key_jwt' });
  const t = await client.clientCredentialsGrant(ec);
  await verifyAccessToken(t.access_token, { sub: apps.certec.client_id, clientId: apps.certec.client_id, scope: 'odata_query' });
  // aud may be the token endpoint, as a string or in an array; x5t#S256 may name the certificate.
  const x5t = new X509Certificate(readFileSync(certs.rsa.pem)).fingerprint256.replace(/:/g, '');
  const header = { 'x5t#S256': Buffer.from(x5t, 'hex').toString('base64url') };
  assert.equal((await pkjwt('cert', await assertion('cert', certs.rsa, { claims: { aud: `${srv.url}/oauth2/token` }, header }))).status, 200);
  assert.equal((await pkjwt('cert', await assertion('cert', certs.rsa, { claims: { aud: ['https://x', srv.url] } }))).status, 200);
  // Without client_id the assertion's iss names the application.
  const noId = await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion('cert', certs.rsa) });
  assert.equal(noId.status, 200, noId.text);
});

test('private_key_jwt attacks are invalid_client', async () => {
  const good = await assertion('cert', certs.rsa);
  assert.equal((await pkjwt('cert', good)).status, 200);
  const refused = async (jwt, extra) => assertError(await pkjwt('cert', jwt, extra), 401, 'invalid_client');
  // Replayed.
  const replay = await pkjwt('cert', good);
  assertError(replay, 401, 'invalid_client');
  assert.equal(replay.json.error_description, 'assertion already used');
  // exp too far ahead, expired, missing; wrong aud; iss != sub; no jti.
  await refused(await assertion('cert', certs.rsa, { claims: { exp: now() + 3600 } }));
  await refused(await assertion('cert', certs.rsa, { claims: { exp: now() - 120, iat: now() - 300 } }));
  await refused(await assertion('cert', certs.rsa, { claims: { exp: undefined } }));
  await refused(await assertion('cert', certs.rsa, { claims: { aud: 'https://elsewhere.example' } }));
  await refused(await assertion('cert', certs.rsa, { claims: { aud: `${srv.url}/oauth2/introspect` } }));
  await refused(await assertion('cert', certs.rsa, { claims: { sub: 'someone-else' } }));
  await refused(await assertion('cert', certs.rsa, { claims: { jti: undefined } }));
  await refused(await assertion('cert', certs.rsa, { claims: { nbf: now() + 600 } }));
  // client_id names another application than the assertion's iss.
  await refused(await assertion('cert', certs.rsa), { client_id: apps.certec.client_id });
  // alg none.
  const id = apps.cert.client_id;
  const claims = { iss: id, sub: id, aud: srv.url, jti: randomBytes(8).toString('hex'), exp: now() + 60 };
  await refused(`${b64u(JSON.stringify({ alg: 'none' }))}.${b64u(JSON.stringify(claims))}.`);
  // HS256 with the certificate's public key (PEM) as the HMAC secret.
  const pub = new X509Certificate(readFileSync(certs.rsa.pem)).publicKey.export({ type: 'spki', format: 'pem' });
  await refused(await new jose.SignJWT({ ...claims, jti: 'hs' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(pub)));
  // Signed by another key, with or without the kid of the registered one.
  const other = await privateKey(certs.other);
  await refused(await assertion('cert', certs.rsa, { key: other }));
  await refused(await assertion('cert', certs.rsa, { key: other, header: { kid: await certKid(certs.rsa.pem) } }));
  // The right key, but a kid that names another key.
  await refused(await assertion('cert', certs.rsa, { header: { kid: await certKid(certs.other.pem) } }));
  // Missing or wrong assertion type.
  assertError(await pkjwt('cert', good, { client_assertion_type: 'urn:example:saml' }), 401, 'invalid_client');
  assertError(await token({ grant_type: 'client_credentials', client_id: id, client_assertion: good }), 400, 'invalid_request');
  // An application without a certificate cannot use private_key_jwt.
  assertError(await pkjwt('svc', await assertion('svc', certs.rsa)), 401, 'invalid_client');
});

test('private_key_jwt with a certificate outside its validity period', async () => {
  const soon = makeTimedCert('expiring', new Date(Date.now() - 86400_000), new Date(Date.now() + 6000));
  const later = makeTimedCert('future', new Date(Date.now() + 86400_000), new Date(Date.now() + 2 * 86400_000));
  addApp('expiring', ['--grant', 'client_certificate', '--public-key', soon.pem]);
  addApp('future', ['--grant', 'client_certificate', '--public-key', later.pem]);
  // The server learns of the new applications within a second or two.
  await until(async () => (await pkjwt('expiring', await assertion('expiring', soon))).status === 200, 4500, 'the expiring app');
  assertError(await pkjwt('future', await assertion('future', later)), 401, 'invalid_client');
  await sleep(Math.max(0, Date.parse(new X509Certificate(readFileSync(soon.pem)).validTo) - Date.now() + 1100));
  assertError(await pkjwt('expiring', await assertion('expiring', soon)), 401, 'invalid_client');
});

test('jwt-bearer grant (RFC 7523 §2.1) for certificate applications', async () => {
  const jwt = await assertion('cert', certs.rsa);
  const r = await token({ grant_type: JWT_BEARER, assertion: jwt });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.token_type, 'Bearer');
  await verifyAccessToken(r.json.access_token, { sub: apps.cert.client_id, clientId: apps.cert.client_id, scope: 'odata_query' });
  // The same assertion again, a bad one, a missing one.
  assertError(await token({ grant_type: JWT_BEARER, assertion: jwt }), 400, 'invalid_grant');
  assertError(await token({ grant_type: JWT_BEARER, assertion: await assertion('cert', certs.rsa, { claims: { exp: now() + 7200 } }) }), 400, 'invalid_grant');
  assertError(await token({ grant_type: JWT_BEARER, assertion: 'not.a.jwt' }), 400, 'invalid_grant');
  assertError(await token({ grant_type: JWT_BEARER }), 400, 'invalid_request');
  // With client authentication too, it must be the same application.
  const both = await token({ grant_type: JWT_BEARER, assertion: await assertion('cert', certs.rsa), client_id: apps.cert.client_id,
    client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion('cert', certs.rsa) });
  assert.equal(both.status, 200, both.text);
  assertError(await token({ grant_type: JWT_BEARER, assertion: await assertion('cert', certs.rsa), client_id: apps.certec.client_id,
    client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion('certec', certs.ec) }), 400, 'invalid_grant');
  // Other applications may not use the grant.
  const basicSvc = { authorization: basic(apps.svc.client_id, apps.svc.client_secret) };
  assertError(await token({ grant_type: JWT_BEARER, assertion: jwt }, basicSvc), 400, 'unauthorized_client');
});

test('grant_type errors: missing, unsupported, not registered', async () => {
  const auth = { authorization: basic(apps.svc.client_id, apps.svc.client_secret) };
  const missing = await token({}, auth);
  assertError(missing, 400, 'invalid_request');
  assert.match(missing.json.error_description, /grant_type/);
  assertError(await token({ client_id: apps.post.client_id, client_secret: apps.post.client_secret }), 400, 'invalid_request');
  assertError(await token({}), 400, 'invalid_request');
  for (const g of ['implicit', 'urn:example:grant'])
    assertError(await token({ grant_type: g }, auth), 400, 'unsupported_grant_type');
  // Grants latchkey serves, but not to this client-credentials application.
  for (const g of ['password', 'authorization_code', 'refresh_token'])
    assertError(await token({ grant_type: g }, auth), 400, 'unauthorized_client');
  // A registered client whose grant type is not client credentials.
  assertError(await cc('webapp'), 400, 'unauthorized_client');
});

test('invalid_scope: nothing allowed requested, or a malformed value', async () => {
  assertError(await cc('svc', { scope: 'admin' }), 400, 'invalid_scope');
  assertError(await cc('svc', { scope: 'api "x"' }), 400, 'invalid_scope');
  // Unknown scopes next to allowed ones are dropped.
  const r = await cc('svc', { scope: 'api admin' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.scope, 'api');
});

test('invalid_client: unknown client, wrong secret; WWW-Authenticate only after Basic', async () => {
  const { client_id: id, client_secret: secret } = apps.svc;
  const g = { grant_type: 'client_credentials' };
  assertError(await token(g, { authorization: basic('no-such-client', secret) }), 401, 'invalid_client', { basicChallenge: true });
  assertError(await token(g, { authorization: basic(id, `${secret}x`) }), 401, 'invalid_client', { basicChallenge: true });
  assertError(await token(g, { authorization: basic(id, '') }), 401, 'invalid_client', { basicChallenge: true });
  assertError(await token(g, { authorization: 'Basic !!!' }), 401, 'invalid_client', { basicChallenge: true });
  assertError(await token(g, { authorization: 'Bearer abc' }), 401, 'invalid_client', { basicChallenge: true });
  assertError(await token({ ...g, client_id: 'no-such-client', client_secret: secret }), 401, 'invalid_client');
  assertError(await token({ ...g, client_id: id, client_secret: 'wrong' }), 401, 'invalid_client');
  // A confidential client that sends no secret.
  assertError(await token({ ...g, client_id: id }), 401, 'invalid_client');
  const r = await token({ ...g, client_id: id, client_secret: 'wrong' });
  assert.equal(r.json.error_description, 'client authentication failed');
});

test('Basic credentials are form-urlencoded first (RFC 6749 §2.3.1)', async () => {
  const { client_id: id, client_secret: secret } = apps.svc;
  const encoded = secret.replace(/_/g, '%5F');
  assert.notEqual(encoded, secret);
  const r = await token({ grant_type: 'client_credentials' }, { authorization: basic(id.replace(/-/g, '%2D'), encoded) });
  assert.equal(r.status, 200, r.text);
  // A '+' in the encoded form is a space, so it is not the secret.
  assertError(await token({ grant_type: 'client_credentials' }, { authorization: basic(id, `${secret}+`) }), 401, 'invalid_client', { basicChallenge: true });
});

test('malformed requests are invalid_request; GET is 405', async () => {
  const { client_id: id, client_secret: secret } = apps.svc;
  const auth = { authorization: basic(id, secret) };
  // Two client authentication methods.
  assertError(await token({ grant_type: 'client_credentials', client_id: id, client_secret: secret }, auth), 400, 'invalid_request');
  assertError(await token({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion('cert', certs.rsa) }, { authorization: basic(apps.cert.client_id, 'x') }), 400, 'invalid_request');
  assertError(await token({ grant_type: 'client_credentials', client_id: apps.cert.client_id, client_secret: 'x',
    client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion('cert', certs.rsa) }), 400, 'invalid_request');
  // A repeated parameter is named.
  const dup = await token('grant_type=client_credentials&scope=api&scope=api', auth);
  assertError(dup, 400, 'invalid_request');
  assert.match(dup.json.error_description, /scope/);
  // JSON, or a broken form.
  assertError(await token(JSON.stringify({ grant_type: 'client_credentials' }), auth, { contentType: 'application/json' }), 400, 'invalid_request');
  assertError(await token('grant_type=client%ZZcredentials', auth), 400, 'invalid_request');
  // Only POST.
  const get = await token({}, auth, { method: 'GET' });
  assert.equal(get.status, 405);
  assert.match(get.headers.get('allow'), /POST/);
});

test('rotated secret: the old one works during --grace, not after grace 0', async () => {
  addApp('rot', ['--grant', 'client_credentials', '--scope', 'api']);
  const first = apps.rot.client_secret;
  const withSecret = (s) => token({ grant_type: 'client_credentials' }, { authorization: basic(apps.rot.client_id, s) });
  await until(async () => (await withSecret(first)).status === 200, 5000, 'the new app');
  const second = cliOk(['app', 'rotate-secret', 'rot', '--grace', '10', '--json']).json.client_secret;
  await until(async () => (await withSecret(second)).status === 200, 5000, 'the rotated secret');
  assert.equal((await withSecret(first)).status, 200);
  const third = cliOk(['app', 'rotate-secret', 'rot', '--grace', '0', '--json']).json.client_secret;
  await until(async () => (await withSecret(first)).status === 401 && (await withSecret(second)).status === 401, 5000,
    'the old secrets to stop');
  assert.equal((await withSecret(third)).status, 200);
});

test('disabling an app, or its bound user, refuses it within 5 s', async () => {
  addApp('victim', ['--grant', 'client_credentials', '--scope', 'api']);
  await until(async () => (await cc('victim')).status === 200, 5000, 'the new app');
  cliOk(['app', 'disable', 'victim']);
  const t0 = Date.now();
  await until(async () => (await cc('victim')).status === 401, 5000, 'the disabled app to be refused');
  assert.ok(Date.now() - t0 < 5000);
  assertError(await cc('victim'), 401, 'invalid_client', { basicChallenge: true });
  const post = await token({ grant_type: 'client_credentials', client_id: apps.victim.client_id, client_secret: apps.victim.client_secret });
  assertError(post, 401, 'invalid_client');

  cliOk(['user', 'add', 'svc-two', '--json']);
  addApp('bound2', ['--grant', 'client_credentials', '--scope', 'api', '--user', 'svc-two']);
  await until(async () => (await cc('bound2')).status === 200, 5000, 'the bound app');
  cliOk(['user', 'disable', 'svc-two']);
  await until(async () => (await cc('bound2')).status === 401, 5000, 'the app of a disabled user to be refused');
  assertError(await cc('bound2'), 401, 'invalid_client', { basicChallenge: true });
});

test('bearer_token app: Basic only, no grant_type, an opaque token that never expires', async () => {
  const auth = { authorization: basic(apps.scim.client_id, apps.scim.client_secret) };
  const r = await fetch(`${srv.url}/oauth2/token`, { method: 'POST', headers: auth });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const body = await r.json();
  assert.match(body.access_token, /^lk_at_[A-Za-z0-9_-]{43}$/);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, undefined);
  assert.equal(body.scope, 'user_sync');
  // grant_type=client_credentials works too; client_secret_post is not the "key pair in Basic" form.
  assert.equal((await token({ grant_type: 'client_credentials' }, auth)).status, 200);
  assertError(await token({ client_id: apps.scim.client_id, client_secret: apps.scim.client_secret }), 400, 'invalid_request');
  assertError(await token({}, { authorization: basic(apps.scim.client_id, 'wrong') }), 401, 'invalid_client', { basicChallenge: true });

  // `latchkey app token` mints the same kind of token, and the server accepts it.
  const minted = cliOk(['app', 'token', 'scim', '--json']).json;
  assert.match(minted.access_token, /^lk_at_[A-Za-z0-9_-]{43}$/);
  assert.equal(minted.token_type, 'Bearer');
  assert.equal(minted.expires_in, undefined);
  assert.equal(minted.scope, 'user_sync');
  const text = cliOk(['app', 'token', apps.scim.client_id]).stdout;
  assert.match(text, /^lk_at_[A-Za-z0-9_-]{43}\n.*never expires/);
  const audit = cliOk(['audit', '--limit', '5', '--json']).json;
  const entry = audit.find((e) => e.action === 'app.token');
  assert.ok(entry, 'an app.token audit entry');
  assert.ok(!JSON.stringify(audit).includes(minted.access_token), 'the audit log never holds the token');
  const check = await fetch(`${srv.url}/oauth2/check`, { headers: { authorization: `Bearer ${minted.access_token}` } });
  assert.equal(check.status, 200);
  // Refused: unknown, disabled, or not a client-credentials application.
  assert.equal(cli(['app', 'token', 'webapp'], { db: dir.db }).status, 1);
  assert.equal(cli(['app', 'token', 'nope'], { db: dir.db }).status, 1);
  assert.equal(cli(['app', 'token', 'victim'], { db: dir.db }).status, 1);
  assert.equal(cli(['app', 'token'], { db: dir.db }).status, 2);
});

test('opaque tokens for sliding and never-expiring apps; a custom audience', async () => {
  const s = await cc('sliding');
  assert.equal(s.status, 200, s.text);
  assert.match(s.json.access_token, /^lk_at_/);
  assert.equal(s.json.expires_in, 30 * 60);
  const n = await cc('never');
  assert.equal(n.status, 200, n.text);
  assert.match(n.json.access_token, /^lk_at_/);
  assert.equal(n.json.expires_in, undefined);
  for (const at of [s.json.access_token, n.json.access_token]) {
    const r = await fetch(`${srv.url}/oauth2/check?scope=api`, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(r.status, 200);
  }
  const a = await cc('aud');
  await verifyAccessToken(a.json.access_token, { sub: apps.aud.client_id, clientId: apps.aud.client_id, scope: 'api', aud: 'https://api.example' });
  // A JWT app's CLI token is a JWT too, with the same claims.
  const minted = cliOk(['app', 'token', 'svc', '--json']).json;
  assert.equal(minted.expires_in, 900);
  assert.equal(minted.access_token.split('.').length, 3);
});

// Many requests at once share the database's transactions (the group
// commit): each answer still comes only once its own token is stored, so a
// resource server asking at once finds every one.
test('opaque tokens issued concurrently are each stored before their answer', async () => {
  // Rounds of 40 at once: [server] max_conns_per_ip is 64.
  const ROUND = 40;
  const N = 5 * ROUND;
  const answers = [];
  for (let i = 0; i < N; i += ROUND) answers.push(...await Promise.all(Array.from({ length: ROUND }, () => cc('opaque'))));
  const tokens = answers.map((r) => {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.match(r.json.access_token, /^lk_at_[A-Za-z0-9_-]{43}$/);
    assert.equal(r.json.scope, 'api');
    return r.json.access_token;
  });
  assert.equal(new Set(tokens).size, N);
  const checks = [];
  for (let i = 0; i < N; i += ROUND) {
    checks.push(...await Promise.all(tokens.slice(i, i + ROUND).map((at) =>
      fetch(`${srv.url}/oauth2/check?scope=api`, { headers: { authorization: `Bearer ${at}` } }))));
  }
  assert.deepEqual(checks.map((r) => r.status), Array(N).fill(200));
});

test('discovery advertises the token endpoint and follows the scope catalog', async () => {
  const md = await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json();
  assert.equal(md.token_endpoint, `${srv.url}/oauth2/token`);
  assert.deepEqual(md.grant_types_supported,
    ['authorization_code', 'refresh_token', 'password', 'client_credentials', JWT_BEARER]);
  assert.equal(md.authorization_endpoint, `${srv.url}/oauth2/authorize`);
  assert.deepEqual(md.response_types_supported, ['code']);
  assert.deepEqual(md.response_modes_supported, ['query', 'fragment', 'form_post']);
  assert.deepEqual(md.code_challenge_methods_supported, ['S256']);
  assert.equal(md.authorization_response_iss_parameter_supported, true);
  assert.deepEqual([...md.token_endpoint_auth_methods_supported].sort(),
    ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
  assert.deepEqual(md.token_endpoint_auth_signing_alg_values_supported, ['RS256', 'PS256', 'ES256']);
  // OpenID Connect Discovery §3 (the details are in oidc.test.mjs).
  assert.equal(md.userinfo_endpoint, `${srv.url}/oauth2/userinfo`);
  assert.equal(md.end_session_endpoint, `${srv.url}/oauth2/logout`);
  assert.ok(md.claims_supported.includes('sub'));
  assert.equal(md.request_parameter_supported, false);
  assert.equal(md.request_uri_parameter_supported, false);
  assert.equal(md.claims_parameter_supported, true);
  for (const s of ['api', 'openid', 'user_sync', 'odata_query', 'register', 'admin']) assert.ok(md.scopes_supported.includes(s), s);
  const as = await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json();
  assert.deepEqual(as, md);

  cliOk(['scope', 'add', 'reports:read', '--description', 'Read reports']);
  const t0 = Date.now();
  await until(async () => {
    const d = await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json();
    return d.scopes_supported.includes('reports:read');
  }, 5000, 'scopes_supported to list the new scope');
  assert.ok(Date.now() - t0 < 5000);
  cliOk(['scope', 'remove', 'reports:read']);
  await until(async () => {
    const d = await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json();
    return !d.scopes_supported.includes('reports:read');
  }, 5000, 'scopes_supported to drop the removed scope');
});
