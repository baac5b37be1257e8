// Builds the service the way `intake` does (createApp), on a private Redis and a throwaway
// SQLite or PostgreSQL database, for integration tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type App, type AppOptions, createApp } from '../../src/app.js';
import { type Env, loadEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';
import type { Dialect } from '../../src/store/db.js';
import { createTestDb, type TestDb } from './db.js';
import { startRedis, type TestRedis } from './redis.js';

export const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;

export interface Rig {
  env: Env;
  vars: Record<string, string>;
  redis: TestRedis;
  store: TestDb;
  dataDir: string;
  app(opts?: Partial<AppOptions>): Promise<App>;
  /** A worker role in a child process (test/support/worker-process.ts), for SIGKILL tests. */
  spawnWorker(): Promise<ChildProcess>;
  dispose(): Promise<void>;
}

export async function createRig(
  dialect: Dialect,
  extraVars: Record<string, string> = {},
): Promise<Rig> {
  const redis = await startRedis();
  const store = await createTestDb(dialect);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'intake-app-'));
  const vars = {
    DATA_DIR: dataDir,
    DATABASE_URL: store.url,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'warn',
    ...extraVars,
  };
  const env = loadEnv(vars);
  const apps: App[] = [];
  const children: ChildProcess[] = [];
  return {
    env,
    vars,
    redis,
    store,
    dataDir,
    async app(opts = {}) {
      const app = await createApp(env, {
        roles: [],
        log: createLogger('warn'),
        concurrency: 2,
        lockDurationMs: 3_000,
        sweepIntervalMs: 1_000,
        ...opts,
      });
      apps.push(app);
      return app;
    },
    async spawnWorker() {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/support/worker-process.ts')],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, ...vars },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          if (d.toString().includes('worker ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
      });
      return child;
    },
    async dispose() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const a of apps) await a.stop().catch(() => undefined);
      await store.dispose();
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true or the time is up (then throws with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
