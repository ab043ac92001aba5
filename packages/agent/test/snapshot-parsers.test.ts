// The diagnostics snapshot's parsers on real outputs (fixtures/diagnostics:
// procps-ng 4.0.2 / coreutils and BusyBox 1.35 as Debian 12 ships them,
// commands as in snapshot-parsers.ts; long paths shortened).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOW_MEMORY_PERCENT, parseDf, parseFree, parsePs, topProcesses } from '../src/diagnostics/snapshot-parsers.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', 'diagnostics', name), 'utf8');
const KI = 1024;

describe('parsePs', () => {
  it('procps: pid, user, %CPU, %MEM, RSS in KiB, the whole command line', () => {
    const rows = parsePs(fixture('procps-ps.txt'));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({
      pid: 30028,
      user: 'root',
      cpuPercent: 17.4,
      memPercent: 1.9,
      rssBytes: 488472 * KI,
      command: 'node bench/dist/src/main.js console-pods',
    });
    const top = topProcesses(rows, 2);
    expect(top.byMemory.map((r) => r.pid)).toEqual([30028, 30726]);
    expect(top.byCpu?.map((r) => r.pid)).toEqual([31278, 30726]);
  });

  it('BusyBox: scaled RSS ("49m", "286m", plain KiB), no CPU column (so no top by CPU)', () => {
    const rows = parsePs(fixture('busybox-ps.txt'));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({
      pid: 2557,
      user: 'root',
      cpuPercent: null,
      memPercent: null,
      rssBytes: 49 * KI * KI,
    });
    expect(rows[0]?.command).toMatch(/^\/opt\/kwok\/clusters\/wheelhouse\/bin\/etcd --name=node0 /);
    expect(rows[5]).toMatchObject({ pid: 19220, rssBytes: 1536 * KI, command: 'sh -c echo jit-ready; sleep 600' });
    const top = topProcesses(rows, 1);
    expect(top.byMemory[0]?.pid).toBe(3200);
    expect(top.byCpu).toBeNull();
  });

  it('not ps output (an error, an empty answer): no rows', () => {
    expect(parsePs('ps: unrecognized option: e\nBusyBox v1.35.0 multi-call binary.')).toEqual([]);
    expect(parsePs('')).toEqual([]);
  });
});

describe('parseFree', () => {
  it.each(['procps-free.txt', 'busybox-free.txt'])('%s: total, used, available and its share', (name) => {
    const m = parseFree(fixture(name));
    expect(m?.totalBytes).toBe(24683652 * KI);
    expect(m?.availableEstimated).toBe(false);
    expect(m?.availablePercent).toBeCloseTo(76, 0);
    expect(m?.low).toBe(false);
  });

  it(`flags less than ${LOW_MEMORY_PERCENT} % available; estimates it (free + buffers + cached) when not printed`, () => {
    const low = fixture('procps-free.txt').replace('18775024', '2468365');
    expect(parseFree(low)).toMatchObject({ availablePercent: 10, low: true });
    const noAvailable = [
      '             total       used       free     shared    buffers     cached',
      'Mem:       1000000     900000     100000          0      20000      30000',
    ].join('\n');
    expect(parseFree(noAvailable)).toMatchObject({
      availableBytes: 150000 * KI,
      availableEstimated: true,
      availablePercent: 15,
      low: true,
    });
    expect(parseFree('free: command not found')).toBeNull();
  });
});

describe('parseDf', () => {
  it.each(['procps-df.txt', 'busybox-df.txt'])('%s: filesystems fullest first, sizes in bytes', (name) => {
    const rows = parseDf(fixture(name));
    expect(rows[0]).toMatchObject({
      filesystem: '/dev/vda',
      sizeBytes: 264212084 * KI,
      usePercent: 30,
      mountedOn: '/',
    });
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.map((r) => r.usePercent)).toEqual([...rows.map((r) => r.usePercent)].sort((a, b) => b - a));
  });

  it('keeps a mount point with spaces whole; ignores what is not df output', () => {
    const rows = parseDf(
      'Filesystem     1024-blocks  Used Available Capacity Mounted on\n/dev/sdb1  1000 900 100 90% /mnt/my data\n',
    );
    expect(rows).toEqual([
      {
        filesystem: '/dev/sdb1',
        sizeBytes: 1000 * KI,
        usedBytes: 900 * KI,
        availableBytes: 100 * KI,
        usePercent: 90,
        mountedOn: '/mnt/my data',
      },
    ]);
    expect(parseDf('df: executable file not found in $PATH')).toEqual([]);
  });
});
