// The audit chain's HMAC keys (issue 13 item 14), kept outside the store so
// that whoever can write the database cannot re-chain it: a key file of lines
// "<key id> <secret>" (at least 32 characters; '#' starts a comment). The last
// line is the active key; earlier lines stay to verify the records they keyed.
// Rotation: append a line, restart the hub (docs/operations.md).
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditKey {
  /** Named in every record it keys (`key_id`). */
  id: string;
  secret: Buffer;
}

export interface AuditKeyring {
  /** The key new records are chained with. */
  active: AuditKey;
  get(id: string): AuditKey | undefined;
  ids(): string[];
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_SECRET = 32;

export function keyringOf(keys: readonly AuditKey[]): AuditKeyring {
  const active = keys.at(-1);
  if (!active) throw new Error('the audit key file holds no key');
  const byId = new Map(keys.map((k) => [k.id, k]));
  return { active, get: (id) => byId.get(id), ids: () => keys.map((k) => k.id) };
}

/** Parses a key file; errors name the line. */
export function parseKeyFile(text: string, source = 'audit key file'): AuditKeyring {
  const keys: AuditKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [id = '', secret = '', ...rest] = line.split(/\s+/);
    if (!KEY_ID.test(id) || rest.length > 0)
      throw new Error(`${source} line ${i + 1}: expected "<key id> <secret>" (id: letters, digits, . _ -)`);
    if (secret.length < MIN_SECRET)
      throw new Error(`${source} line ${i + 1}: the secret of key "${id}" is shorter than ${MIN_SECRET} characters`);
    if (keys.some((k) => k.id === id)) throw new Error(`${source} line ${i + 1}: key id "${id}" appears twice`);
    keys.push({ id, secret: Buffer.from(secret, 'utf8') });
  });
  return keyringOf(keys);
}

/** A new key line: 32 random bytes (base64url) named by date and a fingerprint. */
export function newKeyLine(now = new Date()): string {
  const secret = randomBytes(32).toString('base64url');
  const fp = createHash('sha256').update(secret).digest('hex').slice(0, 8);
  return `k${now.toISOString().slice(0, 10).replace(/-/g, '')}-${fp} ${secret}\n`;
}

/**
 * Reads the key file, creating it (0600, with one key) when absent. A file
 * every local user can read is tightened, or refused when that fails: the key
 * is what keeps the chain honest.
 */
export function loadOrCreateKeyFile(path: string): { keyring: AuditKeyring; created: boolean } {
  let created = false;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(
        fd,
        '# Wheelhouse audit chain HMAC keys: "<key id> <secret>", the last line is active.\n' +
          "# Keep this file outside the hub's data directory and backups of it; see docs/operations.md.\n" +
          newKeyLine(),
      );
    } finally {
      closeSync(fd);
    }
    created = true;
  }
  const mode = statSync(path).mode & 0o777;
  // Group bits are allowed: Kubernetes mounts a Secret 0440 when the pod has an fsGroup.
  if (mode & 0o007) {
    try {
      chmodSync(path, 0o600);
    } catch {
      throw new Error(`${path} is readable by every local user (mode ${mode.toString(8)}); make it 0600 or 0400`);
    }
  }
  return { keyring: parseKeyFile(readFileSync(path, 'utf8'), path), created };
}

/** A key that lives only as long as the process (tests, in-memory hubs). */
export function ephemeralKeyring(): AuditKeyring {
  return parseKeyFile(newKeyLine());
}
