// `wheelhouse backup`: a consistent copy of the hub's store while the hub runs
// (SQLite's online backup API: readers and the hub's writes carry on).
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';

export function backupCommand(): Command {
  return new Command('backup')
    .description("copy the hub's store (hub.db) consistently, even while the hub runs")
    .addOption(
      new Option('--data-dir <dir>', "the hub's data directory").env('WHEELHOUSE_DATA_DIR').default('.wheelhouse/hub'),
    )
    .requiredOption('--out <file>', 'where to write the copy (must not exist)')
    .action(async (o: { dataDir: string; out: string }) => {
      const source = join(resolve(o.dataDir), 'hub.db');
      if (!existsSync(source)) throw new Error(`no hub store at ${source}`);
      if (existsSync(o.out)) throw new Error(`${o.out} exists; choose a new file`);
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(source, { readonly: true, fileMustExist: true });
      try {
        const started = Date.now();
        // The copy holds what hub.db holds: created owner-only before SQLite writes into it ('wx': never an existing file).
        closeSync(openSync(resolve(o.out), 'wx', 0o600));
        await db.backup(resolve(o.out));
        chmodSync(resolve(o.out), 0o600);
        const copy = new Database(resolve(o.out), { readonly: true });
        const check = copy.pragma('integrity_check', { simple: true });
        const audit = copy.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number };
        copy.close();
        if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
        process.stdout.write(
          `Backed up ${source} to ${o.out} in ${Date.now() - started} ms (integrity ok, ${audit.n} audit records).\n`,
        );
      } finally {
        db.close();
      }
    });
}
