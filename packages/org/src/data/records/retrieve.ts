import { sql } from 'kysely';
import { ApiError, notFound } from '../../http/api-error.js';
import type { DataAccess } from '../access/data-access.js';
import { col } from '../access/scope-sql.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { tableName } from '../store/record-tables.js';
import { fieldJson, recordUrl } from './values.js';

/** The fields a `?fields=` list names, each readable by the user; otherwise Salesforce's INVALID_FIELD. */
export function requestedFields(service: DataService, access: DataAccess, object: ObjectDef, list: string | undefined): FieldDef[] {
  if (list === undefined || list.trim() === '') return access.readableFields(object);
  const fields = list.split(',').map((name) => name.trim()).filter(Boolean).map((name) => {
    const f = service.schema.field(object, name);
    if (!f || !access.canRead(object, f)) throw new ApiError(400, 'INVALID_FIELD', `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
    return f;
  });
  return fields.some((f) => f.name === 'Id') ? fields : [object.fields[0]!, ...fields];
}

export function recordJson(object: ObjectDef, fields: FieldDef[], row: Record<string, unknown>, version: string): Record<string, unknown> {
  const id = String(row.Id);
  const record: Record<string, unknown> = { attributes: { type: object.name, url: recordUrl(version, object, id) } };
  for (const f of fields) record[f.name] = fieldJson(version, object, id, f, row[f.name]);
  return record;
}

/** Live records by id that the user can read, in one query; invisible and deleted ones are simply absent. */
export async function retrieveRows(service: DataService, access: DataAccess, object: ObjectDef, ids: string[], fields: FieldDef[]): Promise<Map<string, Record<string, unknown>>> {
  if (ids.length === 0) return new Map();
  const filter = (await service.filter(access, object, 'read'))('t');
  const columns = [...new Set(['Id', ...fields.map((f) => f.name)])].map((name) => col('t', name));
  const { rows } = await sql<Record<string, unknown>>`SELECT ${sql.join(columns)} FROM ${sql.table(tableName(object))} AS t
    WHERE ${col('t', 'Id')} IN (${sql.join(ids)}) AND ${col('t', 'IsDeleted')} = 0${filter ? sql` AND ${filter}` : sql``}`.execute(service.db);
  return new Map(rows.map((r) => [String(r.Id), r]));
}

export async function retrieveOne(service: DataService, access: DataAccess, object: ObjectDef, id: string, fields: FieldDef[]): Promise<Record<string, unknown>> {
  const row = (await retrieveRows(service, access, object, [id], fields)).get(id);
  if (!row) throw notFound();
  return row;
}
