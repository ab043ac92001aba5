// The merged workload log's page buffer: frames become tagged entries, and the
// buffer keeps the last MAX_LINES, counting what fell out (said in the page).
import { describe, expect, it } from 'vitest';
import { appendBounded, entriesOf, type Entry } from '../src/ui/WorkloadLogViewer.js';

describe('workload log buffer', () => {
  it('splits a data frame into one tagged entry per line', () => {
    expect(entriesOf({ type: 'data', pod: 'web-1', container: 'app', text: 'a\nb\n' })).toEqual([
      { kind: 'line', pod: 'web-1', container: 'app', text: 'a' },
      { kind: 'line', pod: 'web-1', container: 'app', text: 'b' },
    ]);
    expect(entriesOf({ type: 'left', pod: 'web-1', container: 'app', reason: 'deleted', message: 'gone' })).toEqual([
      { kind: 'note', pod: 'web-1', container: 'app', text: 'left: gone' },
    ]);
    expect(entriesOf({ type: 'dropped', bytes: 10, lines: 2 })[0]?.text).toBe(
      '2 lines (10 bytes) dropped by the hub: the page could not keep up',
    );
  });

  it('keeps the last max entries and counts the evicted ones', () => {
    const e = (n: number): Entry => ({ kind: 'line', pod: 'p', container: 'c', text: String(n) });
    let buf: Entry[] = [];
    let evicted = 0;
    for (let i = 0; i < 7; i++) {
      const r = appendBounded(buf, [e(i)], 5);
      buf = r.buf;
      evicted += r.evicted;
    }
    expect(buf.map((x) => x.text)).toEqual(['2', '3', '4', '5', '6']);
    expect(evicted).toBe(2);
  });
});
