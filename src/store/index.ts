// The store's public surface: the database (SQLite or PostgreSQL), the blob store and the
// repositories. Other modules import from here, never from kysely, pg or better-sqlite3.
export * from './audit.js';
export * from './blobs.js';
export * from './cases.js';
export * from './cursors.js';
export * from './db.js';
export * from './messages.js';
export * from './replies.js';
export type {
  CaseStatus,
  MessageSource,
  MessageState,
  ReceivedAtSource,
  ReplyState,
} from './schema.js';
export * from './submissions.js';
