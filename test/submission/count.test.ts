import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countChars } from '../../src/documents/count.js';

const han = fc.integer({ min: 0x4e00, max: 0x9fff }).map((cp) => String.fromCodePoint(cp));
const text = fc.string({
  unit: fc.constantFrom('a', 'B', '1', ',', '中', '“', '。', ' ', '\n', '—', 'é', '𠀀', '　'),
});

describe('countChars (Word 字数)', () => {
  it('counts the two examples of DESIGN.md §2', () => {
    expect(countChars('Hello “世界”').total).toBe(5);
    expect(countChars('Let’s say ‘你好’ 100 times per day, 勤勉'.replace('’s', "'s")).total).toBe(
      12,
    );
    expect(countChars("Let's say ‘你好’ 100 times per day, 勤勉")).toEqual({
      total: 12,
      cjk: 4,
      punctuation: 2,
      words: 6,
    });
  });

  it('counts CJK extensions and compatibility ideographs, each full-width mark, not the ideographic space', () => {
    expect(countChars('㐀𠀀豈').total).toBe(3); // Extension A, Extension B, compatibility
    expect(countChars('你好，世界！（测试）').total).toBe(10);
    expect(countChars('中\u3000文').total).toBe(2);
    expect(countChars('……——·').total).toBe(5);
    expect(countChars('ＡＢＣ').total).toBe(3);
  });

  it('counts a run of Latin letters, digits and ASCII punctuation as one word', () => {
    expect(countChars('AI大模型').total).toBe(4);
    expect(countChars('提升30%以上').total).toBe(5);
    expect(countChars('e-mail: a@b.cn').total).toBe(2);
  });

  it('separating two texts by a space adds their counts', () => {
    fc.assert(
      fc.property(
        text,
        text,
        (a, b) => countChars(`${a} ${b}`).total === countChars(a).total + countChars(b).total,
      ),
    );
  });

  it('appending CJK adds exactly its length', () => {
    fc.assert(
      fc.property(text, fc.array(han, { maxLength: 50 }), (a, chars) => {
        return countChars(a + chars.join('')).total === countChars(a).total + chars.length;
      }),
    );
  });

  it('counts white space as nothing and is never negative', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\u3000', '\u00a0') }),
        (s) => countChars(s).total === 0,
      ),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        const c = countChars(s);
        return c.total >= 0 && c.total === c.cjk + c.punctuation + c.words;
      }),
    );
  });
});
