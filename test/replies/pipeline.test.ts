// The whole path with real servers: Dovecot (IMAP) → poller → process worker → reply worker →
// SMTP sink. Twenty real fixture submissions of every verdict each get exactly one reply of the
// right kind listing exactly the failed rules; robots, a question and a duplicate get none.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMail } from '../../src/mail/parse.js';
import { replyRecipient } from '../../src/mail/reply-guard.js';
import { sql } from '../../src/store/kysely.js';
import type { CheckResult } from '../../src/types.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { corpusFiles } from '../support/corpus.js';
import { imapVars, startDovecot, type TestDovecot } from '../support/dovecot.js';
import { type SinkMessage, type SmtpSink, smtpVars, startSmtpSink } from '../support/smtp-sink.js';
import { REPLY_FROM, replyRows } from './rig.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SUBMISSIONS = path.join(ROOT, 'fixtures/submissions');
const expected = JSON.parse(
  readFileSync(path.join(SUBMISSIONS, 'expected.json'), 'utf8'),
) as Record<string, { verdict: string; failed: string[]; receivedAt: string }>;

const TWENTY = [
  'accepted-docx.eml',
  'accepted-doc.eml',
  'accepted-zipped-gbk.eml',
  'accepted-foxmail-gbk-subject.eml',
  'accepted-jpeg-scan.eml',
  'forwarded.eml',
  'no-seal.eml',
  'subject-no-plus.eml',
  'late.eml',
  'form-missing.eml',
  'logo-too-big.eml',
  'logo-1600x1200.eml',
  'scan-missing.eml',
  'report-short.eml',
  'report-near-bound.eml',
  'fields-incomplete.eml',
  'corrupt-docx.eml',
  'exe-as-jpg.eml',
  'implemented-2022.eml',
  'subject-form-mismatch.eml',
];
/** Robots (bounces, out-of-office, list mail) and a question: never answered. */
const SILENT = [
  path.join(ROOT, 'fixtures/mail/null-return-path.eml'),
  path.join(ROOT, 'fixtures/mail/auto-submitted.eml'),
  path.join(ROOT, 'fixtures/mail/out-of-office.eml'),
  path.join(ROOT, 'fixtures/mail/list-mail.eml'),
  path.join(SUBMISSIONS, 'auto-reply.eml'),
  path.join(SUBMISSIONS, 'inquiry.eml'),
  ...corpusFiles('emails/sisimai-tencent', (f) => f.endsWith('.eml')),
];
const KIND: Record<string, string> = {
  accepted: 'ack',
  rejected: 'rejection',
  needs_review: 'review',
};
const EARLY = new Date('2025-10-10T10:00:00+08:00');

const numbered = (text: string) => text.split('\n').filter((l) => /^ {2}\d+\. /.test(l));

describe('replies through the whole pipeline (IMAP → worker → SMTP, sqlite)', () => {
  let dovecot: TestDovecot;
  let sink: SmtpSink;
  let rig: Rig;
  const sent = new Map<string, { messageId: string; recipient: string }>();

  beforeAll(async () => {
    [dovecot, sink] = await Promise.all([startDovecot(), startSmtpSink()]);
    rig = await createRig('sqlite', {
      ...imapVars(dovecot),
      ...smtpVars(sink),
      REPLY_FROM,
    });
    for (const name of TWENTY) {
      const raw = readFileSync(path.join(SUBMISSIONS, name));
      const mail = await parseMail(raw);
      sent.set(name, { messageId: mail.messageId ?? '', recipient: replyRecipient(mail) ?? '' });
      await dovecot.append(raw, new Date(expected[name]?.receivedAt ?? ''));
    }
    for (const file of SILENT) await dovecot.append(readFileSync(file), EARLY);
    const app = await rig.app({ roles: ['poll', 'worker'], concurrency: 4 });
    await app.start();
    const total = TWENTY.length + SILENT.length;
    await waitFor(
      'every message filed and every reply settled',
      async () => {
        const r = await sql<{ n: number }>`select count(*) as n from submissions`.execute(
          rig.store.db.k,
        );
        const rows = await replyRows(rig);
        return (
          Number(r.rows[0]?.n) === total &&
          rows.length === TWENTY.length &&
          rows.every((x) => x.state !== 'pending')
        );
      },
      120_000,
    );
  });
  afterAll(async () => {
    await rig?.dispose();
    await Promise.all([sink?.stop(), dovecot?.stop()]);
  });

  async function submissionOf(messageId: string) {
    const r = await sql<{ id: number; result_json: string }>`
      select id, result_json from submissions where message_id_header = ${messageId} order by id`.execute(
      rig.store.db.k,
    );
    return r.rows.map((x) => ({
      id: Number(x.id),
      result: JSON.parse(x.result_json) as CheckResult,
    }));
  }

  const sinkTo = (address: string): SinkMessage[] =>
    sink.messages.filter((m) => m.to.includes(address));

  it('sends exactly one reply per submission, of the right kind, threaded to it', async () => {
    const rows = await replyRows(rig);
    for (const name of TWENTY) {
      const { messageId, recipient } = sent.get(name) ?? { messageId: '', recipient: '' };
      const [sub, ...more] = await submissionOf(messageId);
      expect(more, name).toHaveLength(0);
      const mine = rows.filter((r) => r.submission_id === sub?.id);
      const kind = name === 'late.eml' ? 'late' : KIND[expected[name]?.verdict ?? ''];
      expect(
        mine.map((r) => [r.kind, r.state]),
        name,
      ).toEqual([[kind, 'sent']]);
      const arrived = sinkTo(recipient);
      expect(arrived, name).toHaveLength(1);
      const reply = await parseMail(arrived[0]?.raw ?? Buffer.alloc(0));
      expect(reply.messageId).toBe(mine[0]?.message_id);
      expect(reply.headers['in-reply-to']?.[0], name).toBe(messageId);
      expect(reply.headers['auto-submitted']?.[0]).toBe('auto-replied');
    }
    expect(sink.messages).toHaveLength(TWENTY.length);
    expect(sink.byMessageId().size).toBe(TWENTY.length);
  });

  it('lists exactly the failed rules: errors in a rejection, open questions in a review', async () => {
    for (const name of TWENTY.filter(
      (n) => expected[n]?.verdict !== 'accepted' && n !== 'late.eml',
    )) {
      const { messageId, recipient } = sent.get(name) ?? { messageId: '', recipient: '' };
      const [sub] = await submissionOf(messageId);
      const failed =
        sub?.result.findings.filter(
          (f) => !f.passed && (f.severity === 'error' || f.severity === 'review'),
        ) ?? [];
      expect(failed.map((f) => f.rule).sort(), name).toEqual(
        [...(expected[name]?.failed ?? [])].sort(),
      );
      const reply = await parseMail(sinkTo(recipient)[0]?.raw ?? Buffer.alloc(0));
      const items = numbered(reply.text).filter(
        (l) => !/^ {2}\d+\. (申报表|案例报告|商标|盖章扫描件|证明材料)：/.test(l),
      );
      expect(items, name).toHaveLength(failed.length);
      for (const f of failed)
        expect(
          items.some((l) => l.includes(f.message)),
          `${name} ${f.rule}`,
        ).toBe(true);
    }
  });

  it('parses back with the Chinese subject and body intact', async () => {
    for (const m of sink.messages) {
      const reply = await parseMail(m.raw);
      expect(reply.subject).toMatch(/^【2025-\d{4}】\p{Script=Han}+/u);
      expect(reply.subject + reply.text).not.toContain('\uFFFD');
      expect(reply.text).toContain('案例征集组委会');
      expect(reply.from?.name).toBe('案例征集组委会');
    }
    const docx = sent.get('accepted-docx.eml');
    const ack = await parseMail(sinkTo(docx?.recipient ?? '')[0]?.raw ?? Buffer.alloc(0));
    const [sub] = await submissionOf(docx?.messageId ?? '');
    expect(ack.subject).toContain(
      `申报已受理：${sub?.result.subject.organization}+${sub?.result.subject.title}`,
    );
    expect(ack.text).toContain('共 4,200 字');
    expect(ack.text).toContain('800×800 像素');
  });

  it('answers no bounce, out-of-office, list mail or question', async () => {
    const r = await sql<{ n: number }>`
      select count(*) as n from submissions s join replies r on r.submission_id = s.id
      where s.verdict = 'not_submission'`.execute(rig.store.db.k);
    expect(Number(r.rows[0]?.n)).toBe(0);
    for (const file of SILENT) {
      const mail = await parseMail(readFileSync(file));
      const to = replyRecipient(mail);
      if (to) expect(sinkTo(to), file).toHaveLength(0);
    }
  });

  it('sends an update for a resubmission and nothing for a byte-identical duplicate', async () => {
    const docx = readFileSync(path.join(SUBMISSIONS, 'accepted-docx.eml'));
    // The same material sent again as a new message (new Message-ID): a resubmission.
    const resent = Buffer.from(
      docx
        .toString('latin1')
        .replace(/^Message-ID:[^\r\n]*/im, 'Message-ID: <resent-1@donglanbank.com.cn>'),
      'latin1',
    );
    expect(resent.equals(docx)).toBe(false);
    await dovecot.append(resent, new Date('2025-10-12T10:00:00+08:00'));
    // The very same bytes again: a duplicate (a client that sent twice).
    await dovecot.append(
      readFileSync(path.join(SUBMISSIONS, 'accepted-doc.eml')),
      new Date('2025-10-12T10:05:00+08:00'),
    );
    await waitFor(
      'both filed and settled',
      async () => {
        const rows = await replyRows(rig);
        return rows.length === TWENTY.length + 2 && rows.every((x) => x.state !== 'pending');
      },
      60_000,
    );
    const rows = await replyRows(rig);
    const [update] = await submissionOf('<resent-1@donglanbank.com.cn>');
    expect(
      rows.filter((x) => x.submission_id === update?.id).map((x) => [x.kind, x.state]),
    ).toEqual([['update', 'sent']]);
    const dupOf = sent.get('accepted-doc.eml');
    const [, dup] = await submissionOf(dupOf?.messageId ?? '');
    expect(
      rows.filter((x) => x.submission_id === dup?.id).map((x) => [x.state, x.suppressed_reason]),
    ).toEqual([['suppressed', 'duplicate']]);
    expect(sinkTo(dupOf?.recipient ?? '')).toHaveLength(1);
    const updates = sinkTo(sent.get('accepted-docx.eml')?.recipient ?? '');
    expect(updates).toHaveLength(2);
    const text = (await parseMail(updates[1]?.raw ?? Buffer.alloc(0))).text;
    expect(text).toContain('已替代');
    expect(text).toContain('检查结果没有变化');
  });
});
