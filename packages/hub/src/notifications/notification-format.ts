// What a notification says: a timeline event turned into the versioned JSON
// document (NotificationMessage), and that document as a Slack-compatible
// body ({text, blocks}: Slack, Mattermost, Rocket.Chat and Teams' Slack
// connectors read `text`; Slack renders `blocks`). Pure functions.
import {
  NOTIFICATION_PAYLOAD_VERSION,
  type NotificationEvent,
  type NotificationFormat,
  type NotificationMessage,
  type Severity,
  type TimelineEvent,
} from '@wheelhouse/protocol';

/** Which notification event a timeline event is, if any. */
export function notificationEventOf(e: Pick<TimelineEvent, 'type' | 'data'>): NotificationEvent | null {
  switch (e.type) {
    case 'insight-opened':
      return 'insight-opened';
    case 'insight-resolved':
      return 'insight-resolved';
    case 'action': {
      const state = (e.data as { state?: unknown }).state;
      return state === 'failed' || state === 'rejected' || state === 'expired' ? 'action-failed' : null;
    }
    case 'access':
      return 'access-request';
    default:
      return null;
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The JSON document for one timeline event. `severity` is the one the rule
 * matched on (a resolved insight keeps the severity it had while open).
 */
export function messageOf(
  e: TimelineEvent,
  event: NotificationEvent,
  severity: Severity,
  rule: { id: string; name: string },
): NotificationMessage {
  const d = e.data as Record<string, unknown>;
  const base: NotificationMessage = {
    version: NOTIFICATION_PAYLOAD_VERSION,
    event,
    cluster: e.cluster,
    severity,
    object: { kind: e.kind, namespace: e.namespace, name: e.name },
    summary: e.summary,
    time: e.time,
    rule,
  };
  if (event === 'insight-opened' || event === 'insight-resolved')
    return {
      ...base,
      insight: { id: str(d.insightId), check: str(d.check), title: str(d.title), fix: strOrNull(d.fix) },
    };
  if (event === 'action-failed')
    return {
      ...base,
      action: {
        commandId: str(d.commandId),
        action: str(d.action),
        state: str(d.state),
        requestedBy: str(d.requestedBy),
        message: strOrNull(d.message),
      },
    };
  return {
    ...base,
    access: { requestId: str(d.requestId), phase: str(d.phase), requester: str(d.requester), role: str(d.role) },
  };
}

export function testMessage(rule: { id: string; name: string }, by: string, now: number): NotificationMessage {
  return {
    version: NOTIFICATION_PAYLOAD_VERSION,
    event: 'test',
    cluster: '',
    severity: 'info',
    object: { kind: '', namespace: '', name: '' },
    summary: `Test notification of rule "${rule.name}", sent by ${by}`,
    time: now,
    rule,
  };
}

export function suppressedMessage(rule: { id: string; name: string }, count: number, now: number): NotificationMessage {
  return {
    version: NOTIFICATION_PAYLOAD_VERSION,
    event: 'suppressed',
    cluster: '',
    severity: 'warning',
    object: { kind: '', namespace: '', name: '' },
    summary: `${count} more notification${count === 1 ? '' : 's'} of rule "${rule.name}" suppressed (rate limit)`,
    time: now,
    rule,
    suppressed: count,
  };
}

const HEADLINE: Record<NotificationMessage['event'], string> = {
  'insight-opened': 'Insight opened',
  'insight-resolved': 'Insight resolved',
  'action-failed': 'Action failed',
  'access-request': 'Access request',
  test: 'Test',
  suppressed: 'Suppressed',
};
const ICON: Record<Severity, string> = {
  info: ':information_source:',
  warning: ':warning:',
  error: ':rotating_light:',
};

/** Slack mrkdwn needs &, < and > escaped (they delimit links and mentions). */
const escapeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The object a message is about, `Kind namespace/name on cluster`; empty for tests and summaries. */
export function objectLine(m: NotificationMessage): string {
  if (!m.object.name) return '';
  const where = m.object.namespace ? `${m.object.namespace}/${m.object.name}` : m.object.name;
  return `${m.object.kind} ${where} on ${m.cluster}`;
}

export function slackBody(m: NotificationMessage): {
  text: string;
  blocks: { type: string; text?: { type: string; text: string }; elements?: { type: string; text: string }[] }[];
} {
  const obj = objectLine(m);
  const headline = `${HEADLINE[m.event]}${obj ? `: ${obj}` : ''}`;
  const text = `${headline} — ${m.summary}`;
  const lines = [`${ICON[m.severity]} *${escapeSlack(headline)}*`, escapeSlack(m.summary)];
  if (m.insight?.fix && m.event === 'insight-opened') lines.push(`_Fix:_ ${escapeSlack(m.insight.fix)}`);
  if (m.action?.message) lines.push(`_Message:_ ${escapeSlack(m.action.message)}`);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: escapeSlack(`${m.severity} · rule ${m.rule.name} · ${new Date(m.time).toISOString()}`),
          },
        ],
      },
    ],
  };
}

/** The body a rule of this format POSTs. */
export function bodyOf(format: NotificationFormat, m: NotificationMessage): unknown {
  return format === 'slack' ? slackBody(m) : m;
}
