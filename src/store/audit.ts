// The audit log: who changed what, for organisers reviewing how a case came to be.
import type { Db } from './db.js';
import type { Kysely } from './kysely.js';
import type { Database } from './schema.js';

export interface AuditEntry {
  actor: string;
  entity: 'case' | 'submission' | 'message' | 'reply';
  entityId: number | null;
  action: string;
  detail?: Record<string, unknown>;
}

/** Takes a transaction (or the db) so the entry commits with the change it describes. */
export async function writeAudit(k: Kysely<Database>, e: AuditEntry, at: string): Promise<void> {
  await k
    .insertInto('audit_log')
    .values({
      at,
      actor: e.actor,
      entity: e.entity,
      entity_id: e.entityId,
      action: e.action,
      detail_json: e.detail === undefined ? null : JSON.stringify(e.detail),
    })
    .execute();
}

export async function listAudit(
  db: Db,
  entity: AuditEntry['entity'],
  entityId: number,
): Promise<{ at: Date; actor: string; action: string; detail: Record<string, unknown> | null }[]> {
  const rows = await db.k
    .selectFrom('audit_log')
    .selectAll()
    .where('entity', '=', entity)
    .where('entity_id', '=', entityId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    at: new Date(r.at),
    actor: r.actor,
    action: r.action,
    detail: r.detail_json === null ? null : (JSON.parse(r.detail_json) as Record<string, unknown>),
  }));
}
