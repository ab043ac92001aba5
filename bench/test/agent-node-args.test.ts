import { describe, expect, it } from 'vitest';
import { agentNodeArgs } from '../src/agent-node-args.js';

describe('agent-sync runs the agent as its Helm chart does', () => {
  it("takes the chart's nodeOptions, unless BENCH_AGENT_NODE_ARGS replaces them", () => {
    expect(agentNodeArgs(undefined)).toEqual(['--max-semi-space-size=8']);
    expect(agentNodeArgs('--max-old-space-size=300  --max-semi-space-size=4')).toEqual([
      '--max-old-space-size=300',
      '--max-semi-space-size=4',
    ]);
    expect(agentNodeArgs('')).toEqual([]);
  });
});
