// Which file is the form, report, logo and scan — on real documents: the fixture form and images,
// and a report written by LibreOffice.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logoMissing } from '../../src/rules/logo-missing.js';
import { scanMissing } from '../../src/rules/scan-missing.js';
import { assemble } from '../../src/submission/assemble.js';
import type { DocumentRead, Role } from '../../src/types.js';
import {
  chars,
  magick,
  mail,
  profile,
  read,
  tempDir,
  wordDoc,
  wordFromHtml,
} from '../rules/support.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/documents/${name}`, import.meta.url));
const tmp = tempDir();
let reportDocx: Buffer;

beforeAll(() => {
  const paragraphs = [
    '一、创新背景与目标',
    chars(1200),
    '二、技术方案架构',
    chars(1200),
    '三、量化成效分析',
    chars(1100),
  ];
  reportDocx = wordFromHtml(tmp.dir, 'report.docx', paragraphs.map((p) => `<p>${p}</p>`).join(''));
});
afterAll(() => tmp.cleanup());

async function roles(
  files: [string, Buffer][],
): Promise<{ byName: Record<string, Role>; docs: DocumentRead[] }> {
  const docs = await Promise.all(files.map(([name, content]) => read(name, content)));
  const s = await assemble(mail(), 'submission', docs, new Date(), profile);
  return {
    byName: Object.fromEntries(docs.map((d) => [d.entry.filename, s.roles.get(d) ?? 'other'])),
    docs,
  };
}

describe('assemble', () => {
  it('finds every part of a well-named submission', async () => {
    const { byName } = await roles([
      ['2025金融新质生产力优秀案例申报表.docx', fixture('form.docx')],
      ['案例报告.docx', reportDocx],
      ['商标.jpg', fixture('logo.jpg')],
      ['盖章扫描件.jpg', fixture('seal-scan.jpg')],
      ['系统截图.png', fixture('png-named.jpg')],
    ]);
    expect(byName).toEqual({
      '2025金融新质生产力优秀案例申报表.docx': 'form',
      '案例报告.docx': 'report',
      '商标.jpg': 'logo',
      '盖章扫描件.jpg': 'scan',
      '系统截图.png': 'evidence',
    });
  });

  it('takes the logo over a trademark certificate whose name says 商标 too', async () => {
    const { byName } = await roles([
      ['商标注册证书.jpg', fixture('seal-scan.jpg')],
      ['公司商标.jpg', fixture('logo.jpg')],
    ]);
    expect(byName['公司商标.jpg']).toBe('logo');
    expect(byName['商标注册证书.jpg']).not.toBe('logo');
  });

  it('takes no certificate for the logo: 商标注册证 is evidence, whatever the order', async () => {
    const { byName } = await roles([
      ['商标注册证.jpg', fixture('seal-scan.jpg')],
      ['公司商标.jpg', fixture('logo.jpg')],
    ]);
    expect(byName).toEqual({ '商标注册证.jpg': 'evidence', '公司商标.jpg': 'logo' });
  });

  it('takes no certificate for the stamped scan: a sealed or scanned one is asked about', async () => {
    for (const [name, file] of [
      ['软著证书.jpg', 'seal-scan.jpg'],
      ['专利证书.pdf', 'scan-seal.pdf'],
    ] as const) {
      const docs = await Promise.all(
        [
          ['申报表.docx', fixture('form.docx')],
          ['商标.jpg', fixture('logo.jpg')],
          [name, fixture(file)],
        ].map(([n, c]) => read(n as string, c as Buffer)),
      );
      const s = await assemble(mail(), 'submission', docs, new Date(), profile);
      expect(s.scan).toBeNull();
      expect(scanMissing.check(s, profile)).toMatchObject({
        passed: false,
        severity: 'review',
        message: expect.stringContaining(`「${name}」可能即是`),
      });
    }
  });

  it('decides by content when names say nothing: form labels, long text, red seal', async () => {
    const docs = await Promise.all(
      [
        ['附件1.docx', fixture('form.docx')],
        ['附件2.docx', reportDocx],
        ['image001.jpg', fixture('logo.jpg')],
        ['image002.jpg', fixture('seal-scan.jpg')],
      ].map(([n, c]) => read(n as string, c as Buffer)),
    );
    const s = await assemble(mail(), 'submission', docs, new Date(), profile);
    expect([
      s.form?.doc.entry.filename,
      s.report?.doc.entry.filename,
      s.logo?.entry.filename,
      s.scan?.entry.filename,
    ]).toEqual(['附件1.docx', '附件2.docx', 'image001.jpg', 'image002.jpg']);
    expect(s.form?.fields).toMatchObject({
      caseName: '基于大模型的智能风控平台',
      contactName: '张三',
    });
    expect(s.report?.count.total).toBe(3500 + 9 + 8 + 8); // body + the three headings
    expect(s.scan?.image?.redSeal).toBe(true);
  });

  it('leaves "no logo" and "no scan" to a person when unnamed pictures could be either', async () => {
    // A square logo and a 16:9 screenshot, neither named nor red: which is the logo is a guess.
    const screenshot = magick(tmp.dir, 'shot.png', ['-size', '1600x900', 'gradient:gray-white']);
    const logo = magick(tmp.dir, 'navy.jpg', ['-size', '800x800', 'gradient:navy-white']);
    const docs = await Promise.all(
      [
        ['附件1.docx', fixture('form.docx')],
        ['1.jpg', logo],
        ['2.png', screenshot],
      ].map(([n, c]) => read(n as string, c as Buffer)),
    );
    const s = await assemble(mail(), 'submission', docs, new Date(), profile);
    expect([s.logo, s.scan]).toEqual([null, null]);
    expect(logoMissing.check(s, profile)).toMatchObject({
      passed: false,
      severity: 'review',
      message: expect.stringContaining('「1.jpg」可能即是'),
    });
    expect(scanMissing.check(s, profile)).toMatchObject({ passed: false, severity: 'review' });
    // Named as something else, the pictures leave no doubt: the logo is missing.
    const named = await Promise.all(
      [
        ['附件1.docx', fixture('form.docx')],
        ['系统截图.png', screenshot],
      ].map(([n, c]) => read(n as string, c as Buffer)),
    );
    const t = await assemble(mail(), 'submission', named, new Date(), profile);
    expect(logoMissing.check(t, profile)).toMatchObject({ passed: false, severity: 'error' });
  });

  it('has no form when the form came only as a PDF', async () => {
    const { byName } = await roles([
      ['申报表.pdf', fixture('form-text.pdf')],
      ['商标.jpg', fixture('logo.jpg')],
    ]);
    expect(byName['申报表.pdf']).not.toBe('form');
  });

  it('takes the report section of the form when no report is attached', async () => {
    const form = wordDoc('申报表.docx', {
      tables: [
        [
          [
            { text: '案例名称', choices: [] },
            { text: 'AI 投研', choices: [] },
          ],
          [
            { text: '联系人', choices: [] },
            { text: '王五', choices: [] },
          ],
        ],
      ],
      paragraphs: ['三、案例报告（3000-5000字）', chars(1500), chars(1600)],
    });
    const s = await assemble(mail(), 'submission', [form], new Date(), profile);
    expect(s.form?.doc).toBe(form);
    expect(s.report).toMatchObject({ source: 'form', doc: form, count: { total: 3100 } });
  });

  it('takes the cell beside a report label in the form', async () => {
    const form = wordDoc('申报表.docx', {
      tables: [
        [
          [
            { text: '联系人', choices: [] },
            { text: '王五', choices: [] },
          ],
          [
            { text: '联系电话', choices: [] },
            { text: '1', choices: [] },
          ],
          [
            { text: '案例介绍', choices: [] },
            { text: chars(3200), choices: [] },
          ],
        ],
      ],
    });
    const s = await assemble(mail(), 'submission', [form], new Date(), profile);
    expect(s.report).toMatchObject({ source: 'form', count: { total: 3200 } });
  });
});
