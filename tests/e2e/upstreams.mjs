// What the upstream sign-in tests share: a certificate for loopback TLS,
// a second latchkey over TLS acting as an upstream OpenID provider, and
// node-oidc-provider as an independent one. The test process must set
// NODE_TLS_REJECT_UNAUTHORIZED=0 for its own requests to them; latchkey
// trusts the certificate through SSL_CERT_FILE.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { BIN, cli, freePort } from './harness.mjs';

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer/;

export function makeCert(dir) {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { key, cert };
}

// A latchkey server over TLS (the harness's startServer speaks plain HTTP),
// listening on 127.0.0.1; its issuer names host (a browser test uses
// "localhost", so that its cookies are not the downstream's on 127.0.0.1).
export async function startTls(tls, d, { host = '127.0.0.1' } = {}) {
  const port = await freePort();
  const env = { ...process.env, ...(d.masterKey ? { LATCHKEY_MASTER_KEY: d.masterKey } : {}) };
  delete env.LATCHKEY_E2E_PG_URL;
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  const proc = spawn(BIN, ['--db', d.db, 'serve', '--listen', `127.0.0.1:${port}`, '--workers', '2',
    '--issuer', `https://${host}:${port}`, '--tls-cert', tls.cert, '--tls-key', tls.key],
  { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr += b; });
  proc.stdout.on('data', () => {});
  const exited = new Promise((ok) => proc.on('exit', (code, signal) => ok({ code, signal })));
  const url = `https://${host}:${port}`;
  const health = `https://127.0.0.1:${port}/healthz`;
  for (const deadline = Date.now() + 30_000; ;) {
    if (proc.exitCode !== null) throw new Error(`upstream latchkey exited:\n${stderr}`);
    try {
      if ((await fetch(health)).status === 200) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`upstream latchkey not healthy:\n${stderr}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return {
    url,
    dir: d,
    get stderr() { return stderr; },
    cli: (args, opts = {}) => cli(args, { db: d.db, ...opts }),
    async stop() {
      proc.kill('SIGTERM');
      const { code, signal } = await exited;
      d.remove();
      if (SANITIZER.test(stderr)) throw new Error(`sanitizer report:\n${stderr}`);
      if (code !== 0) throw new Error(`upstream latchkey exited with ${code ?? signal}:\n${stderr}`);
    },
  };
}

export function listen(server, port) {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

// node-oidc-provider with one client, latchkey, and one account, dana.
export async function startNodeProvider(tls, port, redirectUri, { host = '127.0.0.1' } = {}) {
  const issuer = `https://${host}:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'latchkey-downstream',
      client_secret: 'a-client-secret-of-node-oidc-provider-for-latchkey',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id, email: 'dana@example.com', email_verified: true, name: 'Dana Node',
            given_name: 'Dana', family_name: 'Node', preferred_username: 'dana',
          };
        },
      };
    },
  });
  const server = createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, provider.callback());
  await listen(server, port);
  return server;
}
