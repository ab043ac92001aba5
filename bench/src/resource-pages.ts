// A list read to its end through GET …/resources, as the console's listAll reads it (pages of 1,000,
// newest first): what the store cost scripts time, with the items and bytes the hub sent.
import type { Hub } from '@wheelhouse/hub';

export interface PagesRead {
  items: number;
  bytes: number;
  requests: number;
}

/** Every page of cluster "bench"'s list `query` as the bearer token's user (fastify's inject: no socket). */
export async function readPages(hub: Hub, token: string, query: string): Promise<PagesRead> {
  let cursor: string | null = null;
  const out: PagesRead = { items: 0, bytes: 0, requests: 0 };
  do {
    const res: { statusCode: number; body: string; rawPayload: Buffer } = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/bench/resources?${query}&sort=age&order=desc&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
    const page = JSON.parse(res.body) as { items: unknown[]; nextCursor: string | null };
    out.bytes += res.rawPayload.length;
    out.items += page.items.length;
    out.requests++;
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}
