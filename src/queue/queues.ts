// BullMQ queues and workers over one Redis. Handlers receive validated payloads (ids); which
// job follows which is decided by the handlers' caller (src/pipeline.ts), not here.
import { type Job, Queue, RateLimitError, UnrecoverableError, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';
import { JOBS, type ProcessMessagePayload, QUEUES, type SendReplyPayload } from './jobs.js';

export { UnrecoverableError };

/** A connection BullMQ can block on: workers need `maxRetriesPerRequest: null` (DESIGN.md §6). */
export function connectRedis(target: string | { path: string }, extra: RedisOptions = {}): Redis {
  const options: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false, ...extra };
  return typeof target === 'string'
    ? new Redis(target, options)
    : new Redis({ ...options, path: target.path });
}

/** ioredis queues commands while disconnected (maxRetriesPerRequest: null): never wait on it. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/**
 * How long an enqueue may wait for Redis. Past it the caller hears of it (and lets the sweep
 * enqueue later: the database is the record) instead of waiting out the outage, which would stop
 * the poller storing mail; the command itself still runs if Redis comes back.
 */
const ENQUEUE_WAIT_MS = 5_000;

/** ioredis's states between losing Redis and connecting again. */
const LOST = new Set(['close', 'reconnecting', 'end']);

/**
 * Whether Redis, once lost, has not come back: ioredis's status says `connecting` or `connect`
 * for most of an outage where the network drops packets rather than refusing (each try waits
 * out its timeout), and an enqueue must not wait 5 s a message through that either. Before the
 * first connection has been made, an enqueue waits (the service has just started).
 */
function watchLoss(connection: Redis): () => boolean {
  let lost = LOST.has(connection.status);
  connection.on('close', () => {
    lost = true;
  });
  connection.on('ready', () => {
    lost = false;
  });
  return () => lost && connection.status !== 'ready';
}

export interface Queues {
  process: Queue;
  reply: Queue;
  enqueueProcess(messageId: number): Promise<void>;
  enqueueReply(replyId: number): Promise<void>;
  depths(): Promise<Record<string, Record<string, number>>>;
  close(): Promise<void>;
}

const defaultJobOptions = {
  // Retries here cover transient trouble (database busy, disk, Redis hiccup); the row's own
  // attempt counter in the database is what finally marks a message failed.
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  removeOnFail: { count: 5_000 },
};

export function createQueues(connection: Redis, prefix = 'intake', log?: Logger): Queues {
  const process = new Queue(QUEUES.process, { connection, prefix, defaultJobOptions });
  const reply = new Queue(QUEUES.reply, { connection, prefix, defaultJobOptions });
  // Without a listener BullMQ prints a lost connection's every retry to stderr, outside the log.
  for (const q of [process, reply]) {
    q.on('error', (err) => log?.warn({ err, queue: q.name }, 'queue error'));
  }

  // Adding a jobId that exists is a no-op in BullMQ, except that a finished job still blocks it:
  // drop finished ones first so the sweep can resubmit work whose row is not done.
  async function addOnce(queue: Queue, name: string, data: object, jobId: string) {
    const existing = await queue.getJob(jobId).catch(async (err) => {
      // A job BullMQ cannot read back (its data damaged, or written by another version) would
      // fail every enqueue of this work, and the sweep at it: replaced, as a finished one is.
      if (!(err instanceof SyntaxError)) throw err;
      log?.warn({ err, queue: queue.name, jobId }, 'unreadable job replaced');
      await queue.remove(jobId);
      return undefined;
    });
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
      await existing.remove().catch(() => undefined);
    }
    await queue.add(name, data, { jobId });
  }
  const lost = watchLoss(connection);
  const enqueue = async (queue: Queue, name: string, data: object, jobId: string) => {
    // Known to be down: no wait at all, so a backlog is stored at full speed during an outage.
    if (lost()) throw new Error(`Redis connection ${connection.status}`);
    await withTimeout(addOnce(queue, name, data, jobId), ENQUEUE_WAIT_MS);
  };

  return {
    process,
    reply,
    enqueueProcess: (messageId) => {
      const p = JOBS.processMessage;
      return enqueue(process, p.name, { messageId }, p.jobId({ messageId }));
    },
    enqueueReply: (replyId) => {
      const r = JOBS.sendReply;
      return enqueue(reply, r.name, { replyId }, r.jobId({ replyId }));
    },
    async depths() {
      const out: Record<string, Record<string, number>> = {};
      for (const q of [process, reply]) {
        out[q.name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      }
      return out;
    },
    async close() {
      await Promise.all([process.close(), reply.close()]);
    },
  };
}

/**
 * Holds every job of `queue` back for `ms`, on every worker of it (the wait is kept in Redis),
 * the job in hand included, which goes back to wait without counting as a failed attempt. Only
 * from inside a job: it throws what tells BullMQ so.
 */
export async function holdQueue(queue: Queue, ms: number): Promise<never> {
  await queue.rateLimit(ms);
  throw new RateLimitError();
}

/**
 * BullMQ honours a queue's hold (`holdQueue`) only for workers with a limiter: one that never
 * limits by itself.
 */
const HOLDABLE = { limiter: { max: 1_000_000, duration: 1_000 } };

export interface Handlers {
  processMessage(payload: ProcessMessagePayload, job: Job): Promise<void>;
  /** Absent until replies are wired: the reply queue then keeps its jobs for later. */
  sendReply?(payload: SendReplyPayload, job: Job): Promise<void>;
}

export interface Workers {
  close(): Promise<void>;
}

export function createWorkers(opts: {
  connection: Redis;
  prefix?: string;
  concurrency: number;
  handlers: Handlers;
  log: Logger;
  /** How long a job's lock lives; a killed worker's job is retried after it expires. */
  lockDurationMs?: number;
}): Workers {
  const { connection, prefix = 'intake', concurrency, handlers, log } = opts;
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const common = {
    connection,
    prefix,
    concurrency,
    lockDuration,
    // A killed worker's job is moved back to the queue by the second stalled-job check after its
    // lock expires, so it waits up to the lock plus two intervals. The check is one small script
    // and a live job keeps its lock, so checking four times a lock costs little and halves that.
    stalledInterval: Math.min(lockDuration / 4, 30_000),
    // A worker SIGKILLed mid-job leaves a stalled job; let it be picked up a few times before
    // BullMQ gives up (the sweep resubmits it even then, the database counts real attempts).
    maxStalledCount: 5,
  };
  const process = new Worker(
    QUEUES.process,
    (job) => handlers.processMessage(JOBS.processMessage.payload.parse(job.data), job),
    common,
  );
  const workers = [process];
  const { sendReply } = handlers;
  if (sendReply) {
    workers.push(
      new Worker(QUEUES.reply, (job) => sendReply(JOBS.sendReply.payload.parse(job.data), job), {
        ...common,
        ...HOLDABLE,
      }),
    );
  }
  for (const w of workers) {
    w.on('failed', (job, err) => {
      const last = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      const fields = { err, queue: w.name, jobId: job?.id, attempt: job?.attemptsMade };
      if (last) log.error(fields, 'job failed for good');
      else log.warn(fields, 'job failed, will retry');
    });
    w.on('error', (err) => log.warn({ err, queue: w.name }, 'worker error'));
  }
  return {
    async close() {
      // close() waits for the jobs in hand: SIGTERM drains instead of abandoning work. Not with
      // Redis unreachable, where no job can be marked done and the wait would be the outage's:
      // the database is the record, and the sweep hands each unfinished message out again.
      const force = connection.status !== 'ready';
      await Promise.all(workers.map((w) => w.close(force)));
    },
  };
}
