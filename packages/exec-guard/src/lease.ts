// Leader election over a coordination.k8s.io/v1 Lease, the way client-go does
// it: the holder renews every retry period; others take over only after the
// lease went unrenewed for leaseDuration as observed on their own clock (no
// reliance on synchronized clocks); a holder that cannot renew within the
// renew deadline stops leading before anyone else may start. Only the leader
// evicts, so two replicas never evict the same pod twice.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorText, kubeStatus } from './kube-errors.js';

export interface LeaderElectionOptions {
  coordination: k8s.CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onChange: (leading: boolean) => void;
}

interface Observed {
  holder: string | undefined;
  renewTime: string | undefined;
  resourceVersion: string | undefined;
  at: number;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private observed: Observed | undefined;
  private lastRenew = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: LeaderElectionOptions) {
    if (!(o.renewDeadlineMs < o.leaseDurationMs && o.retryPeriodMs < o.renewDeadlineMs)) {
      throw new Error('leader election needs retry period < renew deadline < lease duration');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop = this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.loop = this.tick();
    }, this.o.retryPeriodMs);
  }

  private setLeading(v: boolean): void {
    if (this.leading === v) return;
    this.leading = v;
    this.o.log.info(
      { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity },
      v ? 'became leader' : 'stopped leading',
    );
    this.o.onChange(v);
  }

  private async tick(): Promise<void> {
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) this.lastRenew = Date.now();
      if (this.stopped) return;
      if (ok) this.setLeading(true);
      else if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineMs) this.setLeading(false);
    } catch (err) {
      this.o.log.warn({ err: errorText(err) }, 'leader election: could not read or update the lease');
      if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineMs) this.setLeading(false);
    }
    this.schedule();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.o;
    const now = new k8s.V1MicroTime();
    const spec = (transitions: number, acquire: k8s.V1MicroTime | undefined): k8s.V1LeaseSpec => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: acquire ?? now,
      renewTime: now,
      leaseTransitions: transitions,
    });
    let lease: k8s.V1Lease;
    try {
      lease = await coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (kubeStatus(err) !== 404) throw err;
      try {
        await coordination.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: spec(0, undefined) },
        });
        return true;
      } catch (e) {
        if (kubeStatus(e) === 409) return false;
        throw e;
      }
    }
    const holder = lease.spec?.holderIdentity ?? undefined;
    const renew = lease.spec?.renewTime ? new Date(lease.spec.renewTime).toISOString() : undefined;
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renew) {
      this.observed = { holder, renewTime: renew, resourceVersion: lease.metadata?.resourceVersion, at: Date.now() };
    }
    const durationMs = (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
    const held = holder !== undefined && holder !== '';
    if (held && holder !== identity && Date.now() - this.observed.at < durationMs) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const acquire = holder === identity ? lease.spec?.acquireTime : undefined;
    try {
      await coordination.replaceNamespacedLease({
        namespace,
        name,
        body: {
          metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
          spec: spec(transitions, acquire ? new k8s.V1MicroTime(acquire) : undefined),
        },
      });
      return true;
    } catch (err) {
      if (kubeStatus(err) === 409) return false;
      throw err;
    }
  }

  /** Stops electing; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.loop;
    const wasLeading = this.leading;
    this.setLeading(false);
    if (!wasLeading) return;
    try {
      const lease = await this.o.coordination.readNamespacedLease({ namespace: this.o.namespace, name: this.o.name });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.o.coordination.replaceNamespacedLease({
        namespace: this.o.namespace,
        name: this.o.name,
        body: {
          metadata: {
            name: this.o.name,
            namespace: this.o.namespace,
            resourceVersion: lease.metadata?.resourceVersion,
          },
          spec: {
            leaseDurationSeconds: 1,
            renewTime: new k8s.V1MicroTime(),
            acquireTime: lease.spec.acquireTime,
            leaseTransitions: lease.spec.leaseTransitions,
          },
        },
      });
    } catch (err) {
      this.o.log.warn(
        { err: errorText(err) },
        'could not release the leader lease; another replica takes over when it expires',
      );
    }
  }
}
