// Enqueueing against a real Redis: work whose job was left damaged is queued again.
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
