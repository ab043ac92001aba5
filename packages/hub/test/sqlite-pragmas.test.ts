// The hub's connection to its SQLite file takes the one list of connection
// settings (store/sqlite-pragmas.ts): durable commits, foreign keys (a
// cluster's events go with it), reads through a memory map — and a store
// opened again has them again (none of them is kept in the file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, sqliteConnection } from '../src/store/db.js';
import { SQLITE_CONNECTION_PRAGMAS } from '../src/store/sqlite-pragmas.js';
import { SqliteTimelineWriter } from '../src/store/sqlite-writer.js';
import { writerWorkerMain, type WriterWorkerMessage } from '../src/store/sqlite-writer-worker.js';

/** Each setting of the list as the connection reports it back ("synchronous = FULL" reads 2). */
function expectEverySetting(sqlite: BetterSqlite3.Database): void {
  for (const p of SQLITE_CONNECTION_PRAGMAS) {
    const [name, value] = p.split('=').map((s) => s.trim());
    if (!name || !value) throw new Error(`not "name = value": ${p}`);
    const got = sqlite.pragma(name, { simple: true }) as number | string;
    expect(String(got), p).toBe(value === 'FULL' ? '2' : value === 'ON' ? '1' : value);
  }
}

describe("the hub's SQLite connection settings", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('applies every setting of the list, on a new store and on one opened again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-pragmas-'));
    dirs.push(dir);
    for (let open = 0; open < 2; open++) {
      const db = await openDatabase({ dataDir: dir, timelineWriter: false });
      try {
        const sqlite = sqliteConnection(db);
        if (!sqlite) throw new Error('no SQLite connection');
        const set = (name: string) => sqlite.pragma(name, { simple: true }) as number | string;
        expect(set('journal_mode')).toBe('wal');
        expect(set('synchronous')).toBe(2); // FULL
        expect(set('foreign_keys')).toBe(1);
        expect(set('busy_timeout')).toBe(5000);
        expect(set('mmap_size')).toBe(256 * 2 ** 20);
        expectEverySetting(sqlite);
      } finally {
        await db.destroy();
      }
    }
  });
  it("the timeline writer thread's connection takes the same list (what the writer hands its worker)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-pragmas-writer-'));
    dirs.push(dir);
    const db = await openDatabase({ dataDir: dir, timelineWriter: false });
    await db.destroy();
    const file = join(dir, 'hub.db');
    // The worker's own body, run here on the data the writer would start its thread with.
    const writer = new SqliteTimelineWriter(file);
    const opened: BetterSqlite3.Database[] = [];
    class Recording extends BetterSqlite3 {
      constructor(...args: ConstructorParameters<typeof BetterSqlite3>) {
        super(...args);
        opened.push(this);
      }
    }
    const told: WriterWorkerMessage[] = [];
    writerWorkerMain(writer['data'], {
      parentPort: { postMessage: (m) => told.push(m), on: () => undefined },
      Database: Recording as unknown as typeof BetterSqlite3,
    });
    expect(told).toEqual([{ type: 'ready' }]);
    const [sqlite] = opened;
    if (!sqlite) throw new Error('the worker opened no connection');
    try {
      expectEverySetting(sqlite);
    } finally {
      sqlite.close();
      await writer.close();
    }
  });
});
