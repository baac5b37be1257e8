import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { parseSubject } from '../../src/submission/subject.js';

const profile = loadContest();

const side = fc
  .string({
    unit: fc.constantFrom('中', '国', '银', '行', '智', '能', 'A', 'b', '1', ' ', '-', '《', '》'),
    minLength: 1,
  })
  .map((s) => s.replace(/\s+/g, ' ').trim()) // the parser collapses runs of white space
  .filter(
    (s) => s !== '' && s === s.normalize('NFKC') && !/^(re|fw|fwd|回复|答复|转发)\s*:/i.test(s),
  );

describe('parseSubject', () => {
  it('splits org and title on the first plus, trimming both', () => {
    expect(parseSubject('  中国银行 + 智能风控平台  ', profile)).toMatchObject({
      organization: '中国银行',
      title: '智能风控平台',
      strippedPrefixes: [],
    });
    expect(parseSubject('甲公司+AI+大数据风控', profile)).toMatchObject({
      organization: '甲公司',
      title: 'AI+大数据风控',
    });
  });

  it('reads a full-width plus and full-width colons through NFKC', () => {
    expect(parseSubject('回复：甲银行＋乙案例', profile)).toMatchObject({
      organization: '甲银行',
      title: '乙案例',
      strippedPrefixes: ['回复:'],
    });
  });

  it('strips reply and forward prefixes repeatedly', () => {
    const parts = parseSubject('RE：Fwd: 答复: 转发：FW:Re[2]: 甲+乙', profile);
    expect(parts.strippedPrefixes).toHaveLength(6);
    expect(parts).toMatchObject({ organization: '甲', title: '乙', normalized: '甲+乙' });
  });

  it('strips the tags a mail gateway puts in front, with reply prefixes in any order', () => {
    for (const [raw, tags, prefixes] of [
      ['[外部邮件]某证券公司+智能投顾系统', ['[外部邮件]'], []],
      ['【外部邮件】 某证券公司＋智能投顾系统', ['【外部邮件】'], []],
      ['〔外部邮件〕某证券公司+智能投顾系统', ['〔外部邮件〕'], []],
      ['[EXTERNAL]: 某证券公司+智能投顾系统', ['[EXTERNAL]:'], []],
      ['[EXTERNAL] Re: 某证券公司+智能投顾系统', ['[EXTERNAL]'], ['Re:']],
      ['回复：［外部］***SPAM*** 某证券公司+智能投顾系统', ['[外部]', '***SPAM***'], ['回复:']],
      ['(Ext) 【某证券公司+智能投顾系统】', ['(Ext)'], []],
    ] as const) {
      expect(parseSubject(raw, profile), raw).toMatchObject({
        organization: '某证券公司',
        title: '智能投顾系统',
        strippedTags: tags,
        strippedPrefixes: prefixes,
      });
    }
    // A tag configured with odd white space still matches the subject's, collapsed.
    const spaced = { ...profile, subject: { ...profile.subject, gatewayTags: ['EXTERNAL  MAIL'] } };
    expect(parseSubject('[External Mail] 某证券公司+智能投顾系统', spaced)).toMatchObject({
      organization: '某证券公司',
    });
    // Only the listed words, only in front: an organisation's own brackets stay.
    expect(parseSubject('[华东]某证券公司+智能投顾系统', profile)).toMatchObject({
      organization: '[华东]某证券公司',
      strippedPrefixes: [],
    });
    expect(parseSubject('某证券公司+[外部]数据平台', profile)).toMatchObject({
      title: '[外部]数据平台',
    });
  });

  it('tolerates 【】 around the whole subject', () => {
    expect(parseSubject('【某证券公司+智能投顾系统】', profile)).toMatchObject({
      organization: '某证券公司',
      title: '智能投顾系统',
    });
  });

  it('gives null sides when the plus or a side is missing', () => {
    expect(parseSubject('某银行 智能风控', profile)).toMatchObject({
      organization: null,
      title: null,
    });
    expect(parseSubject('某银行+', profile)).toMatchObject({ organization: '某银行', title: null });
    expect(parseSubject('', profile)).toMatchObject({
      organization: null,
      title: null,
      normalized: '',
    });
  });

  it('parses back any org and title joined by + or ＋', () => {
    fc.assert(
      fc.property(side, side, fc.constantFrom('+', '＋', ' + ', '＋ '), (org, title, sep) => {
        fc.pre(!org.includes('+') && !title.includes('+'));
        const parts = parseSubject(`${org}${sep}${title}`, profile);
        return parts.organization === org && parts.title === title;
      }),
    );
  });

  it('strips any number of prefixes and never throws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('Re:', 'RE：', '回复：', '答复:', '转发：', 'Fwd:', 'FW: '), {
          maxLength: 5,
        }),
        side,
        side,
        (prefixes, org, title) => {
          fc.pre(!org.includes('+') && !title.includes('+'));
          const parts = parseSubject(`${prefixes.join('')}${org}+${title}`, profile);
          return parts.strippedPrefixes.length === prefixes.length && parts.organization === org;
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), (s) => typeof parseSubject(s, profile).normalized === 'string'),
    );
  });
});
