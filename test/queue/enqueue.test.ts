// Enqueueing against a real Redis: work whose job was left damaged is queued again; an outage
// where the network drops packets fails an enqueue at once, as one that refuses does.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createQueues, type Queues } from '../../src/queue/queues.js';
import { startRedis, type TestRedis } from '../support/redis.js';

describe('enqueue', () => {
  let redis: TestRedis;
  let connection: ReturnType<typeof connectRedis>;
  let queues: Queues;
  beforeAll(async () => {
    redis = await startRedis();
    connection = connectRedis(redis.url);
    queues = createQueues(connection, 'test');
  });
  afterAll(async () => {
    await queues.close();
    connection.disconnect();
    await redis.stop();
  });

  it('replaces a job whose data cannot be read back, instead of failing every time', async () => {
    await queues.enqueueProcess(7);
    const key = 'test:process:message-7';
    expect(await connection.hget(key, 'data')).toBe('{"messageId":7}');
    await connection.hset(key, 'data', '{damaged');
    await queues.enqueueProcess(7);
    expect(await connection.hget(key, 'data')).toBe('{"messageId":7}');
    const job = await queues.process.getJob('message-7');
    expect(await job?.getState()).toBe('waiting');
  });
});

/** A TCP relay to `port` that can be cut: its links dropped, new ones taken and never answered. */
async function cuttableLink(port: number) {
  let cut = false;
  const sockets = new Set<net.Socket>();
  const keep = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    return s;
  };
  const server = net.createServer((client) => {
    keep(client);
    if (cut) return; // taken, then silence: a link whose packets go nowhere
    const upstream = keep(net.connect(port, '127.0.0.1'));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Drops every link: cut, the new ones hang; mended, they reach Redis again. */
    set(state: 'cut' | 'mended') {
      cut = state === 'cut';
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('enqueue while the network drops Redis packets', () => {
  it('fails at once instead of waiting 5 s a message, and enqueues again once Redis is back', async () => {
    const redis = await startRedis();
    const link = await cuttableLink(Number(new URL(redis.url).port));
    const connection = connectRedis(`redis://127.0.0.1:${link.port}`);
    connection.on('error', () => undefined);
    const queues = createQueues(connection, 'test-cut');
    try {
      await queues.enqueueProcess(1);
      link.set('cut');
      // ioredis reconnects, and the new link hangs: it says `connect(ing)`, not `reconnecting`.
      await waitForStatus(connection, ['connect', 'connecting']);
      const outcome = await Promise.race([
        queues.enqueueProcess(2).then(
          () => 'enqueued',
          () => 'failed at once',
        ),
        sleep(2_500, 'still waiting'),
      ]);
      expect(outcome).toBe('failed at once');
      link.set('mended');
      await waitForStatus(connection, ['ready']);
      await queues.enqueueProcess(3);
      expect(await queues.process.getJob('message-3')).toBeDefined();
    } finally {
      link.close();
      connection.disconnect();
      await redis.stop();
    }
  });
});

async function waitForStatus(connection: ReturnType<typeof connectRedis>, states: string[]) {
  for (let i = 0; i < 100 && !states.includes(connection.status); i++) await sleep(50);
  expect(states).toContain(connection.status);
}
