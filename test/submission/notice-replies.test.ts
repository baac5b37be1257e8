// Applicants answer our notices: "收到，谢谢" to an acknowledgement, corrected files to a
// rejection, an out-of-office with its signature's picture. Each reply carries our subject,
// `【2025-0007】申报已受理：org+title`, so each used to look like a new submission of a case
// named `【2025-0007】申报已受理:org`, and the first two got a rejection.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { loadTemplates } from '../../src/replies/templates.js';
import { parseSubject } from '../../src/submission/subject.js';
import { validateMessage } from '../../src/validate.js';
import { PROJECT_ROOT } from '../support/app.js';
import { makeMessage } from '../support/mail.js';

const profile = loadContest();
const received = new Date('2025-10-18T10:00:00+08:00');
const templates = loadTemplates();
const values = { caseNo: '2025-0007', organization: '某某银行', title: '智能风控案例' };
const ack = templates.render('ack', values).subject;
const rejection = templates.render('rejection', values).subject;
const picture = readFileSync(path.join(PROJECT_ROOT, 'fixtures/documents/logo.jpg'));

async function check(subject: string, attachments: { filename: string; content: Buffer }[] = []) {
  const raw = await makeMessage({ subject, attachments });
  return (await validateMessage(raw, received, profile)).result;
}

describe('replies to our own notices', () => {
  it('reads a notice subject, answered, as the case it names', () => {
    for (const subject of [`Re: ${ack}`, `回复：${rejection}`, `答复: RE: ${ack}`]) {
      expect(parseSubject(subject, profile)).toMatchObject({
        organization: '某某银行',
        title: '智能风控案例',
        answersCase: '2025-0007',
      });
    }
    expect(parseSubject('某某银行+智能风控案例', profile).answersCase).toBeNull();
    // Another campaign's number, or a bracket of the applicant's own, is the subject's text.
    expect(parseSubject('Re: 【2024-0007】申报已受理：某某银行+案例', profile)).toMatchObject({
      organization: '【2024-0007】申报已受理:某某银行',
      answersCase: null,
    });
  });

  it('takes "收到，谢谢" to an acknowledgement for a message, not a submission to reject', async () => {
    const result = await check(`Re: ${ack}`);
    expect(result.kind).toBe('inquiry');
    expect(result.verdict).toBe('not_submission');
    expect(result.findings).toEqual([]);
  });

  it('files corrected files sent in answer to a rejection under the same organisation and title', async () => {
    const result = await check(`回复：${rejection}`, [{ filename: '商标.jpg', content: picture }]);
    expect(result.kind).toBe('submission');
    expect(result.subject).toMatchObject({ organization: '某某银行', title: '智能风控案例' });
    expect(result.findings.find((f) => f.rule === 'SUBJECT_FORMAT')?.passed).toBe(true);
  });

  it("reads corrected files as files, whatever the case's title says (自动应答)", async () => {
    const values = { caseNo: '2025-0008', organization: '某某银行', title: '智能客服自动应答平台' };
    const subject = `Re: ${templates.render('rejection', values).subject}`;
    const result = await check(subject, [{ filename: '商标.jpg', content: picture }]);
    expect(result.kind).toBe('submission');
    expect(result.subject.title).toBe('智能客服自动应答平台');
  });

  it('knows an out-of-office answering a notice, its signature picture and all', async () => {
    const signature = [{ filename: 'image001.jpg', content: picture }];
    expect((await check(`自动回复：${ack}`, signature)).kind).toBe('auto_reply');
    // Our own gateway's tag in front is not our notice's tag: the words before ours still count.
    expect((await check(`【外部邮件】自动回复：${ack}`, signature)).kind).toBe('auto_reply');
    // Without our notice's subject, a picture still makes it a submission, as before.
    expect((await check('自动回复：某某银行+智能风控案例', signature)).kind).toBe('submission');
  });

  it("does not tell the applicant of a gateway's tag as of a reply prefix they typed", async () => {
    const tagged = await check('[外部邮件]某某银行+智能风控案例', [
      { filename: '商标.jpg', content: picture },
    ]);
    expect(tagged.subject.organization).toBe('某某银行');
    expect(tagged.warnings.join()).not.toContain('外部邮件');
    const replied = await check('回复：某某银行+智能风控案例', [
      { filename: '商标.jpg', content: picture },
    ]);
    expect(replied.warnings.join()).toContain('回复/转发前缀「回复:」');
  });

  it('still rejects a first submission that forgot its attachments', async () => {
    const result = await check('某某银行+智能风控案例');
    expect(result.kind).toBe('submission');
    expect(result.verdict).toBe('rejected');
  });
});
