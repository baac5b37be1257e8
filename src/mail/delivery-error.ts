// Which SMTP failures are permanent (EmailEngine lib/delivery-error.js): a 5xx reply is the
// server's final word (RFC 5321 §4.2.1) and retrying it only repeats the refusal; a 4xx reply,
// a refused or dropped connection, a timeout or a DNS hiccup can pass. Pure, so it is unit-tested
// on the error shapes nodemailer really produces.

export interface DeliveryError {
  permanent: boolean;
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
}

export function classifyDeliveryError(err: unknown): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const text = oneLine(typeof e.response === 'string' ? e.response : String(e.message ?? err));
  const status = smtpStatus(e);
  if (status !== null) {
    return { permanent: status >= 500 && status < 600, code: `SMTP${status}`, message: text };
  }
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  // Without a reply code nothing says the server refused for good: a retry is the safe side.
  return { permanent: false, code, message: `${code}: ${text}` };
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
