import { sql, type RawBuilder } from 'kysely';
import type { DataAccess } from '../access/data-access.js';
import { ApiError } from '../../http/api-error.js';
import { fieldJson, recordUrl, toApi } from '../records/values.js';
import type { DataService } from '../service.js';
import type { ObjectDef } from '../schema/fields.js';
import { parseSoql, SoqlCompiler, type CompiledQuery, type OutputNode } from './compile.js';
import type { CursorState } from './locators.js';

export const DEFAULT_BATCH = 2000;

export interface QueryPage { totalSize: number; done: boolean; nextRecordsUrl?: string; records: unknown[] }

type Row = Record<string, unknown>;

/** Shapes one SQL row as Salesforce's JSON record, with attributes and nested parents. */
function shape(nodes: OutputNode[], row: Row, object: ObjectDef, id: unknown, version: string, aggregate: boolean): Record<string, unknown> {
  const record: Record<string, unknown> = { attributes: aggregate ? { type: 'AggregateResult' } : { type: object.name, url: recordUrl(version, object, String(id)) } };
  for (const node of nodes) {
    if (node.kind === 'field') record[node.name] = fieldJson(version, object, String(id), node.field, row[node.key]);
    else if (node.kind === 'aggregate') record[node.name] = node.field ? toApi(node.field, row[node.key]) : row[node.key] === null ? null : Number(row[node.key]);
    else if (node.kind === 'parent') record[node.name] = row[node.idKey] === null || row[node.idKey] === undefined ? null : shape(node.children, row, node.object, row[node.idKey], version, false);
    else record[node.name] = null;
  }
  return record;
}

/**
 * Runs SOQL for a user and returns the first page; further pages are fetched through the cursor.
 * Without ORDER BY, pages continue after the last Id (keyset), so deep pages cost what the first
 * does; with ORDER BY they use OFFSET, Id breaking ties.
 */
export async function runQuery(service: DataService, access: DataAccess, soql: string, options: { includeDeleted: boolean; batchSize: number; version: string }): Promise<QueryPage> {
  const compiled = await new SoqlCompiler(service, access, soql, options.includeDeleted).compile(parseSoql(soql));
  const base = sql`SELECT ${compiled.select} FROM ${compiled.from} WHERE ${compiled.where}`;
  if (compiled.countOnly) {
    const { rows } = await sql<{ total: number | string }>`${base}`.execute(service.db);
    const total = Number(rows[0]?.total ?? 0);
    const capped = compiled.limit !== undefined ? Math.min(total, compiled.limit) : total;
    return { totalSize: Math.max(0, capped - compiled.offset), done: true, records: [] };
  }
  if (compiled.aggregate) {
    const { rows } = await sql<Row>`${base}${compiled.orderBy ? sql` ORDER BY ${compiled.orderBy}` : sql``}${limitOffset(compiled.limit, compiled.offset)}`.execute(service.db);
    if (rows.length > 2000) throw new ApiError(400, 'MALFORMED_QUERY', 'Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch');
    const records = rows.map((r) => shape(compiled.output, r, compiled.object, undefined, options.version, true));
    return { totalSize: records.length, done: true, records };
  }

  const limit = compiled.limit ?? Infinity;
  const keyset = compiled.orderBy === undefined;
  let lastId: string | undefined;
  let offset = compiled.offset;
  const fetch = async (count: number): Promise<Row[]> => {
    const after = keyset && lastId !== undefined ? sql` AND ${compiled.idRef} > ${lastId}` : sql``;
    const order = keyset ? sql` ORDER BY ${compiled.idRef}` : sql` ORDER BY ${compiled.orderBy!}, ${compiled.idRef}`;
    const skip = keyset ? (lastId === undefined ? offset : 0) : offset;
    const page = compiled.pageFirst
      ? sql`SELECT ${compiled.select} FROM (SELECT ${sql.ref(compiled.rootAlias)}.* FROM ${compiled.pageFirst.root} WHERE ${compiled.where}${after}${order}${limitOffset(count, skip)}) AS ${sql.id(compiled.rootAlias)}${compiled.pageFirst.joins}${order}`
      : sql`${base}${after}${order}${limitOffset(count, skip)}`;
    const { rows } = await sql<Row>`${page}`.execute(service.db);
    if (rows.length) lastId = String(rows[rows.length - 1]!.__id);
    offset = skip + rows.length;
    return rows;
  };

  const toRecords = async (rows: Row[]) => {
    const records = rows.map((r) => shape(compiled.output, r, compiled.object, r.__id, options.version, false));
    await attachChildren(service, compiled, rows, records, options.version);
    return records;
  };

  const first = Math.min(options.batchSize, limit);
  const rows = await fetch(first);
  const records = await toRecords(rows);
  if (rows.length < first || rows.length === limit) return { totalSize: rows.length, done: true, records };

  const { rows: counted } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM (${base}) AS q`.execute(service.db);
  const totalSize = Math.min(Math.max(0, Number(counted[0]?.n ?? 0) - compiled.offset), limit);
  if (totalSize <= rows.length) return { totalSize, done: true, records };
  const state: CursorState = {
    userId: access.userId,
    totalSize,
    returned: rows.length,
    pageSize: options.batchSize,
    next: async (count) => {
      const want = Math.min(count, totalSize - state.returned);
      const more = await fetch(want);
      state.returned += more.length;
      return { records: await toRecords(more), exhausted: more.length < want || state.returned >= totalSize };
    },
  };
  const locator = service.locators.add(state);
  return { totalSize, done: false, nextRecordsUrl: `/services/data/${options.version}/query/${locator}-${rows.length}`, records };
}

/** The next page of an open cursor, for the user who opened it. */
export async function nextPage(service: DataService, access: DataAccess, locator: string, version: string): Promise<QueryPage> {
  const [id] = locator.split('-');
  const state = id ? service.locators.get(id) : undefined;
  if (!state || state.userId !== access.userId) throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  const { records, exhausted } = await state.next(state.pageSize);
  if (exhausted) {
    service.locators.close(id!);
    return { totalSize: state.totalSize, done: true, records };
  }
  return { totalSize: state.totalSize, done: false, nextRecordsUrl: `/services/data/${version}/query/${id}-${state.returned}`, records };
}

function limitOffset(limit: number | undefined, offset: number): RawBuilder<unknown> {
  if (limit === undefined || !Number.isFinite(limit)) return offset ? sql` LIMIT ${Number.MAX_SAFE_INTEGER} OFFSET ${offset}` : sql``;
  return offset ? sql` LIMIT ${limit} OFFSET ${offset}` : sql` LIMIT ${limit}`;
}

/** Child subqueries run once per page, for all of the page's parents at once. */
async function attachChildren(service: DataService, compiled: CompiledQuery, rows: Row[], records: Record<string, unknown>[], version: string): Promise<void> {
  const ids = rows.map((r) => String(r.__id));
  for (const node of compiled.output) {
    if (node.kind !== 'child' || ids.length === 0) continue;
    const child = node.query;
    const parentRef = sql.ref(`${child.rootAlias}.${node.relationship.field}`);
    const order = child.orderBy ? sql` ORDER BY ${child.orderBy}, ${child.idRef}` : sql` ORDER BY ${child.idRef}`;
    const { rows: childRows } = await sql<Row>`SELECT ${child.select}, ${parentRef} AS ${sql.id('__parent')} FROM ${child.from} WHERE ${child.where} AND ${parentRef} IN (${sql.join(ids)})${order}`.execute(service.db);
    const byParent = new Map<string, Record<string, unknown>[]>();
    for (const r of childRows) {
      const list = byParent.get(String(r.__parent)) ?? [];
      if (child.limit === undefined || list.length < child.limit) list.push(shape(child.output, r, child.object, r.__id, version, false));
      byParent.set(String(r.__parent), list);
    }
    ids.forEach((id, i) => {
      const list = byParent.get(id);
      records[i]![node.name] = list && list.length ? { totalSize: list.length, done: true, records: list } : null;
    });
  }
}
