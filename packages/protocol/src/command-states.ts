// Command states, zod-free so the console can import them at runtime.
//   pending → dispatched → running → succeeded | failed | rejected | expired
export const COMMAND_STATES = [
  'pending',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'rejected',
  'expired',
] as const;
export type CommandState = (typeof COMMAND_STATES)[number];
export const TERMINAL_STATES: readonly CommandState[] = ['succeeded', 'failed', 'rejected', 'expired'];
export const isTerminal = (s: CommandState): boolean => TERMINAL_STATES.includes(s);

/** A stored state read back; an unknown one is corruption, said so rather than passed on. */
export function commandStateOf(s: string): CommandState {
  const state = COMMAND_STATES.find((x) => x === s);
  if (state === undefined) throw new Error(`unknown command state "${s}"`);
  return state;
}
