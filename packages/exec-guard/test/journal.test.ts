// The durable journal: what was appended survives a crash (the process never
// closes the file), done entries are not replayed, a torn tail is dropped, and
// compaction keeps exactly the pending entries.
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
