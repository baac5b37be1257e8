// LATE (error): the call closes on 2025-10-20 (seed §四.1); the deadline is the end of that day
// in the campaign's zone plus the profile's grace minutes. The time is the server's receive
// time (IMAP INTERNALDATE, else the newest Received header), never the sender's Date header, so
// the outcome is certain. A time that is only an estimate (a file's mtime, say) is reviewed.
import { isoWithOffset, localTime } from '../submission/time.js';
import type { Rule } from '../types.js';
import { pass, unlessDoubt } from './finding.js';

export const late: Rule = {
  code: 'LATE',
  severity: 'error',
  check({ receivedAt, receivedAtDoubt }, profile) {
    const offset = profile.deadline.utcOffset;
    const details = {
      receivedAt: isoWithOffset(receivedAt, offset),
      deadlineAt: isoWithOffset(profile.deadlineAt, offset),
    };
    const deadline = `${profile.deadline.date} 24:00（UTC${offset}）`;
    if (receivedAt.getTime() > profile.deadlineAt.getTime()) {
      return unlessDoubt(
        receivedAtDoubt ?? null,
        `邮件收到时间为 ${localTime(receivedAt, offset)}，已超过报送截止时间 ${deadline}`,
        details,
      );
    }
    return pass(
      `邮件收到时间 ${localTime(receivedAt, offset)}，在截止时间 ${deadline}之前`,
      details,
    );
  },
};
