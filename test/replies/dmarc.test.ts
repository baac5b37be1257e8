// A submission whose sender our mail server could not verify (DMARC fail) is filed for review and
// answered by nobody: replying would send mail to whoever the forger named.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queueDecisionReply } from '../../src/replies/index.js';
import { sql } from '../../src/store/kysely.js';
import { createRig, PROJECT_ROOT, type Rig, waitFor } from '../support/app.js';
import { replyRows } from './rig.js';

describe('DMARC failure', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await createRig('sqlite');
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it("files a perfect submission as needs_review with SENDER_UNVERIFIED and suppresses its reply, an organiser's decision notice too", async () => {
    const accepted = readFileSync(`${PROJECT_ROOT}/fixtures/submissions/accepted-docx.eml`);
    const header =
      'Authentication-Results: mx.contest.example; spf=fail smtp.mailfrom=bank.example; dkim=none; dmarc=fail (p=REJECT) header.from=bank.example\r\n';
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    const intake = await rig.app();
    await intake.ingest({
      raw: Buffer.concat([Buffer.from(header), accepted]),
      source: 'import',
      mailbox: 'import',
      receivedAt: new Date('2025-10-10T10:00:00+08:00'),
      receivedAtSource: 'now',
    });
    await waitFor('the reply decided', async () => (await replyRows(rig)).length === 1);
    const [reply] = await replyRows(rig);
    expect(reply).toMatchObject({
      kind: 'review',
      state: 'suppressed',
      suppressed_reason: 'dmarc-fail',
    });
    const sub = await sql<{
      verdict: string;
      result_json: string;
    }>`select verdict, result_json from submissions`.execute(rig.store.db.k);
    expect(sub.rows[0]?.verdict).toBe('needs_review');
    const failed = JSON.parse(sub.rows[0]?.result_json ?? '{}').findings.filter(
      (f: { passed: boolean }) => !f.passed,
    );
    expect(failed.map((f: { rule: string }) => f.rule)).toEqual(['SENDER_UNVERIFIED']);
    // Accepting it on the dashboard does not send the notice to the forged sender either.
    const decision = await queueDecisionReply(rig.store.db, intake.queues, {
      submissionId: reply?.submission_id ?? 0,
      verdict: 'accepted',
      reason: '',
    });
    expect(decision).toMatchObject({ state: 'suppressed', suppressedReason: 'dmarc-fail' });
  });
});
