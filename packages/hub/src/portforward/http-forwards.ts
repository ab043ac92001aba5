// The console's HTTP forwards: a user opened one pod port in a browser tab.
// Each forward is a capability: a random 256-bit token in the tab's URL path
// (/pf/<token>/…) names one user, one pod, one port. The session cookie cannot
// authorize the tab's requests (the content runs as an opaque origin, and the
// cookie is SameSite=Strict), and must not: see docs/security.md "Forwarded
// pod content". A forward closes after `idleMs` without a request and at the
// latest `maxAgeMs` after it was opened; a user has at most `maxPerUser` open.
import { randomBytes, randomUUID } from 'node:crypto';

export interface HttpForward {
  /** Names the forward in the audit log and metrics (the token never leaves the tab's URL). */
  id: string;
  token: string;
  user: string;
  cluster: string;
  namespace: string;
  pod: string;
  port: number;
  openedAt: number;
  lastUsedAt: number;
}

export interface HttpForwardOptions {
  /** Closed after this long without a request (default 15 min). */
  idleMs?: number;
  /** Closed this long after opening, however busy (default 4 h): the permission was checked at the opening. */
  maxAgeMs?: number;
  /** Open forwards per user at once (default 8; 429 too_many_port_forwards above). */
  maxPerUser?: number;
}

export const HTTP_FORWARD_DEFAULTS = { idleMs: 15 * 60_000, maxAgeMs: 4 * 3_600_000, maxPerUser: 8 } as const;
/** The path every forwarded tab lives under. */
export const HTTP_FORWARD_PREFIX = '/pf';
/** What a token looks like (base64url of 32 bytes); anything else is not looked up. */
export const HTTP_FORWARD_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class HttpForwards {
  private readonly forwards = new Map<string, HttpForward>();
  readonly idleMs: number;
  readonly maxAgeMs: number;
  readonly maxPerUser: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    opts: HttpForwardOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.idleMs = opts.idleMs ?? HTTP_FORWARD_DEFAULTS.idleMs;
    this.maxAgeMs = opts.maxAgeMs ?? HTTP_FORWARD_DEFAULTS.maxAgeMs;
    this.maxPerUser = opts.maxPerUser ?? HTTP_FORWARD_DEFAULTS.maxPerUser;
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  /** Forwards the user has open now. */
  activeFor(user: string): number {
    this.sweep();
    let n = 0;
    for (const f of this.forwards.values()) if (f.user === user) n++;
    return n;
  }

  open(f: Omit<HttpForward, 'id' | 'token' | 'openedAt' | 'lastUsedAt'>): HttpForward {
    const at = this.now();
    const forward: HttpForward = {
      ...f,
      id: randomUUID(),
      token: randomBytes(32).toString('base64url'),
      openedAt: at,
      lastUsedAt: at,
    };
    this.forwards.set(forward.token, forward);
    return forward;
  }

  /** The live forward of a token, marked used; null when unknown, idle or too old. */
  use(token: string): HttpForward | null {
    const f = this.forwards.get(token);
    if (!f) return null;
    if (this.expired(f)) {
      this.forwards.delete(token);
      return null;
    }
    f.lastUsedAt = this.now();
    return f;
  }

  /** Every forward of a cluster (its agent went away) or of the hub (shutdown) ends. */
  closeAll(cluster?: string): void {
    for (const [token, f] of this.forwards)
      if (cluster === undefined || f.cluster === cluster) this.forwards.delete(token);
    if (cluster === undefined) clearInterval(this.sweeper);
  }

  private expired(f: HttpForward): boolean {
    const at = this.now();
    return at - f.lastUsedAt > this.idleMs || at - f.openedAt > this.maxAgeMs;
  }

  private sweep(): void {
    for (const [token, f] of this.forwards) if (this.expired(f)) this.forwards.delete(token);
  }
}
