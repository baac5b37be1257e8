// Whom a reply goes to, and whether it may go at all (DESIGN.md §6, RFC 3834 §2): never to a
// machine, never to ourselves. The robot detection is classify.ts's `autoReplyReason`, applied
// to the message and again to the address the reply would go to (a person's mail whose Reply-To
// is a no-reply box must not be answered either), nor to an address our mail server could not
// verify (DMARC fail). Per-recipient limits are counted by the store.
import type { ParsedMail } from '../types.js';
import { dmarcFailed } from './auth-results.js';
import { autoReplyReason } from './classify.js';

/**
 * Reply-To when present, else From (RFC 5322 §3.6.2: Reply-To names where the author wants
 * replies; a secretary sending for the applicant's contact person relies on it).
 */
export function replyRecipient(mail: ParsedMail): string | null {
  const address = (mail.replyTo?.address || mail.from?.address || '').trim().toLowerCase();
  return address.includes('@') ? address : null;
}

/** Why no reply may go out for this message, or null. */
export function mailGuardReason(mail: ParsedMail, ownAddresses: string[]): string | null {
  const recipient = replyRecipient(mail);
  if (!recipient) return 'no-recipient';
  const own = ownAddresses.map(bareAddress);
  const robot = autoReplyReason(mail, own) ?? recipientGuardReason(recipient, own);
  // A forged From: would turn our replies into spam to a third party (SENDER_UNVERIFIED).
  return robot ?? (dmarcFailed(mail) ? 'dmarc-fail' : null);
}

/** The checks that need only the address: robot local parts and our own addresses. */
export function recipientGuardReason(
  recipient: string | null,
  ownAddresses: string[],
): string | null {
  if (!recipient?.includes('@')) return 'no-recipient';
  // `名称 <a@b>` (REPLY_FROM's display form) must match the bare address too.
  return autoReplyReason(addressOnly(recipient), ownAddresses.map(bareAddress));
}

/** A message with nothing but a sender: only the address-based checks can fire on it. */
function addressOnly(address: string): ParsedMail {
  return {
    messageId: null,
    subject: '',
    from: { name: '', address },
    replyTo: null,
    to: [],
    date: null,
    receivedDates: [],
    headers: {},
    contentType: 'text/plain',
    text: '',
    // A placeholder attachment: subject heuristics are only for attachment-less mail.
    attachments: [
      { filename: 'x', contentType: 'application/octet-stream', content: Buffer.alloc(0) },
    ],
    forwarded: false,
    warnings: [],
  };
}

/** The bare address of `REPLY_FROM` (`名称 <a@b>` or `a@b`), lower-cased. */
export function bareAddress(from: string): string {
  const m = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from);
  return (m?.[1] ?? from).trim().toLowerCase();
}
