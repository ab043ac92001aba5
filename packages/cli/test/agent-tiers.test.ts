// `wheelhouse agent --tiers` and `--node-shell-command`: node shells are their own opt-in, never implied.
import { describe, expect, it } from 'vitest';
import { parseCommand, parseTiers } from '../src/commands/agent.js';

describe('wheelhouse agent --tiers', () => {
  it('turns node shells on only when nodeShell is listed', () => {
    expect(parseTiers('basic,advanced,podExec')).toEqual({
      basic: true,
      advanced: true,
      podExec: true,
      nodeShell: false,
    });
    expect(parseTiers('nodeShell')).toEqual({ basic: false, advanced: false, podExec: false, nodeShell: true });
    expect(parseTiers('none').nodeShell).toBe(false);
  });
  it('names the known tiers for an unknown one', () => {
    expect(() => parseTiers('podexec')).toThrow(
      'unknown tier(s) podexec; use basic, advanced, podExec, nodeShell or none',
    );
  });
});

describe('wheelhouse agent --node-shell-command', () => {
  it('takes a JSON array of non-empty strings', () => {
    expect(parseCommand('["chroot","/host","sh"]')).toEqual(['chroot', '/host', 'sh']);
    for (const bad of ['sh', '[]', '[""]', '[1]', '{"a":1}'])
      expect(() => parseCommand(bad), bad).toThrow('--node-shell-command must be a JSON array of non-empty strings');
  });
});
