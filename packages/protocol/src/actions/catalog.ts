// The action catalog. Adding an action = one declaration here + one executor
// in the agent (its registry is typed by ActionId, so a missing one fails to compile).
import type { z } from 'zod';
import { annotate } from './annotate.js';
import type { ActionDeclaration } from './declaration.js';

export const ACTIONS = { annotate } as const;

export type ActionId = keyof typeof ACTIONS;
export type ActionParams<A extends ActionId> = z.infer<(typeof ACTIONS)[A]['params']>;

export function isActionId(id: string): id is ActionId {
  return Object.hasOwn(ACTIONS, id);
}

export function actionList(): ActionDeclaration[] {
  return Object.values(ACTIONS);
}
