// kwok Stages: how simulated nodes and pods move through their lives. We use
// kwok's own default stages (read from the pinned kwok module, so they match
// the controller) plus stages of ours that tests and the demo opt into with a
// pod label:
//   wheelhouse.dev/simulate=crashloop   the containers crash and restart every
//                                       ~2 s (CrashLoopBackOff, exit code from
//                                       annotation wheelhouse.dev/exit-code, default 1;
//                                       reason from wheelhouse.dev/reason, default Error)
//   pod-container-running-failed.stage.kwok.x-k8s.io=true   (kwok's chaos stage) the pod fails
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageDir } from './paths.js';

const run = promisify(execFile);

const UPSTREAM_STAGES = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
  'pod/chaos/pod-container-running-failed.yaml',
];

const CRASHLOOP_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: wheelhouse-container-crashloop
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.labels["wheelhouse.dev/simulate"]'
      operator: 'In'
      values:
      - 'crashloop'
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
  delay:
    durationMilliseconds: 1500
    jitterDurationMilliseconds: 1000
  weight: 10000
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $annotations := or .metadata.annotations dict }}
      {{ $exitCode := or ( index $annotations "wheelhouse.dev/exit-code" ) "1" }}
      {{ $reason := or ( index $annotations "wheelhouse.dev/reason" ) "Error" }}
      {{ $statuses := or .status.containerStatuses list }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ContainersNotReady
        type: ContainersReady
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: PodScheduled
      containerStatuses:
      {{ range $c := .spec.containers }}
      {{ $restarts := 0 }}
      {{ range $s := $statuses }}{{ if eq $s.name $c.name }}{{ $restarts = or $s.restartCount 0 }}{{ end }}{{ end }}
      - image: {{ $c.image | Quote }}
        name: {{ $c.name | Quote }}
        ready: false
        started: false
        restartCount: {{ add1 $restarts }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: back-off restarting failed container {{ $c.name }}
        lastState:
          terminated:
            exitCode: {{ atoi $exitCode }}
            reason: {{ $reason | Quote }}
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      phase: Running
`;

/** The directory of the pinned kwok module in the Go module cache (downloaded if missing). */
async function kwokModuleDir(): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', 'sigs.k8s.io/kwok'], {
    cwd: join(packageDir(), 'go', 'kwok'),
    env: { ...process.env, PATH: `/usr/local/go/bin:${process.env.PATH ?? ''}` },
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`cannot locate the kwok module: ${info.Error ?? 'no Dir'}`);
  return info.Dir;
}

/** Stage documents (YAML) for the kwok configuration. */
export async function stageDocuments(): Promise<string[]> {
  const dir = await kwokModuleDir();
  const upstream = await Promise.all(UPSTREAM_STAGES.map((f) => readFile(join(dir, 'kustomize', 'stage', f), 'utf8')));
  return [...upstream, CRASHLOOP_STAGE];
}
