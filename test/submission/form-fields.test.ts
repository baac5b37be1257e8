import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { readDoc } from '../../src/documents/doc.js';
import { readDocx } from '../../src/documents/docx.js';
import { normalizeDate, readFormFields } from '../../src/submission/form-fields.js';
import type { TableCell, WordContent } from '../../src/types.js';
import { corpusDir, corpusFound } from '../support/corpus.js';

const profile = loadContest();
const cell = (text: string, choices: TableCell['choices'] = []): TableCell => ({ text, choices });
const word = (parts: Partial<WordContent>): WordContent => ({
  paragraphs: [],
  tables: [],
  tableStarts: [],
  text: '',
  headings: [],
  ...parts,
});

describe('normalizeDate', () => {
  it.each([
    ['2024年3月', '2024-03'],
    ['2024.03', '2024-03'],
    ['2024-03', '2024-03'],
    ['2024/3', '2024-03'],
    ['2024年3月15日', '2024-03-15'],
    ['２０２３年１月至今', '2023-01'],
    ['2023年1月—2024年5月', '2023-01'],
    ['2024 年 12 月', '2024-12'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDate(input)).toBe(expected);
  });

  it('returns null when there is no year and month', () => {
    expect(normalizeDate('去年')).toBeNull();
    expect(normalizeDate('2024年13月')).toBeNull();
    expect(normalizeDate('')).toBeNull();
  });
});

describe('readFormFields', () => {
  it('reads label cells followed by value cells, with label variants', () => {
    const { fields, labelsFound } = readFormFields(
      word({
        tables: [
          [
            [cell('案例名称'), cell('智能风控平台'), cell('案例名称'), cell('智能风控平台')],
            [cell('* 申报单位（必填）：'), cell('某某银行股份有限公司')],
            [cell('联 系 人'), cell('张三'), cell('联系电话'), cell('13800000000')],
            [cell('电子邮箱'), cell('zhang@example.cn'), cell('实施时间'), cell('2024年3月')],
          ],
        ],
      }),
      profile,
    );
    expect(fields).toEqual({
      caseName: '智能风控平台',
      organization: '某某银行股份有限公司',
      contactName: '张三',
      contactPhone: '13800000000',
      contactEmail: 'zhang@example.cn',
      implementedAt: '2024-03',
    });
    expect(labelsFound).toBe(6);
  });

  it('reads a header row of labels above a row of values', () => {
    const { fields } = readFormFields(
      word({
        tables: [
          [
            [cell('联系人'), cell('手机'), cell('邮箱')],
            [cell('李四'), cell('139'), cell('li@x.cn')],
          ],
        ],
      }),
      profile,
    );
    expect(fields).toMatchObject({
      contactName: '李四',
      contactPhone: '139',
      contactEmail: 'li@x.cn',
    });
  });

  it('reads checked choices for the applicant type and direction', () => {
    const { fields } = readFormFields(
      word({
        tables: [
          [
            [
              cell('申报主体类型'),
              cell('☑持牌金融机构 □金融科技公司', [
                { label: '持牌金融机构', checked: true },
                { label: '金融科技公司', checked: false },
              ]),
            ],
            [cell('征集方向'), cell('□智能监管创新\n■数字风控体系')],
          ],
        ],
      }),
      profile,
    );
    expect(fields).toMatchObject({ applicantType: '持牌金融机构', direction: '数字风控体系' });
  });

  it('reads an empty value as present but empty, and no checked choice as empty', () => {
    const { fields, labelsFound } = readFormFields(
      word({
        tables: [
          [
            [cell('联系人'), cell('')],
            [cell('主体类型'), cell('□持牌金融机构 □金融科技公司')],
          ],
        ],
      }),
      profile,
    );
    expect(fields).toEqual({ contactName: '', applicantType: '' });
    expect(labelsFound).toBe(2);
  });

  it('reads `标签：值` lines, several to a line, and tab-separated .doc rows', () => {
    const { fields } = readFormFields(
      word({
        paragraphs: [
          '案例名称：AI 投研助手',
          '联系人：王五   联系电话:010-1234  E-mail：w@x.cn',
          '实施单位\t某证券公司',
          '上线时间：2023.06',
        ],
      }),
      profile,
    );
    expect(fields).toEqual({
      caseName: 'AI 投研助手',
      contactName: '王五',
      contactPhone: '010-1234',
      contactEmail: 'w@x.cn',
      organization: '某证券公司',
      implementedAt: '2023-06',
    });
  });

  it('finds no labels in plain prose', () => {
    expect(
      readFormFields(word({ paragraphs: ['本案例介绍了大模型在风控中的应用。'] }), profile),
    ).toEqual({ fields: {}, labelsFound: 0 });
  });
});

describe.skipIf(!corpusFound)(`readFormFields on real forms (${corpusDir})`, () => {
  it('finds the contact labels of a real .doc membership form', async () => {
    const file = path.join(corpusDir, 'documents/szmath/深圳市数学学会会员申请表.doc');
    const { fields, labelsFound } = readFormFields(
      await readDoc(readFileSync(file), profile.limits),
      profile,
    );
    expect(labelsFound).toBeGreaterThanOrEqual(3);
    expect(fields).toMatchObject({ organization: '', contactPhone: '', contactEmail: '' });
  });

  it('finds phone and e-mail labels of a real .docx registration form', async () => {
    const file = path.join(corpusDir, 'documents/hhwxs/红湖文学社纳新报名表.docx');
    const { fields } = readFormFields(await readDocx(readFileSync(file), profile.limits), profile);
    expect(Object.keys(fields).sort()).toEqual(['contactEmail', 'contactPhone']);
  });
});
