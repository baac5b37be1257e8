// Everything one fault scenario runs on: a throwaway Dovecot, a private Redis, the store (SQLite,
// a temp database on the machine's PostgreSQL, or a private PostgreSQL that may be restarted),
// an SMTP sink, a data folder (its blob store optionally on a small tmpfs), and the service as
// real processes. Built fresh per scenario so one fault cannot leak into the next.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Db, openDb } from '../../src/store/db.js';
import { createTestDb } from '../../test/support/db.js';
import { imapVars, startDovecot, type TestDovecot } from '../../test/support/dovecot.js';
import { startRedis, type TestRedis } from '../../test/support/redis.js';
import { type SmtpSink, smtpVars, startSmtpSink } from '../../test/support/smtp-sink.js';
import { type PrivatePostgres, startPostgres } from './postgres.js';
import { createServices, type Services } from './services.js';

const run = promisify(execFile);

export type StoreKind = 'sqlite' | 'postgres' | 'private-postgres';

export interface RigOptions {
  store: StoreKind;
  /** Size in MB of a tmpfs mounted on DATA_DIR/blobs, or undefined for the ordinary disk. */
  tmpfsBlobsMb?: number;
  workers: number;
  lockMs: number;
  sweepMs: number;
  concurrency: number;
  /** Where the service processes' logs go (kept after the run for diagnosis). */
  logDir: string;
}

export interface FaultRig {
  dovecot: TestDovecot;
  redis: TestRedis;
  sink: SmtpSink;
  /** The harness's own connection to the store, for checking. */
  db: Db;
  databaseUrl: string;
  dataDir: string;
  blobsDir: string;
  privatePg?: PrivatePostgres;
  services: Services;
  dispose(): Promise<void>;
}

export const REPLY_FROM = '案例征集组委会 <cases@contest.example.org>';

export async function startRig(opts: RigOptions): Promise<FaultRig> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const dispose = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    const [dovecot, redis, sink] = await Promise.all([
      startDovecot(),
      startRedis(),
      startSmtpSink(),
    ]);
    cleanup.push(
      () => dovecot.stop(),
      () => redis.stop(),
      () => sink.stop(),
    );

    let db: Db;
    let databaseUrl: string;
    let privatePg: PrivatePostgres | undefined;
    if (opts.store === 'private-postgres') {
      const pg = await startPostgres();
      privatePg = pg;
      cleanup.push(() => pg.stop());
      databaseUrl = pg.url;
      db = await openDb(databaseUrl);
      cleanup.push(() => db.close());
    } else {
      const store = await createTestDb(opts.store);
      cleanup.push(() => store.dispose());
      databaseUrl = store.url;
      db = store.db;
    }

    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'intake-faults-data-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const blobsDir = path.join(dataDir, 'blobs');
    await mkdir(blobsDir);
    if (opts.tmpfsBlobsMb) {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${opts.tmpfsBlobsMb}m`, 'tmpfs', blobsDir]);
      cleanup.push(() => run('umount', [blobsDir]));
    }

    const services = createServices({
      vars: {
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        ...imapVars(dovecot),
        ...smtpVars(sink),
        REPLY_FROM,
        LOG_LEVEL: 'warn',
      },
      logDir: opts.logDir,
      workers: opts.workers,
      lockMs: opts.lockMs,
      sweepMs: opts.sweepMs,
      concurrency: opts.concurrency,
    });
    cleanup.push(() => services.stop());
    return {
      dovecot,
      redis,
      sink,
      db,
      databaseUrl,
      dataDir,
      blobsDir,
      privatePg,
      services,
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Fills the filesystem holding `dir` to the last byte; returns a function that frees it. */
export async function fillDisk(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, `ballast-${process.pid}`);
  const fh = await open(file, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          await fh.write(chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    await fh.close();
  }
  return () => rm(file, { force: true });
}
