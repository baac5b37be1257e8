// The send-reply job against a real SMTP sink, Redis and database: outages, permanent refusals,
// a worker killed between the server's acceptance and the database update.

import { QueueEvents } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/queue/jobs.js';
import { connectRedis } from '../../src/queue/queues.js';
import { getOverview } from '../../src/store/overview.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { type SmtpSink, smtpVars, startSmtpSink } from '../support/smtp-sink.js';
import { ingestSubmissions, REPLY_FROM, replyRows, sleep, smtpRig } from './rig.js';

describe('send-reply over SMTP (sqlite)', () => {
  let rig: Rig;
  let sink: SmtpSink;
  afterEach(async () => {
    await rig?.dispose();
    await sink?.stop();
  });

  it('delivers every reply soon after the SMTP server refused connections for 80 s, none twice', async () => {
    ({ rig, sink } = await smtpRig('sqlite'));
    await sink.refuse();
    const refusedAt = Date.now();
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await ingestSubmissions(await rig.app(), 6);
    // Those under way fail; then all wait for the relay together, and one at a time tries it.
    await waitFor('a reply to have failed', async () =>
      (await replyRows(rig)).some((r) => r.last_error?.includes('ECONNREFUSED')),
    );
    expect(sink.messages).toHaveLength(0);
    await sleep(Math.max(0, 80_000 - (Date.now() - refusedAt)));
    expect((await replyRows(rig)).every((r) => r.state === 'pending')).toBe(true);
    await sink.accept();
    // An unreachable relay is tried every 30 s at most (a refusing one every 5 minutes: by then
    // the wait would be 80 s), so the replies go out within about 30 s of its return.
    await waitFor(
      'all 6 sent',
      async () => (await replyRows(rig)).every((r) => r.state === 'sent'),
      40_000,
    );
    const rows = await replyRows(rig);
    expect(rows.some((r) => r.attempts > 2)).toBe(true);
    expect(sink.messages).toHaveLength(6);
    const byId = sink.byMessageId();
    expect([...byId.values()].every((copies) => copies.length === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.message_id))).toEqual(new Set(byId.keys()));
    for (const r of rows) expect(byId.get(r.message_id ?? '')?.[0]?.to).toEqual([r.recipient]);
  }, 180_000); // 80 s of refusal, then up to 40 s for the retries

  it('marks a reply failed on a 5xx refusal and does not retry it', async () => {
    ({ rig, sink } = await smtpRig('sqlite'));
    sink.recipientStatus = (address) => (address === 'applicant1@example.cn' ? 550 : null);
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await ingestSubmissions(await rig.app(), 3);
    await waitFor('all replies settled', async () => {
      const rows = await replyRows(rig);
      return rows.length === 3 && rows.every((r) => r.state !== 'pending');
    });
    await sleep(3_000); // room for a wrong retry to show up
    const rows = await replyRows(rig);
    const refused = rows.find((r) => r.recipient === 'applicant1@example.cn');
    expect(refused).toMatchObject({ state: 'failed', attempts: 1 });
    expect(refused?.last_error).toContain('recipient refused by test sink');
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(2);
    expect(sink.messages).toHaveLength(2);
  });

  it('holds every reply while the relay refuses our login (535), without hammering it, and sends each once it accepts', async () => {
    sink = await startSmtpSink({ auth: { user: 'relay', pass: 'rotated-at-the-relay' } });
    rig = await createRig('sqlite', {
      ...smtpVars(sink),
      SMTP_USER: 'relay',
      SMTP_PASSWORD: 'the-old-password',
      REPLY_FROM,
    });
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await ingestSubmissions(await rig.app(), 6);
    await waitFor('a reply refused at login', async () =>
      (await replyRows(rig)).some((r) => r.last_error?.includes('535')),
    );
    // Every reply waits for the relay together: a few logins, not six replies' own retries
    // (each of which, 2, 4 and 8 s apart, would log in 3 times in these 12 s: 18).
    const loginsBefore = sink.logins;
    await sleep(12_000);
    expect(sink.logins - loginsBefore).toBeLessThanOrEqual(6);
    const rows = await replyRows(rig);
    expect(rows.map((r) => r.state)).toEqual(Array(6).fill('pending'));
    expect(sink.messages).toHaveLength(0);
    // The organisers' overview shows those tried as waiting, with the relay's words.
    const tried = rows.filter((r) => r.last_error !== null).map((r) => r.id);
    const waiting = (await getOverview(rig.store.db)).troubledReplies;
    expect(waiting.map((r) => r.id).sort()).toEqual(tried.sort());
    expect(waiting.every((r) => r.state === 'pending' && r.reason?.includes('535'))).toBe(true);
    sink.auth = { user: 'relay', pass: 'the-old-password' }; // the organiser fixed the relay
    await waitFor(
      'all 6 sent',
      async () => (await replyRows(rig)).every((r) => r.state === 'sent'),
      90_000,
    );
    expect(sink.messages).toHaveLength(6);
    expect([...sink.byMessageId().values()].every((copies) => copies.length === 1)).toBe(true);
  }, 150_000);

  it('sends a reply once when its job lost its lock and a worker took it up again mid-send', async () => {
    // PostgreSQL, where a lock can be short (app.ts holds SQLite's at 20 s): a job whose lock is
    // gone is found stalled within about a second.
    ({ rig, sink } = await smtpRig('postgres'));
    for (let i = 0; i < 2; i++)
      await (await rig.app({ roles: ['worker'], lockDurationMs: 2_000 })).start();
    const redis = connectRedis(rig.redis.url);
    const events = new QueueEvents(QUEUES.reply, { connection: redis, prefix: 'intake' });
    await events.waitUntilReady();
    const seen: string[] = [];
    for (const e of ['stalled', 'completed'] as const) events.on(e, () => seen.push(e));
    sink.onMessage = async () => {
      if (sink.messages.length > 1) return;
      // As in a Redis partition: the sending worker's lock is lost while the server has the
      // reply and has not answered yet. BullMQ runs the job again.
      await redis.del('intake:reply:reply-1:lock');
      await waitFor(
        'the job to stall and be run again',
        // (The sweep may enqueue the reply, still pending, again: more runs can follow.)
        async () => seen.slice(0, 2).join() === 'stalled,completed',
        20_000,
      );
    };
    try {
      await ingestSubmissions(await rig.app(), 1);
      await waitFor(
        'the reply to be sent',
        async () => (await replyRows(rig))[0]?.state === 'sent',
      );
      await sleep(2_000); // room for a late second copy
    } finally {
      await events.close();
      redis.disconnect();
    }
    expect(seen.slice(0, 2)).toEqual(['stalled', 'completed']);
    expect(sink.messages).toHaveLength(1);
    expect(await replyRows(rig)).toMatchObject([{ id: 1, state: 'sent', attempts: 1 }]);
  });

  it('loses no reply when the worker is killed after the server accepted it, and resends at most one copy with the same Message-ID', async () => {
    ({ rig, sink } = await smtpRig('sqlite'));
    await ingestSubmissions(await rig.app(), 4);
    const child = await rig.spawnWorker();
    let killedId: string | null = null;
    // Every reply the server took while the worker lived: another one sent at the same moment
    // as the first may also get its 250 after the worker stopped reading, and be resent once.
    const acceptedBeforeDeath = new Set<string>();
    let dead = false;
    sink.onMessage = async (m) => {
      if (!dead && m.messageId) acceptedBeforeDeath.add(m.messageId);
      if (killedId !== null) return;
      killedId = m.messageId;
      // Dies before it can read the 250 and record `sent`.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      dead = true;
    };
    await waitFor('the first reply to arrive', async () => killedId !== null, 60_000);
    const atKill = await replyRows(rig);
    expect(atKill.find((r) => r.message_id === killedId)).toBeUndefined();

    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await waitFor(
      'all 4 replies sent',
      async () => {
        const rows = await replyRows(rig);
        return rows.length === 4 && rows.every((r) => r.state === 'sent');
      },
      90_000,
    );
    const rows = await replyRows(rig);
    const byId = sink.byMessageId();
    expect(new Set(byId.keys())).toEqual(new Set(rows.map((r) => r.message_id)));
    for (const [id, copies] of byId) {
      expect(copies.length).toBeLessThanOrEqual(acceptedBeforeDeath.has(id) ? 2 : 1);
    }
    expect(byId.get(killedId ?? '')).toHaveLength(2);
    // Its own waits: up to 60 s for the first reply, 90 s for the rest (the killed job's claim
    // on the reply runs out after 30 s). 43 s alone here; the suite's 60 s default was too short
    // under load.
  }, 180_000);
});
