// Who gets in: every route but the health checks refuses a visitor without credentials, Basic
// works for scripts, login attempts are rate-limited, /readyz tells when Redis is gone.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingRedis } from '../../src/queue/redis-server.js';
import { recordUnfetched } from '../../src/store/cursors.js';
import { openDb } from '../../src/store/db.js';
import { findWebSession, saveWebSession } from '../../src/store/web-sessions.js';
import { newSession } from '../../src/web/auth.js';
import { buildWebServer } from '../../src/web/server.js';
import { basicAuth, CREDENTIALS, type Populated, populate } from './populated.js';

let p: Populated;

beforeAll(async () => {
  p = await populate();
});
afterAll(async () => {
  await p?.dispose();
});

const PROTECTED_GET = [
  '/',
  '/cases',
  '/cases?status=rejected',
  '/cases/1',
  '/files/1',
  '/files/1/view',
  '/export.xlsx',
  '/export.csv',
  '/api/cases',
  '/metrics',
  '/admin/queues',
  '/admin/queues/api/queues',
  '/no-such-page',
];
const PROTECTED_POST = ['/cases/1/override', '/cases/1/reprocess', '/cases/1/withdraw', '/logout'];

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith(`${name}=`)) ?? '';
const formTokenIn = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

const post = (url: string, cookie: string, form: Record<string, string>) =>
  fetch(`${p.baseUrl}${url}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });

/**
 * Logs in through the form, as a browser does (one that may hold a session already): the new
 * session's cookie, as a Cookie header.
 */
async function logIn(had?: string): Promise<string> {
  const page = await fetch(`${p.baseUrl}/login`);
  const login = cookieOf(page, 'intake_login');
  const res = await post('/login', had ? `${had}; ${login}` : login, {
    _csrf: formTokenIn(await page.text()),
    username: CREDENTIALS.user,
    password: CREDENTIALS.password,
    next: '/',
  });
  expect(res.status).toBe(303);
  const session = cookieOf(res, 'intake_session');
  expect(session).toMatch(/^intake_session=[\w-]{43}$/);
  return session;
}

const caseStatus = async (id: number) =>
  (
    await p.app.db.k
      .selectFrom('cases')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).status;

describe('access control', () => {
  it('refuses every route but health to a request without credentials', async () => {
    for (const url of PROTECTED_GET) {
      const res = await fetch(`${p.baseUrl}${url}`, { redirect: 'manual' });
      expect(res.status, url).toBe(401);
      expect(res.headers.get('www-authenticate'), url).toMatch(/^Basic /);
      expect(await res.text(), url).toBe('需要登录');
    }
    for (const url of PROTECTED_POST) {
      const res = await fetch(`${p.baseUrl}${url}`, { method: 'POST', redirect: 'manual' });
      expect(res.status, url).toBe(401);
    }
    expect(await caseStatus(1)).not.toBe('withdrawn');
  });

  it('sends a browser to the login form, keeping only a local return path', async () => {
    const res = await fetch(`${p.baseUrl}/cases/1`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?next=%2Fcases%2F1');
    const evil = await fetch(`${p.baseUrl}/login?next=//evil.example/x`);
    expect(await evil.text()).toContain('name="next" value="/"');
  });

  it('sends a form from a page whose session ran out to the login form, not to a Basic prompt', async () => {
    const send = (referer: string) =>
      fetch(`${p.baseUrl}/cases/1/override`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          accept: 'text/html,application/xhtml+xml',
          referer,
          cookie: 'intake_session=run-out',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ verdict: 'accepted', reason: '补齐' }),
      });
    const res = await send(`${p.baseUrl}/cases/1?notice=x`);
    expect(res.status).toBe(303);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.headers.get('location')).toBe(
      `/login?next=${encodeURIComponent('/cases/1?notice=x')}`,
    );
    // Back to a page of this dashboard only.
    const elsewhere = await send('https://evil.example/cases/1');
    expect(elsewhere.headers.get('location')).toBe('/login?next=%2F');
  });

  it('returns to a path with Chinese in it after logging in, and takes a repeated form field once', async () => {
    const page = await fetch(`${p.baseUrl}/login?next=${encodeURIComponent('/cases?q=银行')}`);
    const html = await page.text();
    expect(html).toContain(`name="next" value="/cases?q=%E9%93%B6%E8%A1%8C"`);
    const body = new URLSearchParams({ _csrf: formTokenIn(html), password: CREDENTIALS.password });
    body.append('username', CREDENTIALS.user);
    body.append('username', 'someone-else');
    body.append('next', '/cases?q=银行');
    const res = await fetch(`${p.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: cookieOf(page, 'intake_login'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/cases?q=%E9%93%B6%E8%A1%8C');
    const back = await fetch(`${p.baseUrl}/cases?q=%E9%93%B6%E8%A1%8C`, {
      headers: { cookie: cookieOf(res, 'intake_session') },
    });
    expect(back.status).toBe(200);
  });

  it('refuses wrong Basic credentials and a forged session cookie', async () => {
    const wrong = await fetch(`${p.baseUrl}/api/cases`, {
      headers: { authorization: basicAuth({ ...CREDENTIALS, password: 'nope' }) },
    });
    expect(wrong.status).toBe(401);
    const forged = await fetch(`${p.baseUrl}/api/cases`, {
      headers: { cookie: 'intake_session=b3JnYW5pc2Vy.9999999999999' },
    });
    expect(forged.status).toBe(401);
  });

  it('ends a session at logout: a copy of its cookie is refused after', async () => {
    const session = await logIn();
    const cases = await fetch(`${p.baseUrl}/cases`, { headers: { cookie: session } });
    expect(cases.status).toBe(200);
    const token = formTokenIn(await cases.text());
    const api = () => fetch(`${p.baseUrl}/api/cases`, { headers: { cookie: session } });
    expect((await api()).status).toBe(200);
    const out = await post('/logout', session, { _csrf: token });
    expect(out.status).toBe(303);
    expect((await api()).status).toBe(401);
  });

  it("refuses a form token made for another visitor's cookie, as from a planted cookie", async () => {
    const session = await logIn();
    // What anyone gets from the login page: a cookie of their own and the token it makes.
    const visitor = await fetch(`${p.baseUrl}/login`);
    const planted = cookieOf(visitor, 'intake_login');
    const token = formTokenIn(await visitor.text());
    const res = await post('/logout', `${session}; ${planted}`, { _csrf: token });
    expect(res.status).toBe(403);
    expect((await fetch(`${p.baseUrl}/api/cases`, { headers: { cookie: session } })).status).toBe(
      200,
    );
  });

  it('refuses a form sent with Basic credentials and the login cookie anyone can get', async () => {
    // A browser that kept Basic credentials, and a neighbouring host that planted its cookie.
    const visitor = await fetch(`${p.baseUrl}/login`);
    const res = await fetch(`${p.baseUrl}/cases/1/withdraw`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        authorization: basicAuth(),
        cookie: cookieOf(visitor, 'intake_login'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: formTokenIn(await visitor.text()), reason: '撤回' }),
    });
    expect(res.status).toBe(403);
    expect(await caseStatus(1)).not.toBe('withdrawn');
  });

  it('keeps a session in use open, and ends one unused for about 12 hours', async () => {
    const opened = (hoursAgo: number) => {
      const { token, session } = newSession(CREDENTIALS, Date.now() - hoursAgo * 3_600_000);
      return saveWebSession(p.deps.db, session).then(() => ({ token, session }));
    };
    const api = (token: string) =>
      fetch(`${p.baseUrl}/api/cases`, { headers: { cookie: `intake_session=${token}` } });
    // Opened half an hour ago: nothing to move yet.
    const fresh = await opened(0.5);
    const first = await api(fresh.token);
    expect(first.status).toBe(200);
    expect(cookieOf(first, 'intake_session')).toBe('');
    // Opened 2 hours ago, in use now: its end moves to 12 hours from now, cookie too.
    const working = await opened(2);
    const res = await api(working.token);
    expect(res.status).toBe(200);
    expect(cookieOf(res, 'intake_session')).toBe(`intake_session=${working.token}`);
    const end = (await findWebSession(p.deps.db, working.session.tokenHash))?.expiresAt.getTime();
    expect(end).toBeGreaterThan(Date.now() + 11.9 * 3_600_000);
    // Opened 13 hours ago and not used since: over.
    expect((await api((await opened(13)).token)).status).toBe(401);
  });

  it('ends the session a browser had when it logs in again', async () => {
    const first = await logIn();
    const second = await logIn(first);
    const api = (cookie: string) => fetch(`${p.baseUrl}/api/cases`, { headers: { cookie } });
    expect((await api(first)).status).toBe(401);
    expect((await api(second)).status).toBe(200);
  });

  it('ends every session when the password changes', async () => {
    const session = await logIn();
    const changed = await buildWebServer({
      ...p.deps,
      credentials: { ...CREDENTIALS, password: 'a new password' },
    });
    try {
      const res = await changed.inject({ url: '/api/cases', headers: { cookie: session } });
      expect(res.statusCode).toBe(401);
      const same = await buildWebServer(p.deps);
      const again = await same.inject({ url: '/api/cases', headers: { cookie: session } });
      await same.close();
      expect(again.statusCode).toBe(200); // another web process on the same store knows it
    } finally {
      await changed.close();
    }
  });

  it('serves health without login and everything else with Basic', async () => {
    expect((await fetch(`${p.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${p.baseUrl}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, store: true, redis: true });
    const api = await fetch(`${p.baseUrl}/api/cases`, { headers: { authorization: basicAuth() } });
    expect(api.status).toBe(200);
    expect(((await api.json()) as unknown[]).length).toBeGreaterThan(25);
  });

  it('shows the queues on bull-board but refuses its actions', async () => {
    const auth = { authorization: basicAuth() };
    const api = `${p.baseUrl}/admin/queues/api/queues`;
    const list = await fetch(api, { headers: auth });
    expect(list.status).toBe(200);
    const { queues } = (await list.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(queues.map((q) => [q.name, q.readOnlyMode])).toEqual([
      [p.app.queues.process.name, true],
      [p.app.queues.reply.name, true],
    ]);
    for (const [method, action] of [
      ['PUT', 'pause'],
      ['PUT', 'empty'],
      ['PUT', 'clean/completed'],
      ['PUT', 'retry/failed'],
      ['POST', 'add'],
    ]) {
      const res = await fetch(`${api}/${encodeURIComponent(p.app.queues.process.name)}/${action}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', data: {} }),
      });
      expect(res.status, action).toBe(405);
    }
    expect(await p.app.queues.process.isPaused()).toBe(false);
  });

  it('exposes the service metrics to Prometheus', async () => {
    await recordUnfetched(p.app.db, {
      mailbox: 'INBOX',
      uidValidity: '1',
      uid: 99,
      receivedAt: new Date(),
      size: undefined,
      attempts: 5,
      error: 'NoConnection: Connection not available',
    });
    const text = await (
      await fetch(`${p.baseUrl}/metrics`, { headers: { authorization: basicAuth() } })
    ).text();
    expect(text).toMatch(/intake_messages_ingested\{state="processed"\} 34/);
    expect(text).toMatch(/intake_submissions\{verdict="rejected"\} \d+/);
    expect(text).toMatch(/intake_replies\{state="sent"\} \d+/);
    expect(text).toMatch(/intake_processing_seconds\{quantile="0.5"\} [\d.]+/);
    expect(text).toContain('# HELP intake_last_poll_age_seconds');
    expect(text).toMatch(/intake_unfetched_messages\{mailbox="INBOX"\} 1\n/);
  });

  it('rate-limits login attempts', async () => {
    const server = await buildWebServer({ ...p.deps, loginAttemptsPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await server.inject({
          method: 'POST',
          url: '/login',
          payload: 'username=a&password=b',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        statuses.push(res.statusCode);
      }
      // Three attempts are judged (403: no CSRF token), then the limit answers 429.
      expect(statuses).toEqual([403, 403, 403, 429, 429]);
    } finally {
      await server.close();
    }
  });

  it('limits wrong Basic credentials as it limits the login form', async () => {
    const server = await buildWebServer({ ...p.deps, loginAttemptsPerMinute: 3 });
    const wrong = `Basic ${Buffer.from('admin:guess').toString('base64')}`;
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await server.inject({ url: '/metrics', headers: { authorization: wrong } });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Refused unchecked: even the right password waits out the minute from that address.
      const right = await server.inject({
        url: '/metrics',
        headers: { authorization: basicAuth() },
      });
      expect(right.statusCode).toBe(429);
    } finally {
      await server.close();
    }
  });

  it('believes X-Forwarded-* only from the proxy WEB_TRUST_PROXY names: Secure cookies behind TLS', async () => {
    const https = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };
    const direct = await buildWebServer(p.deps);
    const proxied = await buildWebServer({ ...p.deps, trustProxy: '127.0.0.1' });
    const elsewhere = await buildWebServer({ ...p.deps, trustProxy: '10.0.0.1' });
    try {
      const cookie = async (server: typeof direct) =>
        String((await server.inject({ url: '/login', headers: https })).headers['set-cookie']);
      expect(await cookie(proxied)).toMatch(/; Secure/);
      expect(await cookie(direct)).not.toMatch(/; Secure/);
      expect(await cookie(elsewhere)).not.toMatch(/; Secure/);
      // The limits count the visitor behind the proxy, not the proxy.
      const wrong = `Basic ${Buffer.from('admin:guess').toString('base64')}`;
      const from = (ip: string) => ({ authorization: wrong, 'x-forwarded-for': ip });
      for (let i = 0; i < 10; i++)
        await proxied.inject({ url: '/metrics', headers: from('203.0.113.7') });
      expect(
        (await proxied.inject({ url: '/metrics', headers: from('203.0.113.7') })).statusCode,
      ).toBe(429);
      expect(
        (await proxied.inject({ url: '/metrics', headers: from('198.51.100.2') })).statusCode,
      ).toBe(401);
    } finally {
      await Promise.all([direct.close(), proxied.close(), elsewhere.close()]);
    }
  });

  it('takes a repeated parameter as its first value, and shows no internals on a 500', async () => {
    const auth = { authorization: basicAuth() };
    const repeated = await fetch(`${p.baseUrl}/cases?q=a&q=b&page=1e300`, { headers: auth });
    expect(repeated.status).toBe(200);
    expect(await repeated.text()).toContain('value="a"');
    // A store that fails under every page (closed): the error is logged, its message not shown.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-closed-'));
    const closed = await openDb(`sqlite:${path.join(dir, 'intake.sqlite')}`);
    await closed.close();
    const server = await buildWebServer({ ...p.deps, db: closed });
    try {
      const res = await server.inject({ method: 'GET', url: '/cases', headers: auth });
      expect(res.statusCode).toBe(500);
      expect(res.body).toBe('服务器内部错误，已记录。');
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports not ready when Redis is gone', async () => {
    // Port 1 on loopback: nothing listens there, as when the Redis server is down.
    const server = await buildWebServer({
      ...p.deps,
      pingRedis: () => pingRedis('127.0.0.1', 1, 500),
    });
    try {
      const res = await server.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ ok: false, store: true, redis: false });
    } finally {
      await server.close();
    }
  });
});
