// Builds everything from the configuration, once. Each role (`poll`, `worker`) is a set of
// parts with start/stop; `intake start` runs them all in one process.
import os from 'node:os';
import path from 'node:path';
import { type ContestProfile, loadContest } from './config/contest.js';
import type { Env } from './config/env.js';
import { createEvaluatePool, poolShape } from './evaluate-pool.js';
import { createIngest, type Ingest } from './intake/ingest.js';
import { createRedisLock } from './intake/lock.js';
import { createPoller } from './intake/poller.js';
import { createStoreSink } from './intake/store-sink.js';
import type { Logger } from './log.js';
import { createPipeline } from './pipeline.js';
import {
  connectRedis,
  createQueues,
  createWorkers,
  holdQueue,
  type Queues,
} from './queue/queues.js';
import { resolveRedis } from './queue/redis-server.js';
import { createSweeper } from './queue/sweep.js';
import { createReplyHandler, ownAddresses } from './replies/wiring.js';
import { type BlobStore, createBlobStore } from './store/blobs.js';
import { type Db, openDb, SQLITE_BUSY_TIMEOUT_MS } from './store/db.js';
import { listUnfinishedMessageIds } from './store/messages.js';
import { listUnfinishedReplyIds } from './store/replies.js';

export type Role = 'poll' | 'worker' | 'web';

interface Part {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface App {
  env: Env;
  profile: ContestProfile;
  db: Db;
  blobs: BlobStore;
  queues: Queues;
  ingest: Ingest;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface AppOptions {
  roles: Role[];
  log: Logger;
  /** Only `intake start` may launch a private redis-server (it owns the whole machine). */
  allowPrivateRedis?: boolean;
  queuePrefix?: string;
  /** Cores the workers may use (capped at the machine's); `poolShape` turns them into threads. */
  concurrency?: number;
  lockDurationMs?: number;
  sweepIntervalMs?: number;
  /** The evaluation threads' entry module; tests substitute one that crashes. */
  evaluateThreadEntry?: URL;
}

/** What the app opened, closed in reverse order: by `stop`, or at once when building fails. */
function openedList(log: Logger) {
  const closers: Array<() => unknown> = [];
  return {
    add(close: () => unknown) {
      closers.push(close);
    },
    async closeAll() {
      for (const close of closers.splice(0).reverse()) {
        await Promise.resolve()
          .then(close)
          .catch((err) => log.warn({ err }, 'closing failed'));
      }
    },
  };
}

export async function createApp(env: Env, opts: AppOptions): Promise<App> {
  const opened = openedList(opts.log);
  try {
    return await assemble(env, opts, opened);
  } catch (err) {
    // A database that will not open, say, after the private Redis started: stop that again.
    await opened.closeAll();
    throw err;
  }
}

async function assemble(
  env: Env,
  opts: AppOptions,
  opened: ReturnType<typeof openedList>,
): Promise<App> {
  const { log } = opts;
  const profile = loadContest(env.contestFile);
  const redis = await resolveRedis({
    redisUrl: env.redisUrl,
    dataDir: env.dataDir,
    log,
    allowPrivate: opts.allowPrivateRedis ?? false,
  });
  opened.add(() => redis.stop());
  const db = await openDb(env.databaseUrl);
  opened.add(() => db.close());
  const blobs = createBlobStore(path.join(env.dataDir, 'blobs'));
  const connection = connectRedis(redis.url);
  opened.add(() => connection.disconnect());
  const queues = createQueues(connection, opts.queuePrefix, log);
  opened.add(() => queues.close());
  const ingest = createIngest({
    db,
    blobs,
    enqueue: queues.enqueueProcess,
    log: log.child({ component: 'ingest' }),
  });
  const parts: Part[] = [];

  if (opts.roles.includes('poll'))
    parts.push(await intakePart(env, { db, ingest, connection, log }));
  const worker = opts.roles.includes('worker');
  // Parsing and the rules run on these threads, so concurrent jobs use more than one core. The
  // dashboard's reads of stored messages run on them too; without workers in this process, on
  // one thread of its own, started when a page first needs it.
  const { threads, jobsPerThread } = worker
    ? poolShape(Math.min(opts.concurrency ?? 2, os.availableParallelism()))
    : { threads: 1, jobsPerThread: 2 };
  const evaluatePool =
    worker || opts.roles.includes('web')
      ? createEvaluatePool({
          blobDir: path.join(env.dataDir, 'blobs'),
          profile,
          ownAddresses: ownAddresses(env),
          size: threads,
          jobsPerThread,
          entry: opts.evaluateThreadEntry,
          log: log.child({ component: 'evaluate' }),
        })
      : undefined;
  // Parts stop in reverse order: the pool after the workers and the dashboard that use it.
  if (evaluatePool)
    parts.push({ name: 'evaluate', start: async () => {}, stop: evaluatePool.close });
  if (worker && evaluatePool) {
    const pipeline = createPipeline({
      db,
      blobs,
      profile,
      log: log.child({ component: 'pipeline' }),
      ownAddresses: ownAddresses(env),
      enqueueReply: queues.enqueueReply,
      evaluate: evaluatePool.evaluate,
    });
    const replies = createReplyHandler(env, {
      db,
      profile,
      log: log.child({ component: 'replies' }),
      holdReplies: (ms) => holdQueue(queues.reply, ms),
    });
    let workers: ReturnType<typeof createWorkers> | undefined;
    parts.push({
      name: 'workers',
      async start() {
        evaluatePool.warm();
        workers = createWorkers({
          connection,
          prefix: opts.queuePrefix,
          // Enough jobs to keep every evaluation slot busy.
          concurrency: threads * jobsPerThread,
          handlers: { processMessage: pipeline.processMessage, sendReply: replies.sendReply },
          log: log.child({ component: 'worker' }),
          // better-sqlite3 waits for a busy database synchronously, up to the busy timeout, and
          // a blocked thread cannot renew its job locks: a lock shorter than that wait would let
          // a second worker take the job (and send a reply twice) while the first is stuck.
          lockDurationMs: Math.max(
            opts.lockDurationMs ?? 30_000,
            db.dialect === 'sqlite' ? 2 * SQLITE_BUSY_TIMEOUT_MS : 0,
          ),
        });
      },
      async stop() {
        await workers?.close();
        replies.close();
      },
    });
    const sweeper = createSweeper({
      source: {
        unfinishedMessageIds: () => listUnfinishedMessageIds(db),
        unfinishedReplyIds: () => listUnfinishedReplyIds(db),
      },
      queues,
      log: log.child({ component: 'sweep' }),
      intervalMs: opts.sweepIntervalMs,
    });
    parts.push({ name: 'sweep', start: sweeper.start, stop: sweeper.stop });
  }

  if (opts.roles.includes('web') && evaluatePool) {
    // Loaded on demand: the poll and worker roles need none of the web stack.
    const { createWebPart } = await import('./web/role.js');
    parts.push(
      await createWebPart({
        env,
        profile,
        db,
        blobs,
        queues,
        log,
        evaluatePool,
        pingRedis: () => connection.ping().then((r) => r === 'PONG'),
      }),
    );
  }

  let started: Part[] = [];
  return {
    env,
    profile,
    db,
    blobs,
    queues,
    ingest,
    async start() {
      for (const part of parts) {
        await part.start();
        started.push(part);
      }
    },
    async stop() {
      // Reverse order: the dashboard, the sweep, the workers (drained), the pool, and last the
      // poller, which goes on storing mail meanwhile; then what was opened.
      for (const part of started.reverse()) {
        await part.stop().catch((err) => log.warn({ err, part: part.name }, 'stop failed'));
      }
      started = [];
      await opened.closeAll();
    },
  };
}

async function intakePart(
  env: Env,
  deps: { db: Db; ingest: Ingest; connection: ReturnType<typeof connectRedis>; log: Logger },
): Promise<Part> {
  const { db, ingest, log } = deps;
  if (env.imap.mode === 'drop-folder') {
    // Imported here: a file's receive time comes from its Received: headers, read by mailparser,
    // which a service on IMAP keeps out of its main thread (the evaluation threads parse mail).
    const { createDropFolder } = await import('./intake/drop-folder.js');
    const drop = createDropFolder({
      dir: path.join(env.dataDir, 'inbox'),
      ingest,
      log: log.child({ component: 'drop-folder' }),
    });
    return { name: 'drop-folder', start: drop.start, stop: drop.stop };
  }
  const poller = createPoller({
    log: log.child({ component: 'poller' }),
    config: env.imap,
    lock: createRedisLock(deps.connection),
    sink: createStoreSink(db, ingest),
  });
  return { name: 'poller', start: poller.start, stop: poller.stop };
}
