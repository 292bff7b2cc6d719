// The black-box harness: starts the real latchkey binary on a free loopback
// port with a fresh database in a temporary directory, waits until it answers
// /healthz, and stops it at the end, failing the test if the process did not
// exit cleanly or printed a sanitizer report.
//
// With LATCHKEY_E2E_PG_URL set (a libpq URI of a PostgreSQL server and a
// database to administer it from, as scripts/pg-test.sh prints), every fresh
// directory gets a new empty PostgreSQL database instead of an SQLite file,
// and a master key of its own: there is no database directory to put one
// beside (DESIGN §4), so the harness gives it to every CLI call and server
// of that database in LATCHKEY_MASTER_KEY, as an operator would.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.LATCHKEY_BIN ?? new URL('../../latchkey', import.meta.url).pathname;

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer/;

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// The admin connection of PostgreSQL mode, or null for SQLite.
const PG_URL = process.env.LATCHKEY_E2E_PG_URL || null;

// True when the suite runs against PostgreSQL; tests that look at the SQLite
// file itself skip those looks with this.
export const PG = PG_URL !== null;

// The master key of each PostgreSQL database this process created, by URL.
const masterKeys = new Map();

let pgSeq = 0;

// Runs SQL or a client program against the server of LATCHKEY_E2E_PG_URL;
// throws with its message when it fails.
function pgRun(program, args) {
  const r = spawnSync(program, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${program}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${program} ${args.slice(-1)[0]}: exit ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

const psql = (url, sql) => pgRun('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql]);

// A new empty database on the server of LATCHKEY_E2E_PG_URL: the same host,
// port, user and options, another name.
function createPgDatabase() {
  const name = `lk_e2e_${process.pid}_${++pgSeq}_${randomBytes(4).toString('hex')}`;
  psql(PG_URL, `CREATE DATABASE "${name}"`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return { name, url: u.href };
}

// A fresh directory with a database URL and a key file path inside it. With
// SQLite the key file is the one serve creates beside the database; with
// PostgreSQL it is written here, and its key is passed to the CLI and the
// server of this database automatically (masterKey).
export function freshDir() {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-e2e-'));
  if (!PG) {
    return {
      dir,
      db: `sqlite:${join(dir, 'latchkey.db')}`,
      keyFile: join(dir, 'latchkey.key'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  let pg;
  try {
    pg = createPgDatabase();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const keyFile = join(dir, 'master.key');
  const masterKey = randomBytes(32).toString('base64');
  writeFileSync(keyFile, `${masterKey}\n`, { mode: 0o600 });
  masterKeys.set(pg.url, masterKey);
  let dropped = false;
  return {
    dir,
    db: pg.url,
    keyFile,
    masterKey,
    // Idempotent: a server's stop() and a test's after() may both call it.
    remove: () => {
      if (!dropped) {
        dropped = true;
        masterKeys.delete(pg.url);
        // FORCE: a server killed with SIGKILL may leave a session behind.
        psql(PG_URL, `DROP DATABASE IF EXISTS "${pg.name}" WITH (FORCE)`);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Everything the database of d holds, as bytes, for tests that look for
// secrets at rest: the SQLite file and its WAL, or a data-only dump.
export function databaseBytes(d) {
  if (PG) return Buffer.from(pgRun('pg_dump', ['--data-only', '--no-owner', '-d', d.db]), 'utf8');
  const files = ['latchkey.db', 'latchkey.db-wal'].map((f) => join(d.dir, f)).filter((f) => existsSync(f));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

// Runs SQL on the SQLite file of d with the sqlite3 program, beside a running
// server (waiting up to 10 s for its locks); returns what the last statement
// printed. For states the CLI and the server would refuse to write.
export function sqliteSql(d, text) {
  const file = d.db.replace(/^sqlite:/, '');
  const r = spawnSync('sqlite3', ['-batch', '-cmd', '.timeout 10000', file, text], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

// The number of rows of table (matching where) in the SQLite file of d.
export const sqliteCount = (d, table, where = '1') =>
  Number(sqliteSql(d, `SELECT count(*) FROM ${table} WHERE ${where}`));

// True while nothing has created the schema in the database of d: no SQLite
// file, or no table outside PostgreSQL's own schemas.
export function databaseUntouched(d) {
  if (!PG) return !existsSync(join(d.dir, 'latchkey.db'));
  const n = psql(d.db, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
  return Number(n.trim()) === 0;
}

// The environment of a latchkey process on database db: the harness's master
// key of a PostgreSQL database first, so that a test's own env wins. The
// harness's own variable is not passed on: latchkey refuses a LATCHKEY_
// variable that names no configuration key.
function processEnv(db, env) {
  const key = db ? masterKeys.get(db) : undefined;
  const out = { ...process.env, ...(key ? { LATCHKEY_MASTER_KEY: key } : {}), ...env };
  delete out.LATCHKEY_E2E_PG_URL;
  return out;
}

// The database an argument list names with --db, if any.
function dbOfArgs(args) {
  const i = args.indexOf('--db');
  return i >= 0 ? args[i + 1] : undefined;
}

// Runs a CLI command synchronously against a database; returns
// { status, stdout, stderr, json } (json parsed when stdout is JSON).
export function cli(args, { db, env = {}, input, cwd } = {}) {
  const full = db ? ['--db', db, ...args] : args;
  const r = spawnSync(BIN, full, {
    encoding: 'utf8',
    input,
    cwd,
    env: processEnv(db ?? dbOfArgs(args), env),
    timeout: 60_000,
  });
  let json;
  try { json = JSON.parse(r.stdout); } catch { json = undefined; }
  if (SANITIZER.test(r.stderr)) throw new Error(`sanitizer report from CLI:\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

// Starts a server. Options: args (extra serve flags), env, dir (reuse a
// freshDir() result), globalArgs (before "serve").
export async function startServer({ args = [], env = {}, dir, globalArgs = [] } = {}) {
  const d = dir ?? freshDir();
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const url = `http://${listen}`;
  const proc = spawn(BIN, ['--db', d.db, ...globalArgs, 'serve', '--listen', listen, '--workers', '2', ...args], {
    env: processEnv(d.db, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b) => { stdout += b; });
  proc.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`latchkey exited early (${proc.exitCode}):\n${stderr}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`latchkey did not become healthy:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    port,
    dir: d,
    proc,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    cli: (cargs, opts = {}) => cli(cargs, { db: d.db, ...opts }),
    // Stops with SIGTERM; rejects if the exit was unclean or a sanitizer spoke.
    async stop({ keepDir = false } = {}) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const { code, signal } = await exited;
      clearTimeout(timer);
      if (!keepDir && !dir) d.remove();
      if (SANITIZER.test(stderr)) throw new Error(`sanitizer report:\n${stderr}`);
      if (code !== 0) throw new Error(`latchkey exited with ${code ?? signal}:\n${stderr}`);
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
