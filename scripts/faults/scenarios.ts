// The faults of issue 6, one per scenario. `fault()` starts the fault, keeps it for its time
// (the harness appends mail meanwhile) and lifts it; it resolves when the fault is over. Nothing
// here touches the service: it must notice and recover by itself.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresBin } from './postgres.js';
import { type FaultRig, fillDisk, type StoreKind } from './rig.js';

export interface FaultContext {
  rig: FaultRig;
  /** The shortened form (npm test): shorter outages. */
  ci: boolean;
  note(text: string): void;
}

export interface Scenario {
  name: string;
  store: StoreKind;
  tmpfsBlobsMb?: number;
  /** Why the scenario cannot run on this machine, or undefined. */
  unavailable?(): string | undefined;
  fault(ctx: FaultContext): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url).pathname;

async function killWorkers(ctx: FaultContext): Promise<void> {
  const until = Date.now() + (ctx.ci ? 8_000 : 40_000);
  let kills = 0;
  while (Date.now() < until) {
    // Uneven gaps, so kills land at every point of a job: download, parse, filing, sending.
    await sleep(1_000 + Math.random() * 2_000);
    if (ctx.rig.services.killWorker() !== undefined) kills++;
  }
  await ctx.rig.services.allReady();
  ctx.note(`${kills} SIGKILLs`);
}

function holdSqliteLock(url: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts/faults/sqlite-holder.ts'), url, String(ms)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sqlite holder exited ${code}`)),
    );
  });
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'worker-sigkill',
    store: 'postgres',
    fault: killWorkers,
  },
  {
    name: 'dovecot-restart',
    store: 'sqlite',
    async fault(ctx) {
      await ctx.rig.dovecot.restart();
      ctx.note('IMAP server restarted, sessions dropped');
    },
  },
  {
    name: 'redis-flush',
    store: 'postgres',
    async fault(ctx) {
      await ctx.rig.redis.flushAll();
      ctx.note('FLUSHALL: every job and the poller lock gone');
    },
  },
  {
    name: 'redis-restart',
    store: 'postgres',
    async fault(ctx) {
      const down = ctx.ci ? 3_000 : 10_000;
      await ctx.rig.redis.stop();
      await sleep(down);
      // No persistence: it comes back empty, as after a crash without AOF.
      await ctx.rig.redis.restart();
      ctx.note(`Redis down ${down / 1000} s, back empty`);
    },
  },
  {
    name: 'smtp-down',
    store: 'sqlite',
    async fault(ctx) {
      const down = ctx.ci ? 10_000 : 60_000;
      await ctx.rig.sink.refuse();
      await sleep(down);
      await ctx.rig.sink.accept();
      ctx.note(`SMTP refused connections for ${down / 1000} s`);
    },
  },
  {
    name: 'postgres-restart',
    store: 'private-postgres',
    unavailable: () => (postgresBin() ? undefined : 'no PostgreSQL server binaries'),
    async fault(ctx) {
      const down = ctx.ci ? 2_000 : 5_000;
      await ctx.rig.privatePg?.restart(down);
      ctx.note(`private PostgreSQL stopped (fast), down ${down / 1000} s, started`);
    },
  },
  {
    name: 'sqlite-busy',
    store: 'sqlite',
    async fault(ctx) {
      // Longer than the service's 10 s busy_timeout, so writes really fail and are retried.
      const hold = ctx.ci ? 12_000 : 20_000;
      await holdSqliteLock(ctx.rig.databaseUrl, hold);
      ctx.note(`another process held the write lock ${hold / 1000} s`);
    },
  },
  {
    name: 'disk-full',
    store: 'sqlite',
    tmpfsBlobsMb: 32,
    unavailable: () => (process.getuid?.() === 0 ? undefined : 'mounting a tmpfs needs root'),
    async fault(ctx) {
      const hold = ctx.ci ? 8_000 : 60_000;
      const free = await fillDisk(ctx.rig.blobsDir);
      await sleep(hold);
      await free();
      ctx.note(`blob store's tmpfs full for ${hold / 1000} s, then freed`);
    },
  },
];
