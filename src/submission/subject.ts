// The subject must read `申报单位名称+案例题目` (seed §四.2). Applicants reply to our own
// mail, forward from a colleague, type a full-width ＋ or wrap the subject in 【】, and mail
// gateways put `[外部邮件]` or `[SPAM]` in front of it, so the subject is normalised before it is
// split: none of that is the applicant's mistake. Our
// notices' subjects read `【2025-0007】申报材料需修改：org+title` (config/replies): a reply to
// one is read as `org+title`, and says which case it answers.
import type { ContestProfile } from '../config/contest.js';
import type { SubjectParts } from '../types.js';

// Brackets that may wrap the whole subject: 【org+title】, [org+title], 〔…〕, 《…》 is a title
// mark and stays.
const WRAPPERS: [string, string][] = [
  ['【', '】'],
  ['[', ']'],
  ['〔', '〕'],
  ['〖', '〗'],
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The words as a regular expression's alternatives, after NFKC and with white space collapsed as
 * the subject's is, the longest first.
 */
function anyOf(words: string[]): string {
  const alternatives = [...words]
    .map((w) => w.normalize('NFKC').replace(/\s+/gu, ' ').trim())
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  return `(?:${alternatives.join('|')})`;
}

/** `Re:`, `RE：`, `回复：`, `Fwd[2]:` … at the start; NFKC has already turned ： into :. */
function prefixPattern(prefixes: string[]): RegExp {
  return new RegExp(`^\\s*${anyOf(prefixes)}\\s*(?:\\[\\d+\\]|\\(\\d+\\))?\\s*:\\s*`, 'iu');
}

/**
 * `[外部邮件]`, `【EXTERNAL】:`, `(spam)`, `***SPAM***` … at the start, in the brackets a subject
 * may be wrapped in or ( ) or asterisks; NFKC has made ［］（）＊ into []()*.
 */
function tagPattern(tags: string[]): RegExp | null {
  if (tags.length === 0) return null;
  const t = `\\s*${anyOf(tags)}\\s*`;
  const brackets: [string, string][] = [...WRAPPERS, ['(', ')']];
  const bracketed = brackets.map(
    ([open, close]) => `${escapeRegExp(open)}${t}${escapeRegExp(close)}`,
  );
  return new RegExp(`^\\s*(?:${bracketed.join('|')}|\\*+${t}\\*+)\\s*:?\\s*`, 'iu');
}

/**
 * `【2025-0007】申报已受理:`: the tag and phrase of our own notices, after NFKC. Found anywhere,
 * since an out-of-office puts its own words first (`自动回复：【2025-0007】…`).
 */
function noticePattern(caseNumberPrefix: string): RegExp {
  return new RegExp(`【(${escapeRegExp(caseNumberPrefix)}-\\d+)】\\s*[^:+]{0,40}:\\s*`, 'u');
}

function unwrap(text: string): string {
  for (const [open, close] of WRAPPERS) {
    if (text.startsWith(open) && text.endsWith(close) && text.length > 2) {
      return text.slice(open.length, -close.length).trim();
    }
  }
  return text;
}

/** Splits a subject into organisation and title; never throws. */
export function parseSubject(raw: string, profile: ContestProfile): SubjectParts {
  let text = (raw ?? '').normalize('NFKC').replace(/\s+/gu, ' ').trim();
  const strippedPrefixes: string[] = [];
  const strippedTags: string[] = [];
  // In any order and number: `[外部邮件] 回复: 转发: …`, `Re: [EXTERNAL] …`.
  const prefixes = prefixPattern(profile.subject.replyPrefixes);
  const tags = tagPattern(profile.subject.gatewayTags);
  for (;;) {
    const prefix = prefixes.exec(text);
    const m = prefix ?? tags?.exec(text);
    if (!m) break;
    (prefix ? strippedPrefixes : strippedTags).push(m[0].trim());
    text = text.slice(m[0].length).trim();
  }
  const notice = noticePattern(profile.caseNumberPrefix).exec(text);
  if (notice?.index === 0) {
    strippedPrefixes.push(notice[0].trim());
    text = text.slice(notice[0].length).trim();
  }
  const answersCase = notice?.[1] ?? null;
  const normalized = unwrap(text);
  const separators = profile.subject.separators.map((s) => s.normalize('NFKC'));
  let at = -1;
  let sepLength = 0;
  for (const sep of separators) {
    const i = normalized.indexOf(sep);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      sepLength = sep.length;
    }
  }
  if (at < 0) {
    const none = { organization: null, title: null };
    return { raw, normalized, ...none, strippedPrefixes, strippedTags, answersCase };
  }
  const organization = normalized.slice(0, at).trim();
  const title = normalized.slice(at + sepLength).trim();
  return {
    raw,
    normalized,
    organization: organization === '' ? null : organization,
    title: title === '' ? null : title,
    strippedPrefixes,
    strippedTags,
    answersCase,
  };
}
