// Shared set-up for the reply integration tests: the service (createApp) on a private Redis and
// SQLite/PostgreSQL, an SMTP sink or the outbox folder, and helpers to feed and inspect it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '../../src/app.js';
import type { Dialect } from '../../src/store/db.js';
import { sql } from '../../src/store/kysely.js';
import { createRig, type Rig } from '../support/app.js';
import { makeMessage } from '../support/mail.js';
import { type SmtpSink, smtpVars, startSmtpSink } from '../support/smtp-sink.js';

export const REPLY_FROM = '案例征集组委会 <cases@contest.example.org>';

export interface ReplyRow {
  id: number;
  submission_id: number;
  kind: string;
  state: string;
  recipient: string | null;
  message_id: string | null;
  attempts: number;
  last_error: string | null;
  suppressed_reason: string | null;
}

export async function replyRows(rig: Rig): Promise<ReplyRow[]> {
  const r = await sql<ReplyRow>`select * from replies order by id`.execute(rig.store.db.k);
  return r.rows.map((x) => ({
    ...x,
    id: Number(x.id),
    attempts: Number(x.attempts),
    submission_id: Number(x.submission_id),
  }));
}

export async function smtpRig(dialect: Dialect): Promise<{ rig: Rig; sink: SmtpSink }> {
  const sink = await startSmtpSink();
  const rig = await createRig(dialect, {
    ...smtpVars(sink),
    REPLY_FROM,
  });
  return { rig, sink };
}

/** Ingests `n` generated submissions (a '+' subject, no files: each is rejected). */
export async function ingestSubmissions(
  intake: App,
  n: number,
  from: (i: number) => string = (i) => `联系人${i} <applicant${i}@example.cn>`,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    await intake.ingest({
      raw: await makeMessage({ from: from(i), subject: `测试单位${i}有限公司+测试案例${i}` }),
      source: 'import',
      mailbox: 'import',
      // Before the deadline, so each gets a plain rejection (not a late notice).
      receivedAt: new Date('2025-10-10T10:00:00+08:00'),
      receivedAtSource: 'now',
    });
  }
}

export { sleep };
