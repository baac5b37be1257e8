// isOutage on errors really produced here: a write to a full device, a refused and a terminated
// PostgreSQL connection, a SQL mistake, a missing blob.
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { isOutage } from '../../src/queue/outage.js';
import { BlobError } from '../../src/store/blobs.js';
import { openDb } from '../../src/store/db.js';
import { sql } from '../../src/store/kysely.js';
import { createTestDb } from '../support/db.js';

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('isOutage', () => {
  it('takes a full disk (ENOSPC from /dev/full) for an outage', async () => {
    const err = await caught(async () => {
      const fh = await open('/dev/full', 'w');
      try {
        await fh.write(Buffer.alloc(4096));
      } finally {
        await fh.close();
      }
    });
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(isOutage(err)).toBe(true);
  });

  it('takes a refused and a terminated PostgreSQL connection for outages', async () => {
    const port = await freePort();
    const closed = await openDb(`postgres://postgres@127.0.0.1:${port}/x`, { migrate: false });
    const refused = await caught(() => sql`select 1`.execute(closed.k));
    await closed.close();
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isOutage(refused)).toBe(true);

    const store = await createTestDb('postgres');
    const other = await store.connect();
    try {
      // One pool client, terminated by another connection as a server shutdown would. pg
      // reports it one of three ways, by timing: 57P01 under the query, the socket closed
      // under it, or (57P01 arrived while the client was idle) "not queryable".
      const err = await caught(() =>
        store.db.k.connection().execute(async (conn) => {
          const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn))
            .rows[0]?.pid;
          await sql`select pg_terminate_backend(${pid})`.execute(other.k);
          await sql`select 1`.execute(conn);
        }),
      );
      expect((err as { code?: string }).code ?? (err as Error).message).toMatch(
        /57P01|Connection terminated|connection error and is not queryable/,
      );
      expect(isOutage(err)).toBe(true);
      // The third way, word for word as pg/lib/client.js makes it (its timing is not ours).
      const idle = new Error('Client has encountered a connection error and is not queryable');
      expect(isOutage(idle)).toBe(true);
    } finally {
      await store.dispose();
    }
  });

  it('takes SQLite busy/full (better-sqlite3 codes) for outages', () => {
    expect(isOutage(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(
      true,
    );
    expect(
      isOutage(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })),
    ).toBe(true);
  });

  it('does not excuse faults of the message or of the code', async () => {
    const store = await createTestDb('sqlite');
    try {
      const syntax = await caught(() => sql`selec 1`.execute(store.db.k));
      expect(isOutage(syntax)).toBe(false);
    } finally {
      await store.dispose();
    }
    expect(isOutage(new BlobError('BlobNotFound', 'no blob'))).toBe(false);
    expect(isOutage(new Error('end of central directory not found'))).toBe(false);
    expect(isOutage(Object.assign(new Error('constraint'), { code: '23505' }))).toBe(false);
    expect(isOutage('ENOSPC')).toBe(false);
    expect(isOutage(null)).toBe(false);
  });
});
