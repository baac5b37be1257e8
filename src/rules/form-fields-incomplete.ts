// FORM_FIELDS_INCOMPLETE (review): a required field of the form (seed §三.1) is missing or
// empty. Review, not error: forms vary and a label we do not know reads as "missing".
import type { FormFieldName } from '../config/contest.js';
import type { Rule } from '../types.js';
import { fail, notApplicable, pass } from './finding.js';

export const formFieldsIncomplete: Rule = {
  code: 'FORM_FIELDS_INCOMPLETE',
  severity: 'review',
  check({ form }, profile) {
    if (!form) return notApplicable('申报表');
    const missing = (
      Object.entries(profile.form.fields) as [
        FormFieldName,
        { required: boolean; labels: string[] },
      ][]
    )
      .filter(([name, spec]) => spec.required && !form.fields[name]?.trim())
      .map(([name, spec]) => ({ name, label: spec.labels[0] ?? name }));
    const details = { missing: missing.map((m) => m.name), labelsFound: form.labelsFound };
    if (missing.length === 0) return pass('申报表必填项均已填写', details);
    return fail(
      'review',
      `申报表中以下必填项未找到或为空：${missing.map((m) => m.label).join('、')}，将由工作人员人工核对`,
      details,
    );
  },
};
