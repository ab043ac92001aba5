// Issue 13 item 20: the image runs a supported Node.js line, and every
// `engines` says which lines each package (and the native SQLite addon it
// builds) runs on. No container engine here: this reads the Dockerfile, the
// package manifests and the lockfile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const dockerfile = read('Dockerfile');
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { engines?: { node?: string }; dev?: boolean; version?: string }>;
};

/** Whether version "M.m.p" is in an npm engines range (the comparator forms the lockfile holds). */
function admits(range: string, version: string): boolean {
  const v = version.split('.').map(Number);
  const parts = (s: string): string[] => s.split('.').filter((x) => x !== '');
  const num = (s: string): number[] => [...parts(s).map((x) => (x === 'x' ? 0 : Number(x))), 0, 0, 0].slice(0, 3);
  const cmp = (a: number[], b: number[]): number => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const one = (c: string): boolean => {
    if (c === '*' || c === '') return true;
    const m = /^(>=|<=|>|<|\^|~)?(.+)$/.exec(c);
    const op = m?.[1] ?? '';
    const at = num(m?.[2] ?? '');
    const d = cmp(v, at);
    if (op === '>=') return d >= 0;
    if (op === '>') return d > 0;
    if (op === '<=') return d <= 0;
    if (op === '<') return d < 0;
    if (op === '^') return v[0] === at[0] && d >= 0;
    if (op === '~') return v[0] === at[0] && v[1] === at[1] && d >= 0;
    // "20", "20.x", "0.8.x", "1.2.3": the parts given must match.
    return parts(m?.[2] ?? '').every((x, i) => x === 'x' || Number(x) === v[i]);
  };
  return range.split('||').some((alt) =>
    alt
      .trim()
      .replace(/(>=|<=|>|<|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .every(one),
  );
}

const RUNTIME_PACKAGES = ['packages/protocol', 'packages/hub', 'packages/agent', 'packages/exec-guard', 'packages/cli'];
const ALL_PACKAGES = ['.', ...RUNTIME_PACKAGES, 'packages/web', 'test/cluster', 'test/e2e', 'bench'];
const engines = (dir: string): string | undefined =>
  (JSON.parse(read(join(dir, 'package.json'))) as { engines?: { node?: string } }).engines?.node;

describe('the image’s Node.js line', () => {
  const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-(\S+) AS \S+$/gm)].map((m) => [m[1], m[2]]);

  it('builds and runs on one Node.js LTS line newer than 20 (end of life 2026-04-30)', () => {
    expect(majors.map(([, variant]) => variant)).toEqual(['trixie', 'trixie-slim']);
    const lines = new Set(majors.map(([major]) => Number(major)));
    expect(lines.size).toBe(1);
    const [line] = [...lines];
    expect(line).toBeGreaterThanOrEqual(24);
    expect((line ?? 0) % 2).toBe(0); // even lines become LTS
    // node-gyp must find the image's own Node headers, not the dev machine's (.npmrc nodedir=/usr).
    expect(dockerfile).toMatch(/^ENV npm_config_nodedir=\/usr\/local$/m);
  });

  it('is admitted by every package’s engines and by every runtime dependency, the native addon included', () => {
    const line = `${majors[0]?.[0]}.1.0`;
    for (const dir of ALL_PACKAGES) expect({ dir, ok: admits(engines(dir) ?? '', line) }).toEqual({ dir, ok: true });
    const refused = Object.entries(lock.packages)
      .filter(([p, info]) => p.includes('node_modules/') && !info.dev && info.engines?.node)
      .filter(([, info]) => !admits(info.engines?.node ?? '', line))
      .map(([p, info]) => `${p} ${info.engines?.node}`);
    expect(refused).toEqual([]);
    expect(lock.packages['node_modules/better-sqlite3']?.version).toBe('12.11.1');
  });

  it('states honestly that the runtime packages need Node 22 or newer (a dependency, cookie 2, says so)', () => {
    for (const dir of ['packages/hub', 'packages/agent', 'packages/exec-guard', 'packages/cli']) {
      expect({ dir, node20: admits(engines(dir) ?? '', '20.19.0') }).toEqual({ dir, node20: false });
      expect({ dir, node22: admits(engines(dir) ?? '', '22.12.0') }).toEqual({ dir, node22: true });
    }
    expect(lock.packages['node_modules/cookie']?.engines?.node).toBe('>=22');
    // The repository itself (tests, tools) still runs on this machine's Node 20.
    expect(admits(engines('.') ?? '', process.versions.node)).toBe(true);
  });
});
