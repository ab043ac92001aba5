// Checks on pods as they run: scheduling, image pulls, crash loops, OOM kills, readiness.
import {
  formatGap,
  formatMemory,
  parseMemory,
  recordOf,
  recordsOf,
  stringOrNull,
  numberOrNull,
  type InsightEvidence,
  type InsightInput,
  type UnknownRecord,
} from '@wheelhouse/protocol';
import { conditionOf, metaOf } from './cluster-view.js';
import {
  eventEvidence,
  insight,
  ref,
  rollbackAction,
  spec,
  status,
  type Check,
  type CheckContext,
} from './check-context.js';

/** A container running but not ready for this long is "readiness failing", not "starting". */
export const READINESS_GRACE_MS = 30_000;
/**
 * The kubelet forgets a crash loop's back-off after 10 min of running: until
 * then a container that failed and runs again (for its few seconds) is still
 * crash-looping, so the insight does not flap with every restart.
 */
export const CRASH_LOOP_RESET_MS = 10 * 60_000;
/** How long an OOM kill stays an insight after it happened (the next ones keep it open). */
export const OOM_WINDOW_MS = 60 * 60_000;

const IMAGE_PULL_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'];

interface ContainerState {
  name: string;
  ready: boolean;
  restartCount: number;
  waiting: { reason: string; message: string } | null;
  runningSince: number | null;
  last: { exitCode: number | null; reason: string | null; finishedAt: number | null } | null;
}

function containerStates(pod: UnknownRecord): ContainerState[] {
  return recordsOf(recordOf(pod.status).containerStatuses).map((s) => {
    const state = recordOf(s.state);
    const waiting = recordOf(state.waiting);
    const last = recordOf(recordOf(s.lastState).terminated);
    return {
      name: stringOrNull(s.name) ?? '',
      ready: s.ready === true,
      restartCount: numberOrNull(s.restartCount) ?? 0,
      waiting: Object.keys(waiting).length
        ? { reason: stringOrNull(waiting.reason) ?? '', message: stringOrNull(waiting.message) ?? '' }
        : null,
      runningSince: Date.parse(stringOrNull(recordOf(state.running).startedAt) ?? '') || null,
      last: Object.keys(last).length
        ? {
            exitCode: numberOrNull(last.exitCode),
            reason: stringOrNull(last.reason),
            finishedAt: Date.parse(stringOrNull(last.finishedAt) ?? '') || null,
          }
        : null,
    };
  });
}

const containerSpec = (pod: UnknownRecord, name: string): UnknownRecord =>
  recordsOf(recordOf(pod.spec).containers).find((c) => c.name === name) ?? {};

function podBase(ctx: CheckContext, pod: UnknownRecord) {
  const m = metaOf(pod);
  const owner = ctx.owner('Pod', m.namespace, m.name);
  return { m, owner, object: ref('Pod', pod), ownerField: owner ? { owner } : {} };
}

/** Pending with the scheduler's reason; an unbound PersistentVolumeClaim gets its own check. */
const unschedulable = (ctx: CheckContext, pod: UnknownRecord): InsightInput[] => {
  if (recordOf(pod.status).phase !== 'Pending') return [];
  const cond = conditionOf(pod, 'PodScheduled');
  if (cond?.status !== 'False' || cond.reason !== 'Unschedulable') return [];
  const { m, object, owner } = podBase(ctx, pod);
  const message = cond.message ?? '';
  const evidence = [
    status('status.conditions[PodScheduled].message', message),
    ...eventEvidence(ctx, pod, ['FailedScheduling']),
  ];
  const since = cond.since ?? m.created ?? ctx.now;
  const ownerField = owner ? { owner } : {};
  if (/unbound (immediate )?PersistentVolumeClaims/i.test(message)) {
    const claims = recordsOf(recordOf(pod.spec).volumes)
      .map((v) => stringOrNull(recordOf(v.persistentVolumeClaim).claimName))
      .filter((c): c is string => c !== null);
    const unbound = claims
      .map((c) => ({ name: c, pvc: ctx.view.byName('PersistentVolumeClaim', m.namespace, c) }))
      .filter((c) => recordOf(c.pvc?.status).phase !== 'Bound');
    for (const c of unbound) {
      const pvcSpec = recordOf(c.pvc?.spec);
      evidence.push(
        c.pvc
          ? status(`PersistentVolumeClaim ${c.name} status.phase`, recordOf(c.pvc.status).phase ?? 'Pending')
          : status(`PersistentVolumeClaim ${c.name}`, 'does not exist'),
      );
      if (c.pvc)
        evidence.push(
          spec(`PersistentVolumeClaim ${c.name} spec.storageClassName`, pvcSpec.storageClassName ?? '(default)'),
        );
      if (c.pvc) evidence.push(...eventEvidence(ctx, c.pvc));
    }
    const names = unbound.map((c) => c.name).join(', ') || claims.join(', ');
    return [
      insight('pod-unbound-pvc', object, {
        ...ownerField,
        severity: 'error',
        title: `Pod ${m.name} is Pending: PersistentVolumeClaim ${names} is not bound`,
        since,
        evidence,
        fix: 'Make the claim bindable: a StorageClass that exists and provisions (or a matching PersistentVolume), and an access mode and size it offers.',
      }),
    ];
  }
  // The scheduler lists a reason per group of nodes; name the one that matters most.
  const why = /Insufficient (cpu|memory)/i.exec(message)
    ? `not enough ${/Insufficient cpu/i.test(message) ? 'CPU' : 'memory'} on any node`
    : /affinity|selector/i.test(message)
      ? 'no node matches its node selector or affinity'
      : /taint/i.test(message)
        ? 'untolerated node taints'
        : 'the scheduler found no node';
  const requests = recordsOf(recordOf(pod.spec).containers).map(
    (c) => `${String(c.name)}: ${JSON.stringify(recordOf(c.resources).requests ?? {})}`,
  );
  return [
    insight('pod-unschedulable', object, {
      ...ownerField,
      severity: 'error',
      title: `Pod ${m.name} is Pending: ${why}`,
      since,
      evidence: [...evidence, spec('spec.containers[].resources.requests', requests.join('; '))],
      fix: /Insufficient/i.test(message)
        ? 'Lower the requests, or add nodes (or free capacity) that fit them.'
        : /affinity|selector/i.test(message)
          ? 'Fix the node selector / affinity, or label nodes so that some match.'
          : 'Add a toleration for the taint, or schedule onto nodes without it.',
    }),
  ];
};

const containerChecks = (ctx: CheckContext, pod: UnknownRecord): InsightInput[] => {
  const out: InsightInput[] = [];
  // The owner (a cache lookup) and the reference are made only for a pod with something to report: at 30,000
  // pods making them for every pod was most of the checks' time.
  let base: ReturnType<typeof podBase> | undefined;
  const about = () => (base ??= podBase(ctx, pod));
  for (const c of containerStates(pod)) {
    const cspec = containerSpec(pod, c.name);
    const image = stringOrNull(cspec.image) ?? '';
    if (c.waiting && IMAGE_PULL_REASONS.includes(c.waiting.reason)) {
      const { m, object, owner, ownerField } = about();
      out.push(
        insight('image-pull-failed', object, {
          ...ownerField,
          idSuffix: c.name,
          severity: 'error',
          title: `Image ${image} of container ${c.name} cannot be pulled (${c.waiting.reason})`,
          since: conditionOf(pod, 'PodScheduled')?.since ?? m.created ?? ctx.now,
          evidence: [
            spec(`spec.containers[${c.name}].image`, image),
            status(`status.containerStatuses[${c.name}].state.waiting`, `${c.waiting.reason}: ${c.waiting.message}`),
            ...eventEvidence(ctx, pod, ['Failed', 'BackOff', 'ErrImagePull']),
          ],
          fix: 'Check the image name and tag, that it exists in the registry, and the pull secret; roll back if a deploy changed the image.',
          ...withAction(rollbackAction(ctx, owner, m.namespace)),
        }),
      );
    }
    const failedRecently =
      c.restartCount > 0 &&
      c.last !== null &&
      c.last.exitCode !== 0 &&
      c.runningSince !== null &&
      ctx.now - c.runningSince < CRASH_LOOP_RESET_MS;
    if (c.waiting?.reason === 'CrashLoopBackOff' || failedRecently) {
      const { m, object, owner, ownerField } = about();
      const last = c.last;
      const exit = last ? `exit code ${String(last.exitCode)}${last.reason ? `, ${last.reason}` : ''}` : 'no exit code';
      out.push(
        insight('crash-loop', object, {
          ...ownerField,
          idSuffix: c.name,
          severity: 'error',
          title: `Container ${c.name} of ${m.name} is crash-looping (${exit})${c.restartCount > 0 ? `, ${c.restartCount} restarts` : ''}`,
          since: ctx.now,
          evidence: [
            status(`status.containerStatuses[${c.name}].lastState.terminated.exitCode`, last?.exitCode ?? 'unknown'),
            status(`status.containerStatuses[${c.name}].lastState.terminated.reason`, last?.reason ?? 'unknown'),
            status(`status.containerStatuses[${c.name}].restartCount`, c.restartCount),
            c.waiting
              ? status(`status.containerStatuses[${c.name}].state.waiting.message`, c.waiting.message)
              : status(`status.containerStatuses[${c.name}].state`, 'running again after the back-off'),
            ...eventEvidence(ctx, pod, ['BackOff']),
          ],
          fix: 'Read the previous logs (the crash is there), then fix the cause or roll back the change that started it.',
          ...withAction(rollbackAction(ctx, owner, m.namespace)),
        }),
      );
    }
    if (c.last?.reason === 'OOMKilled' && ctx.now - (c.last.finishedAt ?? ctx.now) < OOM_WINDOW_MS) {
      const { m, object, ownerField } = about();
      const limit = stringOrNull(recordOf(recordOf(cspec.resources).limits).memory);
      const seen = lastUsageBeforeKill(ctx, m, c.name, c.last.finishedAt);
      out.push(
        insight('oom-killed', object, {
          ...ownerField,
          idSuffix: c.name,
          severity: 'error',
          title: `Container ${c.name} of ${m.name} was OOMKilled (memory limit ${limit ?? 'none'}${seen ? `, ${formatMemory(seen.bytes)} used before` : ''})`,
          since: c.last.finishedAt ?? ctx.now,
          evidence: [
            status(`status.containerStatuses[${c.name}].lastState.terminated.reason`, 'OOMKilled'),
            status(`status.containerStatuses[${c.name}].lastState.terminated.exitCode`, c.last.exitCode ?? 'unknown'),
            spec(`spec.containers[${c.name}].resources.limits.memory`, limit ?? 'not set (the node ran out of memory)'),
            usageBeforeKill(ctx, m, c.name, c.last.finishedAt, limit),
          ],
          fix: limit
            ? `Raise the memory limit above ${limit} (and the request with it), or find what makes the process grow.`
            : 'Set a memory request and limit that fit the process, so the scheduler places it where memory is.',
        }),
      );
    }
    if (!c.ready && c.runningSince !== null && ctx.now - c.runningSince >= READINESS_GRACE_MS && cspec.readinessProbe) {
      const { m, object, ownerField } = about();
      out.push(
        insight('readiness-failing', object, {
          ...ownerField,
          idSuffix: c.name,
          severity: 'warning',
          title: `Container ${c.name} of ${m.name} is running but not ready`,
          since: c.runningSince,
          evidence: [
            status(`status.containerStatuses[${c.name}].ready`, false),
            spec(`spec.containers[${c.name}].readinessProbe`, cspec.readinessProbe),
            ...eventEvidence(ctx, pod, ['Unhealthy']),
          ],
          fix: 'The readiness probe fails: check the endpoint it calls (path, port, timeout) and what the app needs before it answers.',
        }),
      );
    }
  }
  return out;
};

function withAction<T>(action: T | undefined): { action: T } | Record<string, never> {
  return action ? { action } : {};
}

export const podChecks: Check = (ctx) =>
  ctx.view
    .all('Pod')
    .filter((p) => !recordOf(p.metadata).deletionTimestamp)
    .flatMap((p) => [...unschedulable(ctx, p), ...containerChecks(ctx, p)]);

/** A sample older than this before the kill says little about what the process used when it died. */
export const USAGE_BEFORE_KILL_MAX_AGE_MS = 10 * 60_000;

/** The container's last memory sample before the kill (within USAGE_BEFORE_KILL_MAX_AGE_MS). */
function lastUsageBeforeKill(
  ctx: CheckContext,
  m: { namespace: string; name: string },
  container: string,
  killedAt: number | null,
) {
  if (killedAt === null) return undefined;
  const s = ctx.view.memoryBefore(m.namespace, m.name, container, killedAt);
  return s && killedAt - s.time <= USAGE_BEFORE_KILL_MAX_AGE_MS ? s : undefined;
}

/** The OOM kill's usage evidence: the last memory use seen before it, next to the limit, or why there is none. */
function usageBeforeKill(
  ctx: CheckContext,
  m: { namespace: string; name: string },
  container: string,
  killedAt: number | null,
  limit: string | null,
): InsightEvidence {
  const label = 'memory usage before the kill';
  const s = lastUsageBeforeKill(ctx, m, container, killedAt);
  if (s) {
    const limitBytes = limit ? parseMemory(limit) : null;
    const share = limitBytes ? ` (${Math.round((s.bytes / limitBytes) * 100)} % of the ${limit} limit)` : '';
    const before = killedAt !== null ? `, ${formatGap(killedAt - s.time)} before the kill` : '';
    return {
      source: 'usage',
      label,
      value: `${formatMemory(s.bytes)} at ${new Date(s.time).toISOString()}${before}${share}`,
    };
  }
  const state = ctx.view.usageState;
  return {
    source: 'usage',
    label,
    value:
      state === null
        ? 'not measured yet (metrics.k8s.io is read once a minute)'
        : state.available
          ? `not measured in the ${formatGap(USAGE_BEFORE_KILL_MAX_AGE_MS)} before the kill (metrics-server measures a container once it ran for two scrapes; one that dies within seconds of starting is rarely seen)`
          : `not measured: ${state.reason}`,
  };
}
