// Every form carries a token made from a secret the browser keeps in an httpOnly cookie: the
// session's token once logged in, the login form's own random cookie before. Another site can
// neither read the cookie nor make the token. A cookie planted from a neighbouring host (cookies
// ignore ports, and a parent domain's apply) is not the organiser's session, so a token made for
// it is worth nothing in the organiser's requests: only the login form takes the login cookie's,
// and a form sent without a session (a browser that kept Basic credentials) is refused.
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameText } from './auth.js';

export const LOGIN_COOKIE = 'intake_login';

const tokenFor = (secret: string) =>
  createHmac('sha256', secret).update('case-intake form').digest('base64url');

/** The token for the login form (gives the visitor the login form's cookie). */
export function loginFormToken(req: FastifyRequest, reply: FastifyReply): string {
  let secret = req.cookies[LOGIN_COOKIE];
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    reply.setCookie(LOGIN_COOKIE, secret, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: 'auto',
    });
  }
  return tokenFor(secret);
}

/** The token for a logged-in page's forms; none on a page seen with Basic credentials. */
export function formToken(req: FastifyRequest): string {
  return req.sessionToken ? tokenFor(req.sessionToken) : '';
}

/** preHandler of the login form's POST. */
export const checkLoginForm = (req: FastifyRequest, reply: FastifyReply) =>
  check(req.cookies[LOGIN_COOKIE], req, reply);

/** preHandler of every other POST. */
export const checkForm = (req: FastifyRequest, reply: FastifyReply) =>
  check(req.sessionToken ?? undefined, req, reply);

async function check(secret: string | undefined, req: FastifyRequest, reply: FastifyReply) {
  const sent = (req.body as { _csrf?: unknown } | undefined)?._csrf ?? req.headers['x-csrf-token'];
  if (!secret || typeof sent !== 'string' || !sameText(sent, tokenFor(secret))) {
    return reply
      .code(403)
      .type('text/plain; charset=utf-8')
      .send('页面已过期、来源不明或未用登录页登录，请登录后刷新页面重试');
  }
}
