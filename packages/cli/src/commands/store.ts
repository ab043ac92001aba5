// `wheelhouse store …`: operations on the hub's store. `store copy` moves a hub
// from its embedded SQLite file to PostgreSQL (stop the hub first).
import { Command, Option } from 'commander';

export function storeCommand(): Command {
  const store = new Command('store').description("operations on the hub's store");
  store.addCommand(
    new Command('copy')
      .description(
        'copy a SQLite hub store into an empty PostgreSQL database, every table and the audit chain, verified on the target',
      )
      .requiredOption('--from <path>', "the SQLite store: hub.db or the hub's data directory")
      .requiredOption('--to <url>', 'the target: postgres://user@host:5432/database (the database must exist)')
      .addOption(
        new Option('--to-password-file <file>', "file holding the target user's password").env(
          'WHEELHOUSE_STORE_PASSWORD_FILE',
        ),
      )
      .addOption(
        new Option(
          '--audit-key-file <file>',
          "the hub's audit key file, to verify the keyed chain on the target (default: <data dir>.audit.key)",
        ).env('WHEELHOUSE_AUDIT_KEY_FILE'),
      )
      .option('--replace', 'empty a non-empty target first, its audit log included (refused without it)', false)
      .action(
        async (o: { from: string; to: string; toPasswordFile?: string; auditKeyFile?: string; replace: boolean }) => {
          const { copyStore, readPasswordFile, redactUrl } = await import('@wheelhouse/hub');
          const out = (s: string): boolean => process.stdout.write(s);
          out(`Copying ${o.from} to ${redactUrl(o.to)}\n`);
          let lastLine = 0;
          const result = await copyStore({
            from: o.from,
            to: o.to,
            ...(o.toPasswordFile ? { toPassword: readPasswordFile(o.toPasswordFile) } : {}),
            replace: o.replace,
            ...(o.auditKeyFile ? { auditKeyFile: o.auditKeyFile } : {}),
            onProgress: (table, done, total) => {
              // A line per table start and end, and at most one a second in between.
              const now = Date.now();
              if (done === 0 || done === total || now - lastLine >= 1000) {
                lastLine = now;
                out(`  ${table}: ${done}/${total} rows\n`);
              }
            },
          });
          const rows = result.tables.reduce((n, t) => n + t.rows, 0);
          out(
            `Copied ${rows} rows in ${result.tables.length} tables in ${result.ms} ms; ` +
              `audit chain verified on the target: ${result.audit.records} records` +
              (result.audit.head ? `, head ${result.audit.head.seq} ${result.audit.head.hash}` : '') +
              '.\n',
          );
        },
      ),
  );
  return store;
}
