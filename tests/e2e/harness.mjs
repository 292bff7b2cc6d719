// The black-box harness: starts the real latchkey binary on a free loopback
// port with a fresh database in a temporary directory, waits until it answers
// /healthz, and stops it at the end, failing the test if the process did not
// exit cleanly or printed a sanitizer report.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

// A fresh directory with a database URL and a key file path inside it.
export function freshDir() {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-e2e-'));
  return {
    dir,
    db: `sqlite:${join(dir, 'latchkey.db')}`,
    keyFile: join(dir, 'latchkey.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// Runs a CLI command synchronously against a database; returns
// { status, stdout, stderr, json } (json parsed when stdout is JSON).
export function cli(args, { db, env = {}, input, cwd } = {}) {
  const full = db ? ['--db', db, ...args] : args;
  const r = spawnSync(BIN, full, {
    encoding: 'utf8',
    input,
    cwd,
    env: { ...process.env, ...env },
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
    env: { ...process.env, ...env },
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
