// The action catalog. Adding an action = one declaration here + one executor
// in the agent (its registry is typed by ActionId, so a missing one fails to compile).
import type { z } from 'zod';
import { annotate } from './annotate.js';
import { debugContainer } from './debug.js';
import type { ActionDeclaration } from './declaration.js';
import { diagnosticsSnapshot } from './diagnostics.js';
import { apply, deleteObject } from './edit.js';
import { extendEviction } from './exec-guard.js';
import { resumeCronjob, suspendCronjob, triggerJob } from './jobs.js';
import { cordon, drain, uncordon } from './nodes.js';
import { deletePod, forceDeletePod } from './pods.js';
import { restart } from './restart.js';
import { rollback } from './rollback.js';
import { scale } from './scale.js';

export const ACTIONS = {
  annotate,
  scale,
  restart,
  rollback,
  'delete-pod': deletePod,
  'force-delete-pod': forceDeletePod,
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
} as const;

export type ActionId = keyof typeof ACTIONS;
export type ActionParams<A extends ActionId> = z.infer<(typeof ACTIONS)[A]['params']>;

export function isActionId(id: string): id is ActionId {
  return Object.hasOwn(ACTIONS, id);
}

export function actionList(): ActionDeclaration[] {
  return Object.values(ACTIONS);
}
