import type { Dialect } from '@handshake/storage';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { systemFields, type FieldDef, type ObjectDef } from '../schema/fields.js';
import type { SchemaRegistry } from '../schema/registry.js';

/**
 * One table per object, one column per field, so SOQL filters become SQL filters on real,
 * indexed columns. Times are stored as fixed-width UTC ISO strings (ordered as text on both
 * databases); booleans as 0/1; ids in the C collation so keyset pagination orders them the same
 * on SQLite and PostgreSQL.
 */

/** Record tables are created at run time from the schema, so their rows are typed loosely. */
export type RecordDatabase = Kysely<Record<string, Record<string, unknown>>>;

export const tableName = (object: ObjectDef) => `sobj_${object.name.toLowerCase()}`;

/** Bookkeeping columns the API never shows. */
export const DELETED_AT = 'hs_deleted_at';

function columnType(dialect: Dialect, f: FieldDef): string {
  switch (f.type) {
    case 'id':
    case 'reference':
      return dialect === 'postgres' ? 'varchar(18) COLLATE "C"' : 'varchar(18)';
    case 'boolean':
      return 'integer';
    case 'int':
      return 'bigint';
    case 'double':
    case 'currency':
    case 'percent':
      return dialect === 'postgres' ? 'double precision' : 'real';
    case 'date':
      return 'varchar(10)';
    case 'datetime':
      return dialect === 'postgres' ? 'varchar(24) COLLATE "C"' : 'varchar(24)';
    default:
      // SOQL compares text case-insensitively; SQLite does it in the column's collation, PostgreSQL with lower().
      return dialect === 'postgres' ? 'text' : 'text COLLATE NOCASE';
  }
}

/** Whether a field's comparisons go through lower() (text on PostgreSQL). */
export function comparesLowered(dialect: Dialect, f: FieldDef): boolean {
  return dialect === 'postgres' && !['id', 'reference', 'boolean', 'int', 'double', 'currency', 'percent', 'date', 'datetime'].includes(f.type);
}

/**
 * `column IN (values)` as SOQL compares: text case-insensitively (lower() on PostgreSQL, the NOCASE
 * collation on SQLite). `lowered` forces lower() for columns the collation does not cover (ids).
 */
export function inValues(dialect: Dialect, f: FieldDef, column: RawBuilder<unknown> | ReturnType<typeof sql.ref>, values: readonly (string | number)[], lowered = comparesLowered(dialect, f)): RawBuilder<unknown> {
  const list = lowered ? [...new Set(values.map((v) => String(v).toLowerCase()))] : [...new Set(values)];
  return sql`${lowered ? sql`lower(${column})` : column} IN (${sql.join(list)})`;
}

/** A table or column name quoted for SQL (both dialects use double quotes). */
export const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
const q = quoteIdentifier;

/** Creates missing tables, columns and indexes; never drops anything (removed fields keep their data). */
/**
 * A table's columns: the object's fields. A platform event's table also has a record's system
 * columns: it stays empty (events are published, not stored), and record reads, updates and deletes
 * that name it find nothing, as they would for any unknown id.
 */
function columnsOf(object: ObjectDef): FieldDef[] {
  if (!object.platformEvent) return object.fields;
  const names = new Set(object.fields.map((f) => f.name));
  return [...systemFields(object.name).filter((f) => !names.has(f.name)), ...object.fields];
}

export async function syncRecordTables(db: RecordDatabase, dialect: Dialect, schema: SchemaRegistry): Promise<void> {
  for (const object of schema.objects) {
    const table = tableName(object);
    const existing = await existingColumns(db, dialect, table);
    const fields = columnsOf(object);
    if (existing.size === 0) {
      const columns = fields.map((f) => `${q(f.name)} ${columnType(dialect, f)}${f.name === 'Id' ? ' PRIMARY KEY' : ''}`);
      columns.push(`${q(DELETED_AT)} varchar(24)`);
      await run(db, sql.raw(`CREATE TABLE IF NOT EXISTS ${q(table)} (${columns.join(', ')})`));
    } else {
      for (const f of fields) {
        if (!existing.has(f.name.toLowerCase())) await run(db, sql.raw(`ALTER TABLE ${q(table)} ADD COLUMN ${q(f.name)} ${columnType(dialect, f)}`));
      }
    }
    for (const f of object.fields) {
      if (!f.indexed || f.name === 'Id') continue;
      const index = q(`${table}_${f.name.toLowerCase()}_idx`.slice(0, 63));
      const expression = comparesLowered(dialect, f) ? `lower(${q(f.name)})` : q(f.name);
      if (f.unique) await run(db, sql.raw(`CREATE UNIQUE INDEX IF NOT EXISTS ${index} ON ${q(table)} (${expression}) WHERE ${q('IsDeleted')} = 0`));
      // Owner-filtered pages (private sharing) are ordered by Id: one index serves both.
      else await run(db, sql.raw(`CREATE INDEX IF NOT EXISTS ${index} ON ${q(table)} (${expression}${f.name === 'OwnerId' ? `, ${q('Id')}` : ''})`));
    }
    await run(db, sql.raw(`CREATE INDEX IF NOT EXISTS ${q(`${table}_deleted_idx`)} ON ${q(table)} (${q(DELETED_AT)})`));
  }
}

async function run(db: RecordDatabase, statement: RawBuilder<unknown>): Promise<void> {
  await statement.execute(db);
}

async function existingColumns(db: RecordDatabase, dialect: Dialect, table: string): Promise<Set<string>> {
  const rows = dialect === 'sqlite'
    ? (await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db)).rows
    : (await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}`.execute(db)).rows;
  return new Set(rows.map((r) => r.name.toLowerCase()));
}
