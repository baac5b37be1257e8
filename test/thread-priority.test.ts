// Thread priorities (src/thread-priority.ts): the evaluation threads keep the process's nice value
// and every other thread of the process is lowered below them. Read back from the kernel
// (/proc/self/task/*/stat), not from the calls that set them. Linux only, as the service's target.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContest } from '../src/config/contest.js';
import { createEvaluatePool } from '../src/evaluate-pool.js';
import { BACKGROUND_NICE_STEPS, favourThreads, osThreadId } from '../src/thread-priority.js';
import { waitFor } from './support/app.js';

const ROOT = new URL('..', import.meta.url).pathname;

/** Each thread of this process and its nice value, as the kernel has them. */
function niceByThread(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const name of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${name}/stat`, 'utf8');
      // After "pid (comm) ": state is field 3, nice field 19.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nice.set(Number(name), Number(fields[16]));
    } catch {
      // the thread ended while we listed
    }
  }
  return nice;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('thread priorities', () => {
  it('knows the calling thread by its kernel id', () => {
    const tid = osThreadId();
    expect(tid).toBe(process.pid); // the main thread's id is the process's
    expect(niceByThread().has(tid as number)).toBe(true);
  });

  it("puts an evaluation pool's threads ahead of the rest of the process", async () => {
    const base = niceByThread().get(process.pid) as number;
    const blobDir = await mkdtemp(path.join(os.tmpdir(), 'intake-priority-'));
    cleanups.push(() => rm(blobDir, { recursive: true, force: true }));
    const pool = createEvaluatePool({
      blobDir,
      profile: loadContest(path.join(ROOT, 'config/contest-2025.json')),
      size: 2,
    });
    cleanups.push(() => pool.close());
    pool.warm();
    // Each thread says its id once it has loaded; the pool then lowers the others, all but the
    // thread that made it (the evaluation threads it starts later inherit its priority).
    await waitFor(
      'the pool to lower the other threads',
      async () => [...niceByThread().values()].filter((n) => n <= base).length === 3,
      30_000,
    );
    const nice = niceByThread();
    const lowered = Math.min(19, base + BACKGROUND_NICE_STEPS);
    expect(nice.get(process.pid)).toBe(base);
    expect([...nice.values()].filter((n) => n === lowered).length).toBe(nice.size - 3);
  });

  it('lowers every thread but the favoured ones, and never raises one', async () => {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { readlinkSync } = require('node:fs');
       parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
       setInterval(() => {}, 1000);`,
      { eval: true },
    );
    cleanups.push(() => worker.terminate());
    const favoured = await new Promise<number>((resolve) => worker.once('message', resolve));
    const before = niceByThread();
    const base = before.get(favoured) as number;
    expect(before.get(process.pid)).toBe(base); // a new thread starts where its parent is

    const count = favourThreads([favoured]);
    const after = niceByThread();
    const lowered = Math.min(19, base + BACKGROUND_NICE_STEPS);
    // It counts the threads it lowered: those not already there (this file's pool lowered some).
    const below = [...before].filter(([tid, nice]) => tid !== favoured && nice < lowered);
    expect(below.length).toBeGreaterThan(0); // this thread at least
    expect(count).toBe(below.length);
    expect(after.get(favoured)).toBe(base);
    expect(after.get(process.pid)).toBe(lowered);
    for (const [tid, nice] of after) if (tid !== favoured) expect(nice).toBe(lowered);

    expect(favourThreads([favoured], 1)).toBe(0); // asks for less: nothing goes back up
    expect(niceByThread().get(process.pid)).toBe(lowered);
  });
});
