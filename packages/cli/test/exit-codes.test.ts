import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, API_ERRORS, DurationError } from '@wheelhouse/protocol';
import {
  API_ERROR_EXIT,
  ApiError,
  CliError,
  EXIT,
  exitCodeOfApiError,
  formatError,
  reportOf,
} from '../src/exit-codes.js';

const docs = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');

describe('exit codes', () => {
  it('every hub error code has an exit code that agrees with its HTTP status', () => {
    for (const code of API_ERROR_CODES) {
      const status = API_ERRORS[code].status;
      const exit = API_ERROR_EXIT[code];
      if (status === 404) expect(exit, code).toBe(EXIT.notFound);
      if (status === 401) expect(exit, code).toBe(EXIT.unauthenticated);
      if (status === 403) expect(exit, code).toBe(EXIT.forbidden);
      if (status === 409) expect(exit, code).toBe(EXIT.conflict);
      if (status === 400) expect(exit, code).toBe(EXIT.usage);
      if (status === 503 || status === 504 || status === 429) expect(exit, code).toBe(EXIT.unavailable);
    }
  });

  it('docs/cli.md lists every code with the hub codes that map to it', () => {
    for (const [name, exit] of Object.entries(EXIT)) {
      const row = docs.split('\n').find((l) => l.startsWith(`| ${exit} | `));
      expect(row, `docs/cli.md row for ${exit} (${name})`).toBeDefined();
      const listed = [...(row ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
      const mapped = API_ERROR_CODES.filter((c) => API_ERROR_EXIT[c] === exit);
      expect(listed.sort(), `codes on the row of exit ${exit}`).toEqual([...mapped].sort());
    }
  });

  it('unknown hub codes fall back to their HTTP status', () => {
    expect(exitCodeOfApiError(404, 'some_new_code')).toBe(3);
    expect(exitCodeOfApiError(403, 'x')).toBe(4);
    expect(exitCodeOfApiError(502, 'http_502')).toBe(7);
    expect(exitCodeOfApiError(500, 'x')).toBe(1);
  });

  it('reports: hub refusals keep their body; usage and duration errors are 2; anything else 1', () => {
    const forbidden = reportOf(
      new ApiError(403, {
        error: 'forbidden',
        message: "bob lacks permission 'view' on c/shop",
        permission: 'view',
        scope: { cluster: 'c', namespace: 'shop' },
      }),
    );
    expect(forbidden.exitCode).toBe(4);
    expect(formatError(forbidden, false)).toBe("error: bob lacks permission 'view' on c/shop\n");
    expect(JSON.parse(formatError(forbidden, true))).toEqual({
      error: 'forbidden',
      message: "bob lacks permission 'view' on c/shop",
      permission: 'view',
      scope: { cluster: 'c', namespace: 'shop' },
      status: 403,
      exitCode: 4,
    });
    expect(reportOf(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toEqual({
      exitCode: 2,
      body: { error: 'usage', message: "unknown option '--x'" },
    });
    expect(reportOf(new DurationError('5x', 'bad')).exitCode).toBe(2);
    expect(reportOf(new CliError('not_found', 'Pod "x" not found')).exitCode).toBe(3);
    expect(reportOf(new CliError('unreachable', 'cannot reach')).exitCode).toBe(7);
    expect(reportOf(new Error('boom'))).toEqual({ exitCode: 1, body: { error: 'failed', message: 'boom' } });
  });
});
