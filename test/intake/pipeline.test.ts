// The pipeline against real servers: a private Redis and SQLite/PostgreSQL. What is stored is
// processed exactly once, whatever happens to Redis or to a worker process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { sql } from '../../src/store/kysely.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { makeMessage } from '../support/mail.js';

/** Stores a message as `intake import` would. */
const importMessage = async (app: App, raw?: Buffer) =>
  app.ingest({
    raw: raw ?? (await makeMessage()),
    source: 'import',
    mailbox: 'import',
    receivedAt: new Date(),
    receivedAtSource: 'now',
  });

async function counts(rig: Rig) {
  const k = rig.store.db.k;
  const one = async (q: ReturnType<typeof sql<{ n: number | string }>>) =>
    Number((await q.execute(k)).rows[0]?.n ?? 0);
  return {
    messages: await one(sql`select count(*) as n from messages`),
    processed: await one(sql`select count(*) as n from messages where state = 'processed'`),
    submissions: await one(sql`select count(*) as n from submissions`),
    distinctSubmitted: await one(sql`select count(distinct message_row_id) as n from submissions`),
    cases: await one(sql`select count(*) as n from cases`),
    distinctCaseNos: await one(sql`select count(distinct case_no) as n from cases`),
  };
}

describe.each(DIALECTS)('pipeline on %s', (dialect) => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await createRig(dialect);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('files every stored message once after Redis is flushed before processing', async () => {
    const intake = await rig.app();
    for (let i = 0; i < 12; i++) {
      await importMessage(intake);
    }
    expect((await intake.queues.depths()).process?.waiting).toBe(12);
    await rig.redis.flushAll();
    expect((await intake.queues.depths()).process?.waiting).toBe(0);

    const worker = await rig.app({ roles: ['worker'] });
    await worker.start(); // the start-up sweep re-enqueues the 12 unfinished rows
    await waitFor('all 12 processed', async () => (await counts(rig)).processed === 12);
    const c = await counts(rig);
    expect(c).toMatchObject({
      messages: 12,
      submissions: 12,
      distinctSubmitted: 12,
      cases: 12,
      distinctCaseNos: 12,
    });
  });

  it('goes on storing mail while Redis is down, and files it once Redis is back', async () => {
    const intake = await rig.app();
    await rig.redis.stop();
    // The enqueue gives up (at once, or after a few seconds while the connection still tries):
    // the row is the record, the sweep enqueues later.
    for (let i = 0; i < 2; i++) {
      const stored = await importMessage(intake);
      expect(stored.inserted).toBe(true);
    }
    expect((await counts(rig)).messages).toBe(2);
    // Once the connection is known lost, an enqueue does not wait for it at all.
    const refusal = () =>
      intake.queues.enqueueProcess(1).then(
        () => 'queued',
        (e) => e.message,
      );
    await waitFor('an enqueue refused at once', async () =>
      /^Redis connection (reconnecting|close)$/.test(await refusal()),
    );
    await rig.redis.restart();
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await waitFor('both processed', async () => (await counts(rig)).processed === 2);
  }, 60_000);

  it('stops at once while Redis is down, and files what it had stored once Redis is back', async () => {
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await rig.redis.stop();
    const stored = await importMessage(worker);
    expect(stored.inserted).toBe(true);
    // BullMQ's close() waits for the jobs in hand, which with Redis gone is for ever.
    await worker.stop();
    await rig.redis.restart();
    const again = await rig.app({ roles: ['worker'] });
    await again.start();
    await waitFor('the message processed', async () => (await counts(rig)).processed === 1);
  }, 30_000);

  it('files a message once when its worker is killed with SIGKILL mid-job', async () => {
    const intake = await rig.app();
    // Each carries a real attachment so the job takes long enough to be caught in flight.
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    );
    for (let i = 0; i < 8; i++) {
      await importMessage(
        intake,
        await makeMessage({ attachments: [{ filename: `证明${i}.pdf`, content: pdf }] }),
      );
    }
    const child = await rig.spawnWorker();
    const k = rig.store.db.k;
    await waitFor(
      'a job in flight',
      async () => {
        const r = await sql<{
          n: number | string;
        }>`select count(*) as n from messages where state = 'processing'`.execute(k);
        return Number(r.rows[0]?.n) > 0;
      },
      30_000,
    );
    child.kill('SIGKILL');
    const killedAt = await counts(rig);
    expect(killedAt.processed).toBeLessThan(8);

    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await waitFor(
      'all 8 processed after the kill',
      async () => (await counts(rig)).processed === 8,
      90_000,
    );
    const c = await counts(rig);
    expect(c).toMatchObject({
      messages: 8,
      submissions: 8,
      distinctSubmitted: 8,
      cases: 8,
      distinctCaseNos: 8,
    });
    // No attachment row was written twice for any submission.
    const dup = await sql<{ n: number | string }>`
      select count(*) as n from (
        select submission_id, sha256, filename from attachments
        group by submission_id, sha256, filename having count(*) > 1) d`.execute(k);
    expect(Number(dup.rows[0]?.n)).toBe(0);
    // The killed job was attempted more than once: the restart really redid it.
    const retried = await sql<{
      n: number | string;
    }>`select count(*) as n from messages where attempts > 1`.execute(k);
    expect(Number(retried.rows[0]?.n)).toBeGreaterThan(0);
    // The waits above: a job in flight, then the killed job's lock (20 s on SQLite, see app.ts)
    // and the stalled-job checks that give it back.
  }, 150_000);
});
