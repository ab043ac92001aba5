#!/usr/bin/env node
// npm run cluster:up | cluster:down | cluster:status
import { down, status, up } from './cluster.js';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const s = await up();
      console.log(`server ${s.serverVersion ?? '?'}, ${s.readyNodes ?? 0} kwok nodes ready`);
      console.log(s.kubeconfig);
      return 0;
    }
    case 'down':
      await down();
      return 0;
    case 'status': {
      const s = await status();
      console.log(
        `cluster ${s.name}: ${s.running ? `running, ${s.serverVersion ?? '?'}, ${s.readyNodes ?? 0} nodes ready` : 'not running'}`,
      );
      console.log(s.kubeconfig);
      return s.running ? 0 : 1;
    }
    default:
      console.error('usage: cli.js up|down|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[cluster] error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
