// Every action of the catalog has an end-to-end test against the real local
// cluster: some integration test case runs it for real, expects 'succeeded'
// and reads the effect back from the API server (rules in
// support/catalog-coverage.ts). A new action without such a test fails here.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionList } from '@wheelhouse/protocol';
import { catalogCoverage, integrationTestFiles, readFiles } from './support/catalog-coverage.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const catalog = actionList().map((a) => ({ id: a.id, title: a.title }));

describe('catalog coverage by real-cluster tests', () => {
  it('every catalog action is run, expected to succeed and checked in Kubernetes by an integration test', () => {
    const files = integrationTestFiles([join(repoRoot, 'packages'), join(repoRoot, 'test')]);
    expect(files.length).toBeGreaterThan(10);
    const coverage = catalogCoverage(catalog, readFiles(files), repoRoot);
    const report = Object.fromEntries(
      [...coverage].map(([id, cases]) => [id, cases.map((c) => `${c.file}: ${c.test}`)]),
    );
    const uncovered = Object.entries(report)
      .filter(([, cases]) => cases.length === 0)
      .map(([id]) => id);
    expect(uncovered, JSON.stringify(report, null, 2)).toEqual([]);
    // Parsing every integration test with the TypeScript parser takes ~3 s alone, over 5 s on a loaded 2-core machine.
  }, 30_000);

  // The rules reject what only looks like a test of the action.
  const one = (text: string, id = 'uncordon') =>
    catalogCoverage(catalog, [{ path: 'x.int.test.ts', text }]).get(id)?.length ?? 0;
  const full = `it('uncordons', async () => {
      const u = await h.run({ action: 'uncordon', target: { kind: 'Node', name: node } });
      expect(u.state).toBe('succeeded');
      expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
    });`;

  it('counts a case that runs the action, expects success and reads the API server', () => {
    expect(one(full)).toBe(1);
    // The console's way: the dialog's button.
    expect(
      one(`it('uncordons in the console', async () => {
        await dialog.getByRole('button', { name: 'Run uncordon node' }).click();
        expect(await terminalState(page)).toBe('succeeded');
        expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
      });`),
    ).toBe(1);
  });

  it.each([
    [
      'a comment',
      `// action: 'uncordon'\nit('x', async () => { expect(a).toBe('succeeded'); await core.readNode({}); });`,
    ],
    ['code outside a test case', `const body = { action: 'uncordon' };\n${full.replace("'uncordon'", "'cordon'")}`],
    ['a dry run', full.replace("action: 'uncordon',", "action: 'uncordon', dryRun: true,")],
    ['a preview', full.replace('h.run(', 'h.preview(')],
    ['no success expected', full.replace(".toBe('succeeded')", ".toBe('failed')")],
    ['no read from the API server', full.replace('core.readNode', 'fakeReadNode')],
    ['a read of something else', full.replace('core.readNode', 'readFileSync')],
    [
      'a success expected before the action ran',
      full
        .replace(
          "const u = await h.run({ action: 'uncordon'",
          "expect(x.state).toBe('succeeded');\n const u = await h.run({ action: 'uncordon'",
        )
        .replace("expect(u.state).toBe('succeeded');", ''),
    ],
  ])('does not count %s', (_what, text) => {
    expect(one(text)).toBe(0);
  });

  it('pairs each success with one action: a refused or unchecked first action is not covered', () => {
    const text = full.replace(
      "const u = await h.run({ action: 'uncordon'",
      "await h.post({ action: 'cordon', target: { kind: 'Node', name: node } });\n const u = await h.run({ action: 'uncordon'",
    );
    expect(one(text, 'uncordon')).toBe(1);
    expect(one(text, 'cordon')).toBe(0);
  });
});
