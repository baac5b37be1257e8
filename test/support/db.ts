// Test databases for the store and for every other module that needs one: a SQLite file in a
// temp folder, or a fresh PostgreSQL database on 127.0.0.1:5432 (trust auth) created through
// the `test` database and dropped afterwards, so parallel runs never collide.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Db, type Dialect, openDb } from '../../src/store/db.js';
import { sql } from '../../src/store/kysely.js';
import type { CheckResult, Finding, Verdict } from '../../src/types.js';

export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];
const PG_SERVER = 'postgres://postgres@127.0.0.1:5432';

export interface TestDb {
  db: Db;
  url: string;
  /** Another, independent connection (pool) to the same database. */
  connect(): Promise<Db>;
  dispose(): Promise<void>;
}

export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  const extra: Db[] = [];
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-store-'));
    url = `sqlite:${path.join(dir, 'nested', 'intake.sqlite')}`;
    drop = () => rm(dir, { recursive: true, force: true });
  } else {
    const name = `intake_test_${randomBytes(6).toString('hex')}`;
    await admin((k) => sql`create database ${sql.id(name)}`.execute(k));
    url = `${PG_SERVER}/${name}`;
    drop = () => admin((k) => sql`drop database if exists ${sql.id(name)} with (force)`.execute(k));
  }
  const db = await openDb(url);
  return {
    db,
    url,
    async connect() {
      const other = await openDb(url);
      extra.push(other);
      return other;
    },
    async dispose() {
      for (const d of [db, ...extra]) await d.close();
      await drop();
    },
  };
}

async function admin(fn: (k: Db['k']) => Promise<unknown>): Promise<void> {
  const db = await openDb(`${PG_SERVER}/test`, { migrate: false });
  try {
    await fn(db.k);
  } finally {
    await db.close();
  }
}

let shaSeq = 0;
/** A distinct fake sha256 per call (the store never re-hashes message rows). */
export function fakeSha(): string {
  shaSeq += 1;
  return `${process.pid.toString(16)}${shaSeq.toString(16)}`.padStart(64, 'a');
}

export function finding(
  rule: Finding['rule'],
  passed: boolean,
  severity: Finding['severity'] = 'error',
): Finding {
  return { rule, severity, passed, message: `${rule} 检查`, details: {} };
}

export function checkResult(opts: {
  verdict?: Verdict;
  organization?: string | null;
  title?: string | null;
  findings?: Finding[];
  direction?: string;
}): CheckResult {
  const organization = opts.organization === undefined ? '某某银行' : opts.organization;
  const title = opts.title === undefined ? '数字普惠金融案例' : opts.title;
  const verdict = opts.verdict ?? 'accepted';
  return {
    verdict,
    kind: verdict === 'not_submission' ? 'inquiry' : 'submission',
    receivedAt: '2025-10-18T09:12:00+08:00',
    messageId: '<m@example.com>',
    subject: { raw: `${organization ?? ''}+${title ?? ''}`, organization, title },
    form:
      verdict === 'not_submission'
        ? null
        : {
            filename: '申报表.docx',
            fields: { caseName: title ?? undefined, direction: opts.direction ?? '数字金融' },
          },
    report: null,
    logo: null,
    attachments: [],
    findings: opts.findings ?? [finding('SUBJECT_FORMAT', true), finding('LOGO_SIZE', true)],
    warnings: [],
  };
}
