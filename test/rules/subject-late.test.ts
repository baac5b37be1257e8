import { describe, expect, it } from 'vitest';
import { late } from '../../src/rules/late.js';
import { subjectFormat } from '../../src/rules/subject-format.js';
import { receivedAtDoubt } from '../../src/submission/time.js';
import { profile, submission } from './support.js';

const subjectCheck = (subject: string) => subjectFormat.check(submission({ subject }), profile);

describe('SUBJECT_FORMAT', () => {
  it('passes `org+title`, full-width plus, reply prefixes and 【】', () => {
    for (const s of [
      '某某银行+智能风控平台',
      '某某银行＋智能风控平台',
      '回复：某某银行 + 智能风控平台',
      '【某某银行+智能风控平台】',
    ]) {
      expect(subjectCheck(s)).toMatchObject({
        passed: true,
        details: { organization: '某某银行', title: '智能风控平台' },
      });
    }
  });

  it('fails without a plus sign', () => {
    expect(subjectCheck('某某银行 智能风控平台')).toMatchObject({
      passed: false,
      severity: 'error',
      message: expect.stringContaining('没有加号'),
    });
  });

  it('fails with an empty side, naming the missing side', () => {
    expect(subjectCheck('某某银行+')).toMatchObject({
      passed: false,
      message: expect.stringContaining('加号后的案例题目'),
    });
    expect(subjectCheck('＋智能风控平台')).toMatchObject({
      passed: false,
      message: expect.stringContaining('加号前的申报单位名称'),
    });
  });

  it('fails the template text copied literally', () => {
    expect(subjectCheck('申报单位名称+案例题目')).toMatchObject({
      passed: false,
      message: expect.stringContaining('模板原文'),
    });
    expect(subjectCheck('某某银行+案例题目')).toMatchObject({ passed: false });
  });
});

describe('LATE', () => {
  const at = (iso: string) => late.check(submission({ receivedAt: new Date(iso) }), profile);

  it('passes up to the end of the deadline day in Beijing time', () => {
    expect(at('2025-10-18T09:12:00+08:00')).toMatchObject({ passed: true });
    expect(at('2025-10-20T23:59:59+08:00')).toMatchObject({ passed: true });
  });

  it('fails after it, saying when the mail arrived', () => {
    expect(at('2025-10-21T00:00:01+08:00')).toMatchObject({
      passed: false,
      severity: 'error',
      message: expect.stringContaining('2025-10-21 00:00'),
      details: { receivedAt: '2025-10-21T00:00:01+08:00' },
    });
    // 16:30 UTC on the 20th is already the 21st in Beijing.
    expect(at('2025-10-20T16:30:00Z')).toMatchObject({ passed: false });
  });

  it('reviews instead of rejecting when no server recorded the time (a download time, a file time)', () => {
    const after = new Date('2025-10-21T00:00:01+08:00');
    for (const source of ['fetched', 'mtime'] as const) {
      const f = late.check(
        { ...submission({ receivedAt: after }), receivedAtDoubt: receivedAtDoubt(source) },
        profile,
      );
      expect(f).toMatchObject({ passed: false, severity: 'review' });
      expect(f.message).toContain(receivedAtDoubt(source));
    }
    expect(receivedAtDoubt('internaldate')).toBeNull();
    expect(receivedAtDoubt('received-header')).toBeNull();
  });
});
