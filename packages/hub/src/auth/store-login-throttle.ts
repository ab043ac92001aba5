// Sign-in throttling kept in the store, so that hub replicas sharing one
// PostgreSQL database count every failed sign-in together: a guesser whose
// attempts a load balancer spreads over three replicas is locked after the
// same five failures as against one. Same rule as the in-memory LoginThrottle
// (countFailure); rows of entries that are neither locked nor within the
// window are pruned on each failure.
import type { Kysely } from 'kysely';
import { lockLoginThrottle } from '../store/advisory-locks.js';
import type { HubDb } from '../store/db.js';
import type { Database } from '../store/schema.js';
import {
  addressKey,
  countFailure,
  resolveThrottleOptions,
  type ResolvedThrottleOptions,
  type SignInThrottle,
  type ThrottleEntry,
  type ThrottleOptions,
} from './login-throttle.js';

// JSON keys: PostgreSQL text cannot hold the NUL the in-memory keys use as a separator.
const userKey = (username: string, ip: string): string => JSON.stringify(['u', username, addressKey(ip)]);
const addrKey = (ip: string): string => JSON.stringify(['a', addressKey(ip)]);

export class StoreLoginThrottle implements SignInThrottle {
  private readonly o: ResolvedThrottleOptions;

  constructor(
    private readonly db: HubDb,
    opts: ThrottleOptions = {},
  ) {
    this.o = resolveThrottleOptions(opts);
  }

  private async wait(key: string): Promise<number> {
    const row = await this.db
      .selectFrom('login_throttle')
      .select('locked_until')
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? Math.max(0, row.locked_until - this.o.now()) : 0;
  }

  retryAfterMs(username: string, ip: string): Promise<number> {
    return this.wait(userKey(username, ip));
  }

  addressRetryAfterMs(ip: string): Promise<number> {
    return this.wait(addrKey(ip));
  }

  async failed(username: string, ip: string): Promise<void> {
    const now = this.o.now();
    await this.db.transaction().execute(async (trx) => {
      await lockLoginThrottle(trx);
      await this.count(trx, userKey(username, ip), this.o.maxFailures, now);
      await this.count(trx, addrKey(ip), this.o.maxAddressFailures, now);
      // Forgotten entries: no failure within the window and no lock left.
      await trx
        .deleteFrom('login_throttle')
        .where('updated_at', '<', now - this.o.windowMs)
        .where('locked_until', '<', now)
        .execute();
    });
  }

  async succeeded(username: string, ip: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', userKey(username, ip)).execute();
  }

  private async count(trx: Kysely<Database>, key: string, max: number, now: number): Promise<void> {
    const row = await trx.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
    const before: ThrottleEntry | undefined = row
      ? { failures: JSON.parse(row.failures) as number[], lockedUntil: row.locked_until, locks: row.locks }
      : undefined;
    const e = countFailure(before, now, max, this.o);
    const values = {
      failures: JSON.stringify(e.failures),
      locked_until: e.lockedUntil,
      locks: e.locks,
      updated_at: now,
    };
    await trx
      .insertInto('login_throttle')
      .values({ key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }
}
