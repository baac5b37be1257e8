// Who may see the dashboard: one organiser account (ADMIN_USER / ADMIN_PASSWORD). Browsers log
// in through the form and get a session: a random token in a cookie, its hash in the store
// (web_sessions), so logging out ends it for good and every web process on the store knows it.
// A session in use stays open; one unused for (about) 12 hours ends.
// Each session is tied to the credentials it was opened with: changing the password logs
// everybody out. Nothing sent to a browser is derived from the password, so nothing it sees lets
// the password be guessed offline. Scripts may send HTTP Basic instead.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSession } from '../store/web-sessions.js';

export interface Credentials {
  user: string;
  password: string;
}

export const SESSION_COOKIE = 'intake_session';
/**
 * A session ends after this long unused (11 to 12 hours: its end is moved, cookie too, at most
 * once an hour of use), so an organiser at work through the night is not logged out mid-form.
 */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MOVE_EVERY_MS = 60 * 60 * 1000;

export const SESSION_COOKIE_OPTIONS = {
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const, // lax: a link from the organisers' mail to a case page still works
  secure: 'auto' as const,
  maxAge: SESSION_TTL_MS / 1000,
};

/** The new end of a session in use, or null when it was moved within the hour. */
export function movedSessionEnd(session: WebSession, now = Date.now()): Date | null {
  return session.expiresAt.getTime() - now < SESSION_TTL_MS - MOVE_EVERY_MS
    ? new Date(now + SESSION_TTL_MS)
    : null;
}

/** With no ADMIN_PASSWORD: a fresh one per start, shown once, and the server stays on loopback. */
export function resolveCredentials(env: {
  adminUser: string;
  adminPassword?: string;
}): Credentials & { generated: boolean } {
  if (env.adminPassword)
    return { user: env.adminUser, password: env.adminPassword, generated: false };
  return { user: env.adminUser, password: randomBytes(12).toString('base64url'), generated: true };
}

export function sameText(a: string, b: string): boolean {
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

/** A new login: the token for the browser's cookie, and what the store keeps of it. */
export function newSession(
  c: Credentials,
  now = Date.now(),
): { token: string; session: WebSession } {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    session: {
      tokenHash: hashToken(token),
      user: c.user,
      credentialsTag: credentialsTag(c, token),
      expiresAt: new Date(now + SESSION_TTL_MS),
    },
  };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function credentialsTag(c: Credentials, token: string): string {
  return createHmac('sha256', token).update(`${c.user}\0${c.password}`).digest('hex');
}

/**
 * The user of the session stored for `token`, or null: none stored (never, or logged out), run
 * out, or opened under other credentials (the password has changed since).
 */
export function sessionUser(
  c: Credentials,
  token: string,
  session: WebSession | undefined,
  now = Date.now(),
): string | null {
  if (!session || session.expiresAt.getTime() <= now || session.user !== c.user) return null;
  return sameText(session.credentialsTag, credentialsTag(c, token)) ? session.user : null;
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
    // As the URL parser writes it back: percent-encoded, fit for a Location header.
    const u = new URL(next, HERE);
    return u.origin === HERE ? `${u.pathname}${u.search}${u.hash}` : '/';
  } catch {
    return '/';
  }
}
