import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';

const run = promisify(execFile);
// The built entry point, exactly as `npm install -g` or `npx wheelhouse` would run it.
const main = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('wheelhouse CLI', () => {
  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [main, '--version']);
    expect(stdout.trim()).toBe(WHEELHOUSE_VERSION);
  });

  it('prints help naming the command', async () => {
    const { stdout } = await run(process.execPath, [main, '--help']);
    expect(stdout).toContain('Usage: wheelhouse');
    expect(stdout).toContain('--version');
  });

  it('rejects an unknown option with exit code 2 (usage) and an error line naming the help', async () => {
    const failure: unknown = await run(process.execPath, [main, '--bogus']).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toBe(
      "error: unknown option '--bogus'\nRun 'wheelhouse --help' for usage.\n",
    );
  });
});
