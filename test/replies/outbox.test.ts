// Replies with no SMTP configured (written to DATA_DIR/outbox/), on SQLite and PostgreSQL: the
// per-recipient limit, the organiser's decision reply, and the written file parsed back.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { parseMail } from '../../src/mail/parse.js';
import { queueDecisionReply } from '../../src/replies/index.js';
import { listAudit } from '../../src/store/audit.js';
import { overrideVerdict } from '../../src/store/decisions.js';
import { createReply } from '../../src/store/replies.js';
import { getSubmission } from '../../src/store/submissions.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { DIALECTS } from '../support/db.js';
import { makeMessage } from '../support/mail.js';
import { ingestSubmissions, replyRows } from './rig.js';

const outboxFiles = (rig: Rig) => {
  try {
    return readdirSync(path.join(rig.dataDir, 'outbox')).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
};

describe.each(DIALECTS)('replies to the outbox folder on %s', (dialect) => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await createRig(dialect);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  /** A worker running, one submission filed and its automatic reply written. */
  async function oneSubmissionAnswered() {
    const intake = await rig.app();
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await ingestSubmissions(intake, 1);
    await waitFor(
      'the automatic reply sent',
      async () => (await replyRows(rig))[0]?.state === 'sent',
    );
    return { intake, submissionId: (await replyRows(rig))[0]?.submission_id ?? 0 };
  }

  /** `n` submissions from one address: five replies sent (the hourly limit), the rest deferred. */
  async function overTheHourlyLimit(n: number) {
    const worker = await rig.app({ roles: ['worker'], concurrency: 4 });
    await worker.start();
    const intake = await rig.app();
    await ingestSubmissions(intake, n, () => '同一联系人 <same@example.cn>');
    await waitFor(`5 sent, ${n - 5} deferred`, async () => {
      const rows = await replyRows(rig);
      return (
        rows.filter((r) => r.state === 'sent').length === 5 &&
        rows.filter((r) => r.state === 'pending' && r.last_error === 'deferred: rate-limit-hour:5')
          .length ===
          n - 5
      );
    });
    return { intake, deferred: (await replyRows(rig)).filter((r) => r.state === 'pending') };
  }

  /** An hour on: the replies sent so far were sent more than an hour ago. */
  async function anHourLater() {
    await rig.store.db.k
      .updateTable('replies')
      .set({ sent_at: new Date(Date.now() - 61 * 60_000).toISOString() })
      .where('state', '=', 'sent')
      .execute();
  }

  it('defers the sixth reply to one address within an hour, and sends it when the hour allows', async () => {
    const { deferred } = await overTheHourlyLimit(7);
    expect(deferred).toHaveLength(2);
    expect(outboxFiles(rig)).toHaveLength(5);

    // An hour on, the sweep sends the other two.
    await anHourLater();
    await waitFor('all 7 sent', async () =>
      (await replyRows(rig)).every((r) => r.state === 'sent'),
    );
    expect(outboxFiles(rig)).toHaveLength(7);
    for (const r of deferred)
      expect((await listAudit(rig.store.db, 'reply', r.id)).map((a) => a.action)).toEqual([]);
  });

  it("sends what a deferred reply's submission says when it goes: the verdict as reprocessed, nothing once a later message or a decision has overtaken it", async () => {
    const {
      intake,
      deferred: [reprocessed, replaced, decided],
    } = await overTheHourlyLimit(8);
    if (!reprocessed || !replaced || !decided) throw new Error('three deferred replies expected');
    // An organiser accepted the third meanwhile; the decision goes out at once (no limits).
    const decision = {
      submissionId: decided.submission_id,
      verdict: 'accepted' as const,
      reason: '',
    };
    await queueDecisionReply(rig.store.db, intake.queues, decision);
    const k = rig.store.db.k;

    // `intake reprocess` stored a new result for the first: it now needs a person's look.
    const first = await getSubmission(rig.store.db, reprocessed.submission_id);
    await k
      .updateTable('submissions')
      .set({
        verdict: 'review',
        result_json: JSON.stringify({ ...first?.result, verdict: 'review' }),
      })
      .where('id', '=', reprocessed.submission_id)
      .execute();
    // The second one's sender has sent the case again, and that message is filed (its own
    // reply waits for the hour too).
    const second = await getSubmission(rig.store.db, replaced.submission_id);
    await intake.ingest({
      raw: await makeMessage({
        from: '同一联系人 <same@example.cn>',
        subject: `${second?.result.subject.organization}+${second?.result.subject.title}`,
      }),
      source: 'import',
      mailbox: 'import',
      receivedAt: new Date('2025-10-11T10:00:00+08:00'),
      receivedAtSource: 'now',
    });
    await waitFor('the newer message filed', async () => (await replyRows(rig)).length === 10);

    await anHourLater();
    await waitFor('no reply pending', async () =>
      (await replyRows(rig)).every((r) => r.state !== 'pending'),
    );
    const rows = await replyRows(rig);
    const byId = (id: number) => rows.find((r) => r.id === id);
    expect(byId(replaced.id)).toMatchObject({
      state: 'suppressed',
      suppressed_reason: 'superseded',
    });
    expect(byId(decided.id)).toMatchObject({ state: 'suppressed', suppressed_reason: 'decided' });
    // The newer message lacks the files too: it gets the full rejection, not an update.
    expect(rows.at(-1)).toMatchObject({ kind: 'rejection', state: 'sent' });
    const sent = byId(reprocessed.id);
    expect(sent).toMatchObject({ kind: 'rejection', state: 'sent' });
    const letter = await parseMail(
      readFileSync(path.join(rig.dataDir, 'outbox', `${sent?.message_id?.slice(1, -1)}.eml`)),
    );
    expect(letter.subject).toContain('待人工审核');
    expect(letter.subject).not.toContain('需修改');
  });

  /** Files a message of one case (the same organisation and title) from `from`; its reply row. */
  async function submitToOneCase(intake: App, from: string, receivedAt: string) {
    const n = (await replyRows(rig)).length;
    await intake.ingest({
      raw: await makeMessage({ from, subject: '测试单位有限公司+测试案例' }),
      source: 'import',
      mailbox: 'import',
      receivedAt: new Date(receivedAt),
      receivedAtSource: 'now',
    });
    await waitFor('its reply planned', async () => (await replyRows(rig)).length > n);
    return (await replyRows(rig)).at(-1);
  }
  const settled = () =>
    waitFor('no reply pending', async () =>
      (await replyRows(rig)).every((r) => r.state !== 'pending'),
    );
  const settledRow = async (id: number | undefined) => {
    await settled();
    return (await replyRows(rig)).find((r) => r.id === id);
  };
  const bob = '联系人乙 <bob@example.cn>';

  it('answers an older message filed after a newer one of its case as if they had come in order', async () => {
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    const intake = await rig.app();
    const submit = async (from: string, receivedAt: string) =>
      settledRow((await submitToOneCase(intake, from, receivedAt))?.id);
    // The newer message first (a retry, a backfill, two workers): it is the case's current one.
    expect(await submit(bob, '2025-10-10T10:05:00+08:00')).toMatchObject({ state: 'sent' });
    // An older one from the same address: its answer would contradict the one already sent.
    expect(await submit(bob, '2025-10-10T10:00:00+08:00')).toMatchObject({
      state: 'suppressed',
      suppressed_reason: 'superseded',
    });
    // An older one from a colleague, who has had no answer: in arrival order it would have had
    // its own, so it gets it now.
    expect(await submit('联系人甲 <alice@example.cn>', '2025-10-10T09:55:00+08:00')).toMatchObject({
      recipient: 'alice@example.cn',
      state: 'sent',
    });
    // All three are one case.
    const rows = await replyRows(rig);
    const caseIds = await Promise.all(
      rows.map(async (r) => (await getSubmission(rig.store.db, r.submission_id))?.caseId),
    );
    expect(caseIds).toHaveLength(3);
    expect(new Set(caseIds).size).toBe(1);
  });

  it("holds back the reply to an older message filed late once an organiser's notice about a newer one went to its sender", async () => {
    // The newer message's automatic reply waits for the hour, and is overtaken by a decision.
    const {
      intake,
      deferred: [newer],
    } = await overTheHourlyLimit(6);
    if (!newer) throw new Error('a deferred reply expected');
    await queueDecisionReply(rig.store.db, intake.queues, {
      submissionId: newer.submission_id,
      verdict: 'accepted',
      reason: '',
    });
    await anHourLater();
    expect(await settledRow(newer.id)).toMatchObject({ suppressed_reason: 'decided' });
    expect((await replyRows(rig)).at(-1)).toMatchObject({
      kind: 'decision-accepted',
      state: 'sent',
    });
    // An older message of that case from the same address, filed late: its automatic answer
    // would come after the organiser's notice, and contradict it.
    const { result } = (await getSubmission(rig.store.db, newer.submission_id)) ?? {};
    const before = (await replyRows(rig)).length;
    const older = await intake.ingest({
      raw: await makeMessage({
        from: '同一联系人 <same@example.cn>',
        subject: `${result?.subject.organization}+${result?.subject.title}`,
      }),
      source: 'import',
      mailbox: 'import',
      receivedAt: new Date('2025-10-10T09:00:00+08:00'),
      receivedAtSource: 'now',
    });
    await waitFor('its reply planned', async () => (await replyRows(rig)).length > before);
    const row = (await replyRows(rig)).at(-1);
    expect(row?.submission_id).not.toBe(newer.submission_id);
    expect(await settledRow(row?.id)).toMatchObject({
      state: 'suppressed',
      suppressed_reason: 'decided',
    });
    expect(older.inserted).toBe(true);
  });

  it("holds back a deferred automatic reply once an organiser set its case's verdict, even without a notice", async () => {
    const {
      deferred: [held],
    } = await overTheHourlyLimit(6);
    if (!held) throw new Error('a deferred reply expected');
    const submission = await getSubmission(rig.store.db, held.submission_id);
    if (submission?.caseId == null) throw new Error('a filed case expected');
    // The automatic letter is a rejection; the organiser accepts the case and sends no notice.
    await overrideVerdict(rig.store.db, submission.caseId, {
      verdict: 'accepted',
      reason: '材料已线下补齐',
      actor: 'organiser',
    });
    await anHourLater();
    await waitFor('no reply pending', async () =>
      (await replyRows(rig)).every((r) => r.state !== 'pending'),
    );
    expect((await replyRows(rig)).find((r) => r.id === held.id)).toMatchObject({
      state: 'suppressed',
      suppressed_reason: 'decided',
    });
    expect(outboxFiles(rig)).toHaveLength(5);
  });

  it('suppresses, and records, a reply over the daily limit to one address', async () => {
    const { intake, submissionId } = await oneSubmissionAnswered();
    // An organiser's decision notice, sent: outside the limits, it uses none of them up.
    const decision = { submissionId, verdict: 'accepted' as const, reason: '' };
    await queueDecisionReply(rig.store.db, intake.queues, decision);
    await waitFor('the decision sent', async () =>
      (await replyRows(rig)).every((r) => r.state === 'sent'),
    );
    const [answered] = await replyRows(rig);
    const limits = { perHour: 100, perDay: 2 };
    const plan = (kind: string) => ({
      kind,
      recipient: answered?.recipient ?? '',
      suppressedReason: null,
      limits,
    });
    // The automatic reply was the first of the day; one more fits, the next does not.
    expect((await createReply(rig.store.db, submissionId, plan('review'))).state).toBe('pending');
    const over = await createReply(rig.store.db, submissionId, plan('update'));
    expect(over).toMatchObject({ state: 'suppressed', suppressedReason: 'rate-limit-day:2' });
    expect((await listAudit(rig.store.db, 'reply', over.id)).map((a) => a.action)).toEqual([
      'suppressed',
    ]);
  });

  it('writes a reply that parses back with its Chinese subject, body and headers', async () => {
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await ingestSubmissions(await rig.app(), 1);
    await waitFor('the reply written', async () => (await replyRows(rig))[0]?.state === 'sent');
    const [row] = await replyRows(rig);
    const file = path.join(rig.dataDir, 'outbox', `${row?.message_id?.slice(1, -1)}.eml`);
    const reply = await parseMail(readFileSync(file));
    expect(row?.message_id).toMatch(/^<reply-\d+-rejection@localhost>$/);
    expect(reply.messageId).toBe(row?.message_id);
    expect(reply.subject).toMatch(/^【2025-\d{4}】申报材料需修改：测试单位0有限公司\+测试案例0$/);
    expect(reply.from?.address).toBe('case-intake@localhost');
    expect(reply.to.map((a) => a.address)).toEqual(['applicant0@example.cn']);
    expect(reply.text).toContain('测试单位0有限公司：');
    expect(reply.text).toMatch(/未找到 ?Word/);
    expect(reply.text).toContain('修改方法：请附上 Word 格式');
    expect(reply.headers['auto-submitted']?.[0]).toBe('auto-replied');
    expect(reply.headers['content-type']?.[0]).toContain('multipart/alternative');
    expect(reply.subject + reply.text).not.toContain('\uFFFD');
  });

  it("sends a decision reply once per decision, with the organiser's reason", async () => {
    const { intake, submissionId } = await oneSubmissionAnswered();
    const input = {
      submissionId,
      verdict: 'accepted' as const,
      reason: '材料已线下补齐',
      actor: 'admin',
    };
    const first = await queueDecisionReply(rig.store.db, intake.queues, input);
    const again = await queueDecisionReply(rig.store.db, intake.queues, input);
    expect(again.id).toBe(first.id);
    await waitFor('the decision sent', async () =>
      (await replyRows(rig)).every((r) => r.state === 'sent'),
    );
    const rows = await replyRows(rig);
    expect(rows.map((r) => r.kind)).toEqual(['rejection', 'decision-accepted']);
    const reply = await parseMail(
      readFileSync(path.join(rig.dataDir, 'outbox', `${rows[1]?.message_id?.slice(1, -1)}.eml`)),
    );
    expect(reply.subject).toContain('审核结果通知');
    expect(reply.text).toContain('结果为：已受理');
    expect(reply.text).toContain('说明：材料已线下补齐');
    expect(outboxFiles(rig)).toHaveLength(2);

    // The organiser changes their mind, then back: each change is announced once.
    await queueDecisionReply(rig.store.db, intake.queues, { ...input, verdict: 'rejected' });
    const back = { ...input, reason: '复核后确认通过' };
    const third = await queueDecisionReply(rig.store.db, intake.queues, back);
    expect((await queueDecisionReply(rig.store.db, intake.queues, back)).id).toBe(third.id);
    await waitFor('both changes sent', async () =>
      (await replyRows(rig)).every((r) => r.state === 'sent'),
    );
    expect((await replyRows(rig)).map((r) => r.kind)).toEqual([
      'rejection',
      'decision-accepted',
      'decision-rejected',
      'decision-accepted-2',
    ]);
    const last = (await replyRows(rig))[3];
    const notice = await parseMail(
      readFileSync(path.join(rig.dataDir, 'outbox', `${last?.message_id?.slice(1, -1)}.eml`)),
    );
    expect(notice.text).toContain('结果为：已受理');
    expect(notice.text).toContain('说明：复核后确认通过');
    expect(outboxFiles(rig)).toHaveLength(4);
    await expect(
      queueDecisionReply(rig.store.db, intake.queues, { ...input, submissionId: 99_999 }),
    ).rejects.toThrow(/no submission/);
  });

  it("sends a decision though the automatic reply was held back for the case's own sake", async () => {
    const { intake, submissionId } = await oneSubmissionAnswered();
    const k = rig.store.db.k;
    // As if the automatic reply had still been waiting when an earlier decision, a withdrawal,
    // a later message or a limit overtook it: each is the case's, and says nothing of its sender.
    const verdicts = ['rejected', 'accepted'] as const;
    const reasons = ['decided', 'withdrawn', 'superseded', 'not-a-submission', 'rate-limit-day:20'];
    for (const [i, reason] of reasons.entries()) {
      await k
        .updateTable('replies')
        .set({ state: 'suppressed', suppressed_reason: reason })
        .where('submission_id', '=', submissionId)
        .where('kind', '=', 'rejection')
        .execute();
      const verdict = verdicts[i % 2] ?? 'accepted';
      const decision = await queueDecisionReply(rig.store.db, intake.queues, {
        submissionId,
        verdict,
        reason: '',
      });
      expect(decision, reason).toMatchObject({ state: 'pending', suppressedReason: null });
    }
    await waitFor('every decision sent', async () =>
      (await replyRows(rig))
        .filter((r) => r.kind.startsWith('decision'))
        .every((r) => r.state === 'sent'),
    );
    // What the sender's own mail showed still holds for a decision.
    await k
      .updateTable('replies')
      .set({ state: 'suppressed', suppressed_reason: 'dmarc-fail' })
      .where('submission_id', '=', submissionId)
      .where('kind', '=', 'rejection')
      .execute();
    const held = await queueDecisionReply(rig.store.db, intake.queues, {
      submissionId,
      verdict: 'needs_review',
      reason: '',
    });
    expect(held).toMatchObject({ state: 'suppressed', suppressedReason: 'dmarc-fail' });
  });

  it('sends no decision reply to a message a machine sent (it had no automatic reply either)', async () => {
    const intake = await rig.app();
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    await intake.ingest({
      raw: await makeMessage({
        subject: '测试单位有限公司+测试案例',
        headers: { 'Auto-Submitted': 'auto-generated' },
      }),
      source: 'import',
      mailbox: 'import',
      receivedAt: new Date('2025-10-10T10:00:00+08:00'),
      receivedAtSource: 'now',
    });
    const k = rig.store.db.k;
    await waitFor('the message filed', async () =>
      Boolean(await k.selectFrom('submissions').select('id').executeTakeFirst()),
    );
    const filed = await k
      .selectFrom('submissions')
      .select(['id', 'kind'])
      .executeTakeFirstOrThrow();
    expect(filed.kind).toBe('auto_reply');
    const decision = await queueDecisionReply(rig.store.db, intake.queues, {
      submissionId: filed.id,
      verdict: 'accepted',
      reason: '',
    });
    expect(decision).toMatchObject({ state: 'suppressed', suppressedReason: 'auto-reply' });
    expect(outboxFiles(rig)).toEqual([]);
  });

  it('re-checks the guard in the send job: a pending reply to our own address is suppressed', async () => {
    const { intake, submissionId } = await oneSubmissionAnswered();
    // As if planned before REPLY_FROM named this address.
    const row = await createReply(rig.store.db, submissionId, {
      kind: 'ack',
      recipient: 'Case-Intake@localhost',
      suppressedReason: null,
    });
    expect(row.state).toBe('pending');
    await intake.queues.enqueueReply(row.id);
    await waitFor('the reply settled', async () => (await replyRows(rig))[1]?.state !== 'pending');
    expect((await replyRows(rig))[1]).toMatchObject({
      state: 'suppressed',
      suppressed_reason: 'own-address',
    });
    expect(outboxFiles(rig)).toHaveLength(1);
  });
});
