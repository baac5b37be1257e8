// SUBJECT_FORM_MISMATCH (review): the subject's organisation or title disagrees with the form.
// Compared after dropping punctuation, spaces and width differences; one containing the other
// counts as a match (短名 vs 全称, 《》 around a title). A guess, hence review.
import type { Rule } from '../types.js';
import { fail, pass } from './finding.js';

const canon = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\s]/gu, '');

function matches(a: string, b: string): boolean {
  const x = canon(a);
  const y = canon(b);
  return x !== '' && y !== '' && (x.includes(y) || y.includes(x));
}

export const subjectFormMismatch: Rule = {
  code: 'SUBJECT_FORM_MISMATCH',
  severity: 'review',
  check({ subject, form }, profile) {
    // A subject that is the template text is SUBJECT_FORMAT's failure, not a mismatch.
    const templates = new Set(profile.subject.templateTexts.map(canon));
    const usable = (s: string | null) => (s && !templates.has(canon(s)) ? s : null);
    const pairs = [
      { what: '申报单位', subject: usable(subject.organization), form: form?.fields.organization },
      { what: '案例题目', subject: usable(subject.title), form: form?.fields.caseName },
    ].filter(
      (p): p is { what: string; subject: string; form: string } =>
        !!p.subject?.trim() && !!p.form?.trim(),
    );
    if (pairs.length === 0)
      return pass('邮件主题或申报表中缺少可比对的单位和题目，本项不适用', { applicable: false });
    const differing = pairs.filter((p) => !matches(p.subject, p.form));
    const details = { compared: pairs };
    if (differing.length === 0) return pass('邮件主题与申报表中的单位和题目一致', details);
    const text = differing
      .map((p) => `${p.what}（主题「${p.subject}」，申报表「${p.form}」）`)
      .join('；');
    return fail('review', `邮件主题与申报表不一致：${text}，将由工作人员核对`, details);
  },
};
