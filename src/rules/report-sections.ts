// REPORT_SECTIONS (warning): the call lists five parts of the report (seed §三.3.2: 创新背景与
// 目标、技术方案架构、实施过程与难点突破、量化成效分析、可复制性及推广价值). Keyword presence is a
// weak signal, so only a warning that helps the applicant.
import type { Rule } from '../types.js';
import { fail, notApplicable, pass } from './finding.js';

export const reportSections: Rule = {
  code: 'REPORT_SECTIONS',
  severity: 'warning',
  check({ report }, profile) {
    if (!report) return notApplicable('案例报告');
    const text = report.text.normalize('NFKC').toLowerCase();
    const sections = profile.report.sections;
    const missing = sections.filter(
      (s) => !s.keywords.some((k) => text.includes(k.normalize('NFKC').toLowerCase())),
    );
    const details = { missing: missing.map((s) => s.name), sections: sections.length };
    if (missing.length === 0)
      return pass(`案例报告包含活动方案要求的 ${sections.length} 个部分`, details);
    return fail(
      'warning',
      `案例报告中似乎缺少以下部分：${missing.map((s) => s.name).join('、')}（活动方案要求报告包括：${sections.map((s) => s.name).join('、')}）`,
      details,
    );
  },
};
