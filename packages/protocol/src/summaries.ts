// The kind-specific `summary` of an inventory item: exactly what the agent's
// projections produce. Fields a projection always fills are required (null
// when Kubernetes has no value); fields copied as they are from the object are
// optional (left out when absent). `spec` holds the fields whose change is
// worth a timeline entry and is compared generically, so it stays JSON.
import { z } from 'zod';
import { JsonObject } from './json.js';

const StringMap = z.record(z.string(), z.string());
const IntOrString = z.union([z.number(), z.string()]);

/**
 * A status condition with Kubernetes' own explanation ("0/3 nodes are available: …").
 * Optional where it was added after the first release, so items stored by an older agent still parse.
 */
export const ConditionDetail = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  lastTransitionTime: z.number().nullable(),
});
export type ConditionDetail = z.infer<typeof ConditionDetail>;

/** Requests and limits as Kubernetes quantities ("256Mi", "500m"), by resource name. */
export const ContainerResources = z.object({
  requests: StringMap.optional(),
  limits: StringMap.optional(),
});
export type ContainerResources = z.infer<typeof ContainerResources>;

export const ContainerSummary = z.object({
  name: z.string(),
  image: z.string().optional(),
  ready: z.boolean(),
  restartCount: z.number(),
  /** running | waiting | terminated */
  state: z.string(),
  reason: z.string().nullable(),
  /** The kubelet's message for the current state ("back-off 40s restarting failed container=…"). */
  message: z.string().nullable().optional(),
  exitCode: z.number().nullable(),
  resources: ContainerResources.optional(),
  /** Declared ports (spec.containers[].ports); absent when none: the console offers them to open in a tab. */
  ports: z
    .array(z.object({ containerPort: z.number(), name: z.string().optional(), protocol: z.string().optional() }))
    .optional(),
  lastTerminated: z
    .object({ reason: z.string().nullable(), exitCode: z.number().nullable(), finishedAt: z.number().nullable() })
    .nullable(),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;

/** Exec guard's verdict on a pod someone entered: when it will be evicted, by whom, last extension. */
export const ExecGuardSummary = z.object({
  terminationTime: z.number().nullable(),
  interactor: z.string().nullable(),
  extension: z.string().nullable(),
  extensionRequester: z.string().nullable(),
});
export type ExecGuardSummary = z.infer<typeof ExecGuardSummary>;

export const PodSummary = z.object({
  phase: z.string(),
  execGuard: ExecGuardSummary.optional(),
  ready: z.boolean(),
  nodeName: z.string().nullable(),
  podIP: z.string().nullable(),
  qosClass: z.string().nullable(),
  startTime: z.number().nullable(),
  reason: z.string().nullable(),
  restarts: z.number(),
  containers: z.array(ContainerSummary),
  initContainers: z.array(z.object({ name: z.string(), image: z.string().optional() })),
  /** Ephemeral (debug) containers: kubectl debug, the debug-container action. Absent when there are none. */
  ephemeralContainers: z
    .array(
      z.object({
        name: z.string(),
        image: z.string().optional(),
        /** The container whose process namespace it shares. */
        target: z.string().nullable(),
        /** running | waiting | terminated */
        state: z.string(),
      }),
    )
    .optional(),
  /** PodScheduled, Initialized, ContainersReady, Ready, … with their reason and message. */
  conditionDetails: z.array(ConditionDetail).optional(),
});
export type PodSummary = z.infer<typeof PodSummary>;

export const NamespaceSummary = z.object({ phase: z.string().optional() });
export type NamespaceSummary = z.infer<typeof NamespaceSummary>;

const Taint = z.object({ key: z.string().optional(), value: z.string().optional(), effect: z.string().optional() });

export const NodeSummary = z.object({
  unschedulable: z.boolean(),
  /** condition type → status ("True", "False", "Unknown") */
  conditions: StringMap,
  capacity: StringMap.optional(),
  allocatable: StringMap.optional(),
  taints: z.array(Taint),
  kubeletVersion: z.string().optional(),
  addresses: z.array(z.object({ type: z.string().optional(), address: z.string().optional() })),
  spec: JsonObject,
});
export type NodeSummary = z.infer<typeof NodeSummary>;

export const DeploymentSummary = z.object({
  replicas: z.number(),
  readyReplicas: z.number(),
  availableReplicas: z.number(),
  updatedReplicas: z.number(),
  generation: z.number().optional(),
  observedGeneration: z.number().optional(),
  revision: z.string().optional(),
  paused: z.boolean(),
  selector: StringMap.optional(),
  images: z.array(z.string()),
  conditions: StringMap,
  /** The same conditions with reason and message (ProgressDeadlineExceeded, MinimumReplicasUnavailable). */
  conditionDetails: z.array(ConditionDetail).optional(),
  spec: JsonObject,
});
export type DeploymentSummary = z.infer<typeof DeploymentSummary>;

export const ReplicaSetSummary = z.object({
  replicas: z.number(),
  readyReplicas: z.number(),
  availableReplicas: z.number(),
  revision: z.string().optional(),
  /** `kubernetes.io/change-cause`: what the person (or Wheelhouse) said when making this revision. */
  changeCause: z.string().optional(),
  podTemplateHash: z.string().optional(),
  images: z.array(z.string()),
});
export type ReplicaSetSummary = z.infer<typeof ReplicaSetSummary>;

export const StatefulSetSummary = z.object({
  replicas: z.number(),
  readyReplicas: z.number(),
  currentRevision: z.string().optional(),
  updateRevision: z.string().optional(),
  serviceName: z.string().optional(),
  images: z.array(z.string()),
  spec: JsonObject,
});
export type StatefulSetSummary = z.infer<typeof StatefulSetSummary>;

export const DaemonSetSummary = z.object({
  desired: z.number(),
  ready: z.number(),
  updated: z.number(),
  available: z.number(),
  images: z.array(z.string()),
  spec: JsonObject,
});
export type DaemonSetSummary = z.infer<typeof DaemonSetSummary>;

export const JobSummary = z.object({
  active: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  completions: z.number().optional(),
  parallelism: z.number().optional(),
  suspend: z.boolean(),
  startTime: z.number().nullable(),
  completionTime: z.number().nullable(),
  conditions: StringMap,
  /** The same conditions with reason and message (BackoffLimitExceeded, DeadlineExceeded). */
  conditionDetails: z.array(ConditionDetail).optional(),
  images: z.array(z.string()),
  spec: JsonObject,
});
export type JobSummary = z.infer<typeof JobSummary>;

export const CronJobSummary = z.object({
  schedule: z.string().optional(),
  suspend: z.boolean(),
  lastScheduleTime: z.number().nullable(),
  lastSuccessfulTime: z.number().nullable(),
  /** Jobs running now. */
  active: z.number(),
  images: z.array(z.string()),
  spec: JsonObject,
});
export type CronJobSummary = z.infer<typeof CronJobSummary>;

export const ServiceSummary = z.object({
  type: z.string().optional(),
  clusterIP: z.string().optional(),
  selector: StringMap.optional(),
  ports: z.array(
    z.object({
      name: z.string().optional(),
      port: z.number().optional(),
      targetPort: IntOrString.optional(),
      protocol: z.string().optional(),
      nodePort: z.number().optional(),
    }),
  ),
});
export type ServiceSummary = z.infer<typeof ServiceSummary>;

export const IngressSummary = z.object({
  className: z.string().optional(),
  hosts: z.array(z.string()),
  tlsHosts: z.array(z.string()),
});
export type IngressSummary = z.infer<typeof IngressSummary>;

/** Key names only: Wheelhouse never carries ConfigMap values. */
export const ConfigMapSummary = z.object({ keys: z.array(z.string()) });
export type ConfigMapSummary = z.infer<typeof ConfigMapSummary>;

export const PersistentVolumeClaimSummary = z.object({
  phase: z.string().optional(),
  storageClass: z.string().optional(),
  volumeName: z.string().optional(),
  accessModes: z.array(z.string()).optional(),
  requested: z.string().optional(),
  capacity: z.string().optional(),
});
export type PersistentVolumeClaimSummary = z.infer<typeof PersistentVolumeClaimSummary>;

export const HorizontalPodAutoscalerSummary = z.object({
  target: z.object({ kind: z.string().optional(), name: z.string().optional() }),
  minReplicas: z.number(),
  maxReplicas: z.number().optional(),
  currentReplicas: z.number().optional(),
  desiredReplicas: z.number().optional(),
});
export type HorizontalPodAutoscalerSummary = z.infer<typeof HorizontalPodAutoscalerSummary>;

export const PodDisruptionBudgetSummary = z.object({
  minAvailable: IntOrString.optional(),
  maxUnavailable: IntOrString.optional(),
  selector: StringMap.optional(),
  currentHealthy: z.number().optional(),
  desiredHealthy: z.number().optional(),
  disruptionsAllowed: z.number().optional(),
  expectedPods: z.number().optional(),
});
export type PodDisruptionBudgetSummary = z.infer<typeof PodDisruptionBudgetSummary>;

/** The summary schema of each watched kind. */
export const SUMMARIES = {
  Namespace: NamespaceSummary,
  Node: NodeSummary,
  Pod: PodSummary,
  Service: ServiceSummary,
  ConfigMap: ConfigMapSummary,
  PersistentVolumeClaim: PersistentVolumeClaimSummary,
  Deployment: DeploymentSummary,
  ReplicaSet: ReplicaSetSummary,
  StatefulSet: StatefulSetSummary,
  DaemonSet: DaemonSetSummary,
  Job: JobSummary,
  CronJob: CronJobSummary,
  Ingress: IngressSummary,
  HorizontalPodAutoscaler: HorizontalPodAutoscalerSummary,
  PodDisruptionBudget: PodDisruptionBudgetSummary,
} as const;

export type SummaryOf<K extends keyof typeof SUMMARIES> = z.infer<(typeof SUMMARIES)[K]>;
