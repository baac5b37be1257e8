// The mailbox lock against the machine's Redis (a unique key prefix per test), and the
// reconnect backoff.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisLock } from '../../src/intake/lock.js';
import { backoffDelay, createPoller, type PollSink } from '../../src/intake/poller.js';
import { createLogger } from '../../src/log.js';
import { connectRedis } from '../../src/queue/queues.js';
import { startRedis } from '../support/redis.js';

describe('createRedisLock', () => {
  let redis: Redis;
  let keyPrefix: string;
  beforeEach(async () => {
    redis = new Redis({
      host: '127.0.0.1',
      port: 6379,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await redis.connect();
    keyPrefix = `test:intake:lock:${process.pid}:${randomBytes(4).toString('hex')}:`;
  });
  afterEach(async () => {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('lets one owner hold a mailbox; the other can neither take, renew nor release it', async () => {
    const a = createRedisLock(redis, { owner: 'a', keyPrefix });
    const b = createRedisLock(redis, { owner: 'b', keyPrefix });
    expect(await a.acquire('INBOX')).toBe(true);
    expect(await b.acquire('INBOX')).toBe(false);
    expect(await b.renew('INBOX')).toBe(false);
    await b.release('INBOX');
    expect(await redis.get(`${keyPrefix}INBOX`)).toBe('a');
    expect(await b.acquire('Submissions')).toBe(true); // locks are per mailbox
  });

  it('gives up acquiring, renewing and releasing while Redis is down, on the connection that waits out outages', async () => {
    const own = await startRedis();
    const connection = connectRedis(own.url); // the service's: commands wait for Redis
    connection.on('error', () => undefined);
    try {
      const lock = createRedisLock(connection, { owner: 'a', keyPrefix, ttlMs: 3_000 });
      expect(await lock.acquire('INBOX')).toBe(true);
      await own.stop();
      // A renewal unanswered when the next is due counts as lost: the lock may be gone.
      await expect(lock.renew('INBOX')).rejects.toThrow(/timed out after 1000 ms/);
      // Acquiring fails instead of standing the poller by, silently, for the whole outage.
      await expect(lock.acquire('Submissions')).rejects.toThrow(/timed out after 1000 ms/);
      // A stopping poller must not wait for Redis to come back: the lock expires by itself.
      await expect(lock.release('INBOX')).rejects.toThrow(/timed out/);
    } finally {
      connection.disconnect();
      await own.stop();
    }
  });

  it('lets a poller that could not take its lock during a Redis outage stop at once', async () => {
    const own = await startRedis();
    const connection = connectRedis(own.url);
    connection.on('error', () => undefined);
    await own.stop();
    const outcomes: unknown[] = [];
    const poller = createPoller({
      log: createLogger('silent'),
      // Never reached: without the lock the poller does not connect.
      config: {
        host: '127.0.0.1',
        port: 9,
        secure: false,
        user: 'u',
        password: 'p',
        mailboxes: ['INBOX'],
      },
      lock: createRedisLock(connection, { keyPrefix, ttlMs: 3_000 }),
      sink: {
        polled: async (_m: string, o: unknown) => void outcomes.push(o),
      } as unknown as PollSink,
    });
    try {
      await poller.start();
      await sleep(2_500); // two tries to acquire, each given up after 1 s
      const stopped = poller.stop().then(() => 'stopped');
      // Before, acquiring waited for Redis: stop() waited with it, for the whole outage.
      expect(await Promise.race([stopped, sleep(10_000, 'still waiting')])).toBe('stopped');
      expect(outcomes).toEqual([]); // the mailbox itself was never tried
    } finally {
      connection.disconnect();
      await own.stop();
    }
  });

  it('gives each lock an owner of its own: two pollers of one process do not both hold it', async () => {
    const a = createRedisLock(redis, { keyPrefix });
    const b = createRedisLock(redis, { keyPrefix });
    expect(await a.acquire('INBOX')).toBe(true);
    expect(await b.acquire('INBOX')).toBe(false);
    expect(await redis.get(`${keyPrefix}INBOX`)).toMatch(new RegExp(`:${process.pid}:`));
  });

  it('renews with the TTL, re-acquires its own lock, and hands over after release', async () => {
    const a = createRedisLock(redis, { owner: 'a', keyPrefix, ttlMs: 10_000 });
    const b = createRedisLock(redis, { owner: 'b', keyPrefix, ttlMs: 10_000 });
    expect(a.ttlMs).toBe(10_000);
    expect(await a.acquire('INBOX')).toBe(true);
    await redis.pexpire(`${keyPrefix}INBOX`, 500);
    expect(await a.renew('INBOX')).toBe(true);
    expect(await redis.pttl(`${keyPrefix}INBOX`)).toBeGreaterThan(500);
    expect(await a.acquire('INBOX')).toBe(true);
    await a.release('INBOX');
    expect(await b.acquire('INBOX')).toBe(true);
  });

  it('expires when its holder stops renewing, so a crashed poller blocks others for one TTL at most', async () => {
    const a = createRedisLock(redis, { owner: 'a', keyPrefix, ttlMs: 200 });
    const b = createRedisLock(redis, { owner: 'b', keyPrefix, ttlMs: 200 });
    expect(await a.acquire('INBOX')).toBe(true);
    while ((await redis.exists(`${keyPrefix}INBOX`)) === 1) await sleep(50);
    expect(await b.acquire('INBOX')).toBe(true);
    expect(await a.renew('INBOX')).toBe(false); // the old holder learns it lost the lock
  });
});

describe('backoffDelay', () => {
  const range = { minMs: 1_000, maxMs: 60_000 };

  it('grows exponentially from minMs and is capped at maxMs', () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, range, () => 1);
    expect([0, 1, 2, 3].map(ceiling)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(ceiling(10)).toBe(60_000);
    expect(ceiling(10_000)).toBe(60_000);
  });

  it('jitters between half and all of the ceiling, never retrying at once', () => {
    expect(backoffDelay(3, range, () => 0)).toBe(4_000);
    expect(backoffDelay(3, range, () => 0.5)).toBe(6_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(20, range);
      expect(d).toBeGreaterThanOrEqual(30_000);
      expect(d).toBeLessThanOrEqual(60_000);
    }
  });
});
