// In-code migration provider: migrations are TypeScript modules listed here in order (no
// directory scanning, so they work the same under tsx, vitest and a bundler). Names sort in
// application order; never rename or edit one that has shipped — add the next.
import type { Migration, MigrationProvider } from '../kysely.js';
import type { Dialect } from '../schema.js';
import { initial } from './0001_initial.js';
import { unfetchedMessages } from './0002_unfetched_messages.js';
import { uidsBigint } from './0003_uids_bigint.js';
import { replyClaims } from './0004_reply_claims.js';
import { webSessions } from './0005_web_sessions.js';

export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_initial': initial(dialect),
    '0002_unfetched_messages': unfetchedMessages(dialect),
    '0003_uids_bigint': uidsBigint(dialect),
    '0004_reply_claims': replyClaims,
    '0005_web_sessions': webSessions,
  };
  return { getMigrations: async () => migrations };
}
