import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/store/audit.js';
import { caseKey, getCase, listCases } from '../../src/store/cases.js';
import { getMessage } from '../../src/store/messages.js';
import {
  fileSubmission,
  getSubmission,
  getSubmissionByMessage,
} from '../../src/store/submissions.js';
import {
  checkResult,
  createTestDb,
  DIALECTS,
  fakeSha,
  finding,
  type TestDb,
} from '../support/db.js';
import { arrive, count, input } from './filing-support.js';

describe('store/cases caseKey', () => {
  it('ignores width, case, whitespace, punctuation and zero-width characters', () => {
    expect(caseKey('ＡＢＣ 银行', '《数字金融》——案例')).toBe(caseKey('abc银行', '数字金融案例'));
    expect(caseKey('某某银行\u200b', '案例 1.0')).toBe(caseKey('某某银行', '案例10'));
    expect(caseKey('ab', 'c')).not.toBe(caseKey('a', 'bc'));
    expect(caseKey('甲银行', '案例')).not.toBe(caseKey('乙银行', '案例'));
  });
});

describe.each(DIALECTS)('store/fileSubmission on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb(dialect);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('numbers new cases 2025-0001, 2025-0002 and stores everything in one go', async () => {
    const m1 = await arrive(t.db, '2025-10-10T02:00:00Z');
    const m2 = await arrive(t.db, '2025-10-11T02:00:00Z');
    const r1 = await fileSubmission(t.db, input(m1, checkResult({ organization: '甲银行' })));
    const r2 = await fileSubmission(
      t.db,
      input(
        m2,
        checkResult({
          organization: '乙银行',
          verdict: 'rejected',
          findings: [finding('LOGO_SIZE', false)],
        }),
      ),
    );
    expect(r1).toMatchObject({
      caseNo: '2025-0001',
      created: true,
      duplicateOf: null,
      supersedes: null,
    });
    expect(r2).toMatchObject({ caseNo: '2025-0002', created: true });

    const c2 = await getCase(t.db, r2.caseId as number);
    expect(c2).toMatchObject({
      organization: '乙银行',
      title: '数字普惠金融案例',
      status: 'rejected',
      direction: '数字金融',
      currentSubmissionId: r2.submissionId,
    });
    const s2 = await getSubmissionByMessage(t.db, m2);
    expect(s2).toMatchObject({
      id: r2.submissionId,
      caseId: r2.caseId,
      verdict: 'rejected',
      kind: 'submission',
      messageIdHeader: `<msg-${m2}@example.com>`,
      supersededBy: null,
    });
    expect(s2?.result.findings.map((f) => f.rule)).toEqual(['LOGO_SIZE']);
    expect(await getMessage(t.db, m2)).toMatchObject({
      state: 'processed',
      messageIdHeader: `<msg-${m2}@example.com>`,
    });
    expect(await count(t.db, 'attachments')).toBe(4);
    expect(await count(t.db, 'findings')).toBe(3);
    expect((await listAudit(t.db, 'case', r1.caseId as number)).map((a) => a.action)).toEqual([
      'created',
    ]);
    expect((await listAudit(t.db, 'submission', r1.submissionId)).map((a) => a.action)).toEqual([
      'filed',
    ]);
  });

  it('files a not-submission without a case', async () => {
    const m = await arrive(t.db, '2025-10-10T02:00:00Z');
    const r = await fileSubmission(
      t.db,
      input(
        m,
        checkResult({ verdict: 'not_submission', organization: null, title: null, findings: [] }),
      ),
    );
    expect(r).toMatchObject({ caseId: null, caseNo: null, created: true });
    expect(await count(t.db, 'cases')).toBe(0);
    expect((await getSubmission(t.db, r.submissionId))?.verdict).toBe('not_submission');
    expect((await getMessage(t.db, m))?.state).toBe('processed');
  });

  it('lets a later resubmission of the same case supersede the current one', async () => {
    const m1 = await arrive(t.db, '2025-10-10T02:00:00Z');
    const m2 = await arrive(t.db, '2025-10-12T02:00:00Z');
    const r1 = await fileSubmission(
      t.db,
      input(m1, checkResult({ verdict: 'rejected', findings: [finding('LOGO_SIZE', false)] })),
    );
    const r2 = await fileSubmission(
      t.db,
      input(
        m2,
        checkResult({
          organization: '某某 银行',
          title: '《数字普惠金融案例》',
          direction: '绿色金融',
        }),
      ),
    );

    expect(r2).toMatchObject({
      caseId: r1.caseId,
      caseNo: '2025-0001',
      supersedes: r1.submissionId,
      created: true,
    });
    expect((await getSubmission(t.db, r1.submissionId))?.supersededBy).toBe(r2.submissionId);
    expect(await getCase(t.db, r1.caseId as number)).toMatchObject({
      currentSubmissionId: r2.submissionId,
      status: 'accepted',
      direction: '绿色金融',
    });
    const resub = (await getSubmission(t.db, r2.submissionId))?.result.findings.find(
      (f) => f.rule === 'RESUBMISSION',
    );
    expect(resub).toMatchObject({
      severity: 'info',
      passed: false,
      details: { caseNo: '2025-0001', supersededSubmissionId: r1.submissionId },
    });
    expect((await listAudit(t.db, 'submission', r1.submissionId)).map((a) => a.action)).toEqual([
      'filed',
      'superseded',
    ]);

    const [report] = await listCases(t.db);
    expect(report).toEqual({
      id: r1.caseId,
      caseNo: '2025-0001',
      status: 'accepted',
      organization: '某某 银行',
      title: '《数字普惠金融案例》',
      direction: '绿色金融',
      submissions: [
        {
          messageId: `<msg-${m1}@example.com>`,
          receivedAt: '2025-10-10T02:00:00.000Z',
          verdict: 'rejected',
          failedRules: ['LOGO_SIZE'],
        },
        {
          messageId: `<msg-${m2}@example.com>`,
          receivedAt: '2025-10-12T02:00:00.000Z',
          verdict: 'accepted',
          failedRules: ['RESUBMISSION'],
        },
      ],
    });
  });

  it('puts an older message processed late into the history without making it current', async () => {
    const newer = await arrive(t.db, '2025-10-12T02:00:00Z');
    const older = await arrive(t.db, '2025-10-10T02:00:00Z');
    const rNew = await fileSubmission(t.db, input(newer, checkResult({})));
    const rOld = await fileSubmission(
      t.db,
      input(older, checkResult({ verdict: 'rejected', findings: [finding('LATE', false)] })),
    );

    expect(rOld).toMatchObject({
      caseId: rNew.caseId,
      supersedes: null,
      supersededBy: rNew.submissionId,
      created: true,
    });
    expect(rNew).toMatchObject({ supersededBy: null });
    expect(await getCase(t.db, rNew.caseId as number)).toMatchObject({
      currentSubmissionId: rNew.submissionId,
      status: 'accepted',
    });
    const old = await getSubmission(t.db, rOld.submissionId);
    expect(old?.supersededBy).toBe(rNew.submissionId);
    expect(old?.result.findings.map((f) => f.rule)).toEqual(['LATE']);
    expect((await getSubmission(t.db, rNew.submissionId))?.supersededBy).toBeNull();
  });

  it('records a byte-identical message as a duplicate without touching the case', async () => {
    const sha = fakeSha();
    const m1 = await arrive(t.db, '2025-10-10T02:00:00Z', sha);
    const m2 = await arrive(t.db, '2025-10-11T02:00:00Z', sha);
    const r1 = await fileSubmission(t.db, input(m1, checkResult({})));
    const before = await getCase(t.db, r1.caseId as number);
    const r2 = await fileSubmission(t.db, input(m2, checkResult({})));

    expect(r2).toMatchObject({
      duplicateOf: r1.submissionId,
      caseId: r1.caseId,
      caseNo: '2025-0001',
      supersedes: null,
      created: true,
    });
    expect(await getCase(t.db, r1.caseId as number)).toEqual(before);
    const dup = (await getSubmission(t.db, r2.submissionId))?.result.findings.find(
      (f) => f.rule === 'DUPLICATE',
    );
    expect(dup).toMatchObject({
      severity: 'info',
      passed: false,
      message: '与此前收到的邮件完全相同，未重复处理',
    });
    expect((await getSubmission(t.db, r2.submissionId))?.duplicateOf).toBe(r1.submissionId);
    expect((await getMessage(t.db, m2))?.state).toBe('processed');
  });

  it('records the same message delivered again with other bytes as a duplicate', async () => {
    // Through two aliases of the mailbox: other Received headers, so other bytes.
    const m1 = await arrive(t.db, '2025-10-10T02:00:00Z');
    const m2 = await arrive(t.db, '2025-10-10T02:00:05Z');
    const first = input(m1, checkResult({}));
    const r1 = await fileSubmission(t.db, first);
    const again = { ...input(m2, checkResult({})), messageIdHeader: first.messageIdHeader };
    const r2 = await fileSubmission(t.db, { ...again, attachments: first.attachments });
    expect(r2).toMatchObject({ duplicateOf: r1.submissionId, caseId: r1.caseId, supersedes: null });
    const dup = (await getSubmission(t.db, r2.submissionId))?.result.findings.find(
      (f) => f.rule === 'DUPLICATE',
    );
    expect(dup).toMatchObject({ details: { by: 'message-id' } });

    // The same Message-ID with other files, or from another sender, is no copy.
    const m3 = await arrive(t.db, '2025-10-11T02:00:00Z');
    const r3 = await fileSubmission(t.db, {
      ...input(m3, checkResult({})),
      messageIdHeader: first.messageIdHeader,
    });
    expect(r3).toMatchObject({ duplicateOf: null, supersedes: r1.submissionId });
    const m4 = await arrive(t.db, '2025-10-12T02:00:00Z');
    const r4 = await fileSubmission(t.db, {
      ...again,
      messageRowId: m4,
      attachments: first.attachments,
      fromAddress: 'someone-else@example.com',
    });
    expect(r4).toMatchObject({ duplicateOf: null });
  });

  it('does nothing the second time the same message is filed', async () => {
    const m1 = await arrive(t.db, '2025-10-10T02:00:00Z');
    const m2 = await arrive(t.db, '2025-10-12T02:00:00Z');
    await fileSubmission(t.db, input(m1, checkResult({})));
    const first = await fileSubmission(t.db, input(m2, checkResult({})));
    const tables = ['submissions', 'findings', 'attachments', 'audit_log', 'cases'] as const;
    const counts = await Promise.all(tables.map((x) => count(t.db, x)));

    const again = await fileSubmission(t.db, input(m2, checkResult({ verdict: 'rejected' })));
    expect(again).toEqual({ ...first, created: false });
    expect(await Promise.all(tables.map((x) => count(t.db, x)))).toEqual(counts);
    expect((await getSubmission(t.db, first.submissionId))?.verdict).toBe('accepted');
  });

  it("keeps an organiser's withdrawn status when a resubmission arrives", async () => {
    const m1 = await arrive(t.db, '2025-10-10T02:00:00Z');
    const m2 = await arrive(t.db, '2025-10-12T02:00:00Z');
    const r1 = await fileSubmission(t.db, input(m1, checkResult({})));
    await t.db.k
      .updateTable('cases')
      .set({ status: 'withdrawn' })
      .where('id', '=', r1.caseId as number)
      .execute();
    const r2 = await fileSubmission(t.db, input(m2, checkResult({ verdict: 'rejected' })));
    expect(await getCase(t.db, r1.caseId as number)).toMatchObject({
      status: 'withdrawn',
      currentSubmissionId: r2.submissionId,
    });
  });

  it('refuses a message row that does not exist', async () => {
    await expect(fileSubmission(t.db, input(999_999, checkResult({})))).rejects.toMatchObject({
      code: 'MessageNotFound',
    });
  });
});
