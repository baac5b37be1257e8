// The poller scenarios again, on the real store: SQLite and PostgreSQL, blobs on disk. Each
// row's sha256 is recomputed from the stored blob, so a truncated or mixed-up file fails.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createIngest } from '../../src/intake/ingest.js';
import { createStoreSink } from '../../src/intake/store-sink.js';
import { createLogger } from '../../src/log.js';
import { createBlobStore } from '../../src/store/blobs.js';
import { sql } from '../../src/store/kysely.js';
import { createTestDb, DIALECTS } from '../support/db.js';
import { runPollerScenarios, type ScenarioSink } from './poller-scenarios.js';

async function storeSink(dialect: (typeof DIALECTS)[number]): Promise<ScenarioSink> {
  const store = await createTestDb(dialect);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-blobs-'));
  const blobs = createBlobStore(dir);
  const enqueued: number[] = [];
  const ingest = createIngest({
    db: store.db,
    blobs,
    enqueue: async (id) => {
      enqueued.push(id);
    },
    log: createLogger('silent'),
  });
  return {
    sink: createStoreSink(store.db, ingest),
    async rows(mailbox) {
      const r = await sql<{
        id: number;
        uidvalidity: string;
        uid: number;
        sha256: string;
        size: number;
        received_at: string;
        received_at_source: string;
      }>`
        select id, uidvalidity, uid, sha256, size, received_at, received_at_source from messages where mailbox = ${mailbox} order by id`.execute(
        store.db.k,
      );
      const rows = [];
      for (const row of r.rows) {
        const bytes = await readFile(blobs.path(row.sha256));
        rows.push({
          mailbox,
          uidValidity: String(row.uidvalidity),
          uid: Number(row.uid),
          sha256: createHash('sha256').update(bytes).digest('hex'),
          size: bytes.length,
          receivedAt: new Date(row.received_at),
          receivedAtSource: row.received_at_source,
        });
        // Every stored row was handed to the queue exactly when it was first stored.
        if (!enqueued.includes(Number(row.id)))
          throw new Error(`message ${row.id} was never enqueued`);
      }
      return rows;
    },
    async unfetched(mailbox) {
      const r = await store.db.k
        .selectFrom('unfetched_messages')
        .select('uid')
        .where('mailbox', '=', mailbox)
        .where('resolved_at', 'is', null)
        .orderBy('uid')
        .execute();
      return r.map((x) => Number(x.uid));
    },
    async close() {
      await store.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

for (const dialect of DIALECTS) runPollerScenarios(() => storeSink(dialect), dialect);
