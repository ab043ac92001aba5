// N hub processes (the built `wheelhouse hub`, so kill -9 kills what
// production runs) on one throw-away PostgreSQL database: the harness of the
// replica tests. They share one audit key file and one peer secret file, as
// replicas of one install share mounted Secrets.
import { createDatabase, postgresUrl, type PostgresConnection } from '@wheelhouse/test-postgres';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { newKeyLine } from '../../src/audit/audit-keys.js';
import { openDatabase, type HubDb } from '../../src/store/db.js';

export interface ReplicasOptions {
  /** How many hub processes (default 3). */
  count?: number;
  /** Extra `wheelhouse hub` flags for every replica. */
  args?: string[];
  /** Extra environment for every replica. */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs once on the migrated, empty store before any replica starts (users,
   * tokens, clusters made directly in the store). The handle is closed after.
   */
  seed?: (db: HubDb) => Promise<void>;
}

export interface Replicas {
  /** http://127.0.0.1:<port> of each replica, by index (a restarted replica keeps its port). */
  readonly urls: string[];
  /** The processes now running, by index (after kill(i), the dead one until restart(i)). */
  readonly procs: TestProcess[];
  /** The store's postgres:// URL (with password) and the server, for reading rows from the DB's side. */
  readonly storeUrl: string;
  readonly pg: PostgresConnection;
  readonly database: string;
  /** SIGKILL replica i; resolves once the process is gone. */
  kill(i: number): Promise<void>;
  /** Starts replica i again on its port (after kill(i)); resolves once it listens. */
  restart(i: number): Promise<void>;
  /** SIGTERM every replica. */
  stop(): Promise<void>;
}

export async function startReplicas(opts: ReplicasOptions = {}): Promise<Replicas> {
  const count = opts.count ?? 3;
  const pg = inject('postgres');
  const database = await createDatabase(pg, 'wh_replicas');
  const storeUrl = postgresUrl(pg, database, true);
  const db = await openDatabase({ store: storeUrl }); // migrates
  try {
    await opts.seed?.(db);
  } finally {
    await db.destroy();
  }
  const dir = mkdtempSync(join(tmpdir(), 'wh-replicas-'));
  const keyFile = join(dir, 'audit.key');
  writeFileSync(keyFile, newKeyLine(), { mode: 0o600 });
  const peerSecretFile = join(dir, 'peer.secret');
  writeFileSync(peerSecretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const procs: TestProcess[] = [];

  const launch = (i: number): TestProcess => {
    const args = [
      'hub',
      '--listen',
      `127.0.0.1:${ports[i]}`,
      '--log-level',
      process.env.WHEELHOUSE_TEST_LOG === 'debug' ? 'debug' : 'warn',
      // Dead replicas are noticed within a few seconds (tests wait for it).
      '--replica-heartbeat',
      '500ms',
      '--audit-key-file',
      keyFile,
      '--audit-anchor-file',
      join(dir, `anchor-${i}.json`),
      '--peer-secret-file',
      peerSecretFile,
      '--peer-url',
      urls[i] ?? '',
      ...(opts.args ?? []),
    ];
    return startProcess([WHEELHOUSE_CLI, ...args], {
      label: `hub-${i}`,
      env: { ...process.env, ...opts.env, WHEELHOUSE_STORE: storeUrl },
    });
  };
  const listening = (p: TestProcess): Promise<unknown> => p.waitForOutput(/wheelhouse hub listening on/);

  for (let i = 0; i < count; i++) procs.push(launch(i));
  await Promise.all(procs.map(listening));

  return {
    urls,
    procs,
    storeUrl,
    pg,
    database,
    kill: async (i) => {
      await procs[i]?.kill9();
    },
    restart: async (i) => {
      await procs[i]?.stop();
      const p = launch(i);
      procs[i] = p;
      await listening(p);
    },
    stop: async () => {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}
