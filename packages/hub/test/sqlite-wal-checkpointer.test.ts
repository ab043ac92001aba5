// WAL checkpoints of the embedded store run in a worker thread, not inside the
// hub's commits (issue 18, fan-in p99). Everything is measured from the
// database's side: the size of hub.db (pages copied in by a checkpoint) and of
// hub.db-wal on the file system, rows read back, SQLite's integrity check.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, sqliteConnection, walCheckpointer, type HubDb } from '../src/store/db.js';
import type { WalCheckpointOptions } from '../src/store/sqlite-checkpointer.js';
import { createHub } from '../src/server.js';

const PAGE = 4096;
const FRAME = PAGE + 24;
const dirs: string[] = [];
const dbs: HubDb[] = [];

afterEach(async () => {
  for (const db of dbs.splice(0)) await db.destroy();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(walCheckpoint: WalCheckpointOptions | false) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-ckpt-'));
  dirs.push(dataDir);
  const db = await openDatabase({ dataDir, walCheckpoint });
  dbs.push(db);
  const sqlite = sqliteConnection(db) as BetterSqlite3.Database;
  sqlite.exec('create table pad (id integer primary key, body blob not null)');
  const insert = sqlite.prepare('insert into pad (body) values (randomblob(?))');
  const file = join(dataDir, 'hub.db');
  return {
    db,
    sqlite,
    file,
    dbBytes: () => statSync(file).size,
    walBytes: () => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0),
    walFrames: () => walFrames(file),
    /** One transaction of `rows` rows of `bytes` random bytes each. */
    write: sqlite.transaction((rows: number, bytes: number) => {
      for (let i = 0; i < rows; i++) insert.run(bytes);
    }),
  };
}

/**
 * Frames in the WAL now (the -wal file keeps its length after SQLite rewinds
 * it): mxFrame of the wal-index header in hub.db-shm (sqlite.org/walformat.html).
 */
function walFrames(file: string): number {
  const fd = openSync(`${file}-shm`, 'r');
  try {
    const header = Buffer.alloc(48);
    readSync(fd, header, 0, 48, 0);
    return header.readUInt32LE(16);
  } finally {
    closeSync(fd);
  }
}

/** Sustained small commits, each in its own event-loop turn, like the hub's ingest; the largest -wal file seen. */
async function sustain(s: Awaited<ReturnType<typeof open>>, ms: number) {
  let maxWal = 0;
  let maxFrames = 0;
  let commits = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    s.write(8, 1500); // ~3-4 pages
    commits++;
    maxWal = Math.max(maxWal, s.walBytes());
    maxFrames = Math.max(maxFrames, s.walFrames());
    await sleep(1);
  }
  return { maxWal, maxFrames, commits };
}

describe('SQLite WAL checkpoints off the event loop', () => {
  it('a worker copies a committed WAL into hub.db while the hub thread is blocked', async () => {
    const s = await open({ thresholdPages: 100, pollMs: 20 });
    // One commit of ~2,000 pages: SQLite's own autocheckpoint (1,000 pages) would copy them inside this COMMIT.
    s.write(2000, 3000);
    const before = s.dbBytes();
    // The hub's thread now makes no SQLite call and runs no event loop: it sleeps and looks at the file.
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; waited < 15_000 && s.dbBytes() - before <= 1500 * PAGE; waited += 50) {
      Atomics.wait(sleeper, 0, 0, 50);
    }
    expect(s.dbBytes() - before).toBeGreaterThan(1500 * PAGE);
    expect(s.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  });

  it('keeps the -wal file bounded under sustained writes and copies them into hub.db', async () => {
    const s = await open({ thresholdPages: 100, resetLimitPages: 400, pollMs: 20 });
    const { maxWal, commits } = await sustain(s, 3000);
    expect(commits).toBeGreaterThan(300);
    // Written: ~4 pages per commit. Kept: at most the rewind limit (+ the commits between two polls).
    expect(maxWal).toBeLessThan(800 * FRAME);
    expect(s.dbBytes()).toBeGreaterThan(commits * 2 * PAGE);
    expect(s.sqlite.prepare('select count(*) as n from pad').get()).toEqual({ n: commits * 8 });
    expect(s.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('falls back to SQLite checkpointing in commits when the worker dies, and loses no write', async () => {
    const s = await open({ thresholdPages: 100, resetLimitPages: 400, pollMs: 20 });
    const ckpt = walCheckpointer(s.db);
    expect(ckpt).toBeDefined();
    const fallbacks: string[] = [];
    ckpt?.on('fallback', (r) => fallbacks.push(r));
    await sustain(s, 1000);
    await ckpt?.worker.terminate();
    // Let the WAL be rewound once by whatever checkpoints now, then watch it.
    await sustain(s, 500);
    const after = await sustain(s, 2000);
    expect(fallbacks).toEqual([expect.stringContaining('worker exited')]);
    // SQLite's own checkpoint at 100 pages, not only the hub's rewind at 400: the WAL stays near 100 pages.
    expect(after.maxFrames).toBeLessThan(250);
    expect(after.maxWal).toBeLessThan(600 * FRAME);
    expect(s.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('stops the worker on store destroy: the last connection closes, checkpoints and removes the -wal file', async () => {
    const s = await open({ thresholdPages: 100, pollMs: 20 });
    const ckpt = walCheckpointer(s.db);
    let exited = false;
    ckpt?.worker.once('exit', () => (exited = true));
    s.write(50, 3000);
    expect(s.walBytes()).toBeGreaterThan(0);
    await s.db.destroy();
    dbs.splice(dbs.indexOf(s.db), 1);
    expect(exited).toBe(true);
    expect(existsSync(`${s.file}-wal`)).toBe(false);
    expect(ckpt?.stats.fallback).toBeUndefined();
  });

  it('leaves in-memory stores and walCheckpoint: false alone', async () => {
    const mem = await openDatabase({ dataDir: ':memory:' });
    expect(walCheckpointer(mem)).toBeUndefined();
    await mem.destroy();
    const s = await open(false);
    expect(walCheckpointer(s.db)).toBeUndefined();
    expect(s.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it("reports the worker's checkpoints, the -wal length and a fallback in the hub's /metrics", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wh-ckpt-hub-'));
    dirs.push(dataDir);
    const hub = await createHub({ dataDir, logger: false, webRoot: false });
    try {
      const sqlite = sqliteConnection(hub.db) as BetterSqlite3.Database;
      sqlite.exec('create table pad (body blob not null)');
      // ~1,500 pages: past the default threshold of 1,000.
      sqlite
        .prepare(
          'with recursive n(i) as (select 1 union all select i + 1 from n where i < 1500) insert into pad select randomblob(3000) from n',
        )
        .run();
      const scrape = async () => (await hub.app.inject({ method: 'GET', url: '/metrics' })).body;
      await expect.poll(scrape).toMatch(/wheelhouse_store_wal_checkpoints_total\{by="worker"\} [1-9]/);
      const body = await scrape();
      expect(body).toMatch(/wheelhouse_store_wal_bytes [1-9]\d{6}/);
      expect(body).toMatch(/wheelhouse_store_wal_checkpoint_seconds_count\{by="worker"\} [1-9]/);
      expect(body).toContain('wheelhouse_store_wal_checkpoint_fallback 0');
      await walCheckpointer(hub.db)?.worker.terminate();
      await expect.poll(scrape).toContain('wheelhouse_store_wal_checkpoint_fallback 1');
    } finally {
      await hub.close();
    }
  });

  it('finishes store destroy in a process with nothing else to do (built hub store): the code after it runs', async () => {
    // A stopping hub awaits destroy and then logs and exits; the worker is unref()ed, so
    // without being held while it stops, Node ended the process inside destroy (exit 0)
    // in about half the runs: ten runs, each must print after destroy.
    const dbModule = fileURLToPath(new URL('../dist/src/store/db.js', import.meta.url));
    for (let run = 0; run < 10; run++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'wh-ckpt-close-'));
      dirs.push(dataDir);
      const script = `
        const { openDatabase, sqliteConnection } = await import(${JSON.stringify(dbModule)});
        const db = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} });
        sqliteConnection(db).exec('create table pad (id integer primary key)');
        await db.destroy();
        process.stdout.write('destroyed');`;
      // A script file, not -e: an -e script's process stayed alive through destroy either way.
      const scriptFile = join(dataDir, 'close.mjs');
      writeFileSync(scriptFile, script);
      const child = spawn(process.execPath, [scriptFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      expect({ run, code, out }).toEqual({ run, code: 0, out: 'destroyed' });
      expect(existsSync(join(dataDir, 'hub.db-wal'))).toBe(false);
    }
  }, 60_000);

  it('keeps every committed row when the process is SIGKILLed while the worker checkpoints (built hub store)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wh-ckpt-kill-'));
    dirs.push(dataDir);
    const dbModule = fileURLToPath(new URL('../dist/src/store/db.js', import.meta.url));
    const script = `
      const { openDatabase, sqliteConnection } = await import(${JSON.stringify(dbModule)});
      const db = await openDatabase({ dataDir: ${JSON.stringify(dataDir)}, walCheckpoint: { thresholdPages: 50, pollMs: 10 } });
      const sqlite = sqliteConnection(db);
      sqlite.exec('create table pad (id integer primary key, body blob not null)');
      const insert = sqlite.prepare('insert into pad (id, body) values (?, randomblob(3000))');
      let id = 0;
      for (;;) {
        sqlite.transaction(() => { for (let i = 0; i < 20; i++) insert.run(++id); })();
        process.stdout.write(id + '\\n');
        await new Promise((r) => setImmediate(r));
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const file = join(dataDir, 'hub.db');
    // Kill once the worker has copied a good part of the WAL into hub.db and keeps copying.
    await expect
      .poll(() => (existsSync(file) ? statSync(file).size : 0), { timeout: 20_000 })
      .toBeGreaterThan(2000 * PAGE);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(err).toBe('');
    const acknowledged = Math.max(...out.trim().split('\n').map(Number));
    expect(acknowledged).toBeGreaterThan(1000);
    const check = new BetterSqlite3(file);
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      const { n, top } = check.prepare('select count(*) as n, max(id) as top from pad').get() as {
        n: number;
        top: number;
      };
      expect(top).toBeGreaterThanOrEqual(acknowledged);
      expect(n).toBe(top);
    } finally {
      check.close();
    }
  });
});
