// Reads metrics.k8s.io (served by metrics-server through the aggregation layer)
// once a minute and sends one usage sample: nodes, and every pod's containers
// next to their requests and limits (from the watched pod specs). When the API
// is not there (no metrics-server), forbidden or failing, it says so instead,
// once per state, and keeps trying.
import type { KubeClientConfig } from '../kube-config.js';
import type { Logger } from 'pino';
import {
  parseCpu,
  parseMemory,
  recordOf,
  recordsOf,
  stringOrNull,
  type NodeUsage,
  type PodUsage,
  type UsageMessage,
} from '@wheelhouse/protocol';
import { kubeRequest } from '../kube-http.js';
import type { ClusterView } from '../insights/cluster-view.js';

export interface MetricsReaderOptions {
  kc: KubeClientConfig;
  view: ClusterView;
  send: (m: UsageMessage) => void;
  log: Logger;
  intervalMs?: number;
}

const quantity = (v: unknown, parse: (q: string) => number | null): number | null =>
  typeof v === 'string' ? parse(v) : typeof v === 'number' ? v : null;

export class MetricsReader {
  private timer: NodeJS.Timeout | null = null;
  private lastState = '';

  constructor(private readonly opts: MetricsReaderOptions) {}

  start(): void {
    const tick = () => {
      void this.readOnce().then(
        (m) => {
          this.opts.view.noteUsage(m);
          this.opts.send(m);
        },
        (err: unknown) => this.opts.log.warn({ err }, 'reading metrics.k8s.io failed'),
      );
    };
    setTimeout(tick, 1000).unref();
    this.timer = setInterval(tick, this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async readOnce(now = Date.now()): Promise<UsageMessage> {
    const [nodes, pods] = await Promise.all([
      kubeRequest(this.opts.kc, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes'),
      kubeRequest(this.opts.kc, 'GET', '/apis/metrics.k8s.io/v1beta1/pods'),
    ]);
    const bad = [nodes, pods].find((r) => r.status < 200 || r.status >= 300);
    if (bad) {
      const reason =
        bad.status === 404
          ? 'metrics.k8s.io is not served by this cluster: install metrics-server to see resource usage'
          : bad.status === 403
            ? 'the agent may not read metrics.k8s.io (RBAC: get/list pods and nodes in group metrics.k8s.io)'
            : `metrics.k8s.io answered HTTP ${bad.status}${stringOrNull(recordOf(bad.body).message) ? `: ${String(recordOf(bad.body).message)}` : ''}`;
      if (this.lastState !== reason) this.opts.log.warn({ status: bad.status }, reason);
      this.lastState = reason;
      return { type: 'usage.sample', time: now, available: false, reason, pods: [], nodes: [] };
    }
    if (this.lastState !== 'ok') this.opts.log.info('reading resource usage from metrics.k8s.io');
    this.lastState = 'ok';
    return {
      type: 'usage.sample',
      time: now,
      available: true,
      nodes: recordsOf(recordOf(nodes.body).items).map((n) => this.node(n, now)),
      pods: recordsOf(recordOf(pods.body).items).map((p) => this.pod(p, now)),
    };
  }

  private node(n: Record<string, unknown>, now: number): NodeUsage {
    const name = stringOrNull(recordOf(n.metadata).name) ?? '';
    const usage = recordOf(n.usage);
    const alloc = recordOf(recordOf(this.opts.view.byName('Node', '', name)?.status).allocatable);
    return {
      name,
      time: Date.parse(stringOrNull(n.timestamp) ?? '') || now,
      cpu: quantity(usage.cpu, parseCpu) ?? 0,
      memory: quantity(usage.memory, parseMemory) ?? 0,
      allocatable: { cpu: quantity(alloc.cpu, parseCpu), memory: quantity(alloc.memory, parseMemory) },
    };
  }

  private pod(p: Record<string, unknown>, now: number): PodUsage {
    const meta = recordOf(p.metadata);
    const namespace = stringOrNull(meta.namespace) ?? '';
    const name = stringOrNull(meta.name) ?? '';
    const spec = recordsOf(recordOf(this.opts.view.byName('Pod', namespace, name)?.spec).containers);
    return {
      namespace,
      name,
      time: Date.parse(stringOrNull(p.timestamp) ?? '') || now,
      containers: recordsOf(p.containers).map((c) => {
        const cname = stringOrNull(c.name) ?? '';
        const usage = recordOf(c.usage);
        const res = recordOf(spec.find((s) => s.name === cname)?.resources);
        const req = recordOf(res.requests);
        const lim = recordOf(res.limits);
        return {
          name: cname,
          cpu: quantity(usage.cpu, parseCpu) ?? 0,
          memory: quantity(usage.memory, parseMemory) ?? 0,
          requests: { cpu: quantity(req.cpu, parseCpu), memory: quantity(req.memory, parseMemory) },
          limits: { cpu: quantity(lim.cpu, parseCpu), memory: quantity(lim.memory, parseMemory) },
        };
      }),
    };
  }
}
