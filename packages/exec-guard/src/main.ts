#!/usr/bin/env node
// Standalone exec guard (the same command as `wheelhouse exec-guard`).
import { execGuardCommand } from './cli.js';
import { errorText } from './kube-errors.js';

execGuardCommand()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`exec-guard: ${errorText(err)}`);
    process.exitCode = 1;
  });
