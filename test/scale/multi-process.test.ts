// Past one machine (DESIGN.md §7): one `intake poll` and three `intake worker` processes share a
// PostgreSQL database, a Redis and a blob folder. Every fixture submission APPENDed to Dovecot
// is filed once, with the verdict of expected.json, and nothing is processed twice.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/store/kysely.js';
import { PROJECT_ROOT, waitFor } from '../support/app.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { imapVars, startDovecot, type TestDovecot } from '../support/dovecot.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const FIXTURES = path.join(PROJECT_ROOT, 'fixtures/submissions');

interface Expected {
  verdict: string;
  failed: string[];
  receivedAt: string;
}

interface Role {
  name: string;
  child: ChildProcess;
  log: Record<string, unknown>[];
}

function spawnRole(name: string, role: 'poll' | 'worker', vars: Record<string, string>): Role {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'src/bin.mjs'), role], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...vars },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: Record<string, unknown>[] = [];
  let pending = '';
  child.stderr?.on('data', (d: Buffer) => {
    const lines = (pending + d.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        log.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  return { name, child, log };
}

async function stopRole(r: Role): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

describe('one poller and three workers on PostgreSQL', () => {
  let redis: TestRedis;
  let store: TestDb;
  let dovecot: TestDovecot;
  let dataDir: string;
  const roles: Role[] = [];
  const files = new Map<number, string>(); // IMAP UID → fixture file
  let expected: Record<string, Expected>;

  beforeAll(async () => {
    expected = JSON.parse(await readFile(path.join(FIXTURES, 'expected.json'), 'utf8'));
    redis = await startRedis();
    // The database is created and migrated here, before four processes open it at once.
    store = await createTestDb('postgres');
    dovecot = await startDovecot();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'intake-scale-'));
    const vars = {
      DATA_DIR: dataDir, // the shared blob volume
      DATABASE_URL: store.url,
      REDIS_URL: redis.url,
      ...imapVars(dovecot),
      LOG_LEVEL: 'info',
    };
    roles.push(spawnRole('poller', 'poll', vars));
    for (const n of [1, 2, 3]) roles.push(spawnRole(`worker${n}`, 'worker', vars));
    await waitFor('every role running', async () =>
      roles.every((r) => r.log.some((l) => l.msg === 'case-intake running')),
    );
  });

  afterAll(async () => {
    for (const r of roles) await stopRole(r);
    await dovecot?.stop();
    await store?.dispose();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('files every fixture once, with the verdicts of expected.json', async () => {
    const names = (await readdir(FIXTURES)).filter((f) => f.endsWith('.eml')).sort();
    for (const name of names) {
      const at = new Date(expected[name]?.receivedAt ?? '2025-10-01T10:00:00+08:00');
      files.set(await dovecot.append(await readFile(path.join(FIXTURES, name)), at), name);
    }
    const k = store.db.k;
    const count = async (q: ReturnType<typeof sql<{ n: number | string }>>) =>
      Number((await q.execute(k)).rows[0]?.n ?? 0);
    await waitFor(
      `all ${names.length} messages processed`,
      async () =>
        (await count(sql`select count(*) as n from messages where state = 'processed'`)) ===
        names.length,
      100_000,
    );

    const rows = (
      await sql<{ uid: number; verdict: string; failed: string | null }>`
        select m.uid, s.verdict,
               string_agg(f.rule, ',' order by f.rule) filter (where f.passed = 0) as failed
        from messages m join submissions s on s.message_row_id = m.id
        left join findings f on f.submission_id = s.id
        group by m.uid, s.id, s.verdict`.execute(k)
    ).rows;
    const got = Object.fromEntries(
      rows.map((r) => [
        files.get(Number(r.uid)),
        { verdict: r.verdict, failed: r.failed ? r.failed.split(',') : [] },
      ]),
    );
    const want = Object.fromEntries(
      names.map((n) => [
        n,
        { verdict: expected[n]?.verdict, failed: [...(expected[n]?.failed ?? [])].sort() },
      ]),
    );
    expect(got).toEqual(want);
  });

  it('processed each message once: one attempt, one submission, one filing, one case audit', async () => {
    const k = store.db.k;
    const count = async (q: ReturnType<typeof sql<{ n: number | string }>>) =>
      Number((await q.execute(k)).rows[0]?.n ?? 0);
    const n = files.size;
    expect(n).toBeGreaterThan(20);
    expect(await count(sql`select count(*) as n from messages`)).toBe(n);
    expect(await count(sql`select count(*) as n from messages where attempts <> 1`)).toBe(0);
    expect(await count(sql`select count(*) as n from submissions`)).toBe(n);
    expect(await count(sql`select count(distinct message_row_id) as n from submissions`)).toBe(n);
    // A case is created once: one 'created' audit entry per case, none for a case twice.
    const cases = await count(sql`select count(*) as n from cases`);
    expect(
      await count(
        sql`select count(*) as n from audit_log where entity = 'case' and action = 'created'`,
      ),
    ).toBe(cases);
    expect(
      await count(
        sql`select count(*) as n from (select 1 from replies group by submission_id, kind having count(*) > 1) d`,
      ),
    ).toBe(0);

    // The jobs: every message filed exactly once across the workers, and the work was shared.
    const filed = roles.flatMap((r) =>
      r.log
        .filter((l) => l.msg === 'submission filed')
        .map((l) => ({ role: r.name, id: l.messageId })),
    );
    expect(filed).toHaveLength(n);
    expect(new Set(filed.map((f) => f.id)).size).toBe(n);
    expect(
      roles.flatMap((r) => r.log.filter((l) => l.msg === 'submission was already filed')),
    ).toEqual([]);
    expect(new Set(filed.map((f) => f.role)).size).toBeGreaterThan(1);
    expect(filed.some((f) => f.role === 'poller')).toBe(false);
  });
});
