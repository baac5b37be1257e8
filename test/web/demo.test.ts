// `npm run demo`: a fresh data folder, the fixture submissions processed, the dashboard up.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { PROJECT_ROOT, waitFor } from '../support/app.js';
import { startRedis, type TestRedis } from '../support/redis.js';

let child: ChildProcess | undefined;
let redis: TestRedis | undefined;
let tmp: string | undefined;

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    // npm does not pass SIGTERM on to its script: signal the whole process group it leads.
    const group = -child.pid;
    process.kill(group, 'SIGTERM');
    await exited;
    // The service drains its workers before exiting: wait for it while Redis is still up.
    await waitFor('the demo service to stop', async () => !groupAlive(group), 30_000).catch(() => {
      if (groupAlive(group)) process.kill(group, 'SIGKILL');
    });
  }
  await redis?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function groupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  it('imports the fixtures into a fresh data folder, processes them and serves the dashboard', async () => {
    redis = await startRedis();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'intake-demo-test-'));
    const port = await freePort();
    let output = '';
    child = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TMPDIR: tmp,
        WEB_PORT: String(port),
        REDIS_URL: redis.url,
        ADMIN_PASSWORD: 'demo-test',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const auth = { authorization: `Basic ${Buffer.from('admin:demo-test').toString('base64')}` };
    let cases: { status: string }[] = [];
    await waitFor(
      'the demo to file all 31 fixture cases',
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/cases`, { headers: auth }).catch(
          () => undefined,
        );
        if (res?.status !== 200) return false;
        cases = (await res.json()) as { status: string }[];
        return cases.length === 31;
      },
      120_000,
    );
    expect(output).toMatch(/intake-demo-\w+ \(33 fixture submissions in inbox\/\)/);
    expect(new Set(cases.map((c) => c.status))).toEqual(
      new Set(['accepted', 'rejected', 'needs_review']),
    );
    const home = await fetch(`http://127.0.0.1:${port}/`, { headers: auth });
    expect(await home.text()).toContain('2025金融新质生产力优秀案例征集');
  });
});
