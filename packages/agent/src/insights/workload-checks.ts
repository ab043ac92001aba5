// Checks on workloads, jobs, nodes and the policies around them.
import {
  recordOf,
  recordsOf,
  stringOrNull,
  numberOrNull,
  type InsightInput,
  type UnknownRecord,
} from '@wheelhouse/protocol';
import { conditionOf, metaOf, podSpecOf, selects, templateLabelsOf } from './cluster-view.js';
import { MAX_COUNTED_RUNS, runsDue } from './cron-schedule.js';
import { eventEvidence, insight, ref, spec, status, type Check, type CheckContext } from './check-context.js';

/** A scalar field as text (numbers and strings as they are, anything else as JSON). */
const text = (v: unknown, fallback: string | number): string =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : String(fallback);

const SERVING_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
type ServingKind = (typeof SERVING_KINDS)[number];

/** Images of servers that need a preStop hook to drain: SIGTERM makes nginx stop at once (SIGQUIT drains). */
const SERVER_IMAGES_NEEDING_PRESTOP = /(^|\/)(nginx|openresty|nginx-unprivileged|haproxy)(:|@|$)/;

function serving(ctx: CheckContext): { kind: ServingKind; o: UnknownRecord }[] {
  return SERVING_KINDS.flatMap((kind) => ctx.view.all(kind).map((o) => ({ kind, o })));
}

const containersOf = (kind: string, o: UnknownRecord) => recordsOf(podSpecOf(kind, o).containers);

const rolloutStuck: Check = (ctx) =>
  ctx.view.all('Deployment').flatMap((d) => {
    const c = conditionOf(d, 'Progressing');
    if (c?.status !== 'False' || c.reason !== 'ProgressDeadlineExceeded') return [];
    const m = metaOf(d);
    const revision = Number(stringOrNull(m.annotations['deployment.kubernetes.io/revision']));
    return [
      insight('rollout-stuck', ref('Deployment', d), {
        severity: 'error',
        title: `Rollout of ${m.name} is stuck: ${c.message ?? 'progress deadline exceeded'}`,
        since: c.since ?? ctx.now,
        evidence: [
          status('status.conditions[Progressing]', `${c.reason}: ${c.message ?? ''}`),
          status(
            'status.updatedReplicas / replicas',
            `${text(recordOf(d.status).updatedReplicas, 0)} / ${text(recordOf(d.spec).replicas, 1)}`,
          ),
          spec('spec.progressDeadlineSeconds', recordOf(d.spec).progressDeadlineSeconds ?? 600),
        ],
        fix: 'The new pods never became available: look at their insights (image, crash, scheduling), then fix forward or roll back.',
        ...(revision > 1
          ? {
              action: {
                action: 'rollback',
                target: ref('Deployment', d),
                params: {},
                label: `Roll back ${m.name} to the previous revision`,
              },
            }
          : {}),
      }),
    ];
  });

/**
 * A ResourceQuota refused the pods: the ReplicaSet's ReplicaFailure condition
 * (FailedCreate) says so until a create succeeds. (StatefulSets and Jobs report
 * it only as Events, which outlive the problem: no reliable open/close signal.)
 */
const quotaExceeded: Check = (ctx) =>
  ctx.view.all('ReplicaSet').flatMap((o) => {
    const c = conditionOf(o, 'ReplicaFailure');
    if (c?.status !== 'True' || !/quota/i.test(c.message ?? '')) return [];
    if (numberOrNull(recordOf(o.spec).replicas) === 0) return [];
    const m = metaOf(o);
    const owner = ctx.owner('ReplicaSet', m.namespace, m.name);
    const quotaName = /exceeded quota: ([^,]+)/.exec(c.message ?? '')?.[1];
    return [
      insight('quota-exceeded', ref('ReplicaSet', o), {
        ...(owner ? { owner } : {}),
        severity: 'error',
        title: `ReplicaSet ${m.name} cannot create pods: ResourceQuota${quotaName ? ` ${quotaName}` : ''} exceeded`,
        since: c.since ?? ctx.now,
        evidence: [
          status('status.conditions[ReplicaFailure].message', c.message),
          ...eventEvidence(ctx, o, ['FailedCreate']),
        ],
        fix: "Raise the namespace ResourceQuota, lower the pods' requests/limits, or scale something else down.",
      }),
    ];
  });

const jobFailed: Check = (ctx) =>
  ctx.view.all('Job').flatMap((j) => {
    const c = conditionOf(j, 'Failed');
    if (c?.status !== 'True') return [];
    const m = metaOf(j);
    const owner = ctx.owner('Job', m.namespace, m.name);
    return [
      insight('job-failed', ref('Job', j), {
        ...(owner ? { owner } : {}),
        severity: 'error',
        title: `Job ${m.name} failed: ${c.reason ?? 'Failed'} after ${text(recordOf(j.status).failed, 0)} failed pods`,
        since: c.since ?? ctx.now,
        evidence: [
          status('status.conditions[Failed]', `${c.reason ?? ''}: ${c.message ?? ''}`),
          status('status.failed', recordOf(j.status).failed ?? 0),
          spec('spec.backoffLimit', recordOf(j.spec).backoffLimit ?? 6),
        ],
        fix: "Read the failed pods' logs; fix the cause, then run it again (for a CronJob's job: Trigger job).",
        ...(owner?.kind === 'CronJob'
          ? {
              action: {
                action: 'trigger-job',
                target: { kind: 'CronJob', namespace: m.namespace, name: owner.name },
                params: {},
                label: `Run ${owner.name} again now`,
              },
            }
          : {}),
      }),
    ];
  });

const cronJobSuspended: Check = (ctx) =>
  ctx.view.all('CronJob').flatMap((cj) => {
    if (recordOf(cj.spec).suspend !== true) return [];
    const m = metaOf(cj);
    const last = stringOrNull(recordOf(cj.status).lastScheduleTime);
    return [
      insight('cronjob-suspended', ref('CronJob', cj), {
        severity: 'info',
        title: `CronJob ${m.name} is suspended: schedule "${text(recordOf(cj.spec).schedule, '')}" does not run`,
        since: ctx.now,
        evidence: [
          spec('spec.suspend', true),
          spec('spec.schedule', recordOf(cj.spec).schedule ?? ''),
          status('status.lastScheduleTime', last ?? 'never'),
        ],
        fix: 'Resume it when its runs are wanted again.',
        action: { action: 'resume-cronjob', target: ref('CronJob', cj), params: {}, label: `Resume ${m.name}` },
      }),
    ];
  });

/**
 * How late a run may start before it counts as missed: the controller starts
 * runs within a second or two of their time; a busy controller-manager later.
 */
export const MISSED_RUN_GRACE_MS = 30_000;

/**
 * A CronJob that is not suspended but did not start a run its schedule called
 * for: status.lastScheduleTime (or, before the first run, its creation) is older
 * than the last run due. The usual causes: concurrencyPolicy Forbid while a Job
 * hangs (the controller skips with "JobAlreadyActive"), startingDeadlineSeconds
 * passed while the controller was down or behind ("MissSchedule"), or Job
 * creation refused (quota, admission: "FailedCreate"). It resolves when a run
 * starts again (lastScheduleTime catches up).
 */
const cronJobMissedSchedule: Check = (ctx) =>
  ctx.view.all('CronJob').flatMap((cj) => {
    const s = recordOf(cj.spec);
    const m = metaOf(cj);
    const schedule = stringOrNull(s.schedule);
    if (s.suspend === true || !schedule || recordOf(cj.metadata).deletionTimestamp) return [];
    const last = stringOrNull(recordOf(cj.status).lastScheduleTime);
    const reference = Date.parse(last ?? '') || m.created;
    if (!reference) return [];
    const timeZone = stringOrNull(s.timeZone);
    const due = runsDue(schedule, timeZone, reference, ctx.now - MISSED_RUN_GRACE_MS);
    if (!due) return [];
    const policy = stringOrNull(s.concurrencyPolicy) ?? 'Allow';
    const active = recordsOf(recordOf(cj.status).active)
      .map((a) => ctx.view.byName('Job', m.namespace, stringOrNull(a.name) ?? ''))
      .filter((j): j is UnknownRecord => j !== undefined)
      .sort((a, b) => jobStart(a) - jobStart(b));
    const stuck = policy === 'Forbid' ? active[0] : undefined;
    const stuckName = stuck ? metaOf(stuck).name : '';
    const runs =
      due.count >= MAX_COUNTED_RUNS ? `${MAX_COUNTED_RUNS}+ runs` : `${due.count} run${due.count > 1 ? 's' : ''}`;
    const deadline = numberOrNull(s.startingDeadlineSeconds);
    return [
      insight('cronjob-missed-schedule', ref('CronJob', cj), {
        severity: 'warning',
        title: stuck
          ? `CronJob ${m.name} missed ${runs}: Job ${stuckName} still runs and concurrencyPolicy is Forbid`
          : `CronJob ${m.name} missed ${runs} of schedule "${schedule}"`,
        since: due.first,
        evidence: [
          spec('spec.schedule', `${schedule}${timeZone ? ` (${timeZone})` : ' (UTC)'}`),
          status('status.lastScheduleTime', last ?? `never (created ${new Date(reference).toISOString()})`),
          status(
            'missed runs',
            `${runs}, first due ${new Date(due.first).toISOString()}, last due ${new Date(due.last).toISOString()}`,
          ),
          spec('spec.concurrencyPolicy', policy),
          ...(deadline !== null ? [spec('spec.startingDeadlineSeconds', deadline)] : []),
          status(
            'status.active',
            active.length
              ? active
                  .map((j) => `${metaOf(j).name} (started ${stringOrNull(recordOf(j.status).startTime) ?? 'not yet'})`)
                  .join(', ')
              : 'none',
          ),
          ...eventEvidence(ctx, cj, ['MissSchedule', 'TooManyMissedTimes', 'FailedCreate', 'FailedNeedsStart']),
        ],
        fix: stuck
          ? `Find out why Job ${stuckName} does not finish (its pods' insights and logs), then delete it; set activeDeadlineSeconds in the job template so a hung run cannot block the schedule again.`
          : "The controller did not start the runs: look at the CronJob's Events (a startingDeadlineSeconds too short for a busy or restarted controller-manager, Job creation refused by a quota or admission), then run it now.",
        action: stuck
          ? {
              action: 'delete',
              target: { kind: 'Job', namespace: m.namespace, name: stuckName },
              params: { propagationPolicy: 'Background' },
              label: `Delete the stuck Job ${stuckName}`,
            }
          : { action: 'trigger-job', target: ref('CronJob', cj), params: {}, label: `Run ${m.name} now` },
      }),
    ];
  });

/** When a Job started (for ordering the active ones; not started sorts last). */
const jobStart = (j: UnknownRecord): number =>
  Date.parse(stringOrNull(recordOf(j.status).startTime) ?? '') || Number.MAX_SAFE_INTEGER;

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

const nodes: Check = (ctx) =>
  ctx.view.all('Node').flatMap((n) => {
    const out: InsightInput[] = [];
    const m = metaOf(n);
    const ready = conditionOf(n, 'Ready');
    if (ready && ready.status !== 'True') {
      out.push(
        insight('node-not-ready', ref('Node', n), {
          severity: 'error',
          title: `Node ${m.name} is ${ready.status === 'Unknown' ? 'not reporting (Ready Unknown)' : 'NotReady'}`,
          since: ready.since ?? ctx.now,
          evidence: [
            status('status.conditions[Ready]', `${ready.status} ${ready.reason ?? ''}: ${ready.message ?? ''}`),
            ...eventEvidence(ctx, n),
          ],
          fix: 'Check the kubelet and the machine; cordon and drain it if it does not come back.',
          ...(recordOf(n.spec).unschedulable === true
            ? {}
            : { action: { action: 'cordon', target: ref('Node', n), params: {}, label: `Cordon ${m.name}` } }),
        }),
      );
    }
    for (const type of PRESSURE) {
      const c = conditionOf(n, type);
      if (c?.status !== 'True') continue;
      out.push(
        insight('node-pressure', ref('Node', n), {
          idSuffix: type,
          severity: 'warning',
          title: `Node ${m.name} has ${type}`,
          since: c.since ?? ctx.now,
          evidence: [status(`status.conditions[${type}]`, `${c.reason ?? ''}: ${c.message ?? ''}`)],
          fix: 'The kubelet evicts pods under pressure: free the resource or move workloads (cordon, drain).',
        }),
      );
    }
    return out;
  });

const noProbes: Check = (ctx) =>
  serving(ctx).flatMap(({ kind, o }) => {
    const missing = containersOf(kind, o).filter((c) => !c.readinessProbe || !c.livenessProbe);
    if (missing.length === 0) return [];
    const m = metaOf(o);
    return [
      insight('no-probes', ref(kind, o), {
        severity: 'info',
        title: `${kind} ${m.name}: ${missing.map((c) => `${String(c.name)} has no ${[!c.readinessProbe && 'readiness', !c.livenessProbe && 'liveness'].filter(Boolean).join(' or ')} probe`).join('; ')}`,
        since: m.created ?? ctx.now,
        evidence: missing.map((c) =>
          spec(`spec.template.spec.containers[${String(c.name)}]`, 'no readinessProbe / livenessProbe'),
        ),
        fix: 'Add a readinessProbe (traffic only when ready) and a livenessProbe (restart when hung).',
      }),
    ];
  });

const noResources: Check = (ctx) =>
  serving(ctx).flatMap(({ kind, o }) => {
    const missing = containersOf(kind, o).filter((c) => {
      const r = recordOf(c.resources);
      return !recordOf(r.requests).cpu || !recordOf(r.requests).memory || !recordOf(r.limits).memory;
    });
    if (missing.length === 0) return [];
    const m = metaOf(o);
    return [
      insight('no-resources', ref(kind, o), {
        severity: 'info',
        title: `${kind} ${m.name}: container${missing.length > 1 ? 's' : ''} ${missing.map((c) => String(c.name)).join(', ')} without CPU/memory requests or memory limit`,
        since: m.created ?? ctx.now,
        evidence: missing.map((c) =>
          spec(`spec.template.spec.containers[${String(c.name)}].resources`, recordOf(c.resources)),
        ),
        fix: 'Set requests (what the scheduler reserves) and a memory limit, so pods land where they fit and one cannot starve a node.',
      }),
    ];
  });

function pdbsSelecting(ctx: CheckContext, namespace: string, labels: Record<string, unknown>): UnknownRecord[] {
  return ctx.view
    .all('PodDisruptionBudget')
    .filter((p) => metaOf(p).namespace === namespace && selects(recordOf(p.spec).selector, labels));
}

const singleReplicaNoPdb: Check = (ctx) =>
  (['Deployment', 'StatefulSet'] as const).flatMap((kind) =>
    ctx.view.all(kind).flatMap((o) => {
      const replicas = numberOrNull(recordOf(o.spec).replicas) ?? 1;
      const m = metaOf(o);
      if (replicas !== 1 || pdbsSelecting(ctx, m.namespace, templateLabelsOf(o)).length > 0) return [];
      return [
        insight('single-replica-no-pdb', ref(kind, o), {
          severity: 'info',
          title: `${kind} ${m.name} runs one replica and no PodDisruptionBudget covers it: a drain takes it down`,
          since: m.created ?? ctx.now,
          evidence: [spec('spec.replicas', 1), status('PodDisruptionBudgets selecting its pods', 'none')],
          fix: 'Run 2 or more replicas and add a PodDisruptionBudget (maxUnavailable: 1).',
          action: {
            action: 'scale',
            target: ref(kind, o),
            params: { replicas: 2 },
            label: `Scale ${m.name} to 2 replicas`,
          },
        }),
      ];
    }),
  );

const pdbBlocks: Check = (ctx) =>
  ctx.view.all('PodDisruptionBudget').flatMap((p) => {
    const s = recordOf(p.status);
    const expected = numberOrNull(s.expectedPods) ?? 0;
    if (expected === 0 || numberOrNull(s.disruptionsAllowed) !== 0) return [];
    const m = metaOf(p);
    const sp = recordOf(p.spec);
    return [
      insight('pdb-blocks-disruption', ref('PodDisruptionBudget', p), {
        severity: 'warning',
        title: `PodDisruptionBudget ${m.name} allows no disruption: drains and evictions of its pods block`,
        since: conditionOf(p, 'DisruptionAllowed')?.since ?? ctx.now,
        evidence: [
          status('status.disruptionsAllowed', 0),
          status(
            'status.currentHealthy / desiredHealthy / expectedPods',
            `${text(s.currentHealthy, 0)} / ${text(s.desiredHealthy, 0)} / ${expected}`,
          ),
          spec(
            sp.minAvailable !== undefined ? 'spec.minAvailable' : 'spec.maxUnavailable',
            sp.minAvailable ?? sp.maxUnavailable ?? '',
          ),
        ],
        fix: 'Allow at least one: minAvailable below the replica count (or maxUnavailable ≥ 1), or run more replicas.',
      }),
    ];
  });

const hpaNoCpuRequests: Check = (ctx) =>
  ctx.view.all('HorizontalPodAutoscaler').flatMap((h) => {
    const sp = recordOf(h.spec);
    const usesCpu =
      numberOrNull(sp.targetCPUUtilizationPercentage) !== null ||
      recordsOf(sp.metrics).some(
        (x) =>
          x.type === 'Resource' &&
          recordOf(x.resource).name === 'cpu' &&
          recordOf(recordOf(x.resource).target).type === 'Utilization',
      );
    if (!usesCpu) return [];
    const t = recordOf(sp.scaleTargetRef);
    const kind = stringOrNull(t.kind) ?? '';
    const m = metaOf(h);
    if (!(kind === 'Deployment' || kind === 'StatefulSet')) return [];
    const target = ctx.view.byName(kind, m.namespace, stringOrNull(t.name) ?? '');
    if (!target) return [];
    const missing = containersOf(kind, target).filter((c) => !recordOf(recordOf(c.resources).requests).cpu);
    if (missing.length === 0) return [];
    return [
      insight('hpa-target-no-cpu-requests', ref('HorizontalPodAutoscaler', h), {
        severity: 'warning',
        title: `HPA ${m.name} scales ${kind} ${String(t.name)} on CPU utilization, but ${missing.map((c) => String(c.name)).join(', ')} request no CPU: it cannot compute utilization`,
        since: m.created ?? ctx.now,
        evidence: [
          spec('spec.metrics', 'Resource cpu, target type Utilization'),
          ...missing.map((c) =>
            spec(`${kind} ${String(t.name)} containers[${String(c.name)}].resources.requests.cpu`, 'not set'),
          ),
          ...eventEvidence(ctx, h),
        ],
        fix: `Set resources.requests.cpu on every container of ${String(t.name)}.`,
      }),
    ];
  });

const latestTag: Check = (ctx) =>
  serving(ctx).flatMap(({ kind, o }) => {
    const images = containersOf(kind, o)
      .map((c) => stringOrNull(c.image) ?? '')
      .filter((i) => i && !i.includes('@') && (/:latest$/.test(i) || !/:[^/]+$/.test(i)));
    if (images.length === 0) return [];
    const m = metaOf(o);
    return [
      insight('image-latest-tag', ref(kind, o), {
        severity: 'info',
        title: `${kind} ${m.name} runs ${images.join(', ')}: "latest" moves, so a restart can run other code`,
        since: m.created ?? ctx.now,
        evidence: images.map((i) => spec('spec.template.spec.containers[].image', i)),
        fix: 'Pin a version tag (or a digest), and roll it out as a change you can roll back.',
      }),
    ];
  });

const serverWithoutPreStop: Check = (ctx) =>
  serving(ctx).flatMap(({ kind, o }) => {
    const bad = containersOf(kind, o).filter(
      (c) => SERVER_IMAGES_NEEDING_PRESTOP.test(stringOrNull(c.image) ?? '') && !recordOf(c.lifecycle).preStop,
    );
    if (bad.length === 0) return [];
    const m = metaOf(o);
    const grace = numberOrNull(podSpecOf(kind, o).terminationGracePeriodSeconds) ?? 30;
    return [
      insight('server-without-prestop', ref(kind, o), {
        severity: 'warning',
        title: `${kind} ${m.name}: ${bad.map((c) => String(c.name)).join(', ')} (nginx-like) has no preStop hook: in-flight requests drop on every rollout`,
        since: m.created ?? ctx.now,
        evidence: [
          ...bad.map((c) => spec(`spec.template.spec.containers[${String(c.name)}].image`, c.image)),
          spec('spec.template.spec.containers[].lifecycle.preStop', 'not set'),
          spec('spec.template.spec.terminationGracePeriodSeconds', grace),
        ],
        fix: 'SIGTERM makes nginx exit at once; add preStop: exec ["sh","-c","sleep 5 && nginx -s quit"] (graceful SIGQUIT) within the grace period.',
      }),
    ];
  });

export const workloadChecks: Check[] = [
  rolloutStuck,
  quotaExceeded,
  jobFailed,
  cronJobSuspended,
  cronJobMissedSchedule,
  nodes,
  noProbes,
  noResources,
  singleReplicaNoPdb,
  pdbBlocks,
  hpaNoCpuRequests,
  latestTag,
  serverWithoutPreStop,
];
