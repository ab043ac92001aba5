#!/usr/bin/env node
// kubectl-pi: the kubectl plugin for exec guard ("pod interaction"). On PATH,
// `kubectl pi get|extend` runs it; it also works standalone.
//
//   kubectl pi get [pod...] [-n NS] [-a|--all]
//   kubectl pi extend [-d|--duration 30m] [pod...] [-n NS] [-a|--all]
//
// As in the reference plugin (kube-exec-controller), no pod name means every
// interacted pod of the namespace, and --all ignores any names given.
import * as k8s from '@kubernetes/client-node';
import { Command, Option } from 'commander';
import { parseDuration } from '@wheelhouse/protocol';
import { mergePatch } from './kube.js';
import { errorText, kubeStatus } from './kube-errors.js';
import { EXTENSION_ID_ANNOTATION, EXTENSION_REQUEST_ANNOTATION, INTERACTION_TIMESTAMP_LABEL } from './labels.js';
import { interactionState, rfc3339 } from './pod-state.js';

interface Globals {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  namespace?: string;
}

class PiError extends Error {}

export function loadClient(g: Globals): { kc: k8s.KubeConfig; namespace: string } {
  const kc = new k8s.KubeConfig();
  if (g.kubeconfig !== undefined) kc.loadFromFile(g.kubeconfig);
  else kc.loadFromDefault();
  if (g.context !== undefined) {
    if (!kc.contexts.some((c) => c.name === g.context))
      throw new PiError(`context "${g.context}" does not exist in the kubeconfig`);
    kc.setCurrentContext(g.context);
  }
  const ctx = kc.getContextObject(kc.currentContext);
  if (g.cluster !== undefined) {
    if (!kc.clusters.some((c) => c.name === g.cluster))
      throw new PiError(`cluster "${g.cluster}" does not exist in the kubeconfig`);
    const name = `${kc.currentContext}@${g.cluster}`;
    const override = new k8s.KubeConfig();
    override.loadFromOptions({
      clusters: kc.clusters,
      users: kc.users,
      contexts: [...kc.contexts, { name, cluster: g.cluster, user: ctx?.user ?? '', namespace: ctx?.namespace }],
      currentContext: name,
    });
    return { kc: override, namespace: g.namespace ?? ctx?.namespace ?? 'default' };
  }
  if (!kc.getCurrentCluster()) throw new PiError('no cluster is configured: pass --kubeconfig, --context or --cluster');
  return { kc, namespace: g.namespace ?? ctx?.namespace ?? 'default' };
}

interface Out {
  out: (s: string) => void;
  err: (s: string) => void;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** The pods a command acts on: every interacted pod of the namespace without names or with --all, else the named ones. */
async function targetPods(
  core: k8s.CoreV1Api,
  namespace: string,
  names: string[],
  forceAll: boolean,
  io: Out,
): Promise<{ pods: k8s.V1Pod[]; failed: boolean }> {
  if (forceAll || names.length === 0) {
    if (forceAll && names.length > 0) io.err(`warning: --all given, ignoring the pod names (${names.join(', ')})`);
    const list = await core.listNamespacedPod({ namespace, labelSelector: INTERACTION_TIMESTAMP_LABEL });
    const pods = list.items.filter((p) => interactionState(p) !== undefined);
    if (pods.length === 0) io.err(`No interacted pods found in namespace ${namespace}.`);
    return { pods, failed: false };
  }
  const pods: k8s.V1Pod[] = [];
  let failed = false;
  for (const name of names) {
    try {
      const pod = await core.readNamespacedPod({ namespace, name });
      if (!interactionState(pod)) {
        io.err(
          `error: pod/${name} in namespace "${namespace}" has not been interacted with (no kubectl exec/attach recorded by exec guard)`,
        );
        failed = true;
        continue;
      }
      pods.push(pod);
    } catch (err) {
      failed = true;
      io.err(
        kubeStatus(err) === 404
          ? `error: pod "${name}" not found in namespace "${namespace}"`
          : `error: pod/${name}: ${errorText(err)}`,
      );
    }
  }
  return { pods, failed };
}

async function get(g: Globals, names: string[], all: boolean, io: Out): Promise<number> {
  const { kc, namespace } = loadClient(g);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const { pods, failed } = await targetPods(core, namespace, names, all, io);
  if (pods.length === 0) return failed ? 1 : 0;
  const rows = [['POD-NAME', 'INTERACTOR', 'POD-TTL', 'EXTENSION', 'EXTENSION-REQUESTER', 'EVICTION-TIME']];
  for (const pod of pods) {
    const s = interactionState(pod);
    if (!s) continue;
    rows.push([
      pod.metadata?.name ?? '',
      s.interactor,
      s.ttl,
      s.extension ?? '<none>',
      s.extensionRequester ?? '<none>',
      rfc3339(s.terminationAt),
    ]);
  }
  io.out(table(rows));
  return failed ? 1 : 0;
}

async function extend(
  g: Globals,
  names: string[],
  all: boolean,
  duration: string,
  timeoutMs: number,
  io: Out,
): Promise<number> {
  let ms: number;
  try {
    ms = parseDuration(duration);
  } catch (err) {
    throw new PiError(errorText(err));
  }
  if (ms <= 0) throw new PiError(`the duration must be longer than 0s, got "${duration}"`);
  const { kc, namespace } = loadClient(g);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const { pods, failed: anyFailed } = await targetPods(core, namespace, names, all, io);
  let failed = anyFailed;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const before = pod.metadata?.annotations?.[EXTENSION_ID_ANNOTATION];
    try {
      await core.patchNamespacedPod(
        {
          namespace,
          name,
          fieldManager: 'kubectl-pi',
          body: { metadata: { annotations: { [EXTENSION_REQUEST_ANNOTATION]: duration } } },
        },
        mergePatch,
      );
    } catch (err) {
      io.err(`error: pod/${name}: ${errorText(err)}`);
      failed = true;
      continue;
    }
    // Exec guard applies the request asynchronously; report success once the termination time moved.
    const deadline = Date.now() + timeoutMs;
    let applied = false;
    while (Date.now() < deadline) {
      const now = await core.readNamespacedPod({ namespace, name }).catch(() => undefined);
      const ann = now?.metadata?.annotations ?? {};
      if (!now || (ann[EXTENSION_REQUEST_ANNOTATION] === undefined && ann[EXTENSION_ID_ANNOTATION] !== before)) {
        applied = now !== undefined;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!applied) {
      io.err(
        `error: pod/${name}: the extension was requested but exec guard did not apply it within ${timeoutMs / 1000}s (is exec guard running?)`,
      );
      failed = true;
      continue;
    }
    io.out(`Successfully extended the termination time of pod/${name} with a duration=${duration}`);
  }
  return failed ? 1 : 0;
}

export function piProgram(
  io: Out = { out: (s) => console.log(s), err: (s) => console.error(s) },
  setExit: (code: number) => void = (c) => (process.exitCode = c),
): Command {
  const program = new Command('kubectl-pi')
    .description('Pod interactions recorded by Wheelhouse exec guard: list them and extend eviction times')
    .option('--kubeconfig <path>', 'path to the kubeconfig file')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('--cluster <name>', 'the kubeconfig cluster to use')
    .option('-n, --namespace <ns>', 'the namespace (default: the context\'s, else "default")')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const run = async (fn: () => Promise<number>): Promise<void> => {
    try {
      setExit(await fn());
    } catch (err) {
      io.err(`error: ${err instanceof PiError ? err.message : errorText(err)}`);
      setExit(1);
    }
  };
  program
    .command('get')
    .description('print interacted pods: POD-NAME, INTERACTOR, POD-TTL, EXTENSION, EXTENSION-REQUESTER, EVICTION-TIME')
    .argument('[pods...]', 'pod names (none: every interacted pod in the namespace)')
    .option('-a, --all', 'every interacted pod in the namespace, ignoring any pod names')
    .action((pods: string[], opts: { all?: boolean }, cmd: Command) =>
      run(() => get(cmd.optsWithGlobals<Globals>(), pods, opts.all === true, io)),
    );
  program
    .command('extend')
    .description('extend the eviction time of interacted pods')
    .argument('[pods...]', 'pod names (none: every interacted pod in the namespace)')
    .addOption(new Option('-d, --duration <duration>', 'how much to extend by (e.g. 45s, 5m, 1h30m)').default('30m'))
    .option('-a, --all', 'every interacted pod in the namespace, ignoring any pod names')
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for exec guard to apply the extension').default('30s'),
    )
    .action((pods: string[], opts: { all?: boolean; duration: string; timeout: string }, cmd: Command) =>
      run(async () => {
        let timeoutMs: number;
        try {
          timeoutMs = parseDuration(opts.timeout);
        } catch (err) {
          throw new PiError(`--timeout: ${errorText(err)}`);
        }
        return extend(cmd.optsWithGlobals<Globals>(), pods, opts.all === true, opts.duration, timeoutMs, io);
      }),
    );
  return program;
}

// Run when executed (not when imported by tests).
const invoked = process.argv[1] ?? '';
if (/kubectl-pi(\.js)?$/.test(invoked)) {
  piProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`error: ${errorText(err)}`);
      process.exitCode = 1;
    });
}
