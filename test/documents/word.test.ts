import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { hugeXmlDocx } from '../../scripts/hostile/cases.js';
import { readZipParts } from '../../scripts/hostile/read-zip.js';
import { makeZip, repeated } from '../../scripts/hostile/zip.js';
import { countChars } from '../../src/documents/count.js';
import { readDoc, splitBody } from '../../src/documents/doc.js';
import { readDocx } from '../../src/documents/docx.js';
import { readDocuments } from '../../src/documents/index.js';
import { DocumentError } from '../../src/documents/problems.js';
import { parseChoices } from '../../src/documents/word-content.js';
import {
  closeDocumentsWorker,
  ReadingTimeSpent,
  runTask,
  useDocumentsWorkerEntry,
} from '../../src/documents/worker.js';
import { reportLength } from '../../src/rules/report-length.js';
import { reportFromForm } from '../../src/submission/report-section.js';
import type { DocumentRead, WordContent } from '../../src/types.js';
import { submission, tempDir, wordFromHtml } from '../rules/support.js';
import { corpusDir, corpusFound } from '../support/corpus.js';
import { fixture, profile } from './helpers.js';

afterAll(closeDocumentsWorker);

function expectForm(w: WordContent) {
  const rows = w.tables[0]?.map((r) => r.map((c) => c.text)) ?? [];
  expect(rows[0]).toEqual(['案例名称', '基于大模型的智能风控平台']);
  expect(rows[3]).toEqual(['联系电话', '13800138000']);
  expect(w.tables[0]?.[4]?.[1]?.choices).toEqual([
    { label: '持牌金融机构', checked: true },
    { label: '金融科技公司', checked: false },
    { label: '学术研究机构', checked: false },
  ]);
  // The w14:checkbox content controls (is / is not a first submission).
  expect(w.tables[0]?.[5]?.[1]?.choices).toEqual([
    { label: '是', checked: true },
    { label: '否', checked: false },
  ]);
  expect(w.paragraphs).toContain('本案例介绍“智能风控”的背景与目标。');
  expect(w.text).toContain('示例银行股份有限公司');
  expect(w.text).toContain('“智能风控”');
  expect(w.text).not.toContain('页眉');
}

describe('the report written into the form', () => {
  // The fixture form with its report section rewritten.
  const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const p = (text: string) => `<w:p><w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
  const cell = (text: string) => `<w:tc>${p(text)}</w:tc>`;
  const row = (...cells: string[]) => `<w:tr>${cells.map(cell).join('')}</w:tr>`;
  const table = (rows: string[]) => `<w:tbl>${rows.join('')}</w:tbl>`;
  async function formWith(...body: string[]): Promise<DocumentRead> {
    const docx = await makeZip(
      readZipParts(fixture('form.docx')).map((part) =>
        part.name === 'word/document.xml'
          ? {
              name: part.name,
              data: Buffer.from(
                `<w:document ${W}><w:body>${p('案例申报表')}${p('二、案例报告')}${body.join('')}</w:body></w:document>`,
              ),
            }
          : part,
      ),
    );
    const word = await readDocx(docx, profile.limits);
    return { entry: { filename: '申报表.docx' }, detectedType: 'docx', word } as DocumentRead;
  }

  it("counts the tables in its section, as Word's 字数统计 does", async () => {
    const metrics = Array.from({ length: 16 }, (_, i) =>
      row(
        `指标${'甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳'[i]}`,
        '不良率下降百分之三十',
        '审批时效缩短一半',
      ),
    );
    const form = await formWith(
      p('智'.repeat(2600)),
      table([row('指标', '成效', '说明'), ...metrics]),
      p('能'.repeat(100)),
    );
    const report = reportFromForm(form, profile);
    // 2,600 + the table's header (6) and 16 rows of 3 + 10 + 8 + 100: over 3,000, as in Word.
    expect(report?.count.total).toBe(2600 + 6 + 16 * 21 + 100);
    expect(report?.inTables).toBe(6 + 16 * 21);
  });

  it('reviews, not rejects, a report over the limit by no more than a signature table after it', async () => {
    const pledge = Array.from({ length: 40 }, () =>
      row('本单位承诺所报材料真实', '负责人签字盖章'),
    );
    const form = await formWith(p('智'.repeat(4950)), p('三、承诺'), table(pledge));
    const s = submission({});
    const report = reportFromForm(form, profile);
    expect(report?.count.total).toBeGreaterThan(5000 + 600);
    const finding = reportLength.check(
      { ...s, documents: [form], form: { doc: form, fields: {}, labelsFound: 0 }, report },
      profile,
    );
    expect(finding).toMatchObject({ passed: false, severity: 'review' });
  });
});

describe('text boxes', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("count in a .doc as in a .docx (Word's 字数统计 counts them)", async () => {
    const html =
      '<p>正文第一段落</p><div style="position:absolute; left:100px; top:200px; width:300px; border:1px solid #000">文本框里的十二个字文本框</div><p>正文第二段落</p>';
    const docx = await readDocx(wordFromHtml(tmp.dir, 'boxed.docx', html), profile.limits);
    const doc = await readDoc(wordFromHtml(tmp.dir, 'boxed.doc', html), profile.limits);
    expect(docx.text).toContain('文本框里的十二个字文本框');
    expect(doc.text).toContain('文本框里的十二个字文本框');
    expect(countChars(doc.text).total).toBe(countChars(docx.text).total);
  });
});

describe('readDocx', () => {
  it('reads paragraphs, the label/value table, ☑/□ choices and checkbox controls, not the header', async () => {
    const w = await readDocx(fixture('form.docx'), profile.limits);
    expectForm(w);
    expect(w.headings).toEqual(['案例申报表']);
  });

  it('reports an OLE file under a .docx name as encrypted', async () => {
    await expect(readDocx(fixture('form.doc'), profile.limits)).rejects.toSatisfy(
      (e) => e instanceof DocumentError && e.problem.kind === 'encrypted',
    );
  });
});

describe('Word files in the documents worker', () => {
  const PARA = Buffer.from('<w:p><w:r><w:t>案例报告正文</w:t></w:r></w:p>');
  // 12 MB of paragraphs (without a root element, as a hostile file might have): under the 16 MB
  // a part may inflate to, yet minutes of mammoth's (xmldom's) time and a DOM of hundreds of MB.
  const heavyDocx = () =>
    makeZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'word/document.xml', data: () => repeated(PARA, 12 * 1024 * 1024) },
    ]);

  it('refuses a package whose XML parts together inflate past 64 MB, each under the 16 MB cap', async () => {
    // Each part is inflated to be measured: 3,000 parts of 15 MB would be 45 GB of inflating.
    const many = await makeZip([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      ...[1, 2, 3, 4, 5].map((i) => ({
        name: `word/part${i}.xml`,
        data: () => repeated(PARA, 15 * 1024 * 1024),
      })),
    ]);
    await expect(readDocx(many, profile.limits)).rejects.toSatisfy(
      (e) =>
        e instanceof DocumentError &&
        e.problem.kind === 'too_large' &&
        e.problem.message.includes('各部件合计解压后超过 64 MB'),
    );
  });

  it('stops a file past the timeout, says so in Word terms, and reads the next one', async () => {
    const limits = { ...profile.limits, documentTimeoutMs: 20 };
    await expect(readDocx(await heavyDocx(), limits)).rejects.toSatisfy(
      (e) =>
        e instanceof DocumentError &&
        e.problem.kind === 'unreadable' &&
        e.problem.message.startsWith('Word 文档读取超过 0 秒仍未完成，已停止'),
    );
    expectForm(await readDocx(fixture('form.docx'), profile.limits));
  });

  it("stops reading a message's files once they have taken six timeouts together", async () => {
    // Twelve files that each run to the timeout: without a bound for the message, twelve
    // timeouts; with it, what is left after six is not read, and says so.
    const timeoutMs = 200;
    const slow = { ...profile, limits: { ...profile.limits, documentTimeoutMs: timeoutMs } };
    const heavy = await hugeXmlDocx(12); // a real form whose document.xml is 12 MiB
    const attachments = Array.from({ length: 12 }, (_, i) => ({
      filename: `材料${i}.docx`,
      contentType: 'application/octet-stream',
      content: Buffer.from(heavy),
    }));
    const reads = await readDocuments(attachments, slow);
    const unread = reads.filter((r) => r.problems.some((p) => p.message.includes('总时限')));
    // Each file read takes at least its timeout, so the seventh starts after the six allowed.
    expect(unread.length).toBeGreaterThanOrEqual(6);
    expect(reads[0]?.problems[0]?.message).toContain('仍未完成，已停止');
    expect(reads.at(-1)?.problems[0]).toMatchObject({
      kind: 'unreadable',
      message: expect.stringContaining('总时限'),
    });
  });

  it("does not count the time a message's files wait behind another message's", async () => {
    // A timeout the heavy file always runs into, and a form, read in tens of milliseconds, does
    // not even on a machine busy with the rest of the suite.
    const slow = { ...profile, limits: { ...profile.limits, documentTimeoutMs: 1_000 } };
    const heavy = await hugeXmlDocx(12);
    const file = (name: string, content: Buffer) => ({
      filename: name,
      contentType: 'application/octet-stream',
      content: Buffer.from(content),
    });
    const hostile = readDocuments(
      Array.from({ length: 10 }, (_, i) => file(`材料${i}.docx`, heavy)),
      slow,
    );
    // The one documents worker reads one message's files before the other's, but a message that
    // has run a timeout goes to the back of the line after each file: these eight wait out one
    // or two of the other's files, and are read all the same.
    const form = fixture('form.docx');
    const innocent = await readDocuments(
      Array.from({ length: 8 }, (_, i) => file(`申报表${i}.docx`, form)),
      slow,
    );
    expect(innocent).toHaveLength(8);
    for (const r of innocent) expect(r.problems).toEqual([]);
    expect((await hostile).some((r) => r.problems[0]?.message.includes('总时限'))).toBe(true);
  });

  it('reads the files of the message that asked first before those of a message that asked later', async () => {
    const form = fixture('form.docx');
    const first = { ms: 0 };
    const later = { ms: 0 };
    const served: string[] = [];
    const read = (name: string, clock: { ms: number }) =>
      readDocx(form, profile.limits, false, clock).then((w) => {
        served.push(name);
        return w;
      });
    // The first message's second file comes after the later message's first: served in turn,
    // the later message would come between the two.
    const reads = [read('first 1', first), read('later 1', later), read('first 2', first)];
    for (const w of await Promise.all(reads)) expectForm(w);
    expect(served).toEqual(['first 1', 'first 2', 'later 1']);
    expect(first.ms).toBeGreaterThan(0);
  });

  it('sends a message to the back of the line once its files have run a timeout', async () => {
    const slow = { ...profile.limits, documentTimeoutMs: 1_000 };
    const heavy = await hugeXmlDocx(12);
    const form = fixture('form.docx');
    const [hostile, innocent] = [{ ms: 0 }, { ms: 0 }];
    const served: string[] = [];
    const read = (name: string, file: Buffer, clock: { ms: number }) =>
      readDocx(Buffer.from(file), slow, false, clock).finally(() => served.push(name));
    const reads = [
      read('heavy 1', heavy, hostile),
      read('heavy 2', heavy, hostile),
      read('form', form, innocent),
    ];
    const [first, second, third] = await Promise.allSettled(reads);
    expect(first?.status).toBe('rejected');
    expect(second?.status).toBe('rejected');
    expect(third?.status).toBe('fulfilled');
    // Without the rule the form would wait out the second heavy file too.
    expect(served).toEqual(['heavy 1', 'form', 'heavy 2']);
    expect(hostile.ms).toBeGreaterThanOrEqual(2_000);
  });

  it("refuses what is left of a message past its reading time at once, not behind others' files", async () => {
    // Asked of the worker directly, so that the order of asking is the order in line.
    const limits = { timeoutMs: 1_000, maxMemoryMb: profile.limits.pdf.maxMemoryMb };
    const heavy = await hugeXmlDocx(12);
    const hostile = { ms: 0, allowedMs: 1_000 };
    const innocent = { ms: 0 };
    const served: string[] = [];
    const read = (name: string, file: Buffer, clock: { ms: number }) =>
      runTask({ kind: 'docx', data: new Uint8Array(file).buffer }, { ...limits, clock }).finally(
        () => served.push(name),
      );
    const reads = [
      read('heavy 1', heavy, hostile),
      read('heavy 2', heavy, hostile),
      read('heavy 3', heavy, hostile),
      read('slow', heavy, innocent),
      read('form', fixture('form.docx'), innocent),
    ];
    const settled = await Promise.allSettled(reads);
    for (const i of [1, 2]) {
      expect(settled[i]).toMatchObject({
        status: 'rejected',
        reason: expect.any(ReadingTimeSpent),
      });
    }
    expect(settled[4]?.status).toBe('fulfilled');
    // Sent to the back after its first file, the hostile message's refusals would each wait out
    // one of the innocent message's files: heavy 1, slow, heavy 2, form, heavy 3.
    expect(served).toEqual(['heavy 1', 'heavy 2', 'heavy 3', 'slow', 'form']);
  });

  it('turns running out of its memory cap into too_large, and reads the next one', async () => {
    // A cap the worker starts and reads a form under, but the heavy file cannot stay under.
    const limits = { ...profile.limits, pdf: { ...profile.limits.pdf, maxMemoryMb: 32 } };
    await expect(readDocx(await heavyDocx(), limits)).rejects.toSatisfy(
      (e) =>
        e instanceof DocumentError &&
        e.problem.kind === 'too_large' &&
        e.problem.message.includes('超出内存上限（32 MB）'),
    );
    expectForm(await readDocx(fixture('form.docx'), limits));
  });

  it('tells a reader that failed outside its task from one out of memory, and reads the next', async () => {
    useDocumentsWorkerEntry(new URL('./fault-documents-worker.mjs', import.meta.url));
    try {
      await expect(readDocx(fixture('form.docx'), profile.limits)).rejects.toSatisfy(
        (e) =>
          e instanceof DocumentError &&
          e.problem.kind === 'unreadable' &&
          e.problem.message === 'Word 读取程序读取此文件时出错，未能读取，需人工查看',
      );
    } finally {
      useDocumentsWorkerEntry();
    }
    expectForm(await readDocx(fixture('form.docx'), profile.limits));
  });
});

describe('readDoc', () => {
  it('reports a .doc saved with an open password as password-protected, not damaged', async () => {
    await expect(readDoc(fixture('encrypted.doc'), profile.limits)).rejects.toSatisfy(
      (e) =>
        e instanceof DocumentError &&
        e.problem.kind === 'encrypted' &&
        e.problem.message.includes('密码'),
    );
  });

  it('reads the same form saved as Word 97 by LibreOffice, tables split into cells', async () => {
    expectForm(await readDoc(fixture('form.doc'), profile.limits));
  });

  it('splits word-extractor rows: cells end in a tab, multi-paragraph cells join their row', () => {
    const blocks = splitBody('标题\n姓名\t张三\t\n个人简历\n第二行\t\n\n结尾\n');
    expect(blocks).toEqual([
      { paragraph: '标题' },
      {
        table: [
          [
            { text: '姓名', choices: [] },
            { text: '张三', choices: [] },
          ],
          [{ text: '个人简历\n第二行', choices: [] }],
        ],
      },
      { paragraph: '' },
      { paragraph: '结尾' },
      { paragraph: '' },
    ]);
  });
});

describe('parseChoices', () => {
  it('reads boxes before or after their labels', () => {
    expect(parseChoices('组织部 □    办公室 ☑')).toEqual([
      { label: '组织部', checked: false },
      { label: '办公室', checked: true },
    ]);
    expect(parseChoices('√是  □否')).toEqual([
      { label: '是', checked: true },
      { label: '否', checked: false },
    ]);
    expect(parseChoices('没有选项')).toEqual([]);
  });
});

describe.skipIf(!corpusFound)('real Chinese forms from the corpus', () => {
  it('reads the szmath award form tables', async () => {
    const buf = readFileSync(
      `${corpusDir}/documents/szmath/深圳市数学学会2026年度大湾区青年科学家奖申报表.docx`,
    );
    const w = await readDocx(buf, profile.limits);
    expect(w.tables.length).toBeGreaterThan(5);
    expect(w.tables[0]?.[0]?.[0]?.text).toBe('姓  名');
  });

  it('reads the hhwxs form checkboxes (box after the label)', async () => {
    const w = await readDocx(
      readFileSync(`${corpusDir}/documents/hhwxs/学生社团换届干部竞选报名表.docx`),
      profile.limits,
    );
    const choices = w.tables.flat(2).flatMap((c) => c.choices);
    expect(choices).toContainEqual({ label: '社长', checked: false });
  });

  it('reads the szmath membership .doc table rows', async () => {
    const w = await readDoc(
      readFileSync(`${corpusDir}/documents/szmath/深圳市数学学会会员申请表.doc`),
      profile.limits,
    );
    expect(w.tables[0]?.[0]?.map((c) => c.text)).toEqual([
      '姓    名',
      '',
      '性    别',
      '',
      '出生日期',
      '',
    ]);
  });
});
