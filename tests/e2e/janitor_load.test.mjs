// Retention under sustained load (issue: hardening): while clients keep
// writing short-lived single-use rows, the running server's housekeeping
// ([server] janitor_interval at its minimum, one second) must keep their
// number bounded, not let it grow with the number of requests.
//
// The rows: the ids of consumed client assertions (RFC 7523 §3 item 7), kept
// in used_assertions until the assertion's own exp so that it cannot be
// replayed. A client chooses that exp, so assertions that expire after two
// seconds give rows that the janitor may delete two seconds later. Everything
// the server issues itself lives a minute or more (codes are kept an hour past
// their expiry), too long to watch in a test. The load is the client
// credentials grant with private_key_jwt (a client_certificate application,
// whose JWT access tokens are not stored), from several loops at once; the
// row count is read from the SQLite file every two seconds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { cli, freshDir, PG, sqliteCount, sqliteSql, startServer } from './harness.mjs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// Seconds of load, seconds between samples, concurrent request loops.
const LOAD_SECONDS = 24;
const SAMPLE_SECONDS = 2;
const LOOPS = 8;
// How long each assertion is valid: its row may go this long after use.
const ASSERTION_SECONDS = 2;

const dirs = [];
after(() => dirs.forEach((d) => d.remove()));

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const now = () => Math.floor(Date.now() / 1000);

function cliOk(d, args) {
  const r = cli(args, { db: d.db });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const sql = sqliteSql;
const count = sqliteCount;

// A self-signed P-256 certificate and its key, for private_key_jwt.
function makeCert(d) {
  const keyFile = join(d.dir, 'client.key');
  const pem = join(d.dir, 'client.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-subj', '/CN=load-client', '-days', '2', '-keyout', keyFile, '-out', pem], { stdio: 'pipe' });
  return { pem, keyFile };
}

test('housekeeping keeps the used client assertions bounded under sustained load', { skip: PG && 'reads the SQLite file' }, async () => {
  const d = freshDir();
  dirs.push(d);
  const cert = makeCert(d);
  const app = cliOk(d, ['app', 'add', '--name', 'load', '--grant', 'client_certificate',
    '--public-key', cert.pem, '--json']).json;
  const key = await jose.importPKCS8(readFileSync(cert.keyFile, 'utf8'), 'ES256');
  const srv = await startServer({ dir: d, env: { LATCHKEY_SERVER_JANITOR_INTERVAL: '1' } });
  try {
    let issued = 0;
    let failed = '';
    let stop = false;
    const loop = async () => {
      while (!stop && !failed) {
        const jwt = await new jose.SignJWT({
          iss: app.client_id, sub: app.client_id, aud: srv.url,
          jti: randomBytes(16).toString('hex'), iat: now(), exp: now() + ASSERTION_SECONDS,
        }).setProtectedHeader({ alg: 'ES256' }).sign(key);
        const r = await fetch(`${srv.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials', client_id: app.client_id,
            client_assertion_type: ASSERTION_TYPE, client_assertion: jwt,
          }).toString(),
        });
        const text = await r.text();
        if (r.status !== 200) failed = `${r.status} ${text}`;
        else issued++;
      }
    };
    const loops = Array.from({ length: LOOPS }, loop);

    // Samples of [requests so far, rows in used_assertions].
    const samples = [];
    for (let t = 0; t < LOAD_SECONDS && !failed; t += SAMPLE_SECONDS) {
      await sleep(SAMPLE_SECONDS * 1000);
      samples.push([issued, count(d, 'used_assertions')]);
    }
    stop = true;
    await Promise.all(loops);
    assert.equal(failed, '', 'every token request succeeds');
    const report = samples.map(([n, rows]) => `${n} requests: ${rows} rows`).join('\n');
    console.log(report);

    // The load was real: far more rows were written than the table may hold.
    const total = samples.at(-1)[0];
    assert.ok(total >= 2000, `only ${total} requests in ${LOAD_SECONDS} s`);
    // The count plateaus: from the middle third of the run to its end it
    // grows by a small part of the rows written meanwhile, where without
    // housekeeping it would grow by all of them.
    const third = Math.floor(samples.length / 3);
    const middle = samples.slice(third, 2 * third);
    const last = samples.slice(2 * third);
    const peak = (s) => Math.max(...s.map(([, rows]) => rows));
    const written = last.at(-1)[0] - middle[0][0];
    const growth = peak(last) - peak(middle);
    assert.ok(growth <= 0.2 * written,
      `grew by ${growth} rows while ${written} were written:\n${report}`);
    // Never more than a few seconds' worth of rows at once.
    assert.ok(peak(samples) <= 0.5 * total, `peak ${peak(samples)} of ${total}:\n${report}`);

    // Without load, every row expires and goes within a few passes.
    const deadline = Date.now() + 15_000;
    while (count(d, 'used_assertions') > 0) {
      assert.ok(Date.now() < deadline, `${count(d, 'used_assertions')} rows left after the load`);
      await sleep(250);
    }
    assert.equal(sql(d, 'PRAGMA integrity_check'), 'ok');
  } finally {
    await srv.stop({ keepDir: true });
  }
});
