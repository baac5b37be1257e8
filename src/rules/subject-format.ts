// SUBJECT_FORMAT (error): the call asks for the subject `申报单位名称+案例题目` (seed §四.2).
// Certain, so an error: no plus sign, an empty side, or the template text copied literally.
import type { Rule } from '../types.js';
import { fail, pass } from './finding.js';

const canon = (s: string) => s.normalize('NFKC').replace(/\s+/gu, '');

export const subjectFormat: Rule = {
  code: 'SUBJECT_FORMAT',
  severity: 'error',
  check({ subject }, profile) {
    const required = '请按“申报单位名称+案例题目”的格式填写邮件主题';
    const shown = subject.normalized || '（空）';
    const templates = new Set(profile.subject.templateTexts.map(canon));
    const sides = [subject.normalized, subject.organization, subject.title];
    if (sides.some((s) => s !== null && templates.has(canon(s)))) {
      return fail(
        'error',
        `邮件主题「${shown}」是模板原文，${required}，例如“某某银行+智能风控平台建设”`,
        {
          subject: subject.normalized,
        },
      );
    }
    const separators = profile.subject.separators.map((s) => s.normalize('NFKC'));
    if (!separators.some((s) => subject.normalized.includes(s))) {
      return fail('error', `邮件主题「${shown}」中没有加号“+”，${required}`, {
        subject: subject.normalized,
      });
    }
    if (subject.organization === null || subject.title === null) {
      const side = subject.organization === null ? '加号前的申报单位名称' : '加号后的案例题目';
      return fail('error', `邮件主题「${shown}」缺少${side}，${required}`, {
        subject: subject.normalized,
      });
    }
    return pass(
      `邮件主题格式正确：申报单位「${subject.organization}」，案例题目「${subject.title}」`,
      {
        organization: subject.organization,
        title: subject.title,
      },
    );
  },
};
