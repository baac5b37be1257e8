// 字数 the way Microsoft Word counts it (the convention the call's "3000-5000字" means,
// DESIGN.md §2): every East Asian character and every full-width punctuation mark counts 1,
// every maximal run of other non-space characters (a Latin word, a number, "day,") counts 1.
// Examples: `Hello “世界”` = 5; `Let's say ‘你好’ 100 times per day, 勤勉` = 12.
import type { CharCount } from '../types.js';

// Han covers CJK Unified Ideographs, Extensions A–H, compatibility ideographs, radicals and
// 〇/々. Kana and Hangul are counted per character by Word too ("East Asian characters").
const EAST_ASIAN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

// Curly quotes, em dash, ellipsis and middle dot are "full-width" in Chinese typesetting and
// Word counts each one on its own even though they sit outside the full-width blocks.
const WIDE_PUNCTUATION = new Set(['‘', '’', '“', '”', '—', '…', '·']);

function isWidePunctuation(ch: string, cp: number): boolean {
  if (cp >= 0x3001 && cp <= 0x303f) return true; // U+3000, the ideographic space, is a space
  if (cp >= 0xff00 && cp <= 0xffef) return true;
  return WIDE_PUNCTUATION.has(ch);
}

/** Word's 字数 of `text`: `total` = `cjk` + `punctuation` + `words`. */
export function countChars(text: string): CharCount {
  let cjk = 0;
  let punctuation = 0;
  let words = 0;
  let inRun = false;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (/\s/u.test(ch)) {
      inRun = false;
    } else if (EAST_ASIAN.test(ch) && !(cp >= 0xff00 && cp <= 0xffef)) {
      cjk += 1;
      inRun = false;
    } else if (isWidePunctuation(ch, cp)) {
      punctuation += 1;
      inRun = false;
    } else if (!inRun) {
      words += 1;
      inRun = true;
    }
  }
  return { total: cjk + punctuation + words, cjk, punctuation, words };
}
