// One active poller per mailbox (DESIGN.md §7): a Redis lock with a TTL, so a poller that dies
// without releasing blocks the others for at most `ttlMs`. Renew and release compare the owner
// first (in Lua, atomically), so a poller whose lock expired and was taken over can never extend
// or delete the new owner's lock — the single-instance pattern of https://redis.io/docs/latest/develop/use/patterns/distributed-locks/
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { withTimeout } from '../queue/queues.js';
import type { MailboxLock } from './poller.js';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
else
  return 0
end`;

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
else
  return 0
end`;

/** How long releasing the lock may wait for Redis. */
const RELEASE_WAIT_MS = 2_000;

// On the service's connection a command waits out a Redis outage (ioredis's offline queue). A
// poller must not: acquiring would stand it by, silently, for the whole outage, and a stop()
// would wait with it; a renewal still unanswered when the next one is due may already be too
// late (the lock may expire and pass to another poller), so it counts as lost.

export interface RedisLockOptions {
  /** How long a lock outlives its last renewal; the poller renews every ttlMs / 3. */
  ttlMs?: number;
  /**
   * Who holds the lock, shown in Redis when debugging who polls; by default unique to this lock
   * (hostname:pid:random). Two locks with one owner both hold it: re-acquiring is renewing.
   */
  owner?: string;
  /** Key prefix; tests use a unique one so they never collide with a running service. */
  keyPrefix?: string;
}

export function createRedisLock(redis: Redis, opts: RedisLockOptions = {}): MailboxLock {
  const ttlMs = opts.ttlMs ?? 30_000;
  const owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const prefix = opts.keyPrefix ?? 'intake:lock:imap:';
  const key = (mailbox: string) => `${prefix}${mailbox}`;
  const renewWaitMs = ttlMs / 3;
  const renew = async (mailbox: string) =>
    (await withTimeout(redis.eval(RENEW, 1, key(mailbox), owner, String(ttlMs)), renewWaitMs)) ===
    1;
  return {
    ttlMs,
    async acquire(mailbox) {
      const res = await withTimeout(redis.set(key(mailbox), owner, 'PX', ttlMs, 'NX'), renewWaitMs);
      // Re-acquiring a lock we already hold (e.g. after a reconnect) is a renewal.
      return res === 'OK' || (await renew(mailbox));
    },
    renew,
    async release(mailbox) {
      // The lock expires by itself in ttlMs.
      await withTimeout(redis.eval(RELEASE, 1, key(mailbox), owner), RELEASE_WAIT_MS);
    },
  };
}
