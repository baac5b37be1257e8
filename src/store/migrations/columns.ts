// The one place the two dialects' schema differ: how an integer id is generated.
import type { ColumnDefinitionBuilder } from '../kysely.js';
import type { Dialect } from '../schema.js';

export function idColumn(dialect: Dialect) {
  return (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    dialect === 'sqlite'
      ? // AUTOINCREMENT: ids are never reused after a delete, so an old id in a log or a reply
        // can never point at a different row.
        col.primaryKey().autoIncrement()
      : // BY DEFAULT (not ALWAYS) so a restore or a test can still insert explicit ids.
        col.primaryKey().generatedByDefaultAsIdentity();
}
