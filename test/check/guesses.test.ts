// DESIGN.md §2: never reject on a guess. Each case is an accepted fixture with one change that
// left the service guessing which file is the form, the report or the logo — and rejecting on
// that guess, until a review of the rules found them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { validateMessage } from '../../src/validate.js';
import { PROJECT_ROOT } from '../support/app.js';
import { makeMessage } from '../support/mail.js';

const profile = loadContest();
const received = new Date('2025-10-18T10:00:00+08:00');
type Attachment = { filename: string; content: Buffer };
/** The fixture's report, a real .docx that holds no form. */
const readReport = (files: Attachment[]) =>
  files.find((f) => f.filename.includes('案例报告'))?.content ?? Buffer.alloc(0);

/** The fixture's attachments through `change`, sent again under its subject. */
async function variant(fixture: string, change: (files: Attachment[]) => Attachment[]) {
  const source = readFileSync(path.join(PROJECT_ROOT, 'fixtures/submissions', fixture));
  const mail = await simpleParser(source);
  const files = mail.attachments.map((a) => ({ filename: a.filename ?? '', content: a.content }));
  const raw = await makeMessage({ subject: mail.subject, attachments: change(files) });
  const { result } = await validateMessage(raw, received, profile);
  const failed = (rule: string) => result.findings.find((f) => f.rule === rule && !f.passed);
  return { verdict: result.verdict, failed };
}

describe('a guess is reviewed, not rejected', () => {
  it('the fixture itself is accepted', async () => {
    expect((await variant('accepted-docx.eml', (f) => f)).verdict).toBe('accepted');
    expect((await variant('accepted-doc.eml', (f) => f)).verdict).toBe('accepted');
  });

  it('a form saved as a web page named .doc (Word and WPS open it) is not "no form"', async () => {
    const page = Buffer.from(
      '<html><head><meta charset="utf-8"></head><body><table><tr><td>案例名称</td>' +
        '<td>基于大模型的小微企业信用评估平台</td></tr></table></body></html>',
    );
    const r = await variant('accepted-docx.eml', (files) =>
      files.map((f) =>
        f.filename.includes('申报表') ? { filename: '申报表.doc', content: page } : f,
      ),
    );
    expect(r.failed('FORM_MISSING')).toMatchObject({ severity: 'review' });
    expect(r.verdict).toBe('needs_review');
  });

  it('a Word file that was read, and holds no form, does not make a missing form a guess', async () => {
    const r = await variant('accepted-docx.eml', (files) =>
      files.map((f) =>
        f.filename.includes('申报表')
          ? { filename: '单位简介.docx', content: readReport(files) }
          : f,
      ),
    );
    expect(r.failed('FORM_MISSING')).toMatchObject({ severity: 'error' });
  });

  it('an audit report beside a form that holds the case report does not reject its length', async () => {
    const pdf = readFileSync(path.join(PROJECT_ROOT, 'fixtures/documents/form-text.pdf'));
    const r = await variant('accepted-doc.eml', (files) => [
      ...files,
      { filename: '年度审计报告.pdf', content: pdf },
    ]);
    expect(r.failed('REPORT_LENGTH')).toMatchObject({
      severity: 'review',
      message: expect.stringContaining('申报表中的案例报告部分字数符合要求'),
    });
    expect(r.verdict).toBe('needs_review');
  });

  it('a logo no reader recognises is not called the wrong format', async () => {
    const r = await variant('accepted-docx.eml', (files) =>
      files.map((f) => {
        if (f.filename !== '商标.jpg') return f;
        const content = Buffer.from(f.content);
        content.fill(0, 0, 64);
        return { ...f, content };
      }),
    );
    expect(r.failed('LOGO_FORMAT')).toMatchObject({ severity: 'review' });
    expect(r.verdict).toBe('needs_review');
  });
});
