// How the agent carries out each declared action: one file per action, and
// this registry typed by ActionId, so declaring an action in the protocol
// catalog without an executor here does not compile.
import type { ActionId } from '@wheelhouse/protocol';
import { annotate } from './annotate.js';
import type { Executor } from './context.js';

export type { ExecutionContext, ExecutionResult, Executor } from './context.js';

export const executors: { [A in ActionId]: Executor<A> } = {
  annotate,
};
