// Resource usage end to end: kwok simulates a pod's use, metrics-server
// measures it (metrics.k8s.io through the aggregation layer), the agent reads
// it with the pod's requests and limits, the hub keeps it, and both the API
// and `wheelhouse top` show it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { storeFactories } from './support/store-factories.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();
const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/dist/src/main.js', import.meta.url));
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const Mi = 1024 ** 2;

interface PodsAnswer {
  available: boolean;
  items: {
    namespace: string;
    name: string;
    cpu: number;
    memory: number;
    containers: {
      name: string;
      requests: { cpu: number | null; memory: number | null };
      limits: { memory: number | null };
    }[];
  }[];
}

describe.each(storeFactories)('resource usage ($name store)', (store) => {
  let p: Pipeline;
  let ns: string;
  let token: string;

  beforeAll(async () => {
    ns = await testNamespace('usage');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: 'busy',
          annotations: { 'kwok.x-k8s.io/usage-cpu': '250m', 'kwok.x-k8s.io/usage-memory': '300Mi' },
        },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.local/busy:1',
              resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
            },
          ],
        },
      },
    });
    p = await startPipeline({ hub: await store.options(), agent: { usageIntervalMs: 3_000 } });
    token = (await addUser(p.hub, { bindings: [{ role: 'viewer' }] })).token;
  });
  afterAll(async () => {
    await p.stop();
  });

  it('reads metrics.k8s.io into the hub: usage next to requests and limits, and a history', async () => {
    const pod = await eventually(
      'busy measured',
      async () => {
        const res = await p.hub.app.inject({
          url: `/api/v1/clusters/${p.cluster}/usage/pods?namespace=${ns}`,
          headers: bearer(token),
        });
        return res.json<PodsAnswer>().items.find((i) => i.name === 'busy');
      },
      { timeoutMs: 90_000, intervalMs: 1_000 },
    );
    expect(Math.abs(pod.cpu - 250)).toBeLessThanOrEqual(5);
    expect(pod.memory).toBe(300 * Mi);
    expect(pod.containers[0]).toMatchObject({
      name: 'app',
      requests: { cpu: 500, memory: 512 * Mi },
      limits: { memory: 1024 * Mi },
    });

    const history = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/usage/pods?namespace=${ns}&name=busy`,
      headers: bearer(token),
    });
    expect(history.json<{ history: { memory: number }[] }>().history.at(-1)?.memory).toBe(300 * Mi);

    const node = (await core.readNamespacedPod({ namespace: ns, name: 'busy' })).spec?.nodeName;
    const nodes = await p.hub.app.inject({ url: `/api/v1/clusters/${p.cluster}/usage/nodes`, headers: bearer(token) });
    const n = nodes
      .json<{ items: { name: string; cpu: number; allocatable: { cpu: number | null } }[] }>()
      .items.find((x) => x.name === node);
    expect(n?.cpu).toBeGreaterThanOrEqual(245);
    expect(n?.allocatable.cpu).toBe(32_000);
  });

  it('wheelhouse top pods / nodes print it like kubectl top, with usage against requests and limits', async () => {
    const env = {
      ...process.env,
      WHEELHOUSE_HUB_URL: p.url,
      WHEELHOUSE_API_TOKEN: token,
      WHEELHOUSE_CLUSTER: p.cluster,
    };
    const { stdout } = await run('node', [CLI, 'top', 'pods', '-n', ns], { env });
    const [header, row] = stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'CPU', 'CPU/REQ', 'MEMORY', 'MEM/REQ', 'MEM/LIMIT']);
    expect(row?.split(/\s+/)).toEqual([ns, 'busy', expect.stringMatching(/^2(4|5)\dm$/), '50%', '300Mi', '59%', '29%']);
    const nodes = await run('node', [CLI, 'top', 'nodes', '--sort-by', 'memory'], { env });
    expect(nodes.stdout.split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%']);
  });

  it('a viewer of another namespace sees none of it; nodes need a cluster-wide view', async () => {
    const other = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: 'elsewhere' }] });
    const pods = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/usage/pods`,
      headers: bearer(other.token),
    });
    expect(pods.statusCode).toBe(200);
    expect(pods.json<PodsAnswer>().items.filter((i) => i.namespace === ns)).toEqual([]);
    const nodes = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/usage/nodes`,
      headers: bearer(other.token),
    });
    expect(nodes.statusCode).toBe(403);
  });
});
