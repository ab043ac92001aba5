// `wheelhouse demo`: the whole product on one machine — the local control
// plane (unless a kubeconfig is given), the hub, and an agent with every tier
// and exec guard registered as the cluster's webhook. Ctrl-C stops it all.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parseListen, stopOnSignals } from './util.js';

const CLUSTER = 'local';
const WEBHOOK_PREFIX = 'wheelhouse-demo-exec-guard';

interface DemoOptions {
  listen: string;
  dataDir: string;
  kubeconfig?: string;
  context?: string;
  execGuardTtl: string;
  execGuardNamespaces?: string;
  seed: boolean;
  sso?: boolean;
}

/** The people `demo --sso` puts in Dex, and what their groups map to. */
const SSO_PEOPLE = [
  { email: 'sre@demo.wheelhouse', username: 'sam', groups: ['sre'], what: 'operator everywhere (actions, shells)' },
  { email: 'dev@demo.wheelhouse', username: 'dana', groups: ['developers'], what: 'viewer everywhere' },
] as const;
const SSO_MAPPINGS = [
  { group: 'sre', role: 'operator', cluster: '*', namespace: '*' },
  { group: 'developers', role: 'viewer', cluster: '*', namespace: '*' },
] as const;

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'run hub + agent (all tiers) + exec guard against the local control plane, or the cluster of --kubeconfig/--context',
    )
    .addOption(new Option('--listen <host:port>', 'hub address').default('127.0.0.1:8080'))
    .addOption(
      new Option('--data-dir <dir>', 'hub data, agent token and exec guard journal').default('.wheelhouse/demo'),
    )
    .addOption(new Option('--kubeconfig <file>', 'use this cluster instead of starting the local one'))
    .addOption(new Option('--context <name>', 'kubeconfig context to use'))
    .addOption(new Option('--exec-guard-ttl <duration>', 'how long an exec-ed pod lives').default('10m'))
    .addOption(new Option('--no-seed', 'do not create the demo workloads on the local cluster'))
    .addOption(
      new Option(
        '--sso',
        'also start Dex (OIDC) with an SRE and a developer; the hub signs them in with single sign-on, admin stays the break-glass account',
      ),
    )
    .addOption(
      new Option(
        '--exec-guard-namespaces <list>',
        'namespaces exec guard watches, comma separated (default: all but kube-*)',
      ),
    )
    .action(async (o: DemoOptions) => {
      const log = (s: string): void => void process.stderr.write(`[demo] ${s}\n`);
      const started = Date.now();
      const dataDir = resolve(o.dataDir);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const [
        { createHub },
        { ensureAdmin },
        { startAgent },
        { parseDuration },
        { webhookConfiguration },
        k8s,
        { default: pino },
      ] = await Promise.all([
        import('@wheelhouse/hub'),
        import('@wheelhouse/hub/auth'),
        import('@wheelhouse/agent'),
        import('@wheelhouse/protocol'),
        import('@wheelhouse/exec-guard'),
        import('@kubernetes/client-node'),
        import('pino'),
      ]);

      // Which cluster: explicit kubeconfig/context/KUBECONFIG, or the local control plane.
      const external =
        o.kubeconfig ?? (o.context || process.env.KUBECONFIG ? (process.env.KUBECONFIG ?? '') : undefined);
      let kubeconfig: string | undefined = external || undefined;
      let stopCluster: (() => Promise<void>) | null = null;
      let clientCaPath: string | undefined;
      if (external === undefined) {
        const { up, down, status, admissionFiles } = await import('@wheelhouse/test-cluster');
        const wasRunning = (await status()).running;
        log('starting the local control plane (the first run builds it from source: about 20 minutes on 2 cores)');
        const cluster = await up({ log });
        kubeconfig = cluster.kubeconfig;
        // The local API server presents an admission client certificate: exec guard answers only it.
        const ca = admissionFiles(cluster.name).caCert;
        if (existsSync(ca)) clientCaPath = ca;
        // A cluster someone else started (npm run cluster:up, a test run) is theirs to stop.
        if (!wasRunning) stopCluster = () => down({ log });
      } else {
        log(`using ${o.context ? `context ${o.context} of ` : ''}${kubeconfig ?? '~/.kube/config'}`);
      }
      const kc = new k8s.KubeConfig();
      if (kubeconfig) kc.loadFromFile(kubeconfig.split(':')[0] ?? kubeconfig);
      else kc.loadFromDefault();
      if (o.context) kc.setCurrentContext(o.context);

      if (external === undefined && o.seed) {
        const { seedDemo } = await import('../demo-seed.js');
        await seedDemo(kc, log);
      }

      const { host, port: asked } = parseListen(o.listen);
      // With SSO the hub's URL is registered at Dex before the hub starts, so the port must be known.
      const { freePort } = await import('@wheelhouse/test-cluster/processes');
      const port = o.sso && asked === 0 ? await freePort() : asked;
      const urlAt = (p: number): string => `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${p}`;
      let url = urlAt(port);
      let sso:
        | { dex: import('@wheelhouse/test-cluster/dex').RunningDex; passwords: string[]; clientSecret: string }
        | undefined;
      if (o.sso) {
        const { startDex } = await import('@wheelhouse/test-cluster/dex');
        log('starting Dex (OIDC provider) with the demo people');
        const passwords = SSO_PEOPLE.map(() => randomBytes(9).toString('base64url'));
        const clientSecret = randomBytes(24).toString('base64url');
        const dex = await startDex({
          users: SSO_PEOPLE.map((p, i) => ({ ...p, groups: [...p.groups], password: passwords[i] ?? '' })),
          clients: [
            {
              id: 'wheelhouse',
              secret: clientSecret,
              redirectURIs: [`${url}/api/v1/auth/oidc/callback`],
              postLogoutRedirectURIs: [`${url}/login`],
            },
          ],
        });
        sso = { dex, passwords, clientSecret };
      }
      const hub = await createHub({
        dataDir: join(dataDir, 'hub'),
        logger: false,
        ...(sso
          ? {
              oidc: {
                issuer: sso.dex.issuer,
                clientId: 'wheelhouse',
                clientSecret: sso.clientSecret,
                publicUrl: url,
                providerName: 'Dex',
                groupMappings: SSO_MAPPINGS.map((m) => ({ ...m })),
              },
              localAccounts: { mode: 'break-glass' as const, breakGlassUser: 'admin' },
            }
          : {}),
      });
      await hub.app.listen({ host, port });
      const addr = hub.app.server.address();
      if (typeof addr === 'object' && addr) url = urlAt(addr.port);

      const passwordFile = join(dataDir, 'initial-admin-password');
      const admin = await ensureAdmin(hub.db);
      if (admin) writeFileSync(passwordFile, `${admin.password}\n`, { mode: 0o600 });

      // The agent's token is shown once by the hub: keep it beside the hub's data.
      const tokenFile = join(dataDir, `${CLUSTER}.agent-token`);
      let token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
      if (!(await hub.clusters.get(CLUSTER))) token = (await hub.clusters.create(CLUSTER, 'demo'))?.token ?? '';
      else if (!token || !(await hub.clusters.authenticateAgent(token)))
        token = (await hub.clusters.rotateToken(CLUSTER)) ?? '';
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      chmodSync(tokenFile, 0o600);

      const namespaces = o.execGuardNamespaces
        ?.split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const agent = await startAgent({
        hubUrl: url,
        token,
        kubeConfig: kc,
        capabilities: { basic: true, advanced: true, podExec: true },
        log: pino({ name: 'wheelhouse-agent', level: 'warn' }),
        execGuard: {
          dataDir: join(dataDir, 'exec-guard'),
          selfSigned: true,
          host: '127.0.0.1',
          port: 0,
          ttlSeconds: parseDuration(o.execGuardTtl) / 1000,
          ...(namespaces ? { namespaces } : {}),
          leaderElection: { enabled: false },
          logLevel: 'warn',
          ...(clientCaPath ? { clientCaPath } : {}),
        },
      });
      const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
      // One webhook configuration per data directory, so two demos on one cluster do not fight.
      const WEBHOOK = `${WEBHOOK_PREFIX}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
      const eg = agent.execGuard;
      if (eg) {
        const body = webhookConfiguration({
          name: WEBHOOK,
          url: eg.url,
          ...(eg.caBundle ? { caBundle: eg.caBundle } : {}),
          // A demo that dies without cleaning up must not block execs and pod updates in the cluster.
          failurePolicy: { connect: 'Ignore', update: 'Ignore' },
          namespaceSelector: {
            matchExpressions: namespaces
              ? [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }]
              : [
                  {
                    key: 'kubernetes.io/metadata.name',
                    operator: 'NotIn',
                    values: ['kube-system', 'kube-public', 'kube-node-lease'],
                  },
                ],
          },
        });
        await admission.deleteValidatingWebhookConfiguration({ name: WEBHOOK }).catch(() => undefined);
        await admission.createValidatingWebhookConfiguration({ body });
      }
      await agent.synced;

      process.stdout.write(
        `\nWheelhouse is running (${((Date.now() - started) / 1000).toFixed(1)}s)\n` +
          `  console:  ${url}/  (open it in a browser; the API is under ${url}/api/v1)\n` +
          `  cluster:  ${CLUSTER} (agent connected, tiers basic+advanced+podExec, exec guard registered)\n` +
          (admin
            ? `  sign in:  admin / ${admin.password}   (one-time password; you will be asked to change it)\n`
            : `  sign in:  admin — the first start's one-time password is in ${passwordFile}\n`) +
          (kubeconfig ? `  kubectl:  export KUBECONFIG=${kubeconfig}\n` : '') +
          (sso
            ? `  SSO:      Dex at ${sso.dex.issuer}; on the sign-in page choose "Sign in with Dex" (admin is the break-glass account)\n` +
              SSO_PEOPLE.map(
                (p, i) =>
                  `            ${p.email} / ${sso.passwords[i] ?? ''}   groups: ${p.groups.join(', ')} → ${p.what}\n`,
              ).join('') +
              `            CLI: wheelhouse login --sso --hub ${url}\n`
            : '') +
          'Press Ctrl-C to stop.\n',
      );

      stopOnSignals(async () => {
        log('stopping');
        // With exec guard gone, its webhook must go too, or every exec would wait on it.
        await admission.deleteValidatingWebhookConfiguration({ name: WEBHOOK }).catch(() => undefined);
        await agent.stop();
        await hub.close();
        await sso?.dex.stop();
        if (stopCluster) await stopCluster();
        log('stopped');
      });
    });
}
