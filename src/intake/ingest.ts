// raw message → blob + `messages` row (committed) → `process` job. Every way in (IMAP, the drop
// folder, `intake import`) goes through here, so "nothing is lost" is proved once.
import type { Readable } from 'node:stream';
import type { Logger } from '../log.js';
import type { BlobStore } from '../store/blobs.js';
import type { Db } from '../store/db.js';
import { insertMessage, type NewMessage } from '../store/messages.js';

export interface IngestInput {
  raw: Buffer | Readable;
  expectedSize?: number;
  source: NewMessage['source'];
  mailbox: string;
  uidValidity?: string | null;
  uid?: number | null;
  receivedAt: Date;
  receivedAtSource: NewMessage['receivedAtSource'];
  originalName?: string | null;
}

export interface IngestOutcome {
  id: number;
  sha256: string;
  size: number;
  inserted: boolean;
}

export type Ingest = (input: IngestInput) => Promise<IngestOutcome>;

export function createIngest(deps: {
  db: Db;
  blobs: BlobStore;
  enqueue: (messageId: number) => Promise<void>;
  log: Logger;
}): Ingest {
  const { db, blobs, enqueue, log } = deps;
  return async (input) => {
    const started = Date.now();
    // The blob first, then the row: a row never points at bytes that are not on disk.
    const { sha256, size } = await blobs.put(input.raw, input.expectedSize);
    const { id, inserted } = await insertMessage(db, {
      source: input.source,
      mailbox: input.mailbox,
      uidValidity: input.uidValidity ?? null,
      uid: input.uid ?? null,
      sha256,
      size,
      receivedAt: input.receivedAt,
      receivedAtSource: input.receivedAtSource,
      originalName: input.originalName ?? null,
    });
    if (inserted) {
      // The row is committed: if Redis is down now, the sweep enqueues it later.
      await enqueue(id).catch((err) =>
        log.warn({ err, messageId: id }, 'enqueue failed; the sweep will pick the message up'),
      );
      log.info(
        // ms: download (the blob write consumes the IMAP stream) + row + enqueue.
        {
          messageId: id,
          source: input.source,
          mailbox: input.mailbox,
          uid: input.uid,
          size,
          ms: Date.now() - started,
        },
        'message stored',
      );
    }
    return { id, sha256, size, inserted };
  };
}
