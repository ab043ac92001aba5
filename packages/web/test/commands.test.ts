import { describe, expect, it } from 'vitest';
import type { CommandView } from '../src/api/types.js';
import { mergeCommand } from '../src/data/commands.js';

const view = (state: CommandView['state'], updatedAt: number, message: string | null = null): CommandView => ({
  id: 'c1',
  cluster: 'c',
  action: 'scale',
  target: { kind: 'Deployment', namespace: 'ns', name: 'web' },
  params: {},
  reason: null,
  dryRun: false,
  requestedBy: 'ann',
  state,
  message,
  result: null,
  createdAt: 0,
  updatedAt,
  expiresAt: 1e9,
});

describe('a command followed live', () => {
  it('keeps the newer state when the detail answers after live updates, and every state once', () => {
    let c = mergeCommand(undefined, view('running', 30, 'executing'));
    c = mergeCommand(c, view('succeeded', 40, 'done'));
    // The GET issued at the start answers late, with an older state.
    c = mergeCommand(c, {
      ...view('dispatched', 20),
      transitions: [
        { state: 'pending', at: 10, message: null },
        { state: 'dispatched', at: 20, message: null },
      ],
    });
    expect(c.state).toBe('succeeded');
    expect(c.message).toBe('done');
    expect(c.transitions?.map((t) => t.state)).toEqual(['pending', 'dispatched', 'running', 'succeeded']);
  });
});
