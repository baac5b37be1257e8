// Where Redis is: REDIS_URL; else the machine's Redis on 127.0.0.1:6379; else the private
// redis-server that `intake start` runs under DATA_DIR/redis on a fresh machine, append-only, so
// `npm ci && npm start` works with no set-up and loses no queued work across restarts. Only
// `intake start` starts one (and stops it): another command that started one could stop it
// under a service that had begun using it meanwhile.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
export function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')));
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
  // A private server left running by an earlier run (killed without a chance to stop it).
  const previous = Number(await readFile(portFile, 'utf8').catch(() => ''));
  if (previous && (await pingRedis(LOCAL.host, previous))) {
    opts.log.info({ port: previous }, 'using the private redis-server started earlier');
    return { url: `redis://${LOCAL.host}:${previous}`, stop: none };
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
  const child = spawn(
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
  await writeFile(portFile, String(port));
  // In its own process group nothing else stops it: a service that ends without stopping it
  // (process.exit on a second signal) sends it SIGTERM on the way out.
  const stopOnExit = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stopOnExit);
  opts.log.info(
    { port, dir },
    'no Redis configured or running: started a private redis-server (append-only)',
  );
  return {
    url: `redis://${LOCAL.host}:${port}`,
    async stop() {
      process.off('exit', stopOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
