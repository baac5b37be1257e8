// The dashboard's logins (migration 0005): what src/web/auth.ts keeps of each.
import type { Db } from './db.js';
import { nowIso } from './db.js';

export interface WebSession {
  tokenHash: string;
  user: string;
  credentialsTag: string;
  expiresAt: Date;
}

/** Stores a new login, and forgets the ones that have run out. */
export async function saveWebSession(db: Db, s: WebSession): Promise<void> {
  const now = nowIso();
  await db.k.deleteFrom('web_sessions').where('expires_at', '<=', now).execute();
  await db.k
    .insertInto('web_sessions')
    .values({
      token_hash: s.tokenHash,
      user_name: s.user,
      credentials_tag: s.credentialsTag,
      created_at: now,
      expires_at: s.expiresAt.toISOString(),
    })
    .execute();
}

export async function findWebSession(db: Db, tokenHash: string): Promise<WebSession | undefined> {
  const r = await db.k
    .selectFrom('web_sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return (
    r && {
      tokenHash: r.token_hash,
      user: r.user_name,
      credentialsTag: r.credentials_tag,
      expiresAt: new Date(r.expires_at),
    }
  );
}

/** Moves a session's end (a session in use is kept open: see src/web/auth.ts). */
export async function extendWebSession(db: Db, tokenHash: string, expiresAt: Date): Promise<void> {
  await db.k
    .updateTable('web_sessions')
    .set({ expires_at: expiresAt.toISOString() })
    .where('token_hash', '=', tokenHash)
    .execute();
}

export async function deleteWebSession(db: Db, tokenHash: string): Promise<void> {
  await db.k.deleteFrom('web_sessions').where('token_hash', '=', tokenHash).execute();
}
