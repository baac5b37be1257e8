// The evaluation pool (src/evaluate-pool.ts): real worker threads running the real evaluator on
// real messages in a real blob store. Several threads share the work, a thread that crashes or
// hangs is replaced, and a message whose thread crashed is retried and filed exactly once.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import {
  createEvaluatePool,
  type EvaluatePool,
  EvaluateThreadError,
  poolShape,
} from '../../src/evaluate-pool.js';
import { createEvaluator, rereadMessage } from '../../src/evaluator.js';
import { createLogger } from '../../src/log.js';
import { createBlobStore } from '../../src/store/blobs.js';
import { sql } from '../../src/store/kysely.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { makeMessage } from '../support/mail.js';

const FAULT_ENTRY = new URL('./fault-evaluate-thread.mjs', import.meta.url);
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
const ROOT = new URL('../..', import.meta.url).pathname;
const profile = loadContest(path.join(ROOT, 'config/contest-2025.json'));
const receivedAt = new Date('2025-10-10T10:00:00+08:00');

const sha256Of = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  delete process.env.INTAKE_TEST_THREAD_FAULT;
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function blobDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-pool-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function pool(opts: Omit<Parameters<typeof createEvaluatePool>[0], 'profile'>): EvaluatePool {
  const p = createEvaluatePool({ profile, ...opts });
  cleanups.push(() => p.close());
  return p;
}

/** Stores `n` messages, each with a PDF attachment, and returns their blob names. */
async function storeMessages(dir: string, n: number) {
  const blobs = createBlobStore(dir);
  const stored = [];
  for (let i = 0; i < n; i++) {
    const raw = await makeMessage({ attachments: [{ filename: `证明${i}.pdf`, content: PDF }] });
    stored.push({ sha256: (await blobs.put(raw)).sha256, receivedAt });
  }
  return stored;
}

function nth<T>(list: T[], i: number): T {
  const item = list[i];
  if (item === undefined) throw new Error(`no item ${i}`);
  return item;
}

describe('evaluation pool', () => {
  it('spreads messages over its threads and returns what the in-process evaluator does', async () => {
    const dir = await blobDir();
    const stored = await storeMessages(dir, 6);
    const shared = pool({ blobDir: dir, size: 2 });
    shared.warm();
    const timings = stored.map(() => ({}) as Record<string, number>);
    const results = await Promise.all(stored.map((s, i) => shared.evaluate(s, timings[i])));
    const threads = new Set(results.map((r) => r.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(0)).toBe(false); // none ran on the main thread

    const inProcess = createEvaluator({ blobs: createBlobStore(dir), profile });
    for (const [i, r] of results.entries()) {
      const local = await inProcess(nth(stored, i));
      expect(r.result).toEqual(local.result);
      expect(r.mail.subject).toBe(local.submission.mail.subject);
      expect(r.mail.from).toEqual(local.submission.mail.from);
      expect(r.mail.headers).toEqual(local.submission.mail.headers);
      // The reply guard counts attachments; their bytes stay in the thread (and the message).
      expect(r.mail.attachments.map((a) => a.filename)).toEqual([`证明${i}.pdf`]);
      expect(r.mail.attachments[0]?.content).toEqual(Buffer.alloc(0));
      expect(timings[i]?.parse).toBeTypeOf('number');
      // Only the raw message is kept: the dashboard writes the files out when asked for one.
      for (const a of r.result.attachments)
        expect(await createBlobStore(dir).has(a.sha256)).toBe(false);
    }
  });

  it('takes the receive time as certain only when a server recorded it (LATE rejects, else reviews)', async () => {
    const dir = await blobDir();
    const blobs = createBlobStore(dir);
    const { sha256 } = await blobs.put(await makeMessage({ subject: '某某银行+智能风控平台' }));
    const late = new Date('2025-10-21T09:00:00+08:00');
    const shared = pool({ blobDir: dir, size: 1 });
    const lateFinding = async (receivedAtSource?: 'internaldate' | 'mtime') => {
      const { result } = await shared.evaluate({ sha256, receivedAt: late, receivedAtSource });
      return result.findings.find((f) => f.rule === 'LATE');
    };
    expect(await lateFinding('internaldate')).toMatchObject({ passed: false, severity: 'error' });
    expect(await lateFinding(undefined)).toMatchObject({ passed: false, severity: 'error' });
    // A file dropped or imported without a Received header: its mtime is only an estimate.
    expect(await lateFinding('mtime')).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('取自文件的修改时间'),
    });
  });

  it("reads PDFs in each thread's documents worker: seals, broken and encrypted PDFs come out as in-process", async () => {
    const dir = await blobDir();
    const blobs = createBlobStore(dir);
    const files = [
      'fixtures/submissions/accepted-docx.eml', // a stamped scan (PDF): its seal is checked
      'fixtures/submissions/no-seal.eml',
      'fixtures/submissions/corrupt-evidence.eml',
      'fixtures/hostile/encrypted-pdf.eml',
    ];
    const stored = [];
    for (const f of files) {
      const raw = await readFile(path.join(ROOT, f));
      stored.push({ sha256: (await blobs.put(raw)).sha256, receivedAt });
    }
    const shared = pool({ blobDir: dir, size: 2 });
    const results = await Promise.all(stored.map((s) => shared.evaluate(s)));
    const inProcess = createEvaluator({ blobs, profile });
    const codes = [];
    for (const [i, r] of results.entries()) {
      const local = await inProcess(nth(stored, i));
      expect(r.threadId).not.toBe(0);
      expect(r.loop?.active).toBeGreaterThan(0);
      expect(r.result).toEqual(local.result);
      codes.push(r.result.findings.filter((f) => !f.passed).map((f) => f.rule));
    }
    // What the PDF reader found differs per case, so each came back from the thread's worker.
    expect(codes[0]).toEqual([]);
    expect(codes[1]).toEqual(['SEAL_NOT_DETECTED']);
    expect(codes[2]).toEqual(['ATTACHMENT_UNREADABLE']);
    expect(codes[3]).toContain('ATTACHMENT_UNREADABLE');
  });

  it("reads a message again for the dashboard on a thread: its files written out, the report's text back", async () => {
    const dir = await blobDir();
    const blobs = createBlobStore(dir);
    const raw = await readFile(path.join(ROOT, 'fixtures/submissions/accepted-zipped-gbk.eml'));
    const stored = { sha256: (await blobs.put(raw)).sha256, receivedAt };
    const shared = pool({ blobDir: dir, size: 1 });
    const { result } = await shared.evaluate(stored);
    const files = result.attachments.map((a) => a.sha256);
    expect(result.attachments.some((a) => a.insideArchive)).toBe(true);
    for (const sha of files) expect(await blobs.has(sha)).toBe(false);

    const read = await shared.reread(stored);
    // Every file, archive entries too, now in the store with its own bytes.
    for (const sha of files) {
      expect(await blobs.has(sha)).toBe(true);
      expect(sha256Of(await readFile(blobs.path(sha)))).toBe(sha);
    }
    expect(read.writeError).toBeUndefined();
    const local = await rereadMessage(createEvaluator({ blobs, profile }), blobs, stored);
    expect(read).toEqual(local);
    // The 字数 the store keeps, and the text it was counted on.
    expect(read.report?.chars).toBe(result.report?.chars);
    expect(read.report?.text.length).toBeGreaterThan(1000);

    const gone = { sha256: 'f'.repeat(64), receivedAt };
    await expect(shared.reread(gone)).rejects.toMatchObject({ code: 'BlobNotFound' });
  });

  it('replaces a thread that crashes, failing only the job it was running', async () => {
    const dir = await blobDir();
    const stored = await storeMessages(dir, 3);
    process.env.INTAKE_TEST_THREAD_FAULT = `crash:${path.join(dir, 'fault')}`;
    const p = pool({ blobDir: dir, size: 1, jobsPerThread: 1, entry: FAULT_ENTRY });
    const outcomes = await Promise.allSettled(stored.map((s) => p.evaluate(s)));
    expect(outcomes[0]?.status).toBe('rejected');
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(EvaluateThreadError);
    expect(outcomes.slice(1).map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
  });

  it('with two jobs on a thread, a crash fails both (retryably) and the next job gets a new thread', async () => {
    const dir = await blobDir();
    const stored = await storeMessages(dir, 3);
    process.env.INTAKE_TEST_THREAD_FAULT = `crash:${path.join(dir, 'fault')}`;
    const p = pool({ blobDir: dir, size: 1, jobsPerThread: 2, entry: FAULT_ENTRY });
    const outcomes = await Promise.allSettled(stored.map((s) => p.evaluate(s)));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    for (const o of outcomes.slice(0, 2)) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(EvaluateThreadError);
    }
  });

  it('terminates and replaces a thread that exceeds the time limit', async () => {
    const dir = await blobDir();
    const stored = await storeMessages(dir, 2);
    process.env.INTAKE_TEST_THREAD_FAULT = `hang:${path.join(dir, 'fault')}`;
    // The limit also covers the replacement thread's start-up, which a busy machine can slow.
    const p = pool({ blobDir: dir, size: 1, entry: FAULT_ENTRY, timeoutMs: 10_000 });
    await expect(p.evaluate(nth(stored, 0))).rejects.toThrow(/exceeded/);
    const again = await p.evaluate(nth(stored, 1));
    expect(again.result.kind).toBe('submission');
  });

  it('runs a dozen jobs on one thread without warning of a listener leak', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    cleanups.push(async () => process.off('warning', onWarning));
    const dir = await blobDir();
    const stored = await storeMessages(dir, 12);
    const p = pool({ blobDir: dir, size: 1, jobsPerThread: 12 });
    const results = await Promise.all(stored.map((s) => p.evaluate(s)));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(1);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('collects every heap once the pool has been idle a while, then not again until more work', async () => {
    const dir = await blobDir();
    const stored = await storeMessages(dir, 3);
    type Heap = { beforeMb: number; afterMb: number };
    const collected: { thread: number; heapMb: Heap & { documents: Heap | null } }[] = [];
    const mainCollected: Heap[] = [];
    const log = createLogger('info', {
      write: (line: string) => {
        const entry = JSON.parse(line);
        if (entry.msg === 'idle: heaps collected') collected.push(entry);
        if (entry.msg === "idle: the main thread's heap collected")
          mainCollected.push(entry.heapMb);
      },
    });
    const p = pool({ blobDir: dir, size: 2, idleCollectMs: 200, log });
    await Promise.all(stored.slice(0, 2).map((s) => p.evaluate(s)));
    expect([collected, mainCollected]).toEqual([[], []]); // not while there was work
    await waitFor('each thread collected', async () => collected.length === 2);
    expect(new Set(collected.map((c) => c.thread)).size).toBe(2);
    // Each thread read a PDF, so each has a documents worker, and each heap was collected.
    for (const { heapMb } of collected) {
      const { documents, ...own } = heapMb;
      expect(documents).not.toBeNull();
      for (const heap of [own, documents ?? own]) {
        expect(heap.afterMb).toBeLessThanOrEqual(heap.beforeMb);
      }
    }
    expect(mainCollected).toHaveLength(1);
    expect(nth(mainCollected, 0).afterMb).toBeLessThanOrEqual(nth(mainCollected, 0).beforeMb);
    await new Promise((r) => setTimeout(r, 1_000)); // idle five times as long: still once
    expect([collected.length, mainCollected.length]).toEqual([2, 1]);

    const again = await p.evaluate(nth(stored, 2));
    expect(again.result.kind).toBe('submission');
    await waitFor('collected after the next job', async () => collected.length === 4);
    expect(mainCollected).toHaveLength(2);
  });

  it('fails evaluations after close instead of hanging', async () => {
    const dir = await blobDir();
    const stored = await storeMessages(dir, 1);
    const p = pool({ blobDir: dir, size: 1 });
    await p.close();
    await expect(p.evaluate(nth(stored, 0))).rejects.toBeInstanceOf(EvaluateThreadError);
  });
});

describe('poolShape', () => {
  it('gives a thread per two cores and three evaluations in flight per core', () => {
    expect([1, 2, 3, 4, 8].map((cores) => poolShape(cores))).toEqual([
      { threads: 1, jobsPerThread: 3 },
      { threads: 1, jobsPerThread: 6 },
      { threads: 2, jobsPerThread: 5 },
      { threads: 2, jobsPerThread: 6 },
      { threads: 4, jobsPerThread: 6 },
    ]);
  });

  it('gives at least one thread for less than one core', () => {
    expect(poolShape(0)).toEqual({ threads: 1, jobsPerThread: 3 });
  });
});

describe('a worker whose evaluation thread crashes', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  it('retries the message and files it exactly once', async () => {
    rig = await createRig('sqlite');
    process.env.INTAKE_TEST_THREAD_FAULT = `crash:${path.join(rig.dataDir, 'fault')}`;
    const intake = await rig.app();
    for (let i = 0; i < 4; i++) {
      await intake.ingest({
        raw: await makeMessage({ attachments: [{ filename: `证明${i}.pdf`, content: PDF }] }),
        source: 'import',
        mailbox: 'import',
        receivedAt: new Date(),
        receivedAtSource: 'now',
      });
    }
    const worker = await rig.app({ roles: ['worker'], evaluateThreadEntry: FAULT_ENTRY });
    await worker.start();
    const k = rig.store.db.k;
    const rows = async () =>
      (
        await sql<{
          id: number;
          state: string;
          attempts: number;
        }>`select id, state, attempts from messages`.execute(k)
      ).rows;
    await waitFor('all 4 processed', async () =>
      (await rows()).every((r) => r.state === 'processed'),
    );
    const one = async (q: ReturnType<typeof sql<{ n: number | string }>>) =>
      Number((await q.execute(k)).rows[0]?.n ?? 0);
    expect(await one(sql`select count(*) as n from submissions`)).toBe(4);
    expect(await one(sql`select count(distinct message_row_id) as n from submissions`)).toBe(4);
    // The crash failed the message that caused it and every one running beside it on the same
    // thread (on this machine's cores, possibly all four): each of those needed exactly one more
    // attempt, the others none.
    const attempts = (await rows()).map((r) => r.attempts);
    expect(attempts).toContain(2);
    expect(attempts.filter((a) => a !== 1 && a !== 2)).toEqual([]);
  });
});
