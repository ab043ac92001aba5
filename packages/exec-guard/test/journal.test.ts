// The durable journal: what was appended survives a crash (the process never
// closes the file), done entries are not replayed, a torn tail is dropped, and
// compaction keeps exactly the pending entries.
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, lockDataDir, newEntryId, type InteractionEntry } from '../src/journal.js';

const entry = (pod: string): InteractionEntry => ({
  kind: 'interaction',
  id: newEntryId(),
  at: Date.now(),
  namespace: 'shop',
  pod,
  operation: 'exec',
  user: 'alice',
  groups: [],
  command: ['sh'],
});

describe('journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replays every appended entry not marked done, in order, after a crash', async () => {
    const { journal } = await Journal.open({ dir });
    const entries = Array.from({ length: 50 }, (_, i) => entry(`pod-${i}`));
    await Promise.all(entries.map((e) => journal.append(e)));
    await journal.markDone(entries[3]?.id ?? '');
    // No close(): as if the process was killed here.
    const { pending, journal: again } = await Journal.open({ dir });
    expect(pending.map((e) => e.id)).toEqual(entries.filter((_, i) => i !== 3).map((e) => e.id));
    expect(pending[0]).toEqual(entries[0]);
    await again.close();
    await journal.close();
  });

  it('drops a torn last line and keeps appending on a fresh line', async () => {
    const { journal } = await Journal.open({ dir });
    const a = entry('a');
    await journal.append(a);
    await journal.close();
    await appendFile(join(dir, 'journal.jsonl'), '{"kind":"interaction","id":"torn","na');
    const { journal: j2, pending } = await Journal.open({ dir });
    expect(pending.map((e) => e.id)).toEqual([a.id]);
    const b = entry('b');
    await j2.append(b);
    await j2.close();
    const { journal: j3, pending: p3 } = await Journal.open({ dir });
    expect(p3.map((e) => e.id)).toEqual([a.id, b.id]);
    expect(await readFile(join(dir, 'journal.jsonl'), 'utf8')).not.toContain('torn');
    await j3.close();
  });

  it('compacts to the pending entries once enough are done', async () => {
    const { journal } = await Journal.open({ dir, compactAfter: 100 });
    const entries = Array.from({ length: 150 }, (_, i) => entry(`p${i}`));
    for (const e of entries) await journal.append(e);
    const sizeBefore = (await stat(journal.path)).size;
    for (const e of entries.slice(0, 140)) await journal.markDone(e.id);
    await journal.append(entry('after'));
    const size = (await stat(journal.path)).size;
    // Compacted at the 100th done marker: 50 pending entries, then 40 done markers and one entry appended.
    expect(size).toBeLessThan(sizeBefore / 2);
    await journal.close();
    const { journal: j2, pending } = await Journal.open({ dir });
    expect(pending.map((e) => e.pod)).toEqual([...entries.slice(140).map((e) => e.pod), 'after']);
    await j2.close();
  });

  it('group-commits concurrent appends and rejects appends after close', async () => {
    const { journal } = await Journal.open({ dir });
    await Promise.all(Array.from({ length: 500 }, (_, i) => journal.append(entry(`g${i}`))));
    expect(journal.appended).toBe(500);
    await journal.close();
    await expect(journal.append(entry('late'))).rejects.toThrow('closed');
  });

  it('writes done markers without a sync of their own, and they still count on reopening', async () => {
    const { journal } = await Journal.open({ dir });
    const entries = Array.from({ length: 20 }, (_, i) => entry(`d${i}`));
    for (const e of entries) await journal.append(e);
    // Count fdatasyncs from here on (every FileHandle shares the prototype).
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = proto.datasync;
    let syncs = 0;
    proto.datasync = function (this: unknown) {
      syncs++;
      return datasync.call(this);
    };
    try {
      for (const e of entries.slice(0, 15)) await journal.markDone(e.id);
      expect(syncs).toBe(0);
      await journal.append(entry('next'));
      expect(syncs).toBe(1);
    } finally {
      proto.datasync = datasync;
    }
    expect(journal.pendingEntries().map((e) => e.pod)).toEqual([...entries.slice(15).map((e) => e.pod), 'next']);
    const { pending, journal: again } = await Journal.open({ dir });
    expect(pending.map((e) => e.pod)).toEqual([...entries.slice(15).map((e) => e.pod), 'next']);
    await again.close();
    await journal.close();
  });

  it('loses no appended entry when the process is killed while appends and done markers are in flight', async () => {
    // A child process appends and marks done as fast as it can (group commits of both kinds) and reports each
    // append once it resolved; it is killed (SIGKILL) mid-stream. Every reported entry not reported done is replayed.
    const journalJs = fileURLToPath(new URL('../dist/src/journal.js', import.meta.url));
    const script = `
      const { Journal, newEntryId } = await import(${JSON.stringify(journalJs)});
      const { journal } = await Journal.open({ dir: process.argv[1], compactAfter: 300 });
      let i = 0;
      const one = async () => {
        const id = newEntryId();
        await journal.append({ kind: 'interaction', id, at: Date.now(), namespace: 'shop', pod: 'p' + i++, operation: 'exec', user: 'alice', groups: [] });
        process.stdout.write('A ' + id + '\\n');
        if (i % 3 !== 0) { process.stdout.write('M ' + id + '\\n'); await journal.markDone(id); process.stdout.write('D ' + id + '\\n'); }
      };
      for (;;) await Promise.all(Array.from({ length: 8 }, one));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        // Past a few compactions (every 300 done markers).
        if (out.split('\n').length > 2000) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // stdout is a pipe, written synchronously: an "M" line is out before its markDone starts. An entry whose
    // markDone started but was not reported done may be either way after the kill (its marker may have reached
    // the file), so only entries never marked must remain, and only entries reported done must be gone.
    const lines = out.split('\n').filter((l) => /^[AMD] /.test(l));
    const idsOf = (tag: string): Set<string> =>
      new Set(lines.filter((l) => l.startsWith(tag + ' ')).map((l) => l.slice(2)));
    const done = idsOf('D');
    const marked = idsOf('M');
    const mustRemain = lines.filter((l) => l.startsWith('A ') && !marked.has(l.slice(2))).map((l) => l.slice(2));
    expect(mustRemain.length).toBeGreaterThan(100);
    const { pending, journal } = await Journal.open({ dir });
    const ids = new Set(pending.map((e) => e.id));
    expect(mustRemain.filter((id) => !ids.has(id))).toEqual([]);
    expect([...done].filter((id) => ids.has(id))).toEqual([]);
    await journal.close();
  });

  it("locks the data directory against a second live instance, and takes over a dead one's lock", async () => {
    const unlock = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toThrow(/is in use by this process/);
    await unlock();
    // A lock left by a process that no longer exists (kill -9) is taken over.
    await appendFile(join(dir, 'lock'), '2147483646');
    const again = await lockDataDir(dir);
    await again();
  });
});
