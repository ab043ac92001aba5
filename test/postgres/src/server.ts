// A throw-away PostgreSQL 15 server for tests and benchmarks: initdb in a temp
// directory, a random loopback port, its unix socket in the same directory,
// fsync on (durability as in production), stopped and removed by stop().
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinDir, unprivilegedUser, type RunAs } from './install.js';

/** What a test needs to reach the server (serializable: vitest's provide/inject). */
export interface PostgresConnection {
  host: string;
  port: number;
  /** The superuser tests connect as (password authentication over TCP). */
  user: string;
  password: string;
}

export interface PostgresServer extends PostgresConnection {
  /** The server's temp directory (data, socket, log). */
  dir: string;
  pid: number;
  /** Server log so far (for failure messages). */
  log(): string;
  /** Fast shutdown, then the directory is removed. */
  stop(): Promise<void>;
  /** Fast shutdown (sessions aborted), data kept: an outage. `pid` is stale until start(). */
  halt(): Promise<void>;
  /** Starts the halted server again on the same port with the same data. */
  start(): Promise<void>;
}

export const SUPERUSER = 'wheelhouse';

/** postgres://user@host:port/db — the password is passed separately (tests of --store-password-file). */
export function postgresUrl(c: PostgresConnection, database: string, withPassword = false): string {
  const auth = withPassword ? `${c.user}:${encodeURIComponent(c.password)}` : c.user;
  return `postgres://${auth}@${c.host}:${c.port}/${database}`;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function run(bin: string, args: string[], as: RunAs | undefined): void {
  execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Servers whose test run died without stopping them (SIGKILL, a crashed
 * runner): their owner pid is gone. Stopped (immediate shutdown) and removed.
 */
function reapOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('wh-pg-')) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (alive(owner)) continue;
      const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (postmaster > 0 && alive(postmaster)) process.kill(postmaster, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours, or already gone
    }
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const as = unprivilegedUser();
  reapOrphans();
  const dir = mkdtempSync(join(tmpdir(), 'wh-pg-'));
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  if (as) chownSync(dir, as.uid, as.gid);
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (as) chownSync(pwfile, as.uid, as.gid);
  const data = join(dir, 'data');
  try {
    // C collation: the same byte order as SQLite's, so both stores page alike.
    run(
      `${bin}/initdb`,
      [
        '-D',
        data,
        '-U',
        SUPERUSER,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-instructions',
        '--no-sync', // initdb's own final sync only: the server runs with fsync on
      ],
      as,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? e.message}`);
  }
  rmSync(pwfile);

  const logFile = join(dir, 'postgres.log');
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  /** Runs the postmaster on `port`; resolves once it answers, or false if it exited first. */
  const launch = async (port: number): Promise<Running | null> => {
    const fd = openSync(logFile, 'a', 0o600);
    const child = spawn(
      `${bin}/postgres`,
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=on',
        '-c',
        'synchronous_commit=on',
        '-c',
        'max_connections=200',
      ],
      { stdio: ['ignore', fd, fd], ...(as ?? {}) },
    );
    closeSync(fd);
    const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? sig ?? 0)));
    const conn: PostgresConnection = { host: '127.0.0.1', port, user: SUPERUSER, password };
    if (await waitReady(conn, child, exited)) return { child, exited };
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    return null;
  };
  const shutdown = async ({ child, exited }: Running): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown: abort sessions, checkpoint, exit
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
  };

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let running = await launch(port);
    if (running) {
      const server: PostgresServer = {
        host: '127.0.0.1',
        port,
        user: SUPERUSER,
        password,
        dir,
        pid: running.child.pid ?? 0,
        log,
        stop: async () => {
          if (running) await shutdown(running);
          running = null;
          rmSync(dir, { recursive: true, force: true });
        },
        halt: async () => {
          if (running) await shutdown(running);
          running = null;
        },
        start: async () => {
          if (running) return;
          running = await launch(port);
          if (!running) throw new Error(`postgres did not restart on port ${port}:\n${log().slice(-4000)}`);
          server.pid = running.child.pid ?? 0;
        },
      };
      return server;
    }
    lastError = log();
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`postgres did not start:\n${lastError.slice(-4000)}`);
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | string>;
}

async function waitReady(
  conn: PostgresConnection,
  child: ChildProcess,
  exited: Promise<unknown>,
  timeoutMs = 60_000,
): Promise<boolean> {
  const state = { gone: false };
  void exited.then(() => (state.gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !state.gone) {
    const client = new pg.Client({ ...conn, database: 'postgres' });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!state.gone) child.kill('SIGKILL');
  return false;
}

/** A new, empty database on the server; returns its name. */
export async function createDatabase(conn: PostgresConnection, prefix = 'wh_test'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ ...conn, database: 'postgres' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return name;
}

/** Runs one statement as the superuser on a database (tests looking at the DB's side). */
export async function queryAs<R extends pg.QueryResultRow = pg.QueryResultRow>(
  conn: PostgresConnection,
  database: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ ...conn, database });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
