// SENDER_UNVERIFIED (review): our mail server's Authentication-Results says DMARC failed, so the
// From: address may be forged. Such a message is not auto-rejected (it may be a real applicant
// behind a misconfigured relay) and gets no automatic reply (the service must not be a way to
// send mail to forged addresses); a person looks at it. An addition to DESIGN.md §2, from the
// threat model of issue 6.
import { receivingServerResults } from '../mail/auth-results.js';
import type { Rule } from '../types.js';
import { fail, pass } from './finding.js';

export const senderAuthentication: Rule = {
  code: 'SENDER_UNVERIFIED',
  severity: 'review',
  check({ mail }) {
    const results = receivingServerResults(mail);
    const details = { server: results?.server ?? null, methods: results?.methods ?? {} };
    if (results?.methods.dmarc === 'fail') {
      return fail(
        'review',
        `收件服务器（${results.server}）对发件地址的 DMARC 验证未通过，发件人可能被冒用，需人工核实；系统不会自动回复此邮件`,
        details,
      );
    }
    return pass(
      results
        ? `发件地址验证：DMARC ${results.methods.dmarc ?? '未检查'}`
        : '收件服务器未给出发件人验证结果',
      details,
    );
  },
};
