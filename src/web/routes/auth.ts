// Login and logout. The login form carries a form token too (login CSRF), and its POST is
// rate-limited per client address.
import type { FastifyInstance } from 'fastify';
import { deleteWebSession, saveWebSession } from '../../store/web-sessions.js';
import {
  checkPassword,
  hashToken,
  newSession,
  SESSION_COOKIE,
  SESSION_COOKIE_OPTIONS,
  safeNext,
} from '../auth.js';
import { checkForm, checkLoginForm, loginFormToken } from '../csrf.js';
import type { WebDeps } from '../deps.js';
import { loginPage } from '../views/pages.js';

export function authRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) => {
    reply.type('text/html; charset=utf-8');
    return loginPage({ csrf: loginFormToken(req, reply), next: safeNext(req.query.next) });
  });

  app.post<{ Body: { username?: string; password?: string; next?: string } }>(
    '/login',
    {
      preHandler: checkLoginForm,
      config: { rateLimit: { max: deps.loginAttemptsPerMinute ?? 10, timeWindow: '1 minute' } },
    },
    async (req, reply) => {
      const { username = '', password = '' } = req.body ?? {};
      if (!checkPassword(deps.credentials, username, password)) {
        deps.log.warn({ username, ip: req.ip }, 'login failed');
        reply.code(401).type('text/html; charset=utf-8');
        return loginPage({
          csrf: loginFormToken(req, reply),
          error: '用户名或密码不正确',
          next: safeNext(req.body?.next),
        });
      }
      deps.log.info({ username, ip: req.ip }, 'organiser logged in');
      // Logging in again ends the session the browser had: its cookie is about to be replaced.
      const previous = req.cookies[SESSION_COOKIE];
      if (previous) await deleteWebSession(deps.db, hashToken(previous));
      const { token, session } = newSession(deps.credentials);
      await saveWebSession(deps.db, session);
      reply.setCookie(SESSION_COOKIE, token, SESSION_COOKIE_OPTIONS);
      return reply.redirect(safeNext(req.body?.next), 303);
    },
  );

  app.post('/logout', { preHandler: checkForm }, async (req, reply) => {
    // Ended in the store: a copy of the cookie (a shared computer, a captured request) is dead too.
    if (req.sessionToken) await deleteWebSession(deps.db, hashToken(req.sessionToken));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
