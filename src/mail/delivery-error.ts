// Which SMTP failures are permanent (EmailEngine lib/delivery-error.js): a 5xx reply to the
// recipient (RCPT TO) or to the message (DATA) is the server's final word on this reply (RFC 5321
// §4.2.1), and retrying it only repeats the refusal. Everything else can pass: a 4xx reply, a
// refused or dropped connection, a timeout, a DNS hiccup, and a 5xx before the recipient is
// named (the greeting, AUTH, MAIL FROM). Those refuse our relay account or our sender, not the
// applicant, and they refuse every reply alike: calling them final would fail the whole queue in
// a minute over a changed password. Pure, so it is unit-tested on the error shapes nodemailer
// really produces.

export interface DeliveryError {
  permanent: boolean;
  /**
   * The relay's trouble or our account's, not this reply's (no connection, a refused login or
   * sender): every reply would meet it alike, so they all wait, not each on its own.
   */
  relay: boolean;
  /** A stable code for logs and the replies table: `SMTP550`, `ECONNREFUSED`, … */
  code: string;
  /** One line for organisers: code and the server's words. */
  message: string;
}

interface ErrorLike {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  errno?: unknown;
  /** nodemailer's SMTP command in flight: 'CONN', 'AUTH PLAIN', 'MAIL FROM', 'RCPT TO', 'DATA'… */
  command?: unknown;
}

/** The commands whose refusal is about this reply, not about our relay account or sender. */
const REPLY_COMMANDS = new Set(['RCPT TO', 'DATA']);

/**
 * nodemailer's codes for a relay it could not reach or talk to (no connection, a dropped one, a
 * timeout, DNS, TLS, a refused login). Others without a reply code (a message too large for the
 * relay, one that could not be built) are this reply's own.
 */
const RELAY_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'ETLS',
  'EAUTH',
  'EPROTOCOL',
  'ECONNREFUSED',
  'ECONNRESET',
]);

export function classifyDeliveryError(err: unknown): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const text = oneLine(typeof e.response === 'string' ? e.response : String(e.message ?? err));
  const status = smtpStatus(e);
  if (status !== null) {
    // A 5xx without the command (not nodemailer's shape) is taken at its word.
    const aboutReply = typeof e.command !== 'string' || REPLY_COMMANDS.has(e.command);
    return {
      permanent: status >= 500 && status < 600 && aboutReply,
      relay: !aboutReply,
      code: `SMTP${status}`,
      message: text,
    };
  }
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  // Without a reply code nothing says the server refused for good: a retry is the safe side.
  return { permanent: false, relay: RELAY_CODES.has(code), code, message: `${code}: ${text}` };
}

/** The SMTP reply code: nodemailer's `responseCode`, else the first three digits of `response`. */
function smtpStatus(e: ErrorLike): number | null {
  if (typeof e.responseCode === 'number' && e.responseCode >= 200 && e.responseCode < 600) {
    return e.responseCode;
  }
  const m = typeof e.response === 'string' ? /^([245]\d\d)[\s-]/.exec(e.response) : null;
  return m ? Number(m[1]) : null;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 500);
}
