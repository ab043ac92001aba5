// Anchors of the audit chain's head outside the hub's store (issue 13 item
// 14). Deleting the newest records leaves a shorter chain that verifies on its
// own; the last anchor remembers how far the chain went, so verify can say
// "records 41..57 were deleted". An anchor carries its own HMAC, so whoever
// can write the store cannot forge one without the key file either.
//
// Sinks: a file (written atomically, 0600, the latest anchor only) and
// optionally a webhook (POST of the same JSON) that keeps its own history.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isRecord } from '@wheelhouse/protocol';
import type { AuditKeyring } from './audit-keys.js';
import { canonicalJson } from './canonical.js';

export interface AuditAnchor {
  /** The chain's head when anchored. */
  seq: number;
  hash: string;
  /** The first keyed record then (null: none), so a chain rewritten without keys is caught. */
  keyedFrom: number | null;
  /** Epoch ms. */
  at: number;
  keyId: string;
  /** HMAC-SHA256 (hex) with key `keyId` over the canonical JSON of the fields above. */
  mac: string;
}

const macOf = (keys: AuditKeyring, a: Omit<AuditAnchor, 'mac'>, keyId = a.keyId): string | null => {
  const key = keys.get(keyId);
  if (!key) return null;
  const body = { seq: a.seq, hash: a.hash, keyedFrom: a.keyedFrom, at: a.at, keyId: a.keyId };
  return createHmac('sha256', key.secret)
    .update(`wheelhouse-audit-anchor:${canonicalJson(body)}`)
    .digest('hex');
};

export function signAnchor(keys: AuditKeyring, a: Omit<AuditAnchor, 'mac' | 'keyId'>): AuditAnchor {
  const unsigned = { ...a, keyId: keys.active.id };
  return { ...unsigned, mac: macOf(keys, unsigned) ?? '' };
}

/** Whether the anchor's HMAC is right; a reason when not. */
export function checkAnchorMac(keys: AuditKeyring, a: AuditAnchor): string | null {
  const expected = macOf(keys, a);
  if (expected === null) return `it names HMAC key "${a.keyId}", which is not in the key file`;
  const ok = expected.length === a.mac.length && timingSafeEqual(Buffer.from(expected), Buffer.from(a.mac));
  return ok ? null : 'its HMAC does not match (the anchor was altered or forged)';
}

/** Parses anchor JSON; null when it is not one. */
export function parseAnchor(text: string): AuditAnchor | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(v)) return null;
  const { seq, hash, keyedFrom, at, keyId, mac } = v;
  if (typeof seq !== 'number' || typeof hash !== 'string' || typeof at !== 'number') return null;
  if (typeof keyId !== 'string' || typeof mac !== 'string') return null;
  if (keyedFrom !== null && typeof keyedFrom !== 'number') return null;
  return { seq, hash, keyedFrom, at, keyId, mac };
}

/** The latest anchor in a file (atomic replace, fsync'd, 0600). */
export class FileAnchor {
  constructor(readonly path: string) {}

  read(): { anchor: AuditAnchor | null; unreadable?: string } {
    if (!existsSync(this.path)) return { anchor: null };
    const anchor = parseAnchor(readFileSync(this.path, 'utf8'));
    return anchor ? { anchor } : { anchor: null, unreadable: `${this.path} does not hold an anchor` };
  }

  write(anchor: AuditAnchor): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(anchor)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
