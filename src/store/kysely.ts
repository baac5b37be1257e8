// The only importer of kysely (STYLE.md: each outside library in exactly one module). Repositories
// and migrations take what they need from here, so a kysely upgrade touches one import list.

export type {
  ColumnDefinitionBuilder,
  ColumnType,
  DatabaseConnection,
  Expression,
  Generated,
  Insertable,
  Migration,
  MigrationProvider,
  Selectable,
  SqlBool,
} from 'kysely';
export {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  Transaction,
} from 'kysely';
