// IMPLEMENTATION_DATE (review, or warning): cases must have been implemented in 2023-01 or
// later (seed §三.2 时效性). Read from the form, so a date before that is for a person to
// confirm (review); a date we cannot find or read is only a warning.
import { normalizeDate } from '../submission/form-fields.js';
import type { Rule } from '../types.js';
import { fail, notApplicable, pass } from './finding.js';

export const implementationDate: Rule = {
  code: 'IMPLEMENTATION_DATE',
  severity: 'review',
  check({ form }, profile) {
    if (!form) return notApplicable('申报表');
    const from = profile.implementedFrom;
    const [year, month] = from.split('-');
    const since = `${year} 年 ${Number(month)} 月及之后`;
    const required = `要求案例实施时间为 ${since}`;
    const raw = form.fields.implementedAt?.trim() ?? '';
    const date = raw ? normalizeDate(raw) : null;
    if (!date) {
      const found = raw ? `申报表中的实施时间「${raw}」无法识别` : '申报表中未找到实施时间';
      return fail('warning', `${found}，${required}，请在申报表中注明（如 2024年3月）`, {
        implementedAt: raw || null,
      });
    }
    const details = { implementedAt: date, implementedFrom: from };
    if (date.slice(0, 7) < from) {
      return fail(
        'review',
        `申报表中的实施时间为 ${date}，早于 ${from}，${required}，将由工作人员核对`,
        details,
      );
    }
    return pass(`实施时间 ${date}，符合案例实施时间为 ${since}的要求`, details);
  },
};
