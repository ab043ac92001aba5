// `wheelhouse exec-guard`: runs exec guard (admission webhook + eviction
// controller). Flags and their environment variables are defined with the
// implementation in @wheelhouse/exec-guard; see docs/exec-guard.md.
import type { Command } from 'commander';
import { execGuardCommand as buildExecGuardCommand } from '@wheelhouse/exec-guard';

export function execGuardCommand(): Command {
  return buildExecGuardCommand();
}
