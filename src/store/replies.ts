// Replies to applicants. The row (unique per submission and kind) is the idempotency record:
// a reply job that runs twice finds the row already `sent`.
import type { Db } from './db.js';

/** Replies still to send, oldest first: the sweep re-enqueues them after a Redis loss. */
export async function listUnfinishedReplyIds(db: Db, limit = 1000): Promise<number[]> {
  const rows = await db.k
    .selectFrom('replies')
    .select('id')
    .where('state', '=', 'pending')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
