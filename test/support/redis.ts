// A private redis-server per test file (DESIGN.md §5): tests may flush or restart it without
// touching the machine's Redis or each other.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/net.js';
import { pingRedis } from '../../src/queue/redis-server.js';

export interface TestRedis {
  url: string;
  port: number;
  flushAll(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => s.write(`${line}\r\n`));
    s.on('data', (d) => {
      s.destroy();
      resolve(d.toString());
    });
    s.on('error', reject);
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'intake-redis-'));
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    child.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      if (await pingRedis('127.0.0.1', port, 200)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start (is it installed? run .ci/run)');
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async flushAll() {
      await command(port, 'FLUSHALL');
    },
    async restart() {
      await stop();
      await launch();
    },
    stop,
  };
}
