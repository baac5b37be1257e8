// Login and logout. The login form carries a CSRF token too (login CSRF), and its POST is
// rate-limited per client address.
import type { FastifyInstance } from 'fastify';
import { checkPassword, SESSION_COOKIE, SESSION_TTL_MS, safeNext, sessionValue } from '../auth.js';
import type { WebDeps } from '../deps.js';
import { loginPage } from '../views/pages.js';

const cookieOptions = {
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const, // lax: a link from the organisers' mail to a case page still works
  signed: true,
  secure: 'auto' as const,
  maxAge: SESSION_TTL_MS / 1000,
};

export function authRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) => {
    reply.type('text/html; charset=utf-8');
    return loginPage({ csrf: reply.generateCsrf(), next: safeNext(req.query.next) });
  });

  app.post<{ Body: { username?: string; password?: string; next?: string } }>(
    '/login',
    {
      preHandler: app.csrfProtection,
      config: { rateLimit: { max: deps.loginAttemptsPerMinute ?? 10, timeWindow: '1 minute' } },
    },
    async (req, reply) => {
      const { username = '', password = '' } = req.body ?? {};
      if (!checkPassword(deps.credentials, username, password)) {
        deps.log.warn({ username, ip: req.ip }, 'login failed');
        reply.code(401).type('text/html; charset=utf-8');
        return loginPage({
          csrf: reply.generateCsrf(),
          error: '用户名或密码不正确',
          next: safeNext(req.body?.next),
        });
      }
      deps.log.info({ username, ip: req.ip }, 'organiser logged in');
      reply.setCookie(SESSION_COOKIE, sessionValue(username), cookieOptions);
      return reply.redirect(safeNext(req.body?.next), 303);
    },
  );

  app.post('/logout', { preHandler: app.csrfProtection }, async (_req, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
