// Shapes of the hub's answers. Protocol types are imported as types only, so
// the console's bundle carries none of the server-side schema code.
import type {
  ActionPreview,
  ClusterView,
  CommandDetail,
  CommandState,
  CommandTarget,
  CommandView,
  ConditionDetail,
  ContainerSummary,
  Insight,
  InsightEvidence,
  InventoryItem,
  InventoryItemOf,
  JsonObject,
  ShellSessionView,
  TimelineCounts,
  TimelineBuckets,
  TimelineEvent,
  TimelineEventOf,
  WorkloadListRow,
  WorkloadPods,
} from '@wheelhouse/protocol';

export type {
  WorkloadListRow,
  WorkloadPods,
  Insight,
  InsightEvidence,
  ActionPreview,
  ClusterView,
  CommandDetail,
  CommandState,
  CommandTarget,
  CommandView,
  ConditionDetail,
  ContainerSummary,
  InventoryItem,
  InventoryItemOf,
  JsonObject,
  TimelineCounts,
  TimelineBuckets,
  TimelineEvent,
  TimelineEventOf,
};
/** Some fields of an event, still a union keyed by `type` (Pick of a union would lose the link of type and data). */
export type TimelineEventPick<K extends keyof TimelineEvent> = TimelineEvent extends infer E
  ? E extends TimelineEvent
    ? Pick<E, K>
    : never
  : never;

/** A pod shell session as GET /sessions lists it. */
export type ShellSession = ShellSessionView;

export interface Me {
  user: { id: string; username: string; mustChangePassword: boolean };
  via: 'session' | 'token';
  bindings: { id: string; role: string; cluster: string; namespace: string }[];
  permissions: { global: string[]; scopes: { cluster: string; namespace: string; permissions: string[] }[] };
  csrfToken?: string;
  /** Users who signed in with SSO: the groups of the last sign-in and the bindings group mapping made. */
  sso?: {
    issuer: string;
    subject: string;
    groups: string[];
    lastSignInAt: number;
    bindings: { id: string; group: string }[];
  };
}

/** A just-in-time access request (GET /access-requests). */
export interface AccessRequest {
  id: string;
  requester: string;
  role: string;
  cluster: string;
  namespace: string;
  durationMs: number;
  reason: string;
  /** expired: an approved grant ended; lapsed: nobody decided the request in time. */
  state: 'pending' | 'approved' | 'denied' | 'expired' | 'lapsed';
  createdAt: number;
  /** pending: when the request lapses unanswered. */
  pendingUntil: number | null;
  decidedBy: string | null;
  decidedAt: number | null;
  comment: string | null;
  expiresAt: number | null;
}

/** GET /auth/methods: what the sign-in page offers. */
export interface AuthMethods {
  password: 'all' | 'break-glass';
  sso: { name: string; loginUrl: string } | null;
}

export interface ClusterAction {
  id: string;
  title: string;
  tier: string;
  targetKinds: string[];
  enabled: boolean;
  allowed: boolean;
  missingPermissions: string[];
}

export interface ClusterDetail extends ClusterView {
  actions: ClusterAction[];
}

/** JSON Schema as zod renders an action's params. */
export interface ParamSchema {
  type?: string;
  properties?: Record<string, ParamSchema>;
  required?: string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: unknown[];
  anyOf?: ParamSchema[];
  pattern?: string;
  maxLength?: number;
}

export interface CatalogAction {
  id: string;
  title: string;
  description: string;
  tier: string;
  targetKinds: string[];
  /** Removes or replaces running things: styled as a danger action (`dangerClass`). */
  danger: boolean;
  params: ParamSchema;
}

export interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  cluster: string | null;
  target: { kind: string; namespace: string; name: string } | null;
  params: unknown;
  reason: string | null;
  outcome: string;
  detail: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditVerify {
  ok: boolean;
  records: number;
  firstBadRecord?: { seq: number; reason: string };
  head?: { seq: number; hash: string };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | number | null;
}

/** The kinds a workload list shows, in menu order. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
