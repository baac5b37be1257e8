// SENDER_UNVERIFIED on real messages: the receiving server's Authentication-Results (the
// topmost one) decides; headers further down came with the message and may be forged.
import { describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { parseAuthenticationResults } from '../../src/mail/auth-results.js';
import { validateMessage } from '../../src/validate.js';
import { makeMessage } from '../support/mail.js';

const profile = loadContest();
const received = new Date('2025-10-18T10:00:00+08:00');

async function withResults(...headers: string[]) {
  const raw = await makeMessage({ subject: '某某银行+智能风控平台' });
  const top = headers.map((h) => `Authentication-Results: ${h}\r\n`).join('');
  const { result } = await validateMessage(
    Buffer.concat([Buffer.from(top), raw]),
    received,
    profile,
  );
  return { result, finding: result.findings.find((f) => f.rule === 'SENDER_UNVERIFIED') };
}

describe('SENDER_UNVERIFIED', () => {
  it('asks for review, and says no reply goes out, when our server saw DMARC fail', async () => {
    const { result, finding } = await withResults(
      'mx.contest.example; spf=softfail smtp.mailfrom=bank.example; dkim=none; dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=bank.example',
    );
    expect(finding).toMatchObject({ passed: false, severity: 'review' });
    expect(finding?.message).toContain('DMARC');
    expect(finding?.message).toContain('不会自动回复');
    expect(result.verdict).not.toBe('accepted');
  });

  it('trusts only the topmost header: a dmarc=fail further down came with the message', async () => {
    const { finding } = await withResults(
      'mx.contest.example; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example',
      'forged.example; dmarc=fail header.from=bank.example',
    );
    expect(finding).toMatchObject({ passed: true });
  });

  it('passes a message with no Authentication-Results at all', async () => {
    expect((await withResults()).finding).toMatchObject({ passed: true });
  });
});

describe('parseAuthenticationResults', () => {
  it('reads methods past comments, quoted strings and versions, first result per method', () => {
    expect(
      parseAuthenticationResults(
        'mx.example.org 1; spf=pass (sender "a;b" (nested)) smtp.mailfrom=x; dkim=fail; dkim=pass header.d=y; dmarc/1=pass',
      ),
    ).toEqual({ server: 'mx.example.org', methods: { spf: 'pass', dkim: 'fail', dmarc: 'pass' } });
  });
});
