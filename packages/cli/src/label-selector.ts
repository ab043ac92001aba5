// `-l` label selectors as kubectl takes them (equality and set-based), applied
// to the inventory's labels: the hub's inventory query has no selector, so the
// CLI filters what it read.
import { CliError } from './exit-codes.js';

export type LabelTest = (labels: Record<string, string>) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

/** Splits on commas outside parentheses: `app in (a,b),tier=web`. */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.map((r) => r.trim());
}

function key(k: string, selector: string): string {
  if (!KEY.test(k)) throw new CliError('usage', `-l "${selector}": "${k}" is not a label key`);
  return k;
}

/** One test from `a=b,c!=d,e,!f,g in (h,i),j notin (k)`; a usage error names what is wrong. */
export function parseSelector(selector: string): LabelTest {
  const tests: LabelTest[] = requirements(selector).map((r) => {
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(r);
    if (m?.[1] && m[2] && m[3] !== undefined) {
      const k = key(m[1], selector);
      const values = new Set(m[3].split(',').map((v) => v.trim()));
      return m[2] === 'in'
        ? (l) => l[k] !== undefined && values.has(l[k])
        : (l) => l[k] === undefined || !values.has(l[k]);
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(r);
    if (m?.[1] && m[2] && m[3] !== undefined) {
      const k = key(m[1], selector);
      const v = m[3];
      return m[2] === '!=' ? (l) => l[k] !== v : (l) => l[k] === v;
    }
    if (r.startsWith('!')) {
      const k = key(r.slice(1), selector);
      return (l) => l[k] === undefined;
    }
    if (r === '') throw new CliError('usage', `-l "${selector}": empty requirement`);
    const k = key(r, selector);
    return (l) => l[k] !== undefined;
  });
  return (labels) => tests.every((t) => t(labels));
}
