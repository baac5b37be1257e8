// Opens the store: SQLite (embedded default) or PostgreSQL behind one kysely query layer, and
// brings the schema up to date. The only importer of better-sqlite3 and pg.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { ConfigError } from '../config/env.js';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Transaction,
} from './kysely.js';
import { migrationProvider } from './migrations/index.js';
import type { Database, Dialect } from './schema.js';

export type { Database, Dialect } from './schema.js';

export interface Db {
  k: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** Run migrations on open (default true); false only for admin connections in tests. */
  migrate?: boolean;
  /**
   * A SQLite file must be there already: for commands that read what the service stored, where
   * a new empty database (a DATA_DIR mistyped) would report nothing without a word.
   */
  existing?: boolean;
}

export class StoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

// Waiting this long for another process's write lock beats failing with SQLITE_BUSY; it must
// exceed the longest write transaction (a filing is a few dozen small inserts).
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** `sqlite:/path/file.sqlite`, `sqlite::memory:` or `postgres://…`. */
export async function openDb(databaseUrl: string, options: OpenDbOptions = {}): Promise<Db> {
  // A server that is down or refuses us, or a file that cannot be made, is named as such (not
  // as a failed migration, nor with a stack trace). pg's AggregateError (every address of a
  // host name refused) has an empty message of its own.
  const cannotOpen = (err: Error) => {
    const inner = err instanceof AggregateError ? err.errors.map((e) => e.message) : [];
    const reason = err.message || inner.join('; ') || String((err as { code?: string }).code);
    return new ConfigError([`DATABASE_URL: ${reason}`], 'the database cannot be opened');
  };
  let db: Db | undefined;
  const file = databaseUrl.startsWith('sqlite:') ? sqlitePath(databaseUrl) : undefined;
  if (options.existing && file !== undefined && file !== ':memory:' && !existsSync(file)) {
    throw new ConfigError(
      [`DATABASE_URL: no database at ${path.resolve(file)} (is DATA_DIR the service's?)`],
      'nothing stored to work on',
    );
  }
  try {
    db =
      file !== undefined
        ? openSqlite(file)
        : /^postgres(ql)?:\/\//.test(databaseUrl)
          ? openPostgres(databaseUrl)
          : undefined;
  } catch (err) {
    throw cannotOpen(err as Error);
  }
  if (!db) {
    throw new StoreError(
      'UnsupportedDatabaseUrl',
      'DATABASE_URL must start with sqlite: or postgres://',
    );
  }
  if (options.migrate === false) return db;
  try {
    await sql`select 1`.execute(db.k).catch((err: Error) => {
      throw cannotOpen(err);
    });
    await migrateToLatest(db);
  } catch (err) {
    await db.close();
    // A database a newer version migrated (kysely finds migrations it does not know): the
    // operator's to settle, in one line. A migration that fails on its own is a bug: as it is.
    if (
      err instanceof StoreError &&
      /previously executed migration .* is missing/.test(err.message)
    )
      throw new ConfigError(
        [`DATABASE_URL: ${err.message}`],
        'the database cannot be brought up to date',
      );
    throw err;
  }
  return db;
}

function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  // Accept the URL form `sqlite:///abs/path` as well as `sqlite:/abs/path`.
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

function openSqlite(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const k = new Kysely<Database>({
    dialect: new SqliteDialect({
      database: withStatementCache(new SqliteDatabase(file)),
      onCreateConnection: async (conn) => {
        // WAL: readers (dashboard) never block the writer (worker); foreign keys are off by
        // default in SQLite and must be enabled per connection.
        await conn.executeQuery(
          CompiledQuery.raw(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`),
        );
        await toWal(conn);
        await conn.executeQuery(CompiledQuery.raw('pragma foreign_keys = on'));
        // full: a commit is on disk when it returns. With normal, a power cut can take back the
        // last commits, a reply's `sent` mark among them: the reply would go out again.
        await conn.executeQuery(CompiledQuery.raw('pragma synchronous = full'));
      },
    }),
  });
  return { k, dialect: 'sqlite', close: () => k.destroy() };
}

/**
 * Turns the file to WAL (a new file; one already in WAL stays). Two processes starting on a new
 * file at once both do: SQLite answers the second SQLITE_BUSY at once, without the busy timeout
 * (waiting there could deadlock), so it tries again for as long as that timeout.
 */
async function toWal(conn: DatabaseConnection) {
  const until = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return await conn.executeQuery(CompiledQuery.raw('pragma journal_mode = wal'));
    } catch (err) {
      const busy = String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY');
      if (!busy || Date.now() > until) throw err;
      await sleep(50);
    }
  }
}

const MAX_CACHED_STATEMENTS = 500;

/**
 * better-sqlite3 compiles the SQL on every `prepare`, and kysely prepares every query it runs
 * (filing one message is some 30). Statements are kept by their text, which repeats because
 * kysely's queries are parameterised; bounded, since `in (…)` lists make new texts. (Reusing a
 * statement is safe while nothing iterates one: nothing here streams rows from SQLite.)
 */
function withStatementCache(db: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
        stmt = db.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

const BIGINT_OID = 20;

function openPostgres(url: string): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A worker that dies, is cut off or is paused inside a transaction keeps its row locks (the
    // case counter's: every other worker's next filing waits) until the server lets go of the
    // session. The server ends a session idle in a transaction after a minute (our transactions
    // are a few dozen quick statements), and keepalives find a peer gone in minutes, not hours.
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // bigint (IMAP UIDs, counts) as a number, not pg's string: every value stored in one is far
    // below 2^53.
    types: {
      getTypeParser: (oid, format) =>
        oid === BIGINT_OID ? Number : pg.types.getTypeParser(oid, format),
    },
  });
  // A server restart kills every client: pg emits 'error' on the pool (an idle client) or on a
  // checked-out client between two queries (a transaction), and an unhandled 'error' event ends
  // the process. The dead client's pending or next query fails and is retried like any failed
  // query; the pool opens a new client. So only listen.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { k, dialect: 'postgres', close: () => k.destroy() };
}

/**
 * Applies pending migrations; returns the names applied (empty when up to date). On PostgreSQL
 * kysely runs them in a transaction under an advisory lock; its SQLite adapter takes neither, so
 * two processes starting on one file at once both ran a migration (the second failed: "duplicate
 * column name"), and a crash midway left half of one. On SQLite they run in one `BEGIN
 * IMMEDIATE` transaction: a second process waits for the first, then finds nothing to do.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  if (db.dialect === 'postgres') return migrate(db.k, db.dialect);
  // Up to date, as at nearly every start: no write lock to wait for. A migration this version
  // does not know (a newer version ran it) is left to the full run, which refuses the database.
  const known = await new Migrator({
    db: db.k,
    provider: migrationProvider(db.dialect),
  }).getMigrations();
  if (known.every((m) => m.executedAt !== undefined)) {
    const ran = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(db.k);
    if (Number(ran.rows[0]?.n) === known.length) return [];
  }
  return inTransaction(db, (trx) => migrate(trx, db.dialect));
}

async function migrate(k: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db: k, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new StoreError('MigrationFailed', `migration ${failed} failed: ${String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Runs `fn` in one transaction. On SQLite it is `BEGIN IMMEDIATE`: a deferred transaction that
 * reads first and writes later fails at once with SQLITE_BUSY when another process writes in
 * between (busy_timeout does not apply to the upgrade); taking the write lock up front waits.
 */
export async function inTransaction<T>(
  db: Db,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // The filings' duplicate checks wait on a lock and then read what its holder committed: that
  // needs read committed, whatever the database's default says.
  if (db.dialect === 'postgres')
    return db.k.transaction().setIsolationLevel('read committed').execute(fn);
  return db.k.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      // kysely's SQLite driver only issues a plain BEGIN, so the transaction is driven by hand
      // on the single reserved connection; queries through it behave as in a Transaction.
      const result = await fn(conn as Transaction<Database>);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      // SQLite has rolled back by itself after some errors (a full disk, an I/O error): then
      // this ROLLBACK fails, and the error to report is still the one that ended the work.
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function toDate(iso: string): Date;
export function toDate(iso: string | null): Date | null;
export function toDate(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso);
}
