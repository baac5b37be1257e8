// The poller's sink backed by the real store: cursors and known hashes from the database,
// messages through ingest (blob + row + job).

import {
  fetchedLater,
  getCursor,
  recordPoll,
  recordUnfetched,
  saveCursor,
  stillUnfetched,
} from '../store/cursors.js';
import type { Db } from '../store/db.js';
import { findMessageBySha } from '../store/messages.js';
import type { Ingest } from './ingest.js';
import type { PollSink } from './poller.js';

export function createStoreSink(db: Db, ingest: Ingest): PollSink {
  return {
    cursor: async (mailbox) => {
      const c = await getCursor(db, mailbox);
      return c && { uidValidity: c.uidValidity, lastUid: c.lastUid };
    },
    knownSha: async (mailbox, sha256) => Boolean(await findMessageBySha(db, mailbox, sha256)),
    ingest: (input) => ingest({ ...input, source: 'imap' }),
    advance: (mailbox, uidValidity, lastUid) => saveCursor(db, mailbox, uidValidity, lastUid),
    unfetched: (message) => recordUnfetched(db, message),
    stillUnfetched: (mailbox, uidValidity) => stillUnfetched(db, mailbox, uidValidity),
    fetchedLater: (mailbox, uidValidity, uid) => fetchedLater(db, mailbox, uidValidity, uid),
    polled: (mailbox, outcome) => recordPoll(db, mailbox, outcome),
  };
}
