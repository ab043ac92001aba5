#!/usr/bin/env node
// Standalone exec guard (the same command as `wheelhouse exec-guard`).
import { execGuardCommand } from './cli.js';

execGuardCommand()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`exec-guard: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
