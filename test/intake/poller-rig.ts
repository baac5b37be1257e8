// Test rig for the poller scenarios (poller-scenarios.ts): a fresh Dovecot and a unique Redis
// lock prefix per test, test messages (real corpus mail and generated), and a reference
// in-memory PollSink that really hashes and keeps the bytes.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';
import { createImapSession } from '../../src/intake/imap.js';
import { createRedisLock } from '../../src/intake/lock.js';
import { createPoller, type Poller, type PollSink } from '../../src/intake/poller.js';
import { createLogger } from '../../src/log.js';
import { corpusFiles } from '../support/corpus.js';
import { startDovecot, type TestDovecot } from '../support/dovecot.js';

export interface StoredRow {
  mailbox: string;
  uidValidity: string;
  uid: number;
  sha256: string;
  size: number;
  receivedAt: Date;
  receivedAtSource: string;
}

export interface ScenarioSink {
  sink: PollSink;
  /** Every message row stored for `mailbox`. */
  rows(mailbox: string): Promise<StoredRow[]>;
  /** The UIDs recorded as unfetched for `mailbox` and not stored on a later try, ascending. */
  unfetched(mailbox: string): Promise<number[]>;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A reference PollSink: really reads, hashes and keeps the bytes; checks the size like the blob store. */
export function createMemorySink(): ScenarioSink & {
  bytes: Map<string, Buffer>;
  outcomes: { ok: boolean }[];
} {
  const rows = new Map<string, StoredRow>();
  const bytes = new Map<string, Buffer>();
  const cursors = new Map<string, { uidValidity: string | null; lastUid: number }>();
  const outcomes: { ok: boolean }[] = [];
  const unfetched = new Map<string, { mailbox: string; uidValidity: string; uid: number }>();
  const sink: PollSink = {
    async cursor(mailbox) {
      return cursors.get(mailbox);
    },
    async knownSha(mailbox, sha) {
      return [...rows.values()].some((r) => r.mailbox === mailbox && r.sha256 === sha);
    },
    async ingest({ raw, expectedSize, mailbox, uidValidity, uid, receivedAt, receivedAtSource }) {
      const chunks: Buffer[] = [];
      for await (const chunk of raw as Readable) chunks.push(Buffer.from(chunk));
      const body = Buffer.concat(chunks);
      if (expectedSize !== undefined && body.length !== expectedSize) {
        throw Object.assign(
          new Error(`size mismatch: got ${body.length}, expected ${expectedSize}`),
          { code: 'BlobSizeMismatch' },
        );
      }
      const sha = sha256(body);
      const key = `${mailbox}\0${uidValidity}\0${uid}`;
      const had = rows.get(key);
      if (had) return { sha256: had.sha256, size: had.size, inserted: false };
      bytes.set(sha, body);
      rows.set(key, {
        mailbox,
        uidValidity,
        uid,
        sha256: sha,
        size: body.length,
        receivedAt,
        receivedAtSource,
      });
      return { sha256: sha, size: body.length, inserted: true };
    },
    async advance(mailbox, uidValidity, lastUid) {
      cursors.set(mailbox, { uidValidity, lastUid });
    },
    async unfetched(m) {
      unfetched.set(`${m.mailbox}\0${m.uidValidity}\0${m.uid}`, m);
    },
    async stillUnfetched(mailbox, uidValidity) {
      return [...unfetched.values()]
        .filter((u) => u.mailbox === mailbox && u.uidValidity === uidValidity)
        .map((u) => u.uid)
        .sort((a, b) => a - b);
    },
    async fetchedLater(mailbox, uidValidity, uid) {
      unfetched.delete(`${mailbox}\0${uidValidity}\0${uid}`);
    },
    async polled(_mailbox, outcome) {
      outcomes.push({ ok: outcome.ok });
    },
  };
  return {
    sink,
    bytes,
    outcomes,
    rows: async (m) => [...rows.values()].filter((r) => r.mailbox === m),
    unfetched: async (m) =>
      [...unfetched.values()]
        .filter((u) => u.mailbox === m)
        .map((u) => u.uid)
        .sort((a, b) => a - b),
    close: async () => {},
  };
}

// ── messages ─────────────────────────────────────────────────────────────────────────────────

export interface TestMessage {
  raw: Buffer;
  date: Date;
}

/** IMAP carries CRLF lines: normalise so the bytes served back are the bytes appended. */
const crlf = (raw: Buffer) =>
  Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');

const b64 = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;

/** A distinct submission-like message; `attachmentBytes` adds a random base64 attachment. */
export function generatedMessage(tag: string, i: number, attachmentBytes = 0): Buffer {
  const head = [
    `From: ${b64(`联系人${i}`)} <org${i}@example.cn>`,
    'To: cases@example.org',
    `Subject: ${b64(`测试单位${i}+案例题目${tag}`)}`,
    `Message-ID: <${tag}-${i}-${randomBytes(4).toString('hex')}@test.invalid>`,
    'Date: Wed, 01 Oct 2025 10:00:00 +0800',
    'MIME-Version: 1.0',
  ];
  const text = `尊敬的组委会：\r\n附件为本单位申报材料（${tag} 第 ${i} 封）。\r\n`;
  if (attachmentBytes === 0) {
    return Buffer.from(
      [
        ...head,
        'Content-Type: text/plain; charset=UTF-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        text,
      ].join('\r\n'),
    );
  }
  const data = randomBytes(attachmentBytes).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      ...head,
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      text,
      '--b1',
      'Content-Type: application/octet-stream; name="evidence.bin"',
      'Content-Disposition: attachment; filename="evidence.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      data,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

const DAY0 = Date.parse('2025-10-01T00:00:00Z');

/** `n` messages: real corpus emails first (when the corpus is present), then generated ones. */
export function testMessages(tag: string, n: number, fromCorpus = 0): TestMessage[] {
  const corpus = corpusFiles('emails', (f) => f.endsWith('.eml'))
    .map((f) => crlf(readFileSync(f)))
    .filter((raw) => !raw.includes(0) && raw.length < 1_000_000)
    .slice(0, fromCorpus);
  const raws: Buffer[] = [...corpus];
  while (raws.length < n) raws.push(generatedMessage(tag, raws.length));
  // Whole seconds: INTERNALDATE has no finer resolution.
  return raws.map((raw, i) => ({ raw, date: new Date(DAY0 + (i + 1) * 61_000) }));
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Rows as a sorted list of "sha receivedAt", to compare with what was appended. */
export const fingerprint = (rows: { sha256: string; receivedAt: Date }[]) =>
  rows.map((r) => `${r.sha256} ${r.receivedAt.toISOString()}`).sort();
export const expected = (msgs: TestMessage[]) =>
  fingerprint(msgs.map((m) => ({ sha256: sha256(m.raw), receivedAt: m.date })));

export interface Rig {
  dovecot: TestDovecot;
  redis: Redis;
  keyPrefix: string;
  poller(
    sink: PollSink,
    opts?: {
      owner?: string;
      ttlMs?: number;
      giveUp?: { attempts: number; afterMs: number };
      retryUnfetchedMs?: number;
      sweepIntervalMs?: number;
    },
  ): Poller;
  appendAll(msgs: TestMessage[]): Promise<void>;
  flags(): Promise<Set<string>[]>;
}

export function useRig(): { get: () => Rig; stopPollers: () => Promise<void> } {
  let rig: Rig | undefined;
  const pollers: Poller[] = [];
  const stopPollers = async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  };
  beforeEach(async () => {
    const dovecot = await startDovecot();
    const redis = new Redis({
      host: '127.0.0.1',
      port: 6379,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await redis.connect();
    const keyPrefix = `test:intake:lock:${process.pid}:${randomBytes(4).toString('hex')}:`;
    const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
    const imap = {
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      user: dovecot.user,
      password: dovecot.password,
    };
    rig = {
      dovecot,
      redis,
      keyPrefix,
      poller(sink, opts = {}) {
        const lock = createRedisLock(redis, {
          owner: opts.owner ?? 'poller-a',
          ttlMs: opts.ttlMs ?? 3_000,
          keyPrefix,
        });
        const p = createPoller({
          log,
          config: { ...imap, mailboxes: ['INBOX'] },
          lock,
          sink,
          sweepIntervalMs: opts.sweepIntervalMs ?? 2_000,
          backoff: { minMs: 100, maxMs: 1_000 },
          giveUp: opts.giveUp,
          retryUnfetchedMs: opts.retryUnfetchedMs,
        });
        pollers.push(p);
        return p;
      },
      async appendAll(msgs) {
        for (const m of msgs) await dovecot.append(m.raw, m.date);
      },
      async flags() {
        const s = createImapSession(imap);
        await s.connect();
        try {
          await s.open('INBOX');
          const out: Set<string>[] = [];
          for (const uid of await s.uidsAbove(0)) out.push((await s.flags(uid)) ?? new Set());
          return out;
        } finally {
          await s.logout();
        }
      },
    };
  });
  afterEach(async () => {
    await stopPollers();
    if (!rig) return;
    const keys = await rig.redis.keys(`${rig.keyPrefix}*`);
    if (keys.length) await rig.redis.del(...keys);
    rig.redis.disconnect();
    await rig.dovecot.stop();
    rig = undefined;
  });
  return {
    stopPollers,
    get: () => {
      if (!rig) throw new Error('rig not started');
      return rig;
    },
  };
}
