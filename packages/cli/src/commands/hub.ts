// `wheelhouse hub`: the hub server with its embedded store.
import { Command, Option } from 'commander';
import { parseDuration } from '@wheelhouse/protocol';
import { parseListen, stopOnSignals } from './util.js';

const splitList = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

export function hubCommand(): Command {
  return new Command('hub')
    .description('run the hub: API, agent link and UI, with its store in a data directory')
    .addOption(
      new Option('--listen <host:port>', 'address to listen on').env('WHEELHOUSE_LISTEN').default('127.0.0.1:8080'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'where hub.db lives').env('WHEELHOUSE_DATA_DIR').default('.wheelhouse/hub'),
    )
    .addOption(
      new Option('--command-ttl <duration>', 'how long a command waits for its agent before it expires')
        .env('WHEELHOUSE_COMMAND_TTL')
        .default('10m'),
    )
    .addOption(new Option('--heartbeat <duration>', 'agent link heartbeat interval').default('15s'))
    .addOption(
      new Option(
        '--metrics-token <token>',
        'require "Authorization: Bearer <token>" on /metrics (default: open, for Prometheus on the pod network)',
      ).env('WHEELHOUSE_METRICS_TOKEN'),
    )
    .addOption(
      new Option(
        '--trusted-proxies <list>',
        'comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal) of the proxies whose X-Forwarded-For/-Proto/-Host the hub believes (default: none)',
      ).env('WHEELHOUSE_TRUSTED_PROXIES'),
    )
    .addOption(
      new Option(
        '--secure-cookie <mode>',
        "the session cookie's Secure flag and HSTS: true, false, or auto (when the request came over https, directly or per a trusted proxy)",
      )
        .choices(['auto', 'true', 'false'])
        .env('WHEELHOUSE_SECURE_COOKIE')
        .default('auto'),
    )
    .addOption(
      new Option(
        '--allowed-origins <list>',
        "comma-separated origins (https://console.example.org) besides the hub's own whose pages may open WebSockets",
      ).env('WHEELHOUSE_ALLOWED_ORIGINS'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .env('WHEELHOUSE_LOG_LEVEL')
        .default('info'),
    )
    .action(
      async (o: {
        listen: string;
        dataDir: string;
        commandTtl: string;
        heartbeat: string;
        logLevel: string;
        metricsToken?: string;
        trustedProxies?: string;
        secureCookie: string;
        allowedOrigins?: string;
      }) => {
        const { host, port } = parseListen(o.listen);
        // Loaded on use: every other subcommand starts faster without the hub's dependencies.
        const { createHub } = await import('@wheelhouse/hub');
        const { ensureAdmin } = await import('@wheelhouse/hub/auth');
        const hub = await createHub({
          dataDir: o.dataDir,
          logger: true,
          commandTtlMs: parseDuration(o.commandTtl),
          heartbeatMs: parseDuration(o.heartbeat),
          ...(o.metricsToken ? { metricsToken: o.metricsToken } : {}),
          ...(o.trustedProxies ? { trustedProxies: splitList(o.trustedProxies) } : {}),
          ...(o.secureCookie !== 'auto' ? { secureCookie: o.secureCookie === 'true' } : {}),
          ...(o.allowedOrigins ? { allowedOrigins: splitList(o.allowedOrigins) } : {}),
        });
        hub.app.log.level = o.logLevel;
        const admin = await ensureAdmin(hub.db, process.env.WHEELHOUSE_INITIAL_ADMIN_PASSWORD);
        await hub.app.listen({ host, port });
        const address = hub.app.server.address();
        const url = typeof address === 'object' && address ? `http://${host}:${address.port}` : o.listen;
        if (admin && process.env.WHEELHOUSE_INITIAL_ADMIN_PASSWORD) {
          process.stdout.write(
            `\nFirst start: created user "${admin.username}" with the password from WHEELHOUSE_INITIAL_ADMIN_PASSWORD (one-time: change it at first sign-in).\n\n`,
          );
        } else if (admin) {
          process.stdout.write(
            `\nFirst start: created user "${admin.username}" with one-time password: ${admin.password}\n` +
              'Sign in and change it (POST /api/v1/auth/password). It is not shown again.\n\n',
          );
        }
        process.stdout.write(`wheelhouse hub listening on ${url} (data: ${o.dataDir})\n`);
        stopOnSignals(() => hub.close());
      },
    );
}
