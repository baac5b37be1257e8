// What the receiving server said about the sender (RFC 8601 Authentication-Results). Only the
// topmost header counts: it is the one our own mail server added; anything below it came with
// the message and may be forged by the sender.
import type { ParsedMail } from '../types.js';

export type AuthResult =
  | 'pass'
  | 'fail'
  | 'none'
  | 'neutral'
  | 'softfail'
  | 'temperror'
  | 'permerror'
  | 'policy';

export interface AuthenticationResults {
  /** The server that checked (authserv-id). */
  server: string;
  /** method → result, e.g. { spf: 'pass', dkim: 'pass', dmarc: 'fail' }. */
  methods: Record<string, AuthResult>;
}

/** Removes RFC 5322 comments `( … )`, nested ones included, and quoted strings. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (const ch of value) {
    if (quoted) {
      if (ch === '"') quoted = false;
    } else if (ch === '"' && depth === 0) quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}

export function parseAuthenticationResults(value: string): AuthenticationResults {
  const [server = '', ...clauses] = stripComments(value).split(';');
  const methods: Record<string, AuthResult> = {};
  for (const clause of clauses) {
    const m = /^\s*([a-z0-9-]+)(?:\/[0-9]+)?\s*=\s*([a-z]+)/i.exec(clause);
    const method = m?.[1]?.toLowerCase();
    // The first result of a method is kept: several dkim= clauses report several signatures.
    if (m && method && !(method in methods)) methods[method] = m[2]?.toLowerCase() as AuthResult;
  }
  return { server: server.trim().split(/\s+/)[0] ?? '', methods };
}

/** The receiving server's verdict on the sender, or null when it added no header. */
export function receivingServerResults(mail: ParsedMail): AuthenticationResults | null {
  const top = mail.headers['authentication-results']?.[0];
  return top ? parseAuthenticationResults(top) : null;
}

/** True when our server found the From: domain's DMARC policy violated: the sender may be forged. */
export function dmarcFailed(mail: ParsedMail): boolean {
  return receivingServerResults(mail)?.methods.dmarc === 'fail';
}
