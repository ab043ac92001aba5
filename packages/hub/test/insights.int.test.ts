// Health insights end to end on the real local cluster: each failure is made
// for real (scheduler, controllers, kwok's simulated kubelet), the agent's
// checks find it, the hub opens it (API + timeline), and it resolves once the
// cluster is fixed.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Insight, InsightCheckId } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { storeFactories } from './support/store-factories.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);
const policy = kc.makeApiClient(k8s.PolicyV1Api);
const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);

const TIMEOUT = { timeoutMs: 90_000, intervalMs: 300 };

function deployment(
  name: string,
  container: k8s.V1Container,
  more: {
    replicas?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    progressDeadlineSeconds?: number;
  } = {},
): k8s.V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: more.replicas ?? 1,
      ...(more.progressDeadlineSeconds ? { progressDeadlineSeconds: more.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name, ...more.labels },
          ...(more.annotations ? { annotations: more.annotations } : {}),
        },
        spec: { containers: [container] },
      },
    },
  };
}

/** A container that every "good practice" check is happy with. */
const wellKept = (
  name: string,
  image = 'registry.local/app:1.0',
  extra: Omit<k8s.V1Container, 'name' | 'image'> = {},
): k8s.V1Container => ({
  name,
  image,
  resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
  readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
  livenessProbe: { httpGet: { path: '/live', port: 8080 } },
  ...extra,
});

describe.each(storeFactories)('health insights on the real cluster ($name store)', (store) => {
  let p: Pipeline;
  let ns: string;
  let quotaNs: string;
  const node = `insight-node-${Math.random().toString(36).slice(2, 7)}`;

  async function insights(): Promise<Insight[]> {
    return p.hub.insights.query(p.cluster, { limit: 5000 });
  }

  /** The open insight of this check on this object (or whose owner is it). */
  async function opened(check: InsightCheckId, name: string, namespace = ns, timeout = TIMEOUT): Promise<Insight> {
    return eventually(
      `${check} open on ${name}`,
      async () =>
        (await insights()).find(
          (i) =>
            i.check === check &&
            i.state === 'open' &&
            i.object.namespace === (i.object.kind === 'Node' ? '' : namespace) &&
            (i.object.name === name || i.owner?.name === name),
        ),
      timeout,
    );
  }

  async function resolved(i: Insight, timeout = TIMEOUT): Promise<Insight> {
    return eventually(
      `${i.check} on ${i.object.name} resolved`,
      async () => (await insights()).find((x) => x.id === i.id && x.state === 'resolved'),
      timeout,
    );
  }

  async function patchDeployment(name: string, patch: object, namespace = ns): Promise<void> {
    await apps.patchNamespacedDeployment(
      { namespace, name, body: patch },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  }

  beforeAll(async () => {
    ns = await testNamespace('insights');
    quotaNs = await testNamespace('insights-quota');
    const create = (d: k8s.V1Deployment, namespace = ns) => apps.createNamespacedDeployment({ namespace, body: d });

    // Pending: an unbound claim (its StorageClass does not exist), too much CPU, a selector no node matches.
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: {
        metadata: { name: 'ledger-data' },
        spec: {
          storageClassName: 'slow-missing',
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'ledger-db' },
        spec: {
          containers: [{ name: 'db', image: 'registry.local/db:1' }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'ledger-data' } }],
        },
      },
    });
    await create(
      deployment(
        'hungry',
        wellKept('app', undefined, {
          resources: { requests: { cpu: '500', memory: '16Mi' }, limits: { memory: '64Mi' } },
        }),
      ),
    );
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'picky' },
        spec: {
          nodeSelector: { [`wheelhouse.dev/${node}`]: 'yes' },
          containers: [{ name: 'app', image: 'registry.local/app:1' }],
        },
      },
    });
    // Quota: no pods allowed in that namespace.
    await core.createNamespacedResourceQuota({
      namespace: quotaNs,
      body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } },
    });
    await create(deployment('blocked', wellKept('app')), quotaNs);
    // The simulated kubelet: image pull failures, crash loops, OOM kills, failing readiness.
    await create(
      deployment('crashy', wellKept('app'), {
        labels: { 'wheelhouse.dev/simulate': 'crashloop' },
        annotations: { 'wheelhouse.dev/exit-code': '3' },
      }),
    );
    await create(
      deployment('memhog', wellKept('app'), {
        labels: { 'wheelhouse.dev/simulate': 'crashloop' },
        // Runs 20 s before each kill, long enough for metrics-server to measure kwok's simulated 60Mi.
        annotations: {
          'wheelhouse.dev/exit-code': '137',
          'wheelhouse.dev/reason': 'OOMKilled',
          'wheelhouse.dev/run-seconds': '20',
          'kwok.x-k8s.io/usage-memory': '60Mi',
        },
      }),
    );
    await create(deployment('sleepy', wellKept('app'), { labels: { 'wheelhouse.dev/simulate': 'unready' } }));
    // A Deployment that was healthy at revision 1; revision 2's image cannot be pulled and its rollout stalls.
    await create(
      deployment('shop', wellKept('app', 'registry.local/shop:1.4'), { replicas: 2, progressDeadlineSeconds: 5 }),
    );
    // Jobs and CronJobs.
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'migrate' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'registry.local/migrate:1' }] },
          },
        },
      },
    });
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 * * *',
          suspend: true,
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'n', image: 'registry.local/n:1' }] } },
            },
          },
        },
      },
    });
    // A CronJob every minute whose Job hangs (its pod fits no node) under concurrencyPolicy Forbid: the
    // controller skips every later run ("JobAlreadyActive").
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'backup' },
        spec: {
          schedule: '* * * * *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  restartPolicy: 'Never',
                  nodeSelector: { [`wheelhouse.dev/never-${node}`]: 'yes' },
                  containers: [{ name: 'backup', image: 'registry.local/backup:1' }],
                },
              },
            },
          },
        },
      },
    });
    // Every "good practice" check at once: nginx by no tag, one replica, no probes, no resources, no preStop; an HPA on CPU.
    await create(deployment('frontdoor', { name: 'nginx', image: 'nginx' }));
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name: 'frontdoor' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'frontdoor' },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          ],
        },
      },
    });
    // A PDB that allows no disruption.
    await create(deployment('vault', wellKept('app'), { replicas: 2 }));
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: { metadata: { name: 'vault' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'vault' } } } },
    });
    // A kwok node that kwok's chaos stage keeps NotReady and under MemoryPressure (tainted: no pods land there).
    await core.createNode({
      body: {
        metadata: {
          name: node,
          labels: { 'node-not-ready.stage.kwok.x-k8s.io': 'true' },
          annotations: {
            'kwok.x-k8s.io/node': 'fake',
            'node-not-ready.stage.kwok.x-k8s.io/type': 'MemoryPressure',
            'node-not-ready.stage.kwok.x-k8s.io/reason': 'KubeletNotReady',
            'node-not-ready.stage.kwok.x-k8s.io/message': 'container runtime is down',
          },
        },
        spec: { taints: [{ key: 'wheelhouse.dev/insights', value: 'test', effect: 'NoSchedule' }] },
        status: {
          allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        },
      },
    });

    p = await startPipeline({
      hub: await store.options(),
      agent: { insightsDebounceMs: 100, usageIntervalMs: 3_000 },
    });
    await p.agent.synced;
  });
  afterAll(async () => {
    await core.deleteNode({ name: node }).catch(() => undefined);
    await p.stop();
  });

  it('Pending on an unbound PersistentVolumeClaim: names the claim; bound by a matching volume, it resolves', async () => {
    const i = await opened('pod-unbound-pvc', 'ledger-db');
    expect(i.severity).toBe('error');
    expect(i.title).toBe('Pod ledger-db is Pending: PersistentVolumeClaim ledger-data is not bound');
    expect(i.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          label: 'status.conditions[PodScheduled].message',
          value: expect.stringMatching(/unbound immediate PersistentVolumeClaims/) as string,
        }),
        expect.objectContaining({
          label: 'PersistentVolumeClaim ledger-data spec.storageClassName',
          value: 'slow-missing',
        }),
      ]),
    );
    // The fix: a volume of that class, which the PV controller binds and the scheduler then uses.
    await core.createPersistentVolume({
      body: {
        metadata: { name: `${ns}-ledger` },
        spec: {
          storageClassName: 'slow-missing',
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: `/tmp/${ns}` },
          claimRef: { namespace: ns, name: 'ledger-data' },
        },
      },
    });
    try {
      await resolved(i);
    } finally {
      await core.deletePersistentVolume({ name: `${ns}-ledger` }).catch(() => undefined);
    }
  });

  it('Pending on insufficient CPU, with the requests; smaller requests resolve it', async () => {
    const i = await opened('pod-unschedulable', 'hungry');
    expect(i.title).toMatch(/^Pod hungry-.* is Pending: not enough CPU on any node$/);
    expect(i.owner).toEqual({ kind: 'Deployment', name: 'hungry' });
    expect(i.evidence.map((e) => e.value).join('\n')).toMatch(/Insufficient cpu/);
    await patchDeployment('hungry', {
      spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '10m' } } }] } } },
    });
    await resolved(i);
  });

  it('Pending on a node selector no node matches; labelling a node resolves it', async () => {
    const i = await opened('pod-unschedulable', 'picky');
    expect(i.title).toBe('Pod picky is Pending: no node matches its node selector or affinity');
    await core.patchNode(
      { name: 'kwok-node-0', body: { metadata: { labels: { [`wheelhouse.dev/${node}`]: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    try {
      await resolved(i);
    } finally {
      await core.patchNode(
        { name: 'kwok-node-0', body: { metadata: { labels: { [`wheelhouse.dev/${node}`]: null } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    }
  });

  it('a ResourceQuota that refuses the pods, named; raising it resolves it', async () => {
    const i = await opened('quota-exceeded', 'blocked', quotaNs);
    expect(i.title).toMatch(/^ReplicaSet blocked-\w+ cannot create pods: ResourceQuota no-pods exceeded$/);
    expect(i.owner).toEqual({ kind: 'Deployment', name: 'blocked' });
    await core.patchNamespacedResourceQuota(
      { namespace: quotaNs, name: 'no-pods', body: { spec: { hard: { pods: '5' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await resolved(i);
  });

  it('CrashLoopBackOff with the last exit code; a deploy that stops the crash resolves it', async () => {
    const i = await opened('crash-loop', 'crashy');
    expect(i.title).toMatch(/^Container app of crashy-\S+ is crash-looping \(exit code 3, Error\)(, \d+ restarts)?$/);
    expect(i.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ label: 'status.containerStatuses[app].lastState.terminated.exitCode', value: '3' }),
      ]),
    );
    await patchDeployment('crashy', {
      spec: { template: { metadata: { labels: { 'wheelhouse.dev/simulate': null } } } },
    });
    await resolved(i);
  });

  it('OOMKilled next to the memory limit and the usage metrics-server measured before the kill; a higher limit (and no more kills) resolves it', async () => {
    const first = await opened('oom-killed', 'memhog');
    expect(first.title).toMatch(
      /^Container app of memhog-\S+ was OOMKilled \(memory limit 64Mi(, 60Mi used before)?\)$/,
    );
    // Usage joins once a sample from before a kill was read (the first kill may come before metrics-server's first scrape).
    const i = await eventually(
      'oom-killed with the usage before the kill',
      async () =>
        (await insights()).find(
          (x) =>
            x.id === first.id &&
            x.state === 'open' &&
            x.evidence.some((e) => e.source === 'usage' && /^60Mi at /.test(e.value)),
        ),
      { timeoutMs: 150_000, intervalMs: 1_000 },
    );
    expect(i.title).toMatch(/^Container app of memhog-\S+ was OOMKilled \(memory limit 64Mi, 60Mi used before\)$/);
    const usage = i.evidence.find((e) => e.source === 'usage');
    expect(usage?.label).toBe('memory usage before the kill');
    expect(usage?.value).toMatch(/^60Mi at \S+Z, \d+ (s|min) before the kill \(94 % of the 64Mi limit\)$/);
    // The number is metrics-server's (metrics.k8s.io, Kubernetes' side).
    const metrics = kc.makeApiClient(k8s.CustomObjectsApi);
    await eventually(
      'metrics.k8s.io measures 60Mi for the pod',
      async () => {
        const m: unknown = await metrics
          .getNamespacedCustomObject({
            group: 'metrics.k8s.io',
            version: 'v1beta1',
            namespace: ns,
            plural: 'pods',
            name: i.object.name,
          })
          .catch(() => undefined);
        return /"memory":"(61440Ki|60Mi|62914560)"/.test(JSON.stringify(m ?? null)) || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(i.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: 'spec',
          label: 'spec.containers[app].resources.limits.memory',
          value: '64Mi',
        }),
      ]),
    );
    await patchDeployment('memhog', {
      spec: {
        template: {
          metadata: { labels: { 'wheelhouse.dev/simulate': null } },
          spec: { containers: [{ name: 'app', resources: { limits: { memory: '256Mi' } } }] },
        },
      },
    });
    await resolved(i);
  }, 300_000);

  it('readiness failing past the grace period; a version that gets ready resolves it', async () => {
    const i = await opened('readiness-failing', 'sleepy');
    expect(i.severity).toBe('warning');
    expect(i.title).toMatch(/^Container app of sleepy-\S+ is running but not ready$/);
    await patchDeployment('sleepy', {
      spec: { template: { metadata: { labels: { 'wheelhouse.dev/simulate': null } } } },
    });
    await resolved(i);
  });

  it('image pull failure and a stuck rollout after a deploy, each offering the rollback; rolling back resolves both', async () => {
    await eventually('shop revision 1 available', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'shop' });
      return d.status?.availableReplicas === 2;
    });
    await patchDeployment('shop', {
      spec: {
        template: {
          metadata: { labels: { 'wheelhouse.dev/simulate': 'image-pull-failure' } },
          spec: { containers: [{ name: 'app', image: 'registry.local/shop:1.5' }] },
        },
      },
    });
    const pull = await opened('image-pull-failed', 'shop');
    expect(pull.title).toMatch(
      /^Image registry\.local\/shop:1\.5 of container app cannot be pulled \((ErrImagePull|ImagePullBackOff)\)$/,
    );
    expect(pull.action).toEqual({
      action: 'rollback',
      target: { kind: 'Deployment', namespace: ns, name: 'shop' },
      params: {},
      label: 'Roll back shop to the previous revision',
    });
    const stuck = await opened('rollout-stuck', 'shop');
    expect(stuck.title).toMatch(/^Rollout of shop is stuck: ReplicaSet "shop-\w+" has timed out progressing\.$/);
    expect(stuck.action?.action).toBe('rollback');
    await patchDeployment('shop', {
      spec: {
        template: {
          metadata: { labels: { 'wheelhouse.dev/simulate': null } },
          spec: { containers: [{ name: 'app', image: 'registry.local/shop:1.4' }] },
        },
      },
    });
    await resolved(pull);
    await resolved(stuck);
  });

  it('a Job failed past its backoffLimit; deleting it resolves it', async () => {
    const i = await opened('job-failed', 'migrate');
    expect(i.title).toMatch(/^Job migrate failed: BackoffLimitExceeded after 1 failed pods$/);
    expect(i.evidence).toEqual(
      expect.arrayContaining([expect.objectContaining({ label: 'spec.backoffLimit', value: '0' })]),
    );
    await batch.deleteNamespacedJob({ namespace: ns, name: 'migrate', propagationPolicy: 'Background' });
    await resolved(i);
  });

  it('a suspended CronJob, with Resume prefilled; resuming resolves it', async () => {
    const i = await opened('cronjob-suspended', 'nightly');
    expect(i.action).toMatchObject({ action: 'resume-cronjob', target: { kind: 'CronJob', name: 'nightly' } });
    await batch.patchNamespacedCronJob(
      { namespace: ns, name: 'nightly', body: { spec: { suspend: false } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await resolved(i);
  });

  it('a CronJob whose Job hangs under Forbid misses its runs, naming the Job to delete; a Job that can finish resolves it', async () => {
    // The first run starts at the next full minute, the next one is skipped, then the grace: up to ~2.5 min.
    const slow = { timeoutMs: 210_000, intervalMs: 1_000 };
    const i = await opened('cronjob-missed-schedule', 'backup', ns, slow);
    expect(i.severity).toBe('warning');
    expect(i.title).toMatch(
      /^CronJob backup missed \d+ runs?: Job backup-\d+ still runs and concurrencyPolicy is Forbid$/,
    );
    // The Job it names is the one the controller keeps active (Kubernetes' side).
    const cj = await batch.readNamespacedCronJob({ namespace: ns, name: 'backup' });
    const stuck = cj.status?.active?.map((a) => a.name) ?? [];
    expect(stuck).toHaveLength(1);
    expect(i.action).toEqual({
      action: 'delete',
      target: { kind: 'Job', namespace: ns, name: stuck[0] },
      params: { propagationPolicy: 'Background' },
      label: `Delete the stuck Job ${stuck[0]}`,
    });
    expect(i.evidence).toContainEqual({ source: 'spec', label: 'spec.concurrencyPolicy', value: 'Forbid' });
    expect(i.evidence.find((e) => e.label === 'status.active')?.value).toMatch(new RegExp(`^${stuck[0]} \\(started `));
    const lastBefore = Date.parse(String(cj.status?.lastScheduleTime));
    // The fix: a job template whose pods can run, and the hung Job deleted.
    await batch.patchNamespacedCronJob(
      {
        namespace: ns,
        name: 'backup',
        body: { spec: { jobTemplate: { spec: { template: { spec: { nodeSelector: null } } } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await batch.deleteNamespacedJob({ namespace: ns, name: stuck[0] ?? '', propagationPolicy: 'Background' });
    await resolved(i, { timeoutMs: 120_000, intervalMs: 1_000 });
    const after = await batch.readNamespacedCronJob({ namespace: ns, name: 'backup' });
    expect(Date.parse(String(after.status?.lastScheduleTime))).toBeGreaterThan(lastBefore);
  }, 400_000);

  it('a NotReady node under memory pressure; healthy conditions resolve both', async () => {
    const notReady = await opened('node-not-ready', node);
    expect(notReady.title).toBe(`Node ${node} is NotReady`);
    expect(notReady.evidence[0]?.value).toMatch(/KubeletNotReady: container runtime is down/);
    expect(notReady.action).toMatchObject({ action: 'cordon', target: { kind: 'Node', name: node } });
    const pressure = await opened('node-pressure', node);
    expect(pressure.title).toBe(`Node ${node} has MemoryPressure`);
    // Fixed: kwok's node stages report it healthy again.
    await core.patchNode(
      { name: node, body: { metadata: { labels: { 'node-not-ready.stage.kwok.x-k8s.io': null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await resolved(notReady);
    await resolved(pressure);
  });

  it('nginx by no tag, one replica, no probes, no resources, no preStop, an HPA on CPU: each resolves with its fix', async () => {
    const checks = [
      'image-latest-tag',
      'single-replica-no-pdb',
      'no-probes',
      'no-resources',
      'server-without-prestop',
    ] as const;
    const found = await Promise.all(checks.map((c) => opened(c, 'frontdoor')));
    const hpa = await opened('hpa-target-no-cpu-requests', 'frontdoor');
    expect(found.map((i) => i.severity)).toEqual(['info', 'info', 'info', 'info', 'warning']);
    expect(found[1]?.action).toMatchObject({ action: 'scale', params: { replicas: 2 } });
    expect(hpa.title).toMatch(/request no CPU/);
    await patchDeployment('frontdoor', {
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              wellKept('nginx', 'nginx:1.27.3', {
                lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 5 && nginx -s quit'] } } },
              }),
            ],
          },
        },
      },
    });
    for (const i of [...found, hpa]) await resolved(i);
  });

  it('a PodDisruptionBudget that allows no disruption; relaxing it resolves it', async () => {
    const i = await opened('pdb-blocks-disruption', 'vault');
    expect(i.title).toBe('PodDisruptionBudget vault allows no disruption: drains and evictions of its pods block');
    await policy.patchNamespacedPodDisruptionBudget(
      { namespace: ns, name: 'vault', body: { spec: { minAvailable: 1 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await resolved(i);
  });

  it('puts openings and resolutions on the timeline, and serves insights per the caller’s namespaces', async () => {
    const events = await p.hub.timeline.query(p.cluster, {
      namespace: ns,
      types: ['insight-opened', 'insight-resolved'],
      limit: 500,
    });
    const of = (type: string, check: string) =>
      events.items.filter(
        (e) =>
          e.type === type && (e.type === 'insight-opened' || e.type === 'insight-resolved') && e.data.check === check,
      );
    expect(of('insight-opened', 'crash-loop').length).toBeGreaterThan(0);
    expect(of('insight-resolved', 'crash-loop').length).toBeGreaterThan(0);
    const crash = of('insight-opened', 'crash-loop').find((e) => e.owner?.name === 'crashy');
    expect(crash?.owner).toEqual({ kind: 'Deployment', name: 'crashy' });
    expect(crash?.summary).toMatch(/is crash-looping/);

    const viewer = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: quotaNs }] });
    const res = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/insights`,
      headers: bearer(viewer.token),
    });
    expect(res.statusCode).toBe(200);
    const namespaces = new Set(res.json<{ items: Insight[] }>().items.map((i) => i.object.namespace));
    expect([...namespaces]).toEqual([quotaNs]);
    const denied = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/insights?namespace=${ns}`,
      headers: bearer(viewer.token),
    });
    expect(denied.statusCode).toBe(403);
    const bad = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/insights?state=broken`,
      headers: bearer(viewer.token),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/state/);
  });
});
