// The overview's list of replies in trouble: those being retried and those that ended badly.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getOverview } from '../../src/store/overview.js';
import { createReply, markReplyFailed, recordReplyError } from '../../src/store/replies.js';
import { fileSubmission } from '../../src/store/submissions.js';
import { checkResult, createTestDb, DIALECTS, type TestDb } from '../support/db.js';
import { arrive, input } from './filing-support.js';

describe.each(DIALECTS)('store/getOverview on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb(dialect);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('keeps a failed reply in view while an outage has many more being retried', async () => {
    const m = await arrive(t.db, '2025-10-10T02:00:00Z');
    const { submissionId } = await fileSubmission(t.db, input(m, checkResult({})));
    const reply = (kind: string) =>
      createReply(t.db, submissionId, { kind, recipient: 'a@example.cn', suppressedReason: null });
    const failed = await reply('ack');
    await markReplyFailed(t.db, failed.id, 'SMTP550 user unknown');
    for (let i = 0; i < 60; i++) {
      const r = await reply(`decision-accepted-${i + 2}`);
      await recordReplyError(t.db, r.id, 'SMTP535 authentication failed');
    }
    const listed = (await getOverview(t.db)).troubledReplies;
    expect(listed.filter((r) => r.state === 'pending')).toHaveLength(50);
    expect(listed.find((r) => r.id === failed.id)).toMatchObject({
      state: 'failed',
      reason: 'SMTP550 user unknown',
    });
  });
});
