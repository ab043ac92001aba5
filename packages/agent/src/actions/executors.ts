// How the agent carries out each declared action: one file per action, and
// this registry typed by ActionId, so declaring an action in the protocol
// catalog without an executor here does not compile.
import type { ActionId } from '@wheelhouse/protocol';
import { annotate } from './annotate.js';
import { apply } from './apply.js';
import type { Executor } from './context.js';
import { debugContainer } from './debug-container.js';
import { deleteObject } from './delete.js';
import { deletePodWith } from './delete-pod.js';
import { resumeCronjob, suspendCronjob, triggerJob } from './jobs.js';
import { cordon, drain, uncordon } from './nodes.js';
import { restart } from './restart.js';
import { rollback } from './rollback.js';
import { scale } from './scale.js';
import { extendEviction } from './extend-eviction.js';
import { diagnosticsSnapshot } from './diagnostics-snapshot.js';

export type { ExecutionContext, ExecutionResult, Executor } from './context.js';

/** One executor per action id. */
export type ExecutorRegistry = { [A in ActionId]: Executor<A> };

export const executors: ExecutorRegistry = {
  annotate,
  scale,
  restart,
  rollback,
  'delete-pod': (ctx, p) => deletePodWith(ctx, p.gracePeriodSeconds, p.timeoutSeconds),
  'force-delete-pod': (ctx) => deletePodWith(ctx, 0, 60),
  'trigger-job': triggerJob,
  'suspend-cronjob': suspendCronjob,
  'resume-cronjob': resumeCronjob,
  cordon,
  uncordon,
  drain,
  apply,
  delete: deleteObject,
  'extend-eviction': extendEviction,
  'debug-container': debugContainer,
  'diagnostics-snapshot': diagnosticsSnapshot,
};
