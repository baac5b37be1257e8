// The reply as data: headers that mark it automatic (RFC 3834 §5 Auto-Submitted; Exchange's
// X-Auto-Response-Suppress so Outlook's out-of-office does not answer back), threading to the
// submission (RFC 5322 §3.6.4), and a Message-ID fixed per (submission, kind) so a resend after
// a crash is recognisable as the same message. send.ts turns it into bytes.
import { bareAddress } from './reply-guard.js';

export interface ComposedReply {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** With angle brackets. */
  messageId: string;
  inReplyTo: string | null;
  references: string | null;
  date: Date;
  headers: Record<string, string>;
}

/** `<reply-<submissionId>-<kind>@<domain of REPLY_FROM>>`. */
export function replyMessageId(submissionId: number, kind: string, from: string): string {
  const domain = bareAddress(from).split('@')[1] || 'localhost';
  const safeKind = kind.replace(/[^A-Za-z0-9-]/g, '-');
  return `<reply-${submissionId}-${safeKind}@${domain}>`;
}

export function composeReply(input: {
  submissionId: number;
  kind: string;
  from: string;
  to: string;
  /** The submission's Message-ID, with angle brackets, or null when it had none. */
  originalMessageId: string | null;
  content: { subject: string; text: string; html: string };
  date?: Date;
}): ComposedReply {
  const original =
    input.originalMessageId && /^<[^<>\s]+>$/.test(input.originalMessageId)
      ? input.originalMessageId
      : null;
  return {
    from: input.from,
    to: input.to,
    subject: input.content.subject,
    text: input.content.text,
    html: input.content.html,
    messageId: replyMessageId(input.submissionId, input.kind, input.from),
    inReplyTo: original,
    references: original,
    date: input.date ?? new Date(),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  };
}
