// Periodic anchoring of the audit chain's head (issue 13 item 14): every
// interval, when the head moved, sign it and write it to the anchor file and,
// when configured, POST it to a webhook that keeps its own copy. Also at start
// and at shutdown, so a restart never leaves the newest records unanchored.
import type { FastifyBaseLogger } from 'fastify';
import type { AuditAnchor } from './anchor.js';
import type { AuditLog } from './audit-log.js';

export interface AnchoringOptions {
  audit: AuditLog;
  log: FastifyBaseLogger;
  /** Default 60 s. */
  intervalMs?: number;
  /** POSTed the anchor as JSON (5 s timeout); failures are logged and retried next time. */
  webhookUrl?: string;
  /** Called after each anchor (metrics). */
  onAnchor?: (anchor: AuditAnchor, webhook: 'sent' | 'failed' | 'none') => void;
}

export class AuditAnchoring {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<AuditAnchor | null> = Promise.resolve(null);

  constructor(private readonly opts: AnchoringOptions) {}

  start(): void {
    void this.anchorNow();
    this.timer = setInterval(() => void this.anchorNow(), this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Anchors the head now (one at a time); resolves to the anchor, or null when nothing moved. */
  anchorNow(): Promise<AuditAnchor | null> {
    this.running = this.running.then(
      () => this.once(),
      () => this.once(),
    );
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.anchorNow();
  }

  private async once(): Promise<AuditAnchor | null> {
    let anchor: AuditAnchor | null;
    try {
      anchor = await this.opts.audit.anchorHead();
    } catch (err) {
      this.opts.log.error({ err }, 'anchoring the audit chain failed');
      return null;
    }
    if (!anchor) return null;
    let webhook: 'sent' | 'failed' | 'none' = 'none';
    if (this.opts.webhookUrl) {
      try {
        const res = await fetch(this.opts.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'wheelhouse.audit.anchor', anchor }),
          signal: AbortSignal.timeout(5_000),
        });
        webhook = res.ok ? 'sent' : 'failed';
        if (!res.ok) this.opts.log.warn({ status: res.status }, 'audit anchor webhook refused the anchor');
      } catch (err) {
        webhook = 'failed';
        this.opts.log.warn({ err }, 'audit anchor webhook unreachable');
      }
    }
    this.opts.onAnchor?.(anchor, webhook);
    return anchor;
  }
}
