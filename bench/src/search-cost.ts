// The hub's cost of the top bar's search (GET …/search, issue 18), in process
// on the console-pods bench's synthetic store: what one search costs the hub,
// per kind of query, against what the old in-browser search made it serve
// first (every object of the 14 searched kinds, in pages of 1,000).
// SQLite, then PostgreSQL (a server started for the run).
//   node bench/dist/src/search-cost.js [pods, default 100000] [nodes, default 2000]
import { SEARCHED_KINDS, searchWords } from '@wheelhouse/protocol';
import { createHub, type HubOptions } from '@wheelhouse/hub';
import { onBothStores } from './both-stores.js';
import { seedSyntheticCluster, syntheticPod } from './benchmarks/console-pods.js';
import { summarize } from './stats.js';

const pods = Number(process.argv[2] ?? 100_000);
const nodes = Number(process.argv[3] ?? 2000);
async function measure(dialect: string, store: Partial<HubOptions>): Promise<void> {
  const hub = await createHub({ ...store, logger: false, webRoot: false });
  try {
    await seedSyntheticCluster(hub, pods, nodes, 5000);
    const somePod = syntheticPod(Math.floor(pods / 2), nodes);
    const time = async (label: string, fn: () => Promise<unknown>, n = 30): Promise<void> => {
      const ms: number[] = [];
      let found = 0;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const r = await fn();
        ms.push(performance.now() - t);
        if (Array.isArray(r)) found = r.length;
      }
      const s = summarize(ms);
      console.log(
        `${label}: median ${s.median.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${n} calls, ${found} found)`,
      );
    };
    const search = (q: string) => () => hub.inventory.search('bench', q, searchWords(q), 20);
    console.log(`${pods} pods on ${nodes} nodes (${dialect})`);
    await time(
      'before: the old search, every object of the 14 kinds in pages of 1,000 (hub side only)',
      async () => {
        let n = 0;
        for (const kind of SEARCHED_KINDS) {
          let cursor: string | undefined;
          do {
            const page = await hub.inventory.query('bench', { kind, limit: 1000, cursor });
            n += page.items.length;
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
        }
        return Array.from({ length: n });
      },
      3,
    );
    await time(`after: a whole pod name ("${somePod.name}")`, search(somePod.name));
    await time('after: a prefix of 12,500 pod names ("api")', search('api'));
    await time('after: a prefix and a namespace word ("worker team-02")', search('worker team-02'));
    await time('after: a kind alias and a prefix ("po cache")', search('po cache'));
    await time('after: a node ("node-1234")', search('node-1234'));
    await time(
      `after: a word only inside names ("${somePod.name.slice(-6)}": the contains pass)`,
      search(somePod.name.slice(-6)),
    );
    await time('after: a word matching nothing ("zzzz": every range read)', search('zzzz'));
    await time(
      'after: 8 one-letter words ("a b c d e f g h": the most ranges a query reads)',
      search('a b c d e f g h'),
      10,
    );
  } finally {
    await hub.close();
  }
}

await onBothStores('search-cost', measure);
