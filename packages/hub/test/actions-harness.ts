// Shared by the actions-*.int.test.ts files: a hub + agent on the real
// cluster, an operator with a bearer token, and the HTTP calls a client makes
// (POST …/actions, then GET /api/v1/actions/{id} until the command is terminal).
import { afterAll, beforeAll } from 'vitest';
import { eventually } from '@wheelhouse/test-cluster/testing';
import type { CommandView } from '../src/commands/command-view.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

export interface ActionBody {
  action: string;
  target: { kind: string; namespace?: string; name: string };
  params?: Record<string, unknown>;
  reason?: string;
  dryRun?: boolean;
}

export interface Harness {
  p: Pipeline;
  username: string;
  post(body: ActionBody): Promise<{ status: number; body: Record<string, unknown> }>;
  /** POST, expect 202, then wait for the terminal state. */
  run(body: ActionBody, timeoutMs?: number): Promise<CommandView>;
  /** POST with dryRun: true, expect 200 with the preview. */
  preview(body: ActionBody): Promise<{ status: string; message: string; preview: Preview }>;
  get(id: string): Promise<CommandView>;
}

export interface Preview {
  summary: string;
  diff: { path: string; from?: unknown; to?: unknown }[];
  warnings: string[];
  affected: { kind: string; namespace: string; name: string; effect: string }[];
}

/** Starts the pipeline for the file (beforeAll) and stops it after (afterAll). */
export function useHarness(): Harness {
  const h = {} as Harness;
  let token = '';
  beforeAll(async () => {
    useFastPasswordHashing();
    const p = await startPipeline();
    const user = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    token = user.token;
    await eventually('agent connected', async () => (await p.hub.clusters.get(p.cluster))?.connected);
    const call = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${p.url}${path}`, {
        method,
        headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    h.p = p;
    h.username = user.username;
    h.post = (body) => call('POST', `/api/v1/clusters/${p.cluster}/actions`, body);
    h.get = async (id) => (await call('GET', `/api/v1/actions/${id}`)).body as unknown as CommandView;
    h.run = async (body, timeoutMs = 90_000) => {
      const r = await h.post(body);
      if (r.status !== 202) throw new Error(`POST ${body.action}: ${r.status} ${JSON.stringify(r.body)}`);
      const id = String(r.body.id);
      return eventually(
        `${body.action} ${body.target.kind}/${body.target.name} to finish`,
        async () => {
          const c = await h.get(id);
          return ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      );
    };
    h.preview = async (body) => {
      const r = await h.post({ ...body, dryRun: true });
      if (r.status !== 200) throw new Error(`dry run ${body.action}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as unknown as { status: string; message: string; preview: Preview };
    };
  });
  afterAll(() => h.p.stop());
  return h;
}

/** A Deployment-style pod template kwok runs. */
export function podTemplate(app: string, image: string): Record<string, unknown> {
  return {
    metadata: { labels: { app } },
    spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image }] },
  };
}
