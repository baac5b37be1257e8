// Who may see the dashboard: one organiser account (ADMIN_USER / ADMIN_PASSWORD). Browsers log
// in through the form and get a signed session cookie; scripts may send HTTP Basic instead.
// The cookie secret derives from the credentials, so every web process that shares them
// accepts the same sessions, and changing the password logs everybody out.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  user: string;
  password: string;
}

export const SESSION_COOKIE = 'intake_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** With no ADMIN_PASSWORD: a fresh one per start, shown once, and the server stays on loopback. */
export function resolveCredentials(env: {
  adminUser: string;
  adminPassword?: string;
}): Credentials & { generated: boolean } {
  if (env.adminPassword)
    return { user: env.adminUser, password: env.adminPassword, generated: false };
  return { user: env.adminUser, password: randomBytes(12).toString('base64url'), generated: true };
}

export function cookieSecret(c: Credentials): string {
  return createHash('sha256')
    .update(`case-intake session v1\0${c.user}\0${c.password}`)
    .digest('hex');
}

function sameText(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

export function checkPassword(c: Credentials, user: string, password: string): boolean {
  // Both comparisons always run: no early exit that would tell a wrong user from a wrong password.
  const u = sameText(c.user, user);
  const p = sameText(c.password, password);
  return u && p;
}

/** `Authorization: Basic …` → the user name when the credentials are right. */
export function basicUser(c: Credentials, header: string | undefined): string | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  const user = decoded.slice(0, i);
  return checkPassword(c, user, decoded.slice(i + 1)) ? user : null;
}

export function sessionValue(user: string, now = Date.now()): string {
  return `${Buffer.from(user).toString('base64url')}.${now + SESSION_TTL_MS}`;
}

/** The user of an (already signature-checked) session value, or null when expired or malformed. */
export function sessionUser(c: Credentials, value: string | null, now = Date.now()): string | null {
  if (!value) return null;
  const [u, exp] = value.split('.');
  if (!u || !exp || Number(exp) < now) return null;
  const user = Buffer.from(u, 'base64url').toString('utf8');
  return user === c.user ? user : null;
}

const HERE = 'http://dashboard.invalid';
const unsafeInPath = (c: string) => c <= '\u001f' || c === '\u007f' || c === '\\';

/**
 * Only local paths: `next=//evil.example` or `https://…` would make the login an open redirect.
 * Browsers drop tabs and line breaks from a URL and read `\` as `/`, so `/<TAB>/evil.example` is
 * `//evil.example` to them: such a path is refused, and what the URL parser makes of the rest must
 * stay here.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || [...next].some(unsafeInPath)) return '/';
  if (!/^\/(?!\/)/.test(next)) return '/';
  try {
    return new URL(next, HERE).origin === HERE ? next : '/';
  } catch {
    return '/';
  }
}
