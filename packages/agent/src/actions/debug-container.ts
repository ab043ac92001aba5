// `kubectl debug -it POD --image=IMAGE --target=CONTAINER`: add an ephemeral
// container through the pods/ephemeralcontainers subresource (the only way into
// a distroless pod) and succeed once it runs, answering its name so a shell can
// enter it. Its name comes from the command id, so a re-delivered command finds
// the container it already added instead of adding a second one.
import type { ActionPreview } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { getTarget, objectPath } from './target.js';
import { waitFor } from './util.js';

interface PodShape {
  spec?: { containers?: { name: string }[]; ephemeralContainers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    ephemeralContainerStatuses?: {
      name: string;
      state?: { running?: unknown; waiting?: { reason?: string; message?: string }; terminated?: { reason?: string } };
    }[];
  };
}

const RUN_TIMEOUT_MS = 60_000;

/** The ephemeral container's name for a command: stable across re-deliveries. */
export function debugContainerName(commandId: string): string {
  return `debugger-${commandId.replace(/-/g, '').slice(0, 8)}`;
}

export const debugContainer: Executor<'debug-container'> = async (ctx, params) => {
  const { kc, command } = ctx;
  const pod = (await getTarget(kc, command.target)) as PodShape;
  const name = debugContainerName(command.id);
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  if (params.target !== undefined && !containers.includes(params.target)) {
    throw new Error(
      `pod ${command.target.name} has no container "${params.target}" to target; its containers: ${containers.join(', ')}`,
    );
  }
  if (pod.status?.phase !== 'Running') {
    throw new Error(`pod ${command.target.name} is ${pod.status?.phase ?? 'in an unknown phase'}, not Running`);
  }
  const container = {
    name,
    image: params.image,
    imagePullPolicy: 'IfNotPresent',
    stdin: true,
    tty: true,
    terminationMessagePolicy: 'File',
    ...(params.target !== undefined ? { targetContainerName: params.target } : {}),
  };
  const path = `${objectPath(command.target)}/ephemeralcontainers`;
  const patch = { spec: { ephemeralContainers: [container] } };
  const already = (pod.spec?.ephemeralContainers ?? []).some((c) => c.name === name);
  if (command.dryRun) {
    if (!already)
      ensureOk(
        await kubeRequest(kc, 'PATCH', `${path}?dryRun=All`, patch, 'application/strategic-merge-patch+json'),
        `add a debug container to ${command.target.name} (dry run)`,
      );
    const preview: ActionPreview = {
      summary: `add ephemeral container ${name} (${params.image}) to pod ${command.target.name}${params.target ? `, sharing the process namespace of ${params.target}` : ''}`,
      diff: [{ path: 'spec.ephemeralContainers[+]', to: container }],
      warnings: ['an ephemeral container cannot be removed: it stays in the pod until the pod is deleted'],
      affected: [],
    };
    return previewResult(preview);
  }
  if (!already) {
    ensureOk(
      await kubeRequest(kc, 'PATCH', path, patch, 'application/strategic-merge-patch+json'),
      `add a debug container to ${command.target.name}`,
    );
  }
  ctx.progress(`waiting for ${name} to run`);
  await waitFor(`debug container ${name} to run`, RUN_TIMEOUT_MS, async () => {
    const now = (await getTarget(kc, command.target)) as PodShape;
    const st = now.status?.ephemeralContainerStatuses?.find((s) => s.name === name);
    if (st?.state?.running) return { done: true };
    if (st?.state?.terminated)
      throw new Error(`debug container ${name} ended: ${st.state.terminated.reason ?? 'terminated'}`);
    const waiting = st?.state?.waiting;
    return { seen: waiting ? `waiting: ${waiting.reason ?? ''} ${waiting.message ?? ''}`.trim() : 'no status yet' };
  });
  const result: ExecutionResult = {
    message: `debug container ${name} (${params.image}) runs in pod ${command.target.name}${params.target ? `, sharing the process namespace of ${params.target}` : ''}`,
    result: { container: name, image: params.image, target: params.target ?? null },
  };
  return result;
};
