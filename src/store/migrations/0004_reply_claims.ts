// A reply being delivered is claimed by the worker delivering it, until a time it keeps pushing
// on while it works. A second run of the same send-reply job (BullMQ hands a job whose lock was
// lost to another worker, the first one still sending) finds the claim and leaves the reply to
// its holder; a claim whose holder died runs out, and the sweep's next job delivers the reply.
import type { Kysely, Migration } from '../kysely.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's Database type
type AnyDb = Kysely<any>;

export const replyClaims: Migration = {
  up: (db: AnyDb) => db.schema.alterTable('replies').addColumn('claimed_until', 'text').execute(),
  down: (db: AnyDb) => db.schema.alterTable('replies').dropColumn('claimed_until').execute(),
};
