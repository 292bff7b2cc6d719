// Dynamic client registration (RFC 7591) and the client configuration
// endpoint (RFC 7592) against the real server: an initial access token with
// scope `register` from an application the CLI created, registrations of
// confidential, public and service clients, every refusal with its RFC error
// code, read / replace / delete with the registration access token, the audit
// trail, and openid-client's own registration call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startServer } from './harness.mjs';

let srv;
let registrar; // the CLI app with scope register
let iat; // its access token: the initial access token

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

// POST /oauth2/token with client_credentials and Basic authentication. The
// server sees applications created a moment ago within about a second, so a
// 401 is retried for a few seconds.
async function clientCredentials(id, secret, { retry = true } = {}) {
  const deadline = Date.now() + 8000;
  for (;;) {
    const r = await fetch(`${srv.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const json = await r.json();
    if (r.status !== 401 || !retry || Date.now() > deadline) return { status: r.status, json };
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function call(method, path, { token, body, type = 'application/json' } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = type;
  const r = await fetch(`${srv.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

const register = (body, opts = {}) => call('POST', '/oauth2/register', { token: iat, body, ...opts });

const appList = () => {
  const r = srv.cli(['app', 'list', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return r.json;
};

// A refusal: the status and error code, and no application created.
async function refused(body, status, error, opts = {}) {
  const before = appList().length;
  const r = await register(body, opts);
  assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
  assert.equal(r.json?.error, error, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(appList().length, before, 'a refused registration created an application');
  return r;
}

before(async () => {
  srv = await startServer();
  const r = srv.cli(['app', 'add', '--name', 'registrar', '--grant', 'client_credentials',
    '--scope', 'register', '--json']);
  assert.equal(r.status, 0, r.stderr);
  registrar = r.json;
  const t = await clientCredentials(registrar.client_id, registrar.client_secret);
  assert.equal(t.status, 200, JSON.stringify(t.json));
  assert.equal(t.json.scope, 'register');
  iat = t.json.access_token;
});

after(async () => {
  await srv?.stop();
});

test('discovery advertises the registration endpoint', async () => {
  const r = await call('GET', '/.well-known/openid-configuration');
  assert.equal(r.status, 200);
  assert.equal(r.json.registration_endpoint, `${srv.url}/oauth2/register`);
  const m = await call('GET', '/.well-known/oauth-authorization-server');
  assert.equal(m.json.registration_endpoint, `${srv.url}/oauth2/register`);
});

test('a confidential web client is registered with every RFC 7591 member', async () => {
  const r = await register({
    client_name: 'web-shop',
    redirect_uris: ['https://shop.example/cb'],
    post_logout_redirect_uris: ['https://shop.example/bye'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid api',
    client_uri: 'https://shop.example',
    application_type: 'web',
    logo_uri: 'https://shop.example/logo.png', // unknown here: ignored, not echoed
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const j = r.json;
  assert.match(j.client_id, /^[A-Za-z0-9_-]{22}$/);
  assert.match(j.client_secret, /^lk_cs_[A-Za-z0-9_-]{43}$/);
  assert.equal(j.client_secret_expires_at, 0);
  assert.equal(typeof j.client_id_issued_at, 'number');
  assert.ok(Math.abs(j.client_id_issued_at - Date.now() / 1000) < 60);
  assert.match(j.registration_access_token, /^lk_rat_[A-Za-z0-9_-]{43}$/);
  assert.equal(j.registration_client_uri, `${srv.url}/oauth2/register/${j.client_id}`);
  assert.equal(j.client_name, 'web-shop');
  assert.deepEqual(j.redirect_uris, ['https://shop.example/cb']);
  assert.deepEqual(j.post_logout_redirect_uris, ['https://shop.example/bye']);
  assert.deepEqual(j.grant_types, ['authorization_code', 'refresh_token']);
  assert.deepEqual(j.response_types, ['code']);
  assert.equal(j.token_endpoint_auth_method, 'client_secret_basic');
  assert.equal(j.scope, 'api openid');
  assert.equal(j.client_uri, 'https://shop.example');
  assert.equal(j.application_type, 'web');
  assert.equal(j.logo_uri, undefined);
  // The registry holds it like any other application.
  const app = appList().find((a) => a.client_id === j.client_id);
  assert.equal(app.name, 'web-shop');
  assert.equal(app.grant_type, 'authorization_code');
  assert.equal(app.client_type, 'confidential');
  assert.equal(app.first_party, false);
  // Its secret is good only for the grants it has.
  const t = await clientCredentials(j.client_id, j.client_secret);
  assert.equal(t.status, 400, JSON.stringify(t.json));
  assert.equal(t.json.error, 'unauthorized_client');
});

test('a service client gets tokens with its new secret', async () => {
  const r = await register({ client_name: 'nightly-job', grant_types: ['client_credentials'], scope: 'api' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.grant_types, ['client_credentials']);
  assert.deepEqual(r.json.response_types, []);
  assert.deepEqual(r.json.redirect_uris, []);
  const t = await clientCredentials(r.json.client_id, r.json.client_secret);
  assert.equal(t.status, 200, JSON.stringify(t.json));
  assert.equal(t.json.token_type, 'Bearer');
  assert.equal(t.json.scope, 'api');
  const bad = await clientCredentials(r.json.client_id, `${r.json.client_secret}x`, { retry: false });
  assert.equal(bad.status, 401);
});

test('a public native client has no secret', async () => {
  const r = await register({
    client_name: 'desktop-app',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback'],
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.client_secret, undefined);
  assert.equal(r.json.client_secret_expires_at, undefined);
  assert.equal(r.json.token_endpoint_auth_method, 'none');
  assert.equal(r.json.application_type, 'native');
  assert.equal(r.json.redirect_strategy, 'mobile-localhost');
  const app = appList().find((a) => a.client_id === r.json.client_id);
  assert.equal(app.client_type, 'public');
  assert.equal(app.redirect_strategy, 'mobile-localhost');
});

test('latchkey extensions set the options without a standard name', async () => {
  const r = await register({
    client_name: 'ext-app',
    grant_types: ['client_credentials'],
    lifetime: 15,
    lifecycle: 'sliding',
    audience: 'https://api.example',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.lifetime, 15);
  assert.equal(r.json.lifecycle, 'sliding');
  assert.equal(r.json.token_format, 'opaque');
  assert.equal(r.json.audience, 'https://api.example');
});

test('the initial access token is required, active and scoped', async () => {
  const body = { client_name: 'nope', grant_types: ['client_credentials'] };
  let r = await refused(body, 401, 'invalid_request', { token: null });
  assert.match(r.headers.get('www-authenticate'), /^Bearer realm="latchkey"$/);
  r = await refused(body, 401, 'invalid_token', { token: 'not-a-token' });
  assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/);
  r = await refused(body, 401, 'invalid_token', { token: 'bad token with spaces' });

  const plain = srv.cli(['app', 'add', '--name', 'plain', '--grant', 'client_credentials',
    '--scope', 'api', '--json']);
  assert.equal(plain.status, 0, plain.stderr);
  const t = await clientCredentials(plain.json.client_id, plain.json.client_secret);
  assert.equal(t.status, 200, JSON.stringify(t.json));
  r = await refused(body, 403, 'insufficient_scope', { token: t.json.access_token });
  const www = r.headers.get('www-authenticate');
  assert.match(www, /^Bearer realm="latchkey"/);
  assert.match(www, /error="insufficient_scope"/);
  assert.match(www, /scope="register"/);
  // A registration access token is not an initial access token.
  const reg = await register({ client_name: 'rat-holder', grant_types: ['client_credentials'] });
  await refused(body, 401, 'invalid_token', { token: reg.json.registration_access_token });
});

test('bad metadata is refused with the RFC 7591 error codes', async () => {
  let r = await refused({ client_name: 'h', redirect_uris: ['http://h.example/cb'] }, 400,
    'invalid_redirect_uri');
  assert.match(r.json.error_description, /^redirect_uris: /);
  await refused({ client_name: 'h', redirect_uris: ['https://h.example/cb#frag'] }, 400,
    'invalid_redirect_uri');
  r = await refused({ client_name: 'u', grant_types: ['client_credentials'], scope: 'api unknown-scope' },
    400, 'invalid_client_metadata');
  assert.match(r.json.error_description, /^scope: 'unknown-scope'/);
  r = await refused('{"client_name": "j",', 400, 'invalid_client_metadata');
  assert.match(r.json.error_description, /JSON/);
  await refused('["client_name"]', 400, 'invalid_client_metadata');
  await refused('{"client_name":"d","client_name":"e"}', 400, 'invalid_client_metadata');
  r = await refused('client_name=form', 400, 'invalid_client_metadata',
    { type: 'application/x-www-form-urlencoded' });
  assert.match(r.json.error_description, /application\/json/);
  await refused(JSON.stringify({ client_name: 'tp', grant_types: ['client_credentials'] }), 400,
    'invalid_client_metadata', { type: 'text/plain' });
  r = await refused({ client_name: 'pk', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } }, 400, 'invalid_client_metadata');
  assert.match(r.json.error_description, /administrator/);
  await refused({ client_name: 'jb', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] },
    400, 'invalid_client_metadata');
  r = await refused({ redirect_uris: ['https://x.example/cb'] }, 400, 'invalid_client_metadata');
  assert.match(r.json.error_description, /client_name/);
  await refused({ client_name: 5 }, 400, 'invalid_client_metadata');
  await refused({ client_name: 'g', grant_types: 'client_credentials' }, 400, 'invalid_client_metadata');
  await refused({ client_name: 'rt', response_types: ['token'], redirect_uris: ['https://x.example/cb'] },
    400, 'invalid_client_metadata');
  await refused({ client_name: 'fp', grant_types: ['client_credentials'], first_party: true }, 400,
    'invalid_client_metadata');
  await refused({ client_name: 'us', grant_types: ['client_credentials'], user: 'admin' }, 400,
    'invalid_client_metadata');
  r = await refused({ client_name: 'adm', grant_types: ['client_credentials'], scope: 'admin' }, 400,
    'invalid_client_metadata');
  assert.match(r.json.error_description, /admin/);
  r = await refused({ client_name: 'WEB-SHOP', redirect_uris: ['https://x.example/cb'] }, 400,
    'invalid_client_metadata');
  assert.match(r.json.error_description, /^client_name: /);
});

test('RFC 7592: read, replace and delete with the registration access token', async () => {
  const a = (await register({ client_name: 'managed', redirect_uris: ['https://m.example/one'] })).json;
  const b = (await register({ client_name: 'neighbour', grant_types: ['client_credentials'] })).json;
  const path = `/oauth2/register/${a.client_id}`;

  let r = await call('GET', path, { token: a.registration_access_token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.json.client_id, a.client_id);
  assert.equal(r.json.client_name, 'managed');
  assert.equal(r.json.client_secret, undefined);
  assert.equal(r.json.registration_client_uri, a.registration_client_uri);
  assert.deepEqual(r.json.redirect_uris, ['https://m.example/one']);

  // Missing, wrong, someone else's token, or an unknown client: all 401 alike.
  for (const [p, token] of [[path, undefined], [path, `${a.registration_access_token}x`],
    [path, b.registration_access_token], [path, iat],
    ['/oauth2/register/no-such-client', a.registration_access_token]]) {
    r = await call('GET', p, { token });
    assert.equal(r.status, 401, `${p}: ${r.text}`);
    assert.match(r.headers.get('www-authenticate'), /^Bearer realm="latchkey"/);
  }
  // HEAD is served like GET: it reads and never deletes.
  const head = await fetch(`${srv.url}${path}`, {
    method: 'HEAD', headers: { authorization: `Bearer ${a.registration_access_token}` },
  });
  assert.equal(head.status, 200);
  assert.ok(appList().find((x) => x.client_id === a.client_id), 'HEAD removed the client');
  r = await call('GET', '/oauth2/register/', { token: a.registration_access_token });
  assert.equal(r.status, 404);
  r = await call('GET', `${path}/extra`, { token: a.registration_access_token });
  assert.equal(r.status, 404);
  r = await call('POST', path, { token: a.registration_access_token, body: {} });
  assert.equal(r.status, 405);

  // Replace: client_id must match; the new redirect URIs take effect.
  r = await call('PUT', path, { token: a.registration_access_token,
    body: { client_name: 'managed', redirect_uris: ['https://m.example/two'] } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error, 'invalid_client_metadata');
  r = await call('PUT', path, { token: b.registration_access_token,
    body: { client_id: a.client_id, client_name: 'managed', redirect_uris: ['https://m.example/two'] } });
  assert.equal(r.status, 401);
  r = await call('PUT', path, { token: a.registration_access_token, type: 'text/plain',
    body: { client_id: a.client_id, client_name: 'managed', redirect_uris: ['https://m.example/two'] } });
  assert.equal(r.status, 400);
  r = await call('PUT', path, { token: a.registration_access_token,
    body: { client_id: a.client_id, client_name: 'managed', redirect_uris: ['http://m.example/two'] } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_redirect_uri');
  r = await call('PUT', path, { token: a.registration_access_token,
    body: { client_id: a.client_id, client_secret: 'lk_cs_mine', client_name: 'managed',
      redirect_uris: ['https://m.example/two'] } });
  assert.equal(r.status, 400);
  r = await call('PUT', path, { token: a.registration_access_token,
    body: { client_id: a.client_id, client_secret: a.client_secret, client_name: 'managed-2',
      redirect_uris: ['https://m.example/two', 'https://m.example/three'] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.client_name, 'managed-2');
  assert.deepEqual(r.json.redirect_uris, ['https://m.example/two', 'https://m.example/three']);
  r = await call('GET', path, { token: a.registration_access_token });
  assert.deepEqual(r.json.redirect_uris, ['https://m.example/two', 'https://m.example/three']);
  const app = appList().find((x) => x.client_id === a.client_id);
  assert.equal(app.name, 'managed-2');
  assert.deepEqual(app.redirect_uris, ['https://m.example/two', 'https://m.example/three']);

  // Delete: gone from the registry, and its token with it.
  r = await call('DELETE', path, { token: b.registration_access_token });
  assert.equal(r.status, 401);
  r = await call('DELETE', path, { token: a.registration_access_token });
  assert.equal(r.status, 204, r.text);
  assert.equal(r.text, '');
  assert.equal(appList().find((x) => x.client_id === a.client_id), undefined);
  r = await call('GET', path, { token: a.registration_access_token });
  assert.equal(r.status, 401);
  r = await call('DELETE', path, { token: a.registration_access_token });
  assert.equal(r.status, 401);
  assert.ok(appList().find((x) => x.client_id === b.client_id));

  // The audit log names who did it.
  const audit = srv.cli(['audit', '--limit', '1000', '--json']);
  assert.equal(audit.status, 0, audit.stderr);
  const of = (action, id) => audit.json.find((e) => e.action === action && e.object_id === id);
  assert.equal(of('app.add', a.client_id)?.actor, `dcr:${registrar.client_id}`);
  assert.equal(of('app.update', a.client_id)?.actor, `dcr:${a.client_id}`);
  assert.equal(of('app.remove', a.client_id)?.actor, `dcr:${a.client_id}`);
});

test("openid-client's dynamicClientRegistration works against latchkey", async () => {
  const config = await client.dynamicClientRegistration(
    new URL(srv.url),
    {
      client_name: 'openid-client-rp',
      redirect_uris: ['https://rp.example/cb'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    undefined,
    { initialAccessToken: iat, execute: [client.allowInsecureRequests] },
  );
  const md = config.clientMetadata();
  assert.match(md.client_id, /^[A-Za-z0-9_-]{22}$/);
  assert.match(md.client_secret, /^lk_cs_/);
  assert.equal(md.client_name, 'openid-client-rp');
  assert.equal(config.serverMetadata().registration_endpoint, `${srv.url}/oauth2/register`);

  const svc = await client.dynamicClientRegistration(
    new URL(srv.url),
    { client_name: 'openid-client-svc', grant_types: ['client_credentials'], scope: 'api' },
    undefined,
    { initialAccessToken: iat, execute: [client.allowInsecureRequests] },
  );
  const t = await clientCredentials(svc.clientMetadata().client_id, svc.clientMetadata().client_secret);
  assert.equal(t.status, 200, JSON.stringify(t.json));
});
