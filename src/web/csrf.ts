// Every form carries a token made from a secret the browser keeps in an httpOnly cookie: the
// session's token once logged in, the login form's own random cookie before. Another site can
// neither read the cookie nor make the token. A cookie planted from a neighbouring host (cookies
// ignore ports, and a parent domain's apply) is not the organiser's session, so a token made for
// it is worth nothing in the organiser's requests.
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameText } from './auth.js';

export const LOGIN_COOKIE = 'intake_login';

const tokenFor = (secret: string) =>
  createHmac('sha256', secret).update('case-intake form').digest('base64url');

/** The token for the forms of this request's page (gives a visitor the login form's cookie). */
export function formToken(req: FastifyRequest, reply: FastifyReply): string {
  if (req.sessionToken) return tokenFor(req.sessionToken);
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

/** preHandler of every POST: refuses (403) a form without the token its secret makes. */
export async function checkFormToken(req: FastifyRequest, reply: FastifyReply) {
  const secret = req.sessionToken ?? req.cookies[LOGIN_COOKIE];
  const sent = (req.body as { _csrf?: unknown } | undefined)?._csrf ?? req.headers['x-csrf-token'];
  if (!secret || typeof sent !== 'string' || !sameText(sent, tokenFor(secret))) {
    return reply
      .code(403)
      .type('text/plain; charset=utf-8')
      .send('页面已过期或来源不明，请刷新页面后重试');
  }
}
