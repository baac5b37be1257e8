// The organisers' dashboard (Fastify, server-rendered HTML). The only importer of fastify and
// its plugins. Everything but /healthz and /readyz is behind the login; every form carries a
// CSRF token; login attempts are rate-limited.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Db } from '../store/db.js';
import { extendWebSession, findWebSession } from '../store/web-sessions.js';
import {
  basicUser,
  type Credentials,
  hashToken,
  movedSessionEnd,
  SESSION_COOKIE,
  SESSION_COOKIE_OPTIONS,
  safeNext,
  sessionUser,
} from './auth.js';
import { mountQueueBoard } from './board.js';
import type { WebDeps } from './deps.js';
import { createMessageReader } from './evaluate.js';
import { createMetrics } from './metrics.js';
import { authRoutes } from './routes/auth.js';
import { caseRoutes } from './routes/cases.js';
import { exportRoutes } from './routes/exports.js';
import { fileRoutes } from './routes/files.js';
import { opsRoutes } from './routes/ops.js';
import { overviewRoutes } from './routes/overview.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: string | null;
    /** The session's token, when the request came with a live one (csrf.ts makes forms' tokens of it). */
    sessionToken: string | null;
  }
}

const PUBLIC = new Set(['/healthz', '/readyz', '/login']);

export async function buildWebServer(deps: WebDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // One line per page view is noise; errors are still logged by the onError hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // Only a proxy named in WEB_TRUST_PROXY may say the visitor's address and scheme.
    trustProxy: deps.trustProxy ?? false,
    routerOptions: { querystringParser: firstValues },
  });
  // A 500's message may name a database's or a file's internals: logged (onError), not shown.
  app.setErrorHandler((err: { statusCode?: number }, _req, reply) => {
    if ((err.statusCode ?? 500) < 500) return reply.send(err);
    return reply.code(500).type('text/plain; charset=utf-8').send('服务器内部错误，已记录。');
  });
  app.addHook('onError', async (req, _reply, err) => {
    // 4xx (a bad CSRF token, a malformed form) are the client's business, not an incident.
    if ((err.statusCode ?? 500) >= 500)
      req.log.error({ err, url: req.url, method: req.method }, 'request failed');
  });
  await app.register(cookie);
  await app.register(formbody, { parser: firstValues });
  await app.register(rateLimit, { global: false });
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);
  const guesses = failedBasicLogins(deps.loginAttemptsPerMinute ?? 10);
  app.addHook('onRequest', async (req, reply) =>
    authenticate(deps.db, deps.credentials, guesses, req, reply),
  );
  // Every response: no sniffing, no framing, no referrer leaking case ids to other sites.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'same-origin');
  });

  const metrics = createMetrics(deps.db);
  opsRoutes(app, deps, metrics);
  authRoutes(app, deps);
  overviewRoutes(app, deps);
  // Case pages and downloads read stored messages again (the report's text, the files).
  const messages = createMessageReader(deps.reread);
  caseRoutes(app, deps, messages);
  fileRoutes(app, deps, messages);
  exportRoutes(app, deps);
  await mountQueueBoard(app, deps.queues);
  return app;
}

/**
 * A query string or a form body as one string a name. The dashboard's links and forms never repeat
 * a name: one repeated by hand (`?q=a&q=b`, `reason=a&reason=b`) is its first value, not an array
 * that the pages would trip over.
 */
function firstValues(text: string): Record<string, string> {
  return Object.fromEntries([...new URLSearchParams(text)].reverse());
}

/**
 * Wrong Basic credentials an address sent in the last minute: past the login form's limit, its
 * further attempts are refused unchecked, as the form's are (a password is not to be guessed by
 * script instead).
 */
function failedBasicLogins(perMinute: number) {
  const failed = new Map<string, { count: number; until: number }>();
  return {
    blocked: (ip: string, now: number) => {
      const f = failed.get(ip);
      return f !== undefined && f.until > now && f.count >= perMinute;
    },
    add(ip: string, now: number) {
      let f = failed.get(ip);
      if (!f || f.until <= now) {
        if (failed.size >= 10_000) {
          for (const [k, v] of failed) if (v.until <= now) failed.delete(k);
        }
        f = { count: 0, until: now + 60_000 };
        failed.set(ip, f);
      }
      f.count++;
    },
  };
}

async function authenticate(
  db: Db,
  c: Credentials,
  guesses: ReturnType<typeof failedBasicLogins>,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  const path = req.url.split('?')[0] ?? '/';
  if (PUBLIC.has(path)) return;
  const token = req.cookies[SESSION_COOKIE];
  const session = token ? await findWebSession(db, hashToken(token)) : undefined;
  let user = token ? sessionUser(c, token, session) : null;
  if (user && token && session) {
    req.sessionToken = token;
    const end = movedSessionEnd(session);
    if (end) {
      await extendWebSession(db, session.tokenHash, end);
      reply.setCookie(SESSION_COOKIE, token, SESSION_COOKIE_OPTIONS);
    }
  }
  const basic = req.headers.authorization?.startsWith('Basic ');
  if (!user && basic) {
    const now = Date.now();
    if (guesses.blocked(req.ip, now)) {
      return reply.code(429).type('text/plain; charset=utf-8').send('登录尝试过多，请稍后再试');
    }
    user = basicUser(c, req.headers.authorization);
    if (!user) guesses.add(req.ip, now);
  }
  if (user) {
    req.user = user;
    return;
  }
  // A person in a browser goes to the form; a script learns it may use Basic. A form sent from a
  // page whose session has run out goes to the form too, back to that page after (a Basic
  // challenge would make the browser ask for a password that the form check then refuses).
  if ((req.headers.accept ?? '').includes('text/html')) {
    if (req.method === 'GET' || req.method === 'HEAD') {
      return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 302);
    }
    const back = safeNext(refererPath(req.headers.referer, req.host));
    return reply.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
  }
  return reply
    .code(401)
    .header('WWW-Authenticate', 'Basic realm="case-intake", charset="UTF-8"')
    .type('text/plain; charset=utf-8')
    .send('需要登录');
}

/** The path of a page of this dashboard that sent a request, or '/'. */
function refererPath(referer: string | undefined, host: string): string {
  try {
    const u = new URL(referer ?? '');
    return u.host === host ? `${u.pathname}${u.search}` : '/';
  } catch {
    return '/';
  }
}

export type { FastifyInstance };
