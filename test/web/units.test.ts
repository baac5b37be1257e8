// The small pure parts the dashboard's safety rests on: escaping, download names, return paths,
// sessions, CSV cells, and the keyword direction suggestion.
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { casesToCsv } from '../../src/report/csv.js';
import { matchDeclared, suggestDirection } from '../../src/report/directions.js';
import type { CaseReportRow } from '../../src/report/rows.js';
import { basicUser, checkPassword, newSession, safeNext, sessionUser } from '../../src/web/auth.js';
import { contentDisposition, downloadName } from '../../src/web/routes/files.js';
import { html } from '../../src/web/views/html.js';

const creds = { user: 'admin', password: 's3cret' };

describe('html tag', () => {
  it('escapes every interpolated value, nested arrays included', () => {
    const subject = '<script>alert(1)</script>';
    const out =
      html`<p title="${'"x" onmouseover=\'y\''}">${subject}${[html`<b>${'&'}</b>`, '<i>']}</p>`
        .value;
    expect(out).toBe(
      '<p title="&quot;x&quot; onmouseover=&#39;y&#39;">&lt;script&gt;alert(1)&lt;/script&gt;<b>&amp;</b>&lt;i&gt;</p>',
    );
  });
});

describe('downloads', () => {
  it('turns a path-like file name into a plain name', () => {
    expect(downloadName('../../etc/passwd')).toBe('passwd');
    expect(downloadName('..\\..\\boot.ini')).toBe('boot.ini');
    expect(downloadName('../')).toBe('attachment');
    expect(contentDisposition('attachment', '案例"报告".docx')).toBe(
      `attachment; filename="____.docx"; filename*=UTF-8''${encodeURIComponent('案例报告.docx')}`,
    );
  });

  it('drops the bidi characters that make a name read as another', () => {
    // Shown, `报告\u202Efdp.exe` reads as `报告exe.pdf`.
    expect(downloadName('报告\u202Efdp.exe')).toBe('报告fdp.exe');
    expect(downloadName('\u2067logo\u2069\u200f\u061c.jpg')).toBe('logo.jpg');
  });
});

describe('auth', () => {
  it('keeps only local return paths after login', () => {
    expect(safeNext('/cases/3?x=1')).toBe('/cases/3?x=1');
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r\n',
      '/x\\..\\\\evil.example',
      'https://evil.example',
      '',
      undefined,
      ['/'],
    ]) {
      expect(safeNext(bad)).toBe('/');
    }
  });

  it('accepts a session until it expires, with its own token, under the credentials it began with', () => {
    const now = Date.parse('2025-10-01T00:00:00Z');
    const { token, session } = newSession(creds, now);
    expect(session.tokenHash).not.toContain(token);
    expect(sessionUser(creds, token, session, now + 1000)).toBe('admin');
    expect(sessionUser(creds, token, session, now + 13 * 3600_000)).toBeNull();
    expect(sessionUser(creds, token, undefined, now)).toBeNull();
    expect(sessionUser(creds, newSession(creds, now).token, session, now)).toBeNull();
    expect(sessionUser({ ...creds, password: 'changed' }, token, session, now)).toBeNull();
    expect(sessionUser({ ...creds, user: 'someone' }, token, session, now)).toBeNull();
  });

  it('checks passwords and Basic headers', () => {
    expect(checkPassword(creds, 'admin', 's3cret')).toBe(true);
    expect(checkPassword(creds, 'admin', 's3cre')).toBe(false);
    expect(basicUser(creds, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`)).toBe(
      'admin',
    );
    expect(basicUser(creds, `Basic ${Buffer.from('admin:nope').toString('base64')}`)).toBeNull();
    expect(basicUser(creds, 'Bearer x')).toBeNull();
  });
});

describe('CSV', () => {
  it('neutralises spreadsheet formulas and quotes separators', () => {
    const row = {
      caseNo: '2025-0001',
      organization: '=HYPERLINK("http://x")',
      title: 'a,b',
    } as CaseReportRow;
    const csv = casesToCsv([row]);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain('"a,b"');
  });
});

describe('directions', () => {
  const profile = loadContest();
  it('suggests the sub-direction whose keywords the text uses most', () => {
    expect(suggestDirection(profile, '基于大模型的小微企业信用评估平台，服务小微企业')).toEqual({
      direction: '风险管理智能化',
      subDirection: '信用评估创新',
      keywords: ['小微企业', '信用评估'],
    });
    expect(suggestDirection(profile, '碳足迹核算与碳金融产品')?.subDirection).toBe('碳金融创新');
    expect(suggestDirection(profile, '无关的文字')).toBeNull();
  });

  it('recognises a declared direction written with extra spaces', () => {
    expect(matchDeclared(profile, '绿色金融与科技融合 ')).toBe('绿色金融与科技融合');
    expect(matchDeclared(profile, '别的方向')).toBeNull();
  });
});
