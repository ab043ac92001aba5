#!/usr/bin/env node
// node bench/dist/src/notification-reread-cost.js [--insights N] [--rounds N]:
// what one pass of the notification dispatcher costs on PostgreSQL (a
// throw-away server) while --insights (default 500) insight-opened events of
// the last 30 s, each matching the one rule, were already handled — an
// incident's worth. Each pass re-reads the last 30 s there (late commits).
// Alternating which goes first, each round times one pass of:
//   after  — the hub's dispatcher, which handled them (it remembers their
//            seqs for the re-read's 30 s and skips them);
//   before — the same after forgetCursor() (what a new leader knows: nothing,
//            plus one read of the stored cursor): what every pass did before,
//            claiming each again (an INSERT … ON CONFLICT, then, for an
//            insight, the flap window's UPDATE), the store refusing each.
import { parseArgs } from 'node:util';
import { createHub, type Hub } from '@wheelhouse/hub';
import { NotificationRuleInput } from '@wheelhouse/protocol';
import { createDatabase, postgresUrl, startPostgres } from '@wheelhouse/test-postgres';

const { values } = parseArgs({ options: { insights: { type: 'string' }, rounds: { type: 'string' } } });
const insights = Number(values.insights ?? 500);
const rounds = Number(values.rounds ?? 6);
for (const [name, n] of Object.entries({ insights, rounds }))
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
const BATCH = 500; // the dispatcher's events per pass

const server = await startPostgres();
let hub: Hub | undefined;
try {
  const url = postgresUrl(server, await createDatabase(server, 'bench_notification_reread'));
  hub = await createHub({
    store: url,
    storePassword: server.password,
    logger: false,
    webRoot: false,
    notifications: { intervalMs: 3_600_000 },
  });
  const h = hub;
  await h.clusters.create('prod', 'bench');
  const made = await h.notificationRules.create(
    'bench',
    NotificationRuleInput.parse({ name: 'bench', events: ['insight-opened'], url: 'http://127.0.0.1:9/hook' }),
  );
  if (!made.ok) throw new Error('the rule was refused');
  const leader = h.notifications;
  await leader.tick(); // the cursor: the timeline's end
  const now = Date.now();
  for (let i = 0; i < insights; i += BATCH)
    await h.db
      .insertInto('timeline_events')
      .values(
        Array.from({ length: Math.min(BATCH, insights - i) }, (_, k) => {
          const name = `pod-${String(i + k)}`;
          return {
            id: `insight-opened:${name}:1`,
            cluster_id: 'prod',
            time: now,
            type: 'insight-opened',
            severity: 'error',
            kind: 'Pod',
            namespace: 'shop',
            name,
            owner_kind: null,
            owner_name: null,
            summary: `${name} cannot pull its image`,
            data: JSON.stringify({ insightId: name, check: 'image-pull-failed', title: 'Image cannot be pulled' }),
          };
        }),
      )
      .execute();
  // The leader handles (claims) them, a batch a pass.
  for (let i = 0; i <= insights / BATCH; i++) await leader.tick(now);
  const pass = async (forget: boolean): Promise<number> => {
    const t = performance.now();
    if (forget) leader.forgetCursor();
    await leader.tick(now + 1_000);
    return performance.now() - t;
  };
  const times: Record<'before' | 'after', number[]> = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const);
    for (const k of order) times[k].push(await pass(k === 'before'));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(`notification pass, PostgreSQL, ${insights} handled insights in the last 30 s, ${rounds} rounds (ms):`);
  for (const k of ['before', 'after'] as const)
    console.log(
      `  ${k.padEnd(6)} median ${median(times[k]).toFixed(2)}  runs ${times[k].map((x) => x.toFixed(2)).join(' ')}`,
    );
} finally {
  await hub?.close();
  await server.stop();
}
