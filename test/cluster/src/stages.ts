// kwok Stages: how simulated nodes and pods move through their lives. We use
// kwok's own default stages (read from the pinned kwok module, so they match
// the controller) plus stages of ours that tests and the demo opt into with a
// pod label:
//   wheelhouse.dev/simulate=crashloop   the containers run for ~1 s (annotation
//                                       wheelhouse.dev/run-seconds), exit (code from
//                                       wheelhouse.dev/exit-code, default 1; reason from
//                                       wheelhouse.dev/reason, default Error) and are
//                                       restarted after the kubelet's CrashLoopBackOff
//                                       back-off: 10 s, 20 s, 40 s … 5 min
//   wheelhouse.dev/simulate=image-pull-failure   the image cannot be pulled (ErrImagePull /
//                                       ImagePullBackOff), the pod stays Pending
//   wheelhouse.dev/simulate=unready     the containers run but never become ready
//   pod-container-running-failed.stage.kwok.x-k8s.io=true   (kwok's chaos stage) the pod fails
//   (every pod) ephemeral containers (kubectl debug, Wheelhouse's debug-container action) run once
//                                       added, as a kubelet starts them: see EPHEMERAL_STAGE
//   node-not-ready.stage.kwok.x-k8s.io=true (a node label; kwok's chaos stage) the node is NotReady,
//                                       and under the condition named by annotation
//                                       node-not-ready.stage.kwok.x-k8s.io/type (e.g. MemoryPressure)
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
  'node/chaos/node-not-ready.yaml',
];

// The crash loop runs in two stages, like the kubelet's: the container runs for
// a moment and exits (-> waiting CrashLoopBackOff, "back-off Ns restarting failed
// container=…"), then, after that back-off, it is started again (restartCount + 1).
// The back-off is the kubelet's: 10 s, doubling up to 5 min, back to 10 s once a
// container ran for 10 min. Its current value is kept where the kubelet shows it,
// in the waiting message; the next one is derived from the gap the container last
// waited (its running.startedAt minus lastState.terminated.finishedAt), rounded to
// the kubelet's levels so kwok's scheduling lag never compounds.
const CRASHLOOP_SELECTOR = `    - key: '.metadata.labels["wheelhouse.dev/simulate"]'
      operator: 'In'
      values:
      - 'crashloop'
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'`;

/** Running containers exit after wheelhouse.dev/run-seconds (default 1 s, + up to 1 s). */
const CRASH_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: wheelhouse-container-crash
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${CRASHLOOP_SELECTOR}
    - key: '.status.containerStatuses.[].state.running.startedAt'
      operator: 'Exists'
  delay:
    durationMilliseconds: 1000
    durationFrom:
      jq:
        expression: '(.metadata.annotations["wheelhouse.dev/run-seconds"] // "1") + "s"'
    jitterDurationFrom:
      jq:
        expression: '((.metadata.annotations["wheelhouse.dev/run-seconds"] // "1") | tonumber + 1 | tostring) + "s"'
  weight: 10000
  next:
    statusTemplate: |
      {{ $layout := "2006-01-02T15:04:05Z07:00" }}
      {{ $now := Now }}
      {{ $nowS := atoi (unixEpoch (toDate $layout $now)) }}
      {{ $annotations := or .metadata.annotations dict }}
      {{ $exitCode := or ( index $annotations "wheelhouse.dev/exit-code" ) "1" }}
      {{ $reason := or ( index $annotations "wheelhouse.dev/reason" ) "Error" }}
      {{ $statuses := or .status.containerStatuses list }}
      {{ $pod := printf "%s_%s(%s)" .metadata.name .metadata.namespace .metadata.uid }}
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
      {{ $restarts := 0 }}{{ $started := $now }}{{ $prevFinished := "" }}
      {{ range $s := $statuses }}{{ if eq $s.name $c.name }}
      {{ $restarts = or $s.restartCount 0 }}
      {{ $started = dig "state" "running" "startedAt" $now $s }}
      {{ $prevFinished = dig "lastState" "terminated" "finishedAt" "" $s }}
      {{ end }}{{ end }}
      {{ $startedS := atoi (unixEpoch (toDate $layout $started)) }}
      {{ $backoff := 10 }}
      {{ if and $prevFinished (lt (sub $nowS $startedS) 600) }}
      {{ $gap := sub $startedS (atoi (unixEpoch (toDate $layout $prevFinished))) }}
      {{ $backoff = 300 }}
      {{ range $level := list 300 160 80 40 20 10 }}{{ if gt (mul $level 2) (mul $gap 3) }}{{ $backoff = $level }}{{ end }}{{ end }}
      {{ end }}
      - image: {{ $c.image | Quote }}
        name: {{ $c.name | Quote }}
        ready: false
        started: false
        restartCount: {{ $restarts }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: {{ printf "back-off %ds restarting failed container=%s pod=%s" $backoff $c.name $pod | Quote }}
        lastState:
          terminated:
            exitCode: {{ atoi $exitCode }}
            reason: {{ $reason | Quote }}
            startedAt: {{ $started | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      phase: Running
`;

/** Containers in CrashLoopBackOff start again once the back-off in their waiting message is over. */
const RESTART_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: wheelhouse-container-restart
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${CRASHLOOP_SELECTOR}
    - key: '.status.containerStatuses.[].state.waiting.reason'
      operator: 'In'
      values:
      - 'CrashLoopBackOff'
  delay:
    durationMilliseconds: 10000
    durationFrom:
      jq:
        expression: '.status.containerStatuses[0].state.waiting.message | capture("back-off (?<d>[0-9]+s)") | .d'
  weight: 10000
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $statuses := or .status.containerStatuses list }}
      {{ $ready := true }}
      {{ range $c := .spec.containers }}{{ if $c.readinessProbe }}{{ $ready = false }}{{ end }}{{ end }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: {{ if $ready }}"True"{{ else }}"False"{{ end }}
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: {{ if $ready }}"True"{{ else }}"False"{{ end }}
        type: ContainersReady
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: PodScheduled
      containerStatuses:
      {{ range $c := .spec.containers }}
      {{ $restarts := 0 }}{{ $last := dict }}
      {{ range $s := $statuses }}{{ if eq $s.name $c.name }}
      {{ $restarts = or $s.restartCount 0 }}
      {{ $last = dig "lastState" "terminated" dict $s }}
      {{ end }}{{ end }}
      - image: {{ $c.image | Quote }}
        name: {{ $c.name | Quote }}
        ready: {{ not $c.readinessProbe }}
        started: true
        restartCount: {{ add1 $restarts }}
        state:
          running:
            startedAt: {{ $now | Quote }}
        {{ if $last }}
        lastState:
          terminated:
            exitCode: {{ dig "exitCode" 1 $last }}
            reason: {{ dig "reason" "Error" $last | Quote }}
            startedAt: {{ dig "startedAt" $now $last | Quote }}
            finishedAt: {{ dig "finishedAt" $now $last | Quote }}
        {{ end }}
      {{ end }}
      phase: Running
`;

/**
 * wheelhouse.dev/simulate=image-pull-failure: the kubelet cannot pull the image —
 * ErrImagePull, then ImagePullBackOff (60 s), then ErrImagePull again; the pod stays Pending.
 */
const IMAGE_PULL_FAILURE_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: wheelhouse-image-pull-failure
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.labels["wheelhouse.dev/simulate"]'
      operator: 'In'
      values:
      - 'image-pull-failure'
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
  delay:
    durationMilliseconds: 1000
    durationFrom:
      jq:
        expression: '((.status.containerStatuses // [])[0].state.waiting.reason // "") as $r | if $r == "ImagePullBackOff" then "60s" elif $r == "ErrImagePull" then "10s" else "1s" end'
  weight: 10000
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $statuses := or .status.containerStatuses list }}
      {{ $current := "" }}
      {{ range $s := $statuses }}{{ $current = dig "state" "waiting" "reason" "" $s }}{{ end }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: PodScheduled
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
      containerStatuses:
      {{ range $c := .spec.containers }}
      - image: {{ $c.image | Quote }}
        name: {{ $c.name | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          waiting:
            {{ if eq $current "ErrImagePull" }}
            reason: ImagePullBackOff
            message: {{ printf "Back-off pulling image %q" $c.image | Quote }}
            {{ else }}
            reason: ErrImagePull
            message: {{ printf "failed to pull and unpack image %q: not found" $c.image | Quote }}
            {{ end }}
      {{ end }}
      phase: Pending
`;

/** wheelhouse.dev/simulate=unready: containers run, but their readiness probe never passes. */
const UNREADY_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: wheelhouse-readiness-failing
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.labels["wheelhouse.dev/simulate"]'
      operator: 'In'
      values:
      - 'unready'
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'In'
      values:
      - 'True'
  delay:
    durationMilliseconds: 300
  weight: 10000
  next:
    statusTemplate: |
      {{ $now := Now }}
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
      {{ range $s := $statuses }}
      - image: {{ $s.image | Quote }}
        name: {{ $s.name | Quote }}
        ready: false
        started: true
        restartCount: {{ or $s.restartCount 0 }}
        state:
          running:
            startedAt: {{ dig "state" "running" "startedAt" $now $s | Quote }}
      {{ end }}
      phase: Running
`;

/**
 * Ephemeral containers run: kwok's stages only give status to containers and init
 * containers, so a container added through pods/ephemeralcontainers would stay
 * without a status (never "running") and a shell could not enter it. This stage
 * gives every ephemeral container of a running pod a running status once it has
 * more of them in spec than in status. (Exec into it then runs like any exec of the
 * local cluster: ClusterExec runs the command locally.)
 */
const EPHEMERAL_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: wheelhouse-ephemeral-container-running
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '((.spec.ephemeralContainers // []) | length) > ((.status.ephemeralContainerStatuses // []) | length)'
      operator: 'In'
      values:
      - 'true'
  next:
    statusTemplate: |
      {{ $now := Now }}
      ephemeralContainerStatuses:
      {{ range .spec.ephemeralContainers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
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
  return [...upstream, CRASH_STAGE, RESTART_STAGE, IMAGE_PULL_FAILURE_STAGE, UNREADY_STAGE, EPHEMERAL_STAGE];
}
