#!/usr/bin/env node
// Runs the command line and turns every failure into an `error: …` line (or,
// with -o json, a JSON object) on stderr and an exit code from exit-codes.ts.
import { CommanderError } from 'commander';
import { formatError, reportOf } from './exit-codes.js';
import { buildProgram, usageFailure } from './program.js';

/** -o json / --output=json anywhere on the command line: errors as JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  return argv.some(
    (a, i) => a === '-ojson' || a === '--output=json' || ((a === '-o' || a === '--output') && argv[i + 1] === 'json'),
  );
}

const argv = process.argv;
buildProgram()
  .parseAsync(argv)
  .catch((err: unknown) => {
    // --help and --version end this way too, successfully.
    if (err instanceof CommanderError && err.exitCode === 0) return;
    const report = reportOf(err);
    process.stderr.write(formatError(report, wantsJson(argv.slice(2))));
    if (err instanceof CommanderError && !wantsJson(argv.slice(2)))
      process.stderr.write(`Run '${usageFailure.command ?? 'wheelhouse'} --help' for usage.\n`);
    process.exitCode = report.exitCode;
  });
