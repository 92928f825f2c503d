import { sql } from 'kysely';
import type { DataAccess } from '../access/data-access.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { comparesLowered, inValues, tableName } from '../store/record-tables.js';

/** Live records the user can read, by external id value (compared case-insensitively), keyed by the lower-cased value. */
export async function findByExternalId(service: DataService, access: DataAccess, object: ObjectDef, external: FieldDef, values: readonly string[]): Promise<Map<string, string[]>> {
  const matches = new Map<string, string[]>();
  if (values.length === 0) return matches;
  const filter = (await service.filter(access, object, 'read'))('t');
  const ref = sql.ref(`t.${external.name}`);
  // Ids are matched case-insensitively too (an 18-character id names one record whatever its case).
  const match = inValues(service.dialect, external, ref, values, comparesLowered(service.dialect, external) || external.type === 'id');
  const { rows } = await sql<{ Id: string; v: string }>`SELECT ${sql.ref('t.Id')} AS ${sql.id('Id')}, ${ref} AS v FROM ${sql.table(tableName(object))} AS t
    WHERE ${sql.ref('t.IsDeleted')} = 0 AND ${match}${filter ? sql` AND ${filter}` : sql``}`.execute(service.db);
  for (const r of rows) {
    const key = String(r.v).toLowerCase();
    matches.set(key, [...(matches.get(key) ?? []), r.Id]);
  }
  return matches;
}
