// Secrets never reach a log: the whole service at LOG_LEVEL=trace, logging in to a real Dovecot
// and a real SMTP relay with passwords, receiving a submission and replying to it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { PROJECT_ROOT, waitFor } from '../support/app.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { DOVECOT_PASSWORD, imapVars, startDovecot, type TestDovecot } from '../support/dovecot.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const SMTP_PASSWORD = 'smtp-Relay-pw-91c2';
const ADMIN_PASSWORD = 'admin-Dash-pw-44e8';

describe('secrets in logs', () => {
  let dovecot: TestDovecot;
  let redis: TestRedis;
  let store: TestDb;
  let sink: SmtpSink;
  let dataDir: string;
  beforeAll(async () => {
    [dovecot, redis, store, sink] = await Promise.all([
      startDovecot(),
      startRedis(),
      createTestDb('sqlite'),
      startSmtpSink({ auth: { user: 'relay', pass: SMTP_PASSWORD } }),
    ]);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'intake-secrets-'));
  });
  afterAll(async () => {
    await Promise.all([dovecot.stop(), redis.stop(), store.dispose(), sink.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs the work at trace level without any password in it', { timeout: 120_000 }, async () => {
    const fixture = await readFile(
      path.join(PROJECT_ROOT, 'fixtures/submissions/accepted-docx.eml'),
    );
    await dovecot.append(fixture, new Date('2025-10-10T10:00:00+08:00'));
    const webPort = await freePort();
    const child = spawn(process.execPath, ['src/bin.mjs', 'start'], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DATA_DIR: dataDir,
        DATABASE_URL: store.url,
        REDIS_URL: redis.url,
        ...imapVars(dovecot),
        SMTP_HOST: sink.host,
        SMTP_PORT: String(sink.port),
        SMTP_USER: 'relay',
        SMTP_PASSWORD,
        REPLY_FROM: '案例征集组 <cases@contest.example.org>',
        ADMIN_PASSWORD,
        WEB_HOST: '127.0.0.1',
        WEB_PORT: String(webPort),
        LOG_LEVEL: 'trace',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor(
        'the acknowledgement at the relay',
        async () => {
          if (child.exitCode !== null)
            throw new Error(`the service exited:\n${output.slice(-2000)}`);
          return sink.messages.length === 1;
        },
        90_000,
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    // The run really logged its work, logins included, at the most verbose level.
    expect(output).toContain('message stored');
    expect(output).toMatch(/"level":10/);
    expect(output).toMatch(/LOGIN|AUTHENTICATE/); // the IMAP login itself was logged
    for (const secret of [DOVECOT_PASSWORD, SMTP_PASSWORD, ADMIN_PASSWORD]) {
      expect(output).not.toContain(secret);
    }
  });
});
