// The service as a newcomer meets it: `intake start` with no variables set, bad configuration,
// and the private Redis it starts when none is running.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../../src/net.js';
import { pingRedis, resolveRedis } from '../../src/queue/redis-server.js';
import { openDb } from '../../src/store/db.js';
import { sql } from '../../src/store/kysely.js';
import { PROJECT_ROOT, waitFor } from '../support/app.js';
import { makeMessage } from '../support/mail.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const run = promisify(execFile);
const BIN = path.join(PROJECT_ROOT, 'src/bin.mjs');
const bareEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };

async function intake(args: string[], env: Record<string, string>, cwd = PROJECT_ROOT) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...bareEnv, ...env },
      timeout: 30_000, // a command that should have failed but runs on is ended
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The IPv4 sockets listening on `port`, from the kernel's table: address and inode. */
async function listeners(port: number): Promise<{ ip: string; inode: string }[]> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') // 0A: LISTEN
    .map((f) => {
      const hex = f[1]?.split(':')[0] ?? ''; // little-endian
      const ip = [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
      return { ip: ip.join('.'), inode: f[9] ?? '' };
    });
}

/** The process holding the socket that listens on `port`. */
async function pidListeningOn(port: number): Promise<number> {
  const [socket] = await listeners(port);
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (socket && link === `socket:[${socket.inode}]`) return Number(pid);
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A process's group id (the fifth field of /proc/PID/stat, after the command in brackets). */
async function processGroup(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

const temps: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const t of temps.splice(0)) await rm(t, { recursive: true, force: true });
});
async function tempDir() {
  const d = await mkdtemp(path.join(os.tmpdir(), 'intake-cli-'));
  temps.push(d);
  return d;
}

/** A long-running `intake <role>`, its log (stderr) and its end. */
function service(role: string, env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, [BIN, role], {
    cwd,
    env: { ...bareEnv, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  let closed = false;
  child.once('close', () => {
    closed = true;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return {
    child,
    exited,
    log: () => log,
    /** Waits for `text` in the log; a child that exits first, or a wait that times out, throws with the log's end. */
    logged: async (what: string, text: string, timeoutMs = 60_000) => {
      try {
        await waitFor(
          what,
          async () => {
            if (log.includes(text)) return true;
            // 'close' comes after the last of stderr has been read, unlike 'exit'.
            if (closed)
              throw new Error(
                `the service ended (${child.exitCode ?? child.signalCode}) before ${what}`,
              );
            return false;
          },
          timeoutMs,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; its log ends:\n${log.slice(-2000)}`);
      }
    },
  };
}

describe('intake start', () => {
  it('with no variables set, files an .eml dropped into ./data/inbox and stops on SIGTERM', async () => {
    const cwd = await tempDir();
    const intakeStart = service('start', {}, cwd);
    await intakeStart.logged('the service to start', 'case-intake running');
    await writeFile(path.join(cwd, 'data/inbox/submission.eml'), await makeMessage());

    const dbFile = path.join(cwd, 'data/intake.sqlite');
    await waitFor(
      'the message to be filed',
      async () => {
        if (!existsSync(dbFile)) return false;
        const db = await openDb(`sqlite:${dbFile}`, { migrate: false });
        try {
          const r = await sql<{ n: number }>`select count(*) as n from submissions`.execute(db.k);
          return Number(r.rows[0]?.n) === 1;
        } finally {
          await db.close();
        }
      },
      60_000,
    );
    expect(await readdir(path.join(cwd, 'data/inbox/.done'))).toEqual(['submission.eml']);

    intakeStart.child.kill('SIGTERM');
    expect(await intakeStart.exited).toEqual({ code: 0, signal: null });
  });

  it('stops on SIGTERM while its Redis is down', async () => {
    const redis = await startRedis();
    try {
      const intakeStart = service('start', { REDIS_URL: redis.url }, await tempDir());
      await intakeStart.logged('the service to start', 'case-intake running');
      await redis.stop();
      await intakeStart.logged('the service to notice', 'ECONNREFUSED', 30_000);
      // Closing BullMQ's workers waits on Redis: before cbb4370 this never exited.
      intakeStart.child.kill('SIGTERM');
      expect(await intakeStart.exited).toEqual({ code: 0, signal: null });
    } finally {
      await redis.stop();
    }
  }, 90_000);

  /**
   * `intake start` with a reply in hand that waits on a relay which takes the connection and
   * never greets (nodemailer gives up after 10 s): a drain that takes a while.
   */
  async function drainWaiting(run: (intakeStart: ReturnType<typeof service>) => Promise<void>) {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const redis = await startRedis();
    try {
      const cwd = await tempDir();
      const intakeStart = service(
        'start',
        {
          REDIS_URL: redis.url,
          SMTP_HOST: '127.0.0.1',
          SMTP_PORT: String((silent.address() as net.AddressInfo).port),
          REPLY_FROM: 'contest@example.org',
        },
        cwd,
      );
      await intakeStart.logged('the service to start', 'case-intake running');
      await writeFile(path.join(cwd, 'data/inbox/submission.eml'), await makeMessage());
      await waitFor('the reply to reach the relay', async () => sockets.length > 0);
      await run(intakeStart);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await redis.stop();
    }
  }

  it('drains on SIGHUP too (its terminal closed), which a private Redis no longer gets', async () => {
    const redis = await startRedis();
    try {
      const intakeStart = service('start', { REDIS_URL: redis.url }, await tempDir());
      await intakeStart.logged('the service to settle', 'evaluation thread started');
      intakeStart.child.kill('SIGHUP');
      expect(await intakeStart.exited).toEqual({ code: 0, signal: null });
      expect(intakeStart.log()).toContain('"signal":"SIGHUP"');
    } finally {
      await redis.stop();
    }
  });

  it('takes a signal repeated at once for one (npm passes a Ctrl-C on), and drains', async () => {
    await drainWaiting(async (intakeStart) => {
      intakeStart.child.kill('SIGINT');
      await intakeStart.logged('the drain to begin', 'stopping: draining work in hand');
      intakeStart.child.kill('SIGINT'); // npm's relay, a moment after the terminal's
      expect(await intakeStart.exited).toEqual({ code: 0, signal: null });
    });
  }, 90_000);

  it('ends at once on a second signal, of either kind, while the drain waits', async () => {
    await drainWaiting(async (intakeStart) => {
      intakeStart.child.kill('SIGTERM');
      await intakeStart.logged('the drain to begin', 'stopping: draining work in hand');
      await new Promise((r) => setTimeout(r, 2_000));
      expect(intakeStart.child.exitCode, 'the drain is waiting').toBeNull();
      intakeStart.child.kill('SIGINT');
      expect(await intakeStart.exited).toEqual({ code: 130, signal: null });
    });
  }, 90_000);
});

describe('configuration errors', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('lists every problem of the environment at once and exits non-zero, without a stack', async () => {
    const r = await intake(['start'], {
      IMAP_HOST: 'imap.example.org',
      IMAP_PORT: 'nine',
      SMTP_HOST: 'smtp.example.org',
      LOG_LEVEL: 'loud',
    });
    expect(r.code).toBe(1);
    for (const name of ['IMAP_PORT', 'IMAP_USER', 'IMAP_PASSWORD', 'REPLY_FROM', 'LOG_LEVEL']) {
      expect(r.stderr).toContain(name);
    }
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('serves the dashboard on 127.0.0.1 unless WEB_HOST says otherwise, password or not', async () => {
    const port = await freePort();
    const web = service(
      'web',
      { REDIS_URL: redis.url, WEB_PORT: String(port), ADMIN_PASSWORD: 'chosen' },
      await tempDir(),
    );
    await web.logged('the dashboard', 'dashboard listening', 30_000);
    expect((await listeners(port)).map((l) => l.ip)).toEqual(['127.0.0.1']);
    web.child.kill('SIGTERM');
    expect(await web.exited).toEqual({ code: 0, signal: null });
  });

  it('says which port is taken when the dashboard cannot listen, and stops what had started', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = String((taken.address() as net.AddressInfo).port);
      const r = await intake(['start'], {
        REDIS_URL: redis.url,
        WEB_PORT: port,
        DATA_DIR: await tempDir(),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `WEB_PORT: another program has the port: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      taken.close();
    }
  });

  it('names a database it cannot open, without a stack', async () => {
    const closed = await freePort();
    for (const url of [`postgres://127.0.0.1:${closed}/intake`, 'sqlite:/etc/passwd/x.sqlite']) {
      const r = await intake(
        ['start'],
        { REDIS_URL: redis.url, DATABASE_URL: url },
        await tempDir(),
      );
      expect(r.code, url).toBe(1);
      expect(r.stderr).toContain('the database cannot be opened:\n  - DATABASE_URL: ');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('names the file and every field of a malformed contest profile', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'contest.json');
    await writeFile(
      file,
      JSON.stringify({ name: '', caseNumberPrefix: '2026', logo: { maxBytes: -1 } }),
    );
    const r = await intake(['start'], { CONTEST_FILE: file, DATA_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    for (const field of ['deadline', 'logo.maxBytes', 'report', 'directions'])
      expect(r.stderr).toContain(field);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a contest file that is not JSON', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'contest.json');
    await writeFile(file, '{ "name": ');
    const r = await intake(
      ['check', '--contest', file, path.join(PROJECT_ROOT, 'package.json')],
      {},
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not valid JSON');
  });

  it('intake check reads CONTEST_FILE, and --contest overrides it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'next-year.json');
    await writeFile(file, '{ "name": ');
    const eml = path.join(dir, 'submission.eml');
    await writeFile(eml, await makeMessage());

    const fromEnv = await intake(['check', eml], { CONTEST_FILE: file });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(file);

    const bundled = path.join(PROJECT_ROOT, 'config/contest-2025.json');
    const given = await intake(['check', '--contest', bundled, eml], { CONTEST_FILE: file });
    expect(given.code).toBe(0);
    expect(given.stdout).toMatch(/accepted|rejected|needs_review/);
  });

  it('intake check - reads the message from standard input', async () => {
    const raw = await makeMessage();
    const piped = run(process.execPath, [BIN, 'check', '--json', '-'], {
      cwd: PROJECT_ROOT,
      env: bareEnv,
      timeout: 30_000,
    });
    piped.child.stdin?.end(raw);
    const { stdout } = await piped;
    const result = JSON.parse(stdout) as { kind: string; messageId: string };
    expect(result.kind).toBe('submission');
    expect(raw.toString('latin1')).toContain(`Message-ID: ${result.messageId}`);
  });
});

describe('Redis for a fresh machine', () => {
  /** What `intake start` does on a machine where no Redis answers. */
  const privateRedis = async (dataDir: string) =>
    resolveRedis({
      redisUrl: undefined,
      dataDir,
      log: createLogger('silent'),
      allowPrivate: true,
      localPort: await freePort(),
    });

  it('starts a private append-only redis-server under DATA_DIR/redis when none answers', async () => {
    const dataDir = await tempDir();
    const target = await privateRedis(dataDir);
    try {
      const port = Number(new URL(target.url).port);
      expect(await pingRedis('127.0.0.1', port)).toBe(true);
      await waitFor('the append-only file', async () =>
        (await readdir(path.join(dataDir, 'redis'))).some((n) => n.startsWith('appendonly')),
      );
      // In a process group of its own: a Ctrl-C at the terminal (SIGINT to the foreground
      // group) reaches the service, which stops this server after draining, not the server.
      const pid = await pidListeningOn(port);
      expect(await processGroup(pid)).toBe(pid);
      expect(await processGroup(process.pid)).not.toBe(pid);
    } finally {
      await target.stop();
    }
  });

  it('starts the private redis-server again when it is killed, with what it had queued', async () => {
    const dataDir = await tempDir();
    const target = await privateRedis(dataDir);
    const port = Number(new URL(target.url).port);
    const client = new Redis(target.url, { lazyConnect: true, maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.set('queued', 'work');
      await client.call('BGREWRITEAOF'); // on disk now, not at the next second's fsync
      await waitFor('the rewrite', async () =>
        /aof_rewrite_in_progress:0/.test(await client.info('persistence')),
      );
      const first = await pidListeningOn(port);
      // The first start again fails (no redis-server to be found): it is tried again later.
      const pathWas = process.env.PATH;
      process.env.PATH = '/nonexistent';
      process.kill(first, 'SIGKILL'); // as the OOM killer would
      await sleep(1_500);
      process.env.PATH = pathWas;
      expect(await pingRedis('127.0.0.1', port)).toBe(false);
      await waitFor('a new server on the same port', async () => {
        const pid = await pidListeningOn(port).catch(() => 0);
        return pid !== 0 && pid !== first;
      });
      expect(await client.get('queued')).toBe('work');
    } finally {
      client.disconnect();
      await target.stop();
    }
    expect(await pingRedis('127.0.0.1', port)).toBe(false); // stopped for good when asked
  });

  it('takes over the private Redis of a run that was killed, and stops it in its turn', async () => {
    const dataDir = await tempDir();
    const localPort = await freePort();
    // The run that is killed: it starts the server, prints its address, and gets SIGKILL.
    const script = `
      const { resolveRedis } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/queue/redis-server.ts'))});
      const { createLogger } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/log.ts'))});
      const t = await resolveRedis({ redisUrl: undefined, dataDir: ${JSON.stringify(dataDir)},
        log: createLogger('silent'), allowPrivate: true, localPort: ${localPort} });
      console.log(t.url);
      setInterval(() => {}, 1000);`;
    const killed = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let printed = '';
    killed.stdout?.on('data', (d) => {
      printed += d;
    });
    await waitFor('the first run to start its Redis', async () => printed.includes('redis://'));
    const url = printed.trim();
    const port = Number(new URL(url).port);
    const exited = new Promise((r) => killed.once('exit', r));
    killed.kill('SIGKILL');
    await exited;
    const serverPid = await pidListeningOn(port);
    try {
      expect(await pingRedis('127.0.0.1', port)).toBe(true); // left running, as before

      // Another command (allowPrivate false) uses it and leaves it be.
      const log = createLogger('silent');
      const other = await resolveRedis({
        redisUrl: undefined,
        dataDir,
        log,
        allowPrivate: false,
        localPort,
      });
      expect(other.url).toBe(url);
      await other.stop();
      expect(await pingRedis('127.0.0.1', port)).toBe(true);

      // The next `intake start` owns it: it stops it when it stops.
      const next = await resolveRedis({
        redisUrl: undefined,
        dataDir,
        log,
        allowPrivate: true,
        localPort,
      });
      expect(next.url).toBe(url);
      expect(await readFile(path.join(dataDir, 'redis/port'), 'utf8')).toBe(
        `${port} ${process.pid}\n`,
      );
      // While it runs, a further start (a live owner) uses it without taking it.
      const meanwhile = await resolveRedis({
        redisUrl: undefined,
        dataDir,
        log,
        allowPrivate: true,
        localPort,
      });
      await meanwhile.stop();
      expect(await pingRedis('127.0.0.1', port)).toBe(true);
      // The server taken over is watched too: killed, it is replaced by one of this run's.
      process.kill(serverPid, 'SIGKILL');
      await waitFor('a new server on the same port', async () => {
        const pid = await pidListeningOn(port).catch(() => 0);
        return pid !== 0 && pid !== serverPid;
      });
      await next.stop();
      expect(await pingRedis('127.0.0.1', port)).toBe(false);
    } finally {
      try {
        process.kill(serverPid, 'SIGKILL');
      } catch {
        // stopped by the test, as it should be
      }
    }
  });

  it("never uses, nor stops, a Redis that is not this folder's, nor one of an unknown owner", async () => {
    const dataDir = await tempDir();
    const localPort = await freePort();
    const log = createLogger('silent');
    await mkdir(path.join(dataDir, 'redis'), { recursive: true });
    const portFile = path.join(dataDir, 'redis/port');
    // A stale port file whose port another Redis now has, its owner long gone.
    const other = await startRedis();
    try {
      await writeFile(portFile, `${other.port} 999999999\n`);
      const mine = await resolveRedis({
        redisUrl: undefined,
        dataDir,
        log,
        allowPrivate: true,
        localPort,
      });
      expect(new URL(mine.url).port).not.toBe(String(other.port));
      await mine.stop();
      expect(await pingRedis('127.0.0.1', other.port)).toBe(true);

      // A port file from before owners were written: the server is used, not taken over.
      const first = await resolveRedis({
        redisUrl: undefined,
        dataDir,
        log,
        allowPrivate: true,
        localPort,
      });
      const port = Number(new URL(first.url).port);
      await writeFile(portFile, `${port}\n`);
      const second = await resolveRedis({
        redisUrl: undefined,
        dataDir,
        log,
        allowPrivate: true,
        localPort,
      });
      expect(second.url).toBe(first.url);
      await second.stop();
      expect(await pingRedis('127.0.0.1', port)).toBe(true);
      await first.stop();
    } finally {
      await other.stop();
    }
  });

  it('explains how to get Redis when it may not start one', async () => {
    const dataDir = await tempDir();
    await mkdir(dataDir, { recursive: true });
    const attempt = resolveRedis({
      redisUrl: undefined,
      dataDir,
      log: createLogger('silent'),
      allowPrivate: false,
      localPort: await freePort(),
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/apt-get install redis-server/);
  });
});

describe('role entry points', () => {
  it.each(['start', 'poll', 'worker', 'web'])(
    'workers/%s.ts runs that role of the CLI',
    async (role) => {
      const r = await run(process.execPath, ['--import', 'tsx', `workers/${role}.ts`, '--help'], {
        cwd: PROJECT_ROOT,
      });
      expect(r.stdout).toContain(`Usage: intake ${role}`);
    },
  );
});

describe('the build (`npm run build`, what `npm start` runs)', () => {
  it('dist/main.js answers as the source does, and its evaluation threads run without tsx', async () => {
    await run(process.execPath, ['scripts/build.mjs'], { cwd: PROJECT_ROOT });
    const eml = path.join(PROJECT_ROOT, 'fixtures/submissions/no-seal.eml');
    const built = await run(process.execPath, ['dist/main.js', 'check', '--json', eml], {
      cwd: PROJECT_ROOT,
    });
    const source = await intake(['check', '--json', eml], {});
    expect(source.code).toBe(0);
    expect(JSON.parse(built.stdout)).toEqual(JSON.parse(source.stdout));
    expect(existsSync(path.join(PROJECT_ROOT, 'dist/evaluate-thread-tsx.mjs'))).toBe(false);

    // The built pool starts dist/evaluate-thread.js: plain Node, no loader; it evaluates (PDFs
    // through the main thread's worker) exactly as `check` does.
    const dist = (m: string) => path.join(PROJECT_ROOT, 'dist', m);
    const { createEvaluatePool } = (await import(
      dist('evaluate-pool.js')
    )) as typeof import('../../src/evaluate-pool.js');
    const { createBlobStore } = (await import(
      dist('store/blobs.js')
    )) as typeof import('../../src/store/blobs.js');
    const { loadContest } = (await import(
      dist('config/contest.js')
    )) as typeof import('../../src/config/contest.js');
    const dir = await tempDir();
    const { sha256 } = await createBlobStore(dir).put(await readFile(eml));
    const pool = createEvaluatePool({
      blobDir: dir,
      profile: loadContest(path.join(PROJECT_ROOT, 'config/contest-2025.json')),
      size: 1,
    });
    try {
      const receivedAt = new Date(JSON.parse(source.stdout).receivedAt);
      const { result, threadId } = await pool.evaluate({ sha256, receivedAt });
      expect(threadId).not.toBe(0);
      expect(result).toEqual(JSON.parse(source.stdout));
    } finally {
      await pool.close();
    }
  });
});
