import { sql } from 'kysely';
import { ApiError } from '../../http/api-error.js';
import type { DataAccess } from '../access/data-access.js';
import { col } from '../access/scope-sql.js';
import type { ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { DELETED_AT, tableName } from '../store/record-tables.js';
import { isoDateTime } from './values.js';

const ID_LIMIT = 600_000;
const DAY = 86_400_000;
const sfDate = (t: number) => new Date(t).toISOString().replace('Z', '+0000');

/** Salesforce truncates replication windows to the minute (seconds are dropped). */
function window(start: string | undefined, end: string | undefined, now: number, maxDays: number): { start: number; end: number } {
  const parse = (name: string, value: string | undefined) => {
    const iso = value ? isoDateTime(value.trim().replace(' ', '+')) : undefined;
    if (!iso) throw new ApiError(400, 'INVALID_REPLICATION_DATE', `${name} is missing or is not an ISO 8601 date and time (such as 2024-01-01T00:00:00+00:00)`);
    return Math.floor(Date.parse(iso) / 60_000) * 60_000;
  };
  const s = parse('start', start);
  const e = Math.min(parse('end', end), now);
  if (s >= e) throw new ApiError(400, 'INVALID_REPLICATION_DATE', 'start must chronologically precede end (and both must be at least a minute apart, in the past)');
  if (s < now - maxDays * DAY) throw new ApiError(400, 'INVALID_REPLICATION_DATE', `start can be at most ${maxDays} days ago`);
  return { start: s, end: e };
}

/** sobjects/{T}/updated: ids of live records changed in the window that the user can read. */
export async function updatedIds(service: DataService, access: DataAccess, object: ObjectDef, start?: string, end?: string) {
  const w = window(start, end, service.now(), 30);
  const filter = (await service.filter(access, object, 'read'))('t');
  const { rows } = await sql<{ Id: string }>`SELECT ${col('t', 'Id')} AS ${sql.id('Id')} FROM ${sql.table(tableName(object))} AS t
    WHERE ${col('t', 'SystemModstamp')} >= ${new Date(w.start).toISOString()} AND ${col('t', 'SystemModstamp')} < ${new Date(w.end).toISOString()} AND ${col('t', 'IsDeleted')} = 0${filter ? sql` AND ${filter}` : sql``}
    ORDER BY ${col('t', 'SystemModstamp')} LIMIT ${ID_LIMIT + 1}`.execute(service.db);
  if (rows.length > ID_LIMIT) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', `More than ${ID_LIMIT} records changed in this window; use a shorter one`);
  return { ids: rows.map((r) => r.Id), latestDateCovered: sfDate(w.end) };
}

/** sobjects/{T}/deleted: records deleted in the window that the user could read. */
export async function deletedRecords(service: DataService, access: DataAccess, object: ObjectDef, start?: string, end?: string) {
  const w = window(start, end, service.now(), 15);
  const filter = (await service.filter(access, object, 'read'))('t');
  const { rows } = await sql<{ Id: string; d: string }>`SELECT ${col('t', 'Id')} AS ${sql.id('Id')}, ${col('t', DELETED_AT)} AS d FROM ${sql.table(tableName(object))} AS t
    WHERE ${col('t', 'IsDeleted')} = 1 AND ${col('t', DELETED_AT)} >= ${new Date(w.start).toISOString()} AND ${col('t', DELETED_AT)} < ${new Date(w.end).toISOString()}${filter ? sql` AND ${filter}` : sql``}
    ORDER BY ${col('t', DELETED_AT)} LIMIT ${ID_LIMIT + 1}`.execute(service.db);
  if (rows.length > ID_LIMIT) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', `More than ${ID_LIMIT} records were deleted in this window; use a shorter one`);
  const earliest = await sql<{ d: string | null }>`SELECT MIN(${sql.ref(DELETED_AT)}) AS d FROM ${sql.table(tableName(object))}`.execute(service.db);
  const first = earliest.rows[0]?.d;
  return {
    deletedRecords: rows.map((r) => ({ id: r.Id, deletedDate: r.d.replace('Z', '+0000') })),
    earliestDateAvailable: sfDate(first ? Math.floor(Date.parse(first) / 60_000) * 60_000 : w.start),
    latestDateCovered: sfDate(w.end),
  };
}
