// Exec guard names the person behind a console shell (issue #20 item 6), in
// Chromium: the agent runs as the agent chart's ServiceAccount with exactly the
// RBAC the chart renders (podExec on, impersonation off); exec guard is the API
// server's webhook. alice, a plain operator, opens a shell from the pod page and
// types a command; the pod page's exec guard badge then says she entered it via
// Wheelhouse (with the agent's identity), Kubernetes holds the PodInteraction
// Event naming her, and the hub's audit log has her shell.start record.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INTERACTOR_ANNOTATION,
  startExecGuard,
  webhookConfiguration,
  type ExecGuardHandle,
} from '@wheelhouse/exec-guard';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import {
  applyAgentChartIdentity,
  type AgentChartIdentity,
} from '../../../packages/hub/test/support/agent-chart-identity.js';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const admin = kubeConfig();
const core = admin.makeApiClient(k8s.CoreV1Api);
const admission = admin.makeApiClient(k8s.AdmissionregistrationV1Api);

describe('console: exec guard names the person behind a shell (impersonation off)', () => {
  let c: Console;
  let ns = '';
  let chart: AgentChartIdentity;
  let guard: ExecGuardHandle;
  const dir = mkdtempSync(join(tmpdir(), 'wh-e2e-obo-'));
  const webhookName = `wheelhouse-e2e-obo-${randomBytes(3).toString('hex')}`;
  const pod = 'payments-0';
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-obo');
    const agentNs = await testNamespace('e2e-obo-agent');
    chart = await applyAgentChartIdentity(`e2e-obo-${randomBytes(3).toString('hex')}`, agentNs);
    // Exec guard as its own component, the API server's webhook for this namespace.
    guard = await startExecGuard({
      kubeConfig: admin,
      selfSigned: true,
      host: '127.0.0.1',
      port: 0,
      ttlSeconds: 600,
      namespaces: [ns],
      dataDir: join(dir, 'guard'),
      logLevel: 'silent',
      leaderElection: { enabled: false },
    });
    await admission.createValidatingWebhookConfiguration({
      body: webhookConfiguration({
        name: webhookName,
        url: guard.url,
        ...(guard.caBundle ? { caBundle: guard.caBundle } : {}),
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      }),
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: pod },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'busybox' }] },
      },
    });
    c = await openConsole({
      capabilities: { basic: true, advanced: false, podExec: true },
      agent: { kubeConfig: chart.kubeConfig },
      username: 'alice',
      bindings: [{ role: 'operator', namespace: ns }],
    });
    await eventually(
      'the pod running in the hub inventory',
      async () => (await c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, pod))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await admission.deleteValidatingWebhookConfiguration({ name: webhookName }).catch(() => undefined);
    await c.close();
    await guard.stop();
    await chart.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("alice's shell from the pod page: the badge, the pod's Event and the audit log name her", async () => {
    const { page } = c;
    const expected = `alice via Wheelhouse (agent ${chart.user})`;
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/${pod}`);
    await page.getByRole('heading', { name: `Pod ${ns}/${pod}` }).waitFor();
    const timer = page.getByRole('timer', { name: /Evicted by exec guard/ });
    // The API server picks up a new webhook configuration asynchronously: shell (and type) until exec guard saw one.
    let n = 0;
    await eventually(
      'exec guard to mark the pod entered',
      async () => {
        n += 1;
        const key = `s${n}`;
        await page.getByRole('button', { name: `Shell into ${pod}` }).click();
        await page.getByTestId(`terminal-${key}`).click();
        await page.keyboard.type(`echo "obo-$((40 + ${n}))"\n`);
        await expect
          .poll(() => page.getByTestId(`terminal-${key}`).locator('.xterm-rows').textContent(), { timeout: 20_000 })
          .toContain(`obo-${40 + n}`);
        await page.getByRole('button', { name: `Minimize shell ${pod}/app` }).click();
        return (await core.readNamespacedPod({ namespace: ns, name: pod })).metadata?.annotations?.[
          INTERACTOR_ANNOTATION
        ];
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );

    // What alice sees: the pod page's exec guard badge, whose tooltip names who entered it.
    await expect.poll(() => timer.getAttribute('aria-label')).toMatch(/Evicted by exec guard in \d+m\d\ds/);
    await expect
      .poll(() => timer.getAttribute('title'))
      .toMatch(new RegExp(`^Entered by ${escape(expected)} with kubectl exec/attach; exec guard evicts it at `));
    // …and the pod page's Events tab shows the Kubernetes Event naming her.
    await page.getByRole('tab', { name: 'Events' }).click();
    await expect
      .poll(() => page.getByRole('tabpanel').textContent(), { timeout: 20_000 })
      .toContain(`command by a user '${expected}' initially at time`);

    // What Kubernetes holds: the pod's PodInteraction Event names her, via Wheelhouse.
    const events = await eventually('the PodInteraction Event', async () => {
      const list = await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: `involvedObject.name=${pod},reason=PodInteraction`,
      });
      return list.items.length > 0 ? list.items.map((e) => e.message ?? '') : undefined;
    });
    expect(events).toContainEqual(expect.stringContaining(`command by a user '${expected}' initially at time`));

    // What the hub's audit log holds: alice opened a shell in this pod.
    const audit = await c.pipeline.hub.audit.query({ actor: 'alice', action: 'shell.start', limit: 20 });
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items[0]).toMatchObject({
      actor: 'alice',
      action: 'shell.start',
      outcome: 'allowed',
      cluster: c.cluster,
      target: expect.objectContaining({ kind: 'Pod', namespace: ns, name: pod }) as unknown,
    });
  }, 180_000);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
