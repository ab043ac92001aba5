// Runs a store cost script's measurement on each dialect the hub supports: an
// SQLite file in a scratch directory, then a database of a throw-away
// PostgreSQL server; both removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubOptions } from '@wheelhouse/hub';
import { createDatabase, postgresUrl, startPostgres } from '@wheelhouse/test-postgres';

export async function onBothStores(
  name: string,
  measure: (dialect: string, store: Partial<HubOptions>) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `wh-${name}-`));
  const server = await startPostgres();
  try {
    await measure('SQLite', { dataDir: dir });
    const url = postgresUrl(server, await createDatabase(server, `bench_${name.replaceAll('-', '_')}`));
    await measure('PostgreSQL', { store: url, storePassword: server.password });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
