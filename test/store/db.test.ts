import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, migrateToLatest, openDb } from '../../src/store/db.js';
import { Migrator, sql } from '../../src/store/kysely.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { PROJECT_ROOT } from '../support/app.js';
import { createTestDb, DIALECTS, type TestDb } from '../support/db.js';

const TABLES = [
  'attachments',
  'audit_log',
  'cases',
  'counters',
  'findings',
  'mailbox_cursors',
  'messages',
  'replies',
  'submissions',
  'unfetched_messages',
  'web_sessions',
];

describe.each(DIALECTS)('store/db on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb(dialect);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('creates every table on open', async () => {
    const tables = (await t.db.k.introspection.getTables()).map((x) => x.name).sort();
    expect(tables).toEqual(TABLES);
  });

  it('applies migrations once: a second run and a second open change nothing', async () => {
    expect(await migrateToLatest(t.db)).toEqual([]);
    const again = await t.connect();
    expect(await migrateToLatest(again)).toEqual([]);
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(t.db.k);
    expect(applied.rows.map((r) => r.name)).toEqual([
      '0001_initial',
      '0002_unfetched_messages',
      '0003_uids_bigint',
      '0004_reply_claims',
      '0005_web_sessions',
    ]);
  });

  it('rolls a failed transaction back completely', async () => {
    const attempt = inTransaction(t.db, async (trx) => {
      await trx.insertInto('counters').values({ name: 'x', value: 1 }).execute();
      throw new Error('boom');
    });
    await expect(attempt).rejects.toThrow('boom');
    const rows = await t.db.k.selectFrom('counters').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('commits a transaction and returns its value', async () => {
    const value = await inTransaction(t.db, async (trx) => {
      await trx.insertInto('counters').values({ name: 'y', value: 7 }).execute();
      return 'done';
    });
    expect(value).toBe('done');
    const row = await t.db.k.selectFrom('counters').selectAll().executeTakeFirst();
    expect(row).toEqual({ name: 'y', value: 7 });
  });
});

describe('store/db on sqlite specifics', () => {
  it('creates the folder of the database file and uses WAL', async () => {
    const t = await createTestDb('sqlite');
    try {
      const file = t.url.slice('sqlite:'.length);
      expect(existsSync(path.dirname(file))).toBe(true);
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(t.db.k);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(t.db.k);
      expect(fk.rows[0]?.foreign_keys).toBe(1);
      // 2 = full: a commit (a reply's `sent` mark) survives a power cut.
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(t.db.k);
      expect(sync.rows[0]?.synchronous).toBe(2);
    } finally {
      await t.dispose();
    }
  });

  it("reports the error that ended a transaction SQLite itself rolled back, not the rollback's", async () => {
    // SQLite rolls back by itself on some errors (a full disk, an I/O error); a trigger's
    // RAISE(ROLLBACK) does the same on demand. The explicit ROLLBACK after it then fails.
    const t = await createTestDb('sqlite');
    try {
      await sql`create trigger full_disk before insert on counters
        begin select raise(rollback, 'database or disk is full'); end`.execute(t.db.k);
      const attempt = inTransaction(t.db, async (trx) => {
        await trx.insertInto('counters').values({ name: 'x', value: 1 }).execute();
      });
      await expect(attempt).rejects.toThrow('database or disk is full');
      // The connection is usable again: no transaction was left open.
      await sql`drop trigger full_disk`.execute(t.db.k);
      await inTransaction(t.db, (trx) =>
        trx.insertInto('counters').values({ name: 'y', value: 2 }).execute(),
      );
      expect(await t.db.k.selectFrom('counters').selectAll().execute()).toEqual([
        { name: 'y', value: 2 },
      ]);
    } finally {
      await t.dispose();
    }
  });

  it('reads what others committed in a transaction, whatever the database default', async () => {
    const t = await createTestDb('postgres');
    try {
      const name = t.url.slice(t.url.lastIndexOf('/') + 1);
      await sql`alter database ${sql.id(name)} set default_transaction_isolation = 'repeatable read'`.execute(
        t.db.k,
      );
      const fresh = await t.connect(); // new sessions take the new default
      const outside = await sql<{
        level: string;
      }>`select current_setting('transaction_isolation') as level`.execute(fresh.k);
      expect(outside.rows[0]?.level).toBe('repeatable read');
      const inside = await inTransaction(fresh, (trx) =>
        sql<{ level: string }>`select current_setting('transaction_isolation') as level`.execute(
          trx,
        ),
      );
      expect(inside.rows[0]?.level).toBe('read committed');
    } finally {
      await t.dispose();
    }
  });

  it('has PostgreSQL end a session left idle in a transaction', async () => {
    const t = await createTestDb('postgres');
    try {
      // A worker paused inside a filing would hold the case counter's lock for good.
      const idle = await sql<{
        v: string;
      }>`select current_setting('idle_in_transaction_session_timeout') as v`.execute(t.db.k);
      expect(idle.rows[0]?.v).toBe('1min');
    } finally {
      await t.dispose();
    }
  });

  it.each(DIALECTS)(
    'names a %s database a newer version migrated as a configuration problem',
    async (dialect) => {
      const t = await createTestDb(dialect);
      try {
        await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', ${new Date().toISOString()})`.execute(
          t.db.k,
        );
        await expect(openDb(t.url)).rejects.toMatchObject({
          code: 'ConfigError',
          message: expect.stringContaining('9999_from_a_newer_version is missing'),
        });
      } finally {
        await t.dispose();
      }
    },
  );

  it('refuses a database URL it does not know', async () => {
    await expect(openDb('mysql://localhost/x')).rejects.toMatchObject({
      code: 'UnsupportedDatabaseUrl',
    });
  });
});

describe('SQLite opened by two processes at once', () => {
  /** Two processes open `url` at the same instant; what each printed. */
  async function openTogether(url: string): Promise<string[]> {
    const script = path.join(PROJECT_ROOT, 'test/support/open-db-process.ts');
    const children = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', script, url], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const outputs = children.map((c) => {
      let out = '';
      c.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      return { read: () => out, exited: once(c, 'exit') };
    });
    while (!outputs.every((o) => o.read().includes('ready')))
      await new Promise((r) => setTimeout(r, 20));
    for (const c of children) c.stdin.write('go\n');
    await Promise.all(outputs.map((o) => o.exited));
    return outputs.map((o) => o.read().replace('ready\n', '').trim());
  }

  async function applied(url: string) {
    const db = await openDb(url, { migrate: false });
    try {
      const r = await sql<{ name: string }>`select name from kysely_migration`.execute(db.k);
      return r.rows.map((x) => x.name);
    } finally {
      await db.close();
    }
  }

  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'intake-two-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a new file once: neither fails', async () => {
    const url = `sqlite:${path.join(dir, 'new.sqlite')}`;
    expect(await openTogether(url)).toEqual(['opened', 'opened']);
    expect(await applied(url)).toEqual(
      Object.keys(await migrationProvider('sqlite').getMigrations()),
    );
  });

  it('runs a new migration once on an older file: neither fails', async () => {
    const url = `sqlite:${path.join(dir, 'old.sqlite')}`;
    const old = await openDb(url, { migrate: false });
    const before = await new Migrator({
      db: old.k,
      provider: migrationProvider('sqlite'),
    }).migrateTo('0003_uids_bigint');
    await old.close();
    expect(before.error).toBeUndefined();
    expect(await openTogether(url)).toEqual(['opened', 'opened']);
    expect(await applied(url)).toEqual(
      Object.keys(await migrationProvider('sqlite').getMigrations()),
    );
  });
});
