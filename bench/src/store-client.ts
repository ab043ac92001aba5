// A pg client of a hub's PostgreSQL store, for the store cost scripts' own statements (index builds, ANALYZE, plans).
import pg from 'pg';
import type { HubOptions } from '@wheelhouse/hub';

/** A client of the hub's PostgreSQL store (the URL names no password: onBothStores passes it apart, and pg's connectionString would override one given beside it). */
export async function storeClient(store: Partial<HubOptions>): Promise<pg.Client> {
  const url = new URL(store.store ?? '');
  const client = new pg.Client({
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    database: url.pathname.slice(1),
    password: store.storePassword,
  });
  await client.connect();
  return client;
}
