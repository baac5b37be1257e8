// Properties of the subject parser and the 字数 counter over hostile text: any Unicode (lone
// surrogates, controls, bidi marks), very long input. Extends test/submission/subject.test.ts and
// count.test.ts (round trips, additivity across a space) rather than repeating them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { countChars } from '../../src/documents/count.js';
import { parseSubject } from '../../src/submission/subject.js';

const profile = loadContest();
const RUNS = { numRuns: 300, seed: 20251020 };

// Full code-point range plus the characters subjects really hold, so both are hit often.
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(
      '+',
      '＋',
      '﹢',
      '【',
      '】',
      'Re:',
      '回复：',
      ' ',
      '\u3000',
      '\t',
      '\u202e',
      '\u0000',
      '中',
      'A',
      '.',
      '\uFFFD',
    ),
    maxLength: 60,
  }),
);
const han = fc.integer({ min: 0x4e00, max: 0x9fff }).map((cp) => String.fromCodePoint(cp));
const space = fc.constantFrom(' ', '\t', '\n', '\r\n', '\u3000', '\u00a0', '\u2003');

describe('parseSubject (fuzz)', () => {
  it('never throws, and returns trimmed, non-empty sides with no separator in the organisation', () => {
    fc.assert(
      fc.property(anyText, (raw) => {
        const p = parseSubject(raw, profile);
        expect(p.raw).toBe(raw);
        for (const side of [p.organization, p.title]) {
          if (side === null) continue;
          expect(side).not.toBe('');
          expect(side).toBe(side.trim());
          expect(p.normalized).toContain(side);
        }
        if (p.organization !== null) expect(p.organization).not.toMatch(/[+＋]/);
        // A title needs the separator, so no title without one (and vice versa, both null).
        if (!/[+＋﹢]/.test(p.normalized)) expect([p.organization, p.title]).toEqual([null, null]);
      }),
      RUNS,
    );
  });

  it('normalises to NFKC with no runs of white space', () => {
    fc.assert(
      fc.property(anyText, (raw) => {
        const { normalized } = parseSubject(raw, profile);
        expect(normalized.normalize('NFKC')).toBe(normalized);
        expect(normalized).not.toMatch(/\s{2,}|^\s|\s$/u);
      }),
      RUNS,
    );
  });

  it('handles a 100 000-character subject', () => {
    const long = `${'回复：'.repeat(20_000)}甲银行+${'案'.repeat(40_000)}`;
    const p = parseSubject(long, profile);
    expect(p.organization).toBe('甲银行');
    expect(p.strippedPrefixes).toHaveLength(20_000);
  });
});

describe('countChars (fuzz)', () => {
  it('never throws on any text and never counts more than its code points', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const c = countChars(s);
        expect(c.total).toBe(c.cjk + c.punctuation + c.words);
        expect(c.total).toBeLessThanOrEqual(Array.from(s).length);
        expect(Math.min(c.cjk, c.punctuation, c.words)).toBeGreaterThanOrEqual(0);
      }),
      RUNS,
    );
  });

  it('a CJK character between two texts separates them: counts add, plus one', () => {
    fc.assert(
      fc.property(anyText, han, anyText, (a, h, b) => {
        expect(countChars(a + h + b).total).toBe(countChars(a).total + 1 + countChars(b).total);
      }),
      RUNS,
    );
  });

  it('any kind of white space separates equally, and splitting at white space adds up', () => {
    fc.assert(
      fc.property(
        fc.array(anyText, { minLength: 1, maxLength: 6 }),
        space,
        space,
        (parts, s1, s2) => {
          const one = countChars(parts.join(s1)).total;
          expect(countChars(parts.join(s2)).total).toBe(one);
          expect(parts.reduce((n, p) => n + countChars(p).total, 0)).toBe(one);
        },
      ),
      RUNS,
    );
  });
});
