import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDoc, splitBody } from '../../src/documents/doc.js';
import { readDocx } from '../../src/documents/docx.js';
import { DocumentError } from '../../src/documents/problems.js';
import { parseChoices } from '../../src/documents/word-content.js';
import type { WordContent } from '../../src/types.js';
import { corpusDir, corpusFound } from '../support/corpus.js';
import { fixture } from './helpers.js';

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

describe('readDocx', () => {
  it('reads paragraphs, the label/value table, ☑/□ choices and checkbox controls, not the header', async () => {
    const w = await readDocx(fixture('form.docx'));
    expectForm(w);
    expect(w.headings).toEqual(['案例申报表']);
  });

  it('reports an OLE file under a .docx name as encrypted', async () => {
    await expect(readDocx(fixture('form.doc'))).rejects.toSatisfy(
      (e) => e instanceof DocumentError && e.problem.kind === 'encrypted',
    );
  });
});

describe('readDoc', () => {
  it('reads the same form saved as Word 97 by LibreOffice, tables split into cells', async () => {
    expectForm(await readDoc(fixture('form.doc')));
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
    const w = await readDocx(buf);
    expect(w.tables.length).toBeGreaterThan(5);
    expect(w.tables[0]?.[0]?.[0]?.text).toBe('姓  名');
  });

  it('reads the hhwxs form checkboxes (box after the label)', async () => {
    const w = await readDocx(
      readFileSync(`${corpusDir}/documents/hhwxs/学生社团换届干部竞选报名表.docx`),
    );
    const choices = w.tables.flat(2).flatMap((c) => c.choices);
    expect(choices).toContainEqual({ label: '社长', checked: false });
  });

  it('reads the szmath membership .doc table rows', async () => {
    const w = await readDoc(
      readFileSync(`${corpusDir}/documents/szmath/深圳市数学学会会员申请表.doc`),
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
