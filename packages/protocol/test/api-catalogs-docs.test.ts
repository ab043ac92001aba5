// docs/api.md is where people look up an error code or an audit action: every
// entry of the two catalogs must be in its table, with the same status and
// outcomes, and the tables must list nothing the catalogs lack.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ERRORS, API_ERROR_CODES } from '../src/api-errors.js';
import { AUDIT_ACTIONS, AUDIT_ACTION_KEYS } from '../src/audit-actions.js';

const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
const lines = doc.split('\n');

/** The body rows of the table whose header row is `header`. */
function tableRows(header: string): string[] {
  const start = lines.indexOf(header);
  expect(start, `docs/api.md has no table headed ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

/** Rows of the error table: `| 404 | \`not_found\` | … |` → code → status. */
function documentedErrors(): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of tableRows('| status | `error` | meaning |')) {
    const m = /^\| (\d{3}) \| `([a-z_]+)` \|/.exec(row);
    expect(m, `not an error row: ${row}`).not.toBeNull();
    if (m?.[1] && m[2]) out.set(m[2], Number(m[1]));
  }
  return out;
}

/** Rows of the audit table: `| \`auth.login\` | \`succeeded\`, \`failed\` | … |` → action → outcomes. */
function documentedActions(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const row of tableRows('| action | outcomes | what happened |')) {
    const m = /^\| `([a-z.:_*-]+)` \| ((?:`[a-z]+`(?:, )?)+) \|/.exec(row);
    expect(m, `not an audit action row: ${row}`).not.toBeNull();
    if (m?.[1] && m[2])
      out.set(
        m[1],
        [...m[2].matchAll(/`([a-z]+)`/g)].map((x) => x[1] ?? ''),
      );
  }
  return out;
}

describe('docs/api.md', () => {
  it('lists every API error code with its one status, and no other', () => {
    const documented = documentedErrors();
    const expected = new Map(API_ERROR_CODES.map((c) => [c, API_ERRORS[c].status]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
  });

  it('lists every audit action with its outcomes, and no other', () => {
    const documented = documentedActions();
    const expected = new Map(AUDIT_ACTION_KEYS.map((a) => [a, [...AUDIT_ACTIONS[a].outcomes]]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
  });

  it('names each code once in the catalog (one status per code)', () => {
    expect(new Set(API_ERROR_CODES).size).toBe(API_ERROR_CODES.length);
    expect(API_ERROR_CODES.length).toBeGreaterThan(20);
  });
});
