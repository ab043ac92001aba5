// The Node.js options the agent runs with, read from the agent's Helm chart
// (its `nodeOptions` value), so agent-sync measures the agent as deployed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VALUES = join('deploy', 'helm', 'wheelhouse-agent', 'values.yaml');

/** The chart's values file, found upwards from here (bench/src under vitest, bench/dist/src when built). */
function chartValues(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, VALUES))) return join(dir, VALUES);
  }
  throw new Error(`${VALUES} not found above ${fileURLToPath(import.meta.url)}`);
}

/** The chart's nodeOptions as node arguments; `override` (BENCH_AGENT_NODE_ARGS) replaces them for an experiment. */
export function agentNodeArgs(override = process.env.BENCH_AGENT_NODE_ARGS): string[] {
  const file = chartValues();
  const shipped = /^nodeOptions:\s*"([^"]*)"/m.exec(readFileSync(file, 'utf8'))?.[1];
  if (shipped === undefined) throw new Error(`no nodeOptions in ${file}`);
  return (override ?? shipped).split(' ').filter(Boolean);
}
