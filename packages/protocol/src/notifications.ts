// Notifications: rules that send new and resolved insights, failed actions
// and access-request steps of matching clusters and namespaces to a webhook,
// as a generic JSON document (NotificationMessage, versioned) or a
// Slack-compatible {text, blocks}. The hub stores the rules and delivers
// (hub/src/notifications/); docs/notifications.md documents both formats.
import { z } from 'zod';
import { SEVERITIES, type Severity } from './timeline-types.js';

/** What a rule may send. */
export const NOTIFICATION_EVENTS = ['insight-opened', 'insight-resolved', 'action-failed', 'access-request'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const NOTIFICATION_FORMATS = ['json', 'slack'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

/** The version of the JSON document's shape; raised on any incompatible change. */
export const NOTIFICATION_PAYLOAD_VERSION = 1;

/** Severities from least to most severe: a rule's minimum keeps that one and above. */
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

const PATTERN_RE = /^[a-z0-9.*-]{1,253}$/;
const Pattern = z
  .string()
  .regex(PATTERN_RE, "must be '*' or a name with '*' wildcards (lowercase letters, digits, '.', '-'; at most 253)");

/**
 * A webhook URL: http or https, at most 2048 characters, no user:password part
 * (put a token in the path or query, as Slack does). It is a secret: the API
 * never answers it in full (maskWebhookUrl).
 */
export const WebhookUrl = z
  .string()
  .max(2048)
  .superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      ctx.addIssue({ code: 'custom', message: `must be http:// or https://, not ${u.protocol}//` });
    else if (u.username || u.password)
      ctx.addIssue({ code: 'custom', message: 'must not carry a user or password (put the token in the path)' });
  });

/** What an administrator sends to create a rule. */
export const NotificationRuleInput = z.strictObject({
  name: z.string().trim().min(1).max(64),
  cluster: Pattern.default('*'),
  namespace: Pattern.default('*'),
  minSeverity: z.enum(SEVERITIES).default('warning'),
  events: z
    .array(z.enum(NOTIFICATION_EVENTS))
    .min(1)
    .max(NOTIFICATION_EVENTS.length)
    .refine((e) => new Set(e).size === e.length, 'each event at most once')
    .default(['insight-opened', 'insight-resolved', 'action-failed']),
  format: z.enum(NOTIFICATION_FORMATS).default('json'),
  url: WebhookUrl,
});
export type NotificationRuleInput = z.infer<typeof NotificationRuleInput>;

/** The outcome of the last delivery attempt of a rule (its last message, after retries). */
export interface NotificationDelivery {
  at: number;
  ok: boolean;
  /** The receiver's HTTP status; absent when it could not be reached. */
  status?: number;
  /** Why it failed (network error, timeout, HTTP status). */
  error?: string;
  attempts: number;
}

/** A rule as the API answers it: the URL masked. */
export interface NotificationRuleView {
  id: string;
  name: string;
  cluster: string;
  namespace: string;
  minSeverity: Severity;
  events: NotificationEvent[];
  format: NotificationFormat;
  /** Scheme and host only, the rest masked: the path usually holds a token. */
  url: string;
  createdBy: string;
  createdAt: number;
  lastDelivery: NotificationDelivery | null;
  /** Messages delivered, failed after their retries, and left out (rate limit, full queue). */
  counts: { delivered: number; failed: number; suppressed: number; dropped: number };
}

/** `https://hooks.example.com/…`: never the path, query or token. */
export function maskWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}

/** The generic JSON document a `json` rule POSTs (docs/notifications.md). */
export interface NotificationMessage {
  version: typeof NOTIFICATION_PAYLOAD_VERSION;
  /** `test` for "Send test", `suppressed` for a rate limit's summary. */
  event: NotificationEvent | 'test' | 'suppressed';
  cluster: string;
  severity: Severity;
  /** The object it is about; empty names for test and summary messages. */
  object: { kind: string; namespace: string; name: string };
  /** One line, as the timeline says it. */
  summary: string;
  time: number;
  rule: { id: string; name: string };
  insight?: { id: string; check: string; title: string; fix: string | null };
  action?: { commandId: string; action: string; state: string; requestedBy: string; message: string | null };
  access?: { requestId: string; phase: string; requester: string; role: string };
  /** suppressed: how many messages the rate limit left out. */
  suppressed?: number;
}
