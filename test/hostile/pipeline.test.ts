// The hostile corpus through the real pipeline: every message ingested into a rig (private
// Redis + SQLite), processed by a worker in a CHILD process, whose memory is read from /proc.
// Every message must be filed, the worker must still be alive, and its peak RSS bounded.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/store/kysely.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { type HostileFiles, hostileFiles } from './corpus.js';

// Measured here: ~660 MB peak (the 72 MB message with a 50 MB attachment dominates; 820 MB
// before mailparser was fed slices, src/mail/parse.ts). The
// bound leaves room for allocator and GC variance; past it something buffers without limit.
const PEAK_RSS_BOUND_MB = 1024;

/** `VmHWM` (peak resident set) or `VmRSS` of a process, in MB; null once it has exited. */
function procMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

const count = async (rig: Rig, q: ReturnType<typeof sql<{ n: number | string }>>) =>
  Number((await q.execute(rig.store.db.k)).rows[0]?.n ?? 0);

describe('hostile corpus through the pipeline (worker in a child process)', () => {
  let rig: Rig;
  let corpus: HostileFiles;
  beforeAll(async () => {
    corpus = await hostileFiles();
    rig = await createRig('sqlite');
  }, 120_000);
  afterAll(async () => {
    await rig?.dispose();
    await corpus?.dispose();
  });

  it('files every message, the worker stays up, and its peak memory stays bounded', async () => {
    const intake = await rig.app();
    for (const file of corpus.files) {
      await intake.ingest({
        raw: readFileSync(file),
        source: 'import',
        mailbox: 'import',
        receivedAt: new Date('2025-10-15T10:00:00+08:00'),
        receivedAtSource: 'now',
      });
    }
    const total = corpus.files.length;
    const child: ChildProcess = await rig.spawnWorker();
    const pid = child.pid ?? 0;
    let sampledPeak = 0;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, procMb(pid, 'VmRSS') ?? 0);
    }, 100);
    try {
      await waitFor(
        `all ${total} hostile messages finished`,
        async () =>
          (await count(
            rig,
            sql`select count(*) as n from messages where state in ('processed', 'failed')`,
          )) === total,
        150_000,
      );
    } finally {
      clearInterval(sampler);
    }
    const peak = procMb(pid, 'VmHWM');
    console.log(
      `hostile pipeline: ${total} messages, worker peak RSS ${peak} MB (VmHWM; sampled VmRSS max ${sampledPeak} MB)`,
    );

    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    expect(peak).not.toBeNull();
    expect(peak ?? Infinity).toBeLessThan(PEAK_RSS_BOUND_MB);
    expect(
      await count(rig, sql`select count(*) as n from messages where state = 'processed'`),
    ).toBe(total);
    expect(await count(rig, sql`select count(distinct message_row_id) as n from submissions`)).toBe(
      total,
    );
    // No hostile message was accepted as if nothing were wrong.
    expect(
      await count(rig, sql`select count(*) as n from submissions where verdict = 'accepted'`),
    ).toBe(0);
  }, 200_000);
});
