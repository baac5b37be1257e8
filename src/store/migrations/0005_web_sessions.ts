// The dashboard's logins, kept on the server: logging out ends one for good, and every web
// process on the store knows the same ones. A row holds the hash of the browser's token, never
// the token, so the table alone lets nobody in.
import type { Kysely, Migration } from '../kysely.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's Database type
type AnyDb = Kysely<any>;

export const webSessions: Migration = {
  up: (db: AnyDb) =>
    db.schema
      .createTable('web_sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_name', 'text', (c) => c.notNull())
      .addColumn('credentials_tag', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute(),
  down: (db: AnyDb) => db.schema.dropTable('web_sessions').ifExists().execute(),
};
