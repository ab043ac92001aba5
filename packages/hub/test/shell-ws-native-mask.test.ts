// Shell bytes cross two masked WebSocket hops (agent → hub link, browser →
// hub); ws masks and unmasks them with bufferutil's native code when that
// loads, else with a JavaScript loop that showed in the bulk-output profiles
// (docs/performance.md, "Pod shell throughput"). bufferutil loads its build
// through node-gyp-build: a node_modules without it (a hand-copied install)
// silently falls back to JavaScript, so this asserts the native code is what
// ws gets.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('ws masking for shell bytes', () => {
  it('uses bufferutil native build, not its JavaScript fallback', () => {
    // Resolved the way ws resolves it: from ws's own location.
    const wsRequire = createRequire(createRequire(import.meta.url).resolve('ws'));
    const buPath = wsRequire.resolve('bufferutil');
    const buRequire = createRequire(buPath);
    const native = (): unknown => (buRequire('node-gyp-build') as (dir: string) => unknown)(dirname(buPath));
    expect(native, 'bufferutil needs node-gyp-build to load its build (npm ci installs it)').not.toThrow();
    const bu = wsRequire('bufferutil') as { mask: unknown; unmask: unknown };
    const fallback = buRequire('./fallback.js') as { mask: unknown; unmask: unknown };
    expect(bu.mask).not.toBe(fallback.mask);
    expect(bu.unmask).not.toBe(fallback.unmask);
  });
});
