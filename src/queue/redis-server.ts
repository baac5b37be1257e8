// Where Redis is: REDIS_URL; else the machine's Redis on 127.0.0.1:6379; else the private
// redis-server that `intake start` runs under DATA_DIR/redis on a fresh machine, append-only, so
// `npm ci && npm start` works with no set-up and loses no queued work across restarts; one that
// ends on its own is started again (supervise). Only
// `intake start` starts one (and stops it): another command that started one could stop it
// under a service that had begun using it meanwhile. DATA_DIR/redis/port names the server's port
// and the `intake start` that owns it; a server whose owner died without stopping it (SIGKILL, the
// OOM killer) is taken over by the next `intake start`, which stops it in its turn.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from '../config/env.js';
import type { Logger } from '../log.js';
import { freePort } from '../net.js';

export interface RedisTarget {
  url: string;
  /** Stops the private server, if this process started one. */
  stop(): Promise<void>;
}

const LOCAL = { host: '127.0.0.1', port: 6379 };

/** True when something on host:port answers PING with PONG. */
export async function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return (await askRedis(host, port, 'PING', /^\+PONG/, timeoutMs)) !== undefined;
}

/** Sends one inline command and matches `answer` against the reply as it arrives. */
function askRedis(
  host: string,
  port: number,
  command: string,
  answer: RegExp,
  timeoutMs = 1_000,
): Promise<RegExpMatchArray | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = '';
    const done = (match: RegExpMatchArray | undefined) => {
      socket.destroy();
      resolve(match);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (d) => {
      reply += d.toString();
      const match = reply.match(answer);
      if (match) done(match);
    });
  });
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => existsSync(path.join(d, cmd)));
}

export async function resolveRedis(opts: {
  redisUrl: string | undefined;
  dataDir: string;
  log: Logger;
  allowPrivate: boolean;
  /** The port a machine-wide Redis is looked for on (tests use an empty one). */
  localPort?: number;
}): Promise<RedisTarget> {
  const none = async () => undefined;
  const localPort = opts.localPort ?? LOCAL.port;
  if (opts.redisUrl) return { url: opts.redisUrl, stop: none };
  if (await pingRedis(LOCAL.host, localPort)) {
    return { url: `redis://${LOCAL.host}:${localPort}`, stop: none };
  }
  const dir = path.join(opts.dataDir, 'redis');
  const portFile = path.join(dir, 'port');
  const [previous = 0, owner = 0] = (await readFile(portFile, 'utf8').catch(() => ''))
    .split(/\s+/)
    .map(Number);
  // The port file may be stale and the port another Redis's: only ours, in this folder, is used.
  if (previous && (await servesFrom(previous, dir))) {
    const url = `redis://${LOCAL.host}:${previous}`;
    // An owner of 0 is unknown (a port file written before owners were), not dead.
    const orphan = owner > 0 && !isAlive(owner);
    const pid = opts.allowPrivate && orphan && (await redisPid(LOCAL.host, previous));
    if (!pid) {
      opts.log.info({ port: previous }, 'using the private redis-server that `intake start` runs');
      return { url, stop: none };
    }
    await writeFile(portFile, `${previous} ${process.pid}\n`);
    opts.log.info(
      { port: previous, pid },
      'took over the private redis-server of an earlier run that ended without stopping it',
    );
    return { url, stop: supervise(pid, previous, dir, opts.log) };
  }
  if (!opts.allowPrivate || !onPath('redis-server')) {
    throw new ConfigError([
      `REDIS_URL: not set and no Redis answers on 127.0.0.1:${localPort}. Set REDIS_URL; or run ` +
        'this while `intake start` (npm start) runs, which starts a private Redis that other ' +
        'commands use (Debian: apt-get install redis-server).',
    ]);
  }
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const child = spawnServer(port, dir);
  for (let i = 0; i < 100 && !(await pingRedis(LOCAL.host, port, 200)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await pingRedis(LOCAL.host, port))) {
    child.kill();
    throw new ConfigError([
      `REDIS_URL: the private redis-server did not start; see ${dir}/redis.log`,
    ]);
  }
  await writeFile(portFile, `${port} ${process.pid}\n`);
  opts.log.info(
    { port, dir },
    'no Redis configured or running: started a private redis-server (append-only)',
  );
  return { url: `redis://${LOCAL.host}:${port}`, stop: supervise(child, port, dir, opts.log) };
}

function spawnServer(port: number, dir: string): ChildProcess {
  return spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      'redis.log',
    ],
    // Its own process group: a Ctrl-C at the terminal goes to the service, which stops this
    // server once its workers have drained, not before.
    { stdio: 'ignore', detached: true },
  );
}

/** Restarts come this often at most, and at least this often while the server keeps dying. */
const RESTART_MS = { min: 1_000, max: 30_000 };

/**
 * Keeps the private server running until stopped: one that ends on its own (the OOM killer, a
 * crash) is started again on its port and folder, from its append-only file, after a wait that
 * doubles while it keeps ending within a minute (a start that fails counts as an end). Without
 * this the service would wait on a dead port for good, storing mail but filing and answering
 * none of it. A server taken over from an earlier run is no child of ours: it is watched by its
 * pid instead, and replaced by one of ours when it ends.
 */
function supervise(first: ChildProcess | number, port: number, dir: string, log: Logger) {
  let child = typeof first === 'number' ? undefined : first;
  let adopted = typeof first === 'number' ? first : 0;
  let stopping = false;
  let quickEnds = 0;
  let watchAdopted: NodeJS.Timeout | undefined;

  const ended = (started: number, detail: object) => {
    if (stopping) return;
    quickEnds = Date.now() - started < 60_000 ? quickEnds + 1 : 0;
    const wait = Math.min(RESTART_MS.min * 2 ** Math.max(quickEnds - 1, 0), RESTART_MS.max);
    log.error(
      { ...detail, port, restartInMs: wait, log: path.join(dir, 'redis.log') },
      'the private redis-server ended; starting it again from its append-only file',
    );
    setTimeout(start, wait).unref();
  };
  const watch = (c: ChildProcess) => {
    const started = Date.now();
    let done = false;
    const end = (detail: object) => {
      if (done) return;
      done = true;
      ended(started, detail);
    };
    // A spawn that fails (EAGAIN, ENOENT) says so with `error`, and never exits.
    c.once('error', (err) => end({ err }));
    c.once('exit', (code, signal) => end({ code, signal }));
  };
  const start = () => {
    if (stopping) return;
    adopted = 0;
    try {
      child = spawnServer(port, dir);
    } catch (err) {
      return ended(Date.now(), { err });
    }
    watch(child);
  };

  if (child) watch(child);
  else {
    const since = Date.now();
    watchAdopted = setInterval(() => {
      if (isAlive(adopted)) return;
      clearInterval(watchAdopted);
      const pid = adopted;
      adopted = 0; // its pid may be another process's soon: never signalled again
      ended(since, { pid });
    }, 1_000);
    watchAdopted.unref();
  }
  const stop = stopper(
    () => child?.pid ?? adopted,
    () =>
      child
        ? child.pid !== undefined && child.exitCode === null && !child.signalCode
        : adopted > 0 && isAlive(adopted),
  );
  return () => {
    stopping = true;
    clearInterval(watchAdopted);
    return stop();
  };
}

function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Ended but not yet reaped (its parent died first, and init reaps in its own time).
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(pid, 0) is all there is
  }
}

/** The process id a Redis on host:port reports (INFO server), or undefined. */
async function redisPid(host: string, port: number): Promise<number | undefined> {
  const info = await askRedis(host, port, 'INFO server', /process_id:(\d+)\r\n/);
  return info ? Number(info[1]) : undefined;
}

/** True when the Redis on 127.0.0.1:port keeps its files in `dir` (CONFIG GET dir). */
async function servesFrom(port: number, dir: string): Promise<boolean> {
  const real = await realpath(dir).catch(() => null);
  if (!real) return false;
  const escaped = real.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (
    (await askRedis(LOCAL.host, port, 'CONFIG GET dir', new RegExp(`\r\n${escaped}\r\n`))) !==
    undefined
  );
}

/**
 * Stops the private server this process owns: SIGTERM (it writes its append-only file and
 * exits), then waits until it is gone. In its own process group nothing else stops it, so a
 * service that ends without calling this (process.exit on a second signal) sends the SIGTERM on
 * its way out.
 */
function stopper(pid: () => number, running: () => boolean): () => Promise<void> {
  const stopOnExit = () => {
    if (running()) process.kill(pid(), 'SIGTERM');
  };
  process.once('exit', stopOnExit);
  return async () => {
    process.off('exit', stopOnExit);
    stopOnExit();
    while (running()) await new Promise((r) => setTimeout(r, 50));
  };
}
