import type { Dialect } from '@handshake/storage';
import { CompiledQuery, sql } from 'kysely';
import { newRecordId } from '../../ids/salesforce-id.js';
import type { DataAccess } from '../access/data-access.js';
import { recordError, type RecordError } from '../data-error.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import { POLYMORPHIC_FIELDS } from '../schema/standard-objects.js';
import type { AccessMode, DataService, RecordDatabase } from '../service.js';
import { DELETED_AT, inValues, quoteIdentifier, tableName } from '../store/record-tables.js';
import { captureChanges } from '../cdc/capture.js';
import { publishEvents } from '../cdc/platform-events.js';
import { ROLLUPS } from './rollups.js';
import { findByExternalId } from './lookup.js';
import { toStored, type StoredValue } from './values.js';

/** One record's outcome, as sObject Collections report it. */
export interface SaveResult { id: string | null; success: boolean; errors: RecordError[]; created?: boolean }

type Row = Record<string, StoredValue>;

interface Pending {
  /** Position in the request. */
  index: number;
  id: string;
  values: Row;
  errors: RecordError[];
  existing?: Row;
}

const SKIPPED_KEYS = new Set(['attributes']);
export const ROLLED_BACK = recordError('ALL_OR_NONE_OPERATION_ROLLED_BACK', 'Record rolled back because not all records were valid and the request was using AllOrNone header');
const insufficientAccess = () => recordError('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');

/** Reads a JSON record against the object: unknown, unreadable and unwritable fields, and values of the wrong type. */
function readFields(access: DataAccess, object: ObjectDef, body: unknown, mode: 'create' | 'update', service: DataService): { values: Row; errors: RecordError[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { values: {}, errors: [recordError('JSON_PARSER_ERROR', 'Cannot deserialize instance of an sObject from a non-object JSON value')] };
  }
  const values: Row = {};
  const errors: RecordError[] = [];
  const unwritable: string[] = [];
  for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
    if (SKIPPED_KEYS.has(key) || (mode === 'update' && key.toLowerCase() === 'id')) continue;
    const f = service.schema.field(object, key);
    if (!f || !access.canRead(object, f)) {
      errors.push(recordError('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key]));
      continue;
    }
    const writable = (mode === 'create' ? f.createable : f.updateable) && access.canEdit(object, f);
    if (!writable) {
      unwritable.push(f.name);
      continue;
    }
    const stored = toStored(f, raw);
    if (!stored.ok) errors.push(stored.error);
    else values[f.name] = stored.value;
  }
  if (unwritable.length > 0) {
    errors.push(recordError('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to ${mode === 'create' ? 'create' : 'create/update'} fields: ${unwritable.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, unwritable));
  }
  return { values, errors };
}

const requiredFields = new WeakMap<ObjectDef, FieldDef[]>();

function missingRequired(object: ObjectDef, row: Row): RecordError | undefined {
  // The object's required fields, found once: a bulk job checks a million rows against them.
  let required = requiredFields.get(object);
  if (!required) requiredFields.set(object, (required = object.fields.filter((f) => f.required)));
  const missing = required.filter((f) => row[f.name] === null || row[f.name] === undefined).map((f) => f.name);
  return missing.length ? recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing) : undefined;
}

/** Fields Salesforce computes: person names, line totals, order numbers. */
const PERSON_NAMES = new Set(['Contact', 'Lead']);
const LINE_TOTALS = new Set(['OrderItem', 'OpportunityLineItem']);

function compute(object: ObjectDef, row: Row, nextNumber: () => number): void {
  if (PERSON_NAMES.has(object.name)) row.Name = [row.FirstName, row.LastName].filter((v) => v !== null && v !== undefined && v !== '').join(' ');
  if (LINE_TOTALS.has(object.name) && typeof row.Quantity === 'number' && typeof row.UnitPrice === 'number') {
    row.TotalPrice = Number((row.Quantity * row.UnitPrice).toFixed(2));
  }
  if (object.name === 'Order' && !row.OrderNumber) row.OrderNumber = String(nextNumber()).padStart(8, '0');
}

/** Lookups must name a record of the right type that the user can see (or edit, for a master record). */
async function checkReferences(service: DataService, access: DataAccess, object: ObjectDef, pending: Pending[], trusted: ReadonlySet<string> = new Set()): Promise<void> {
  for (const f of object.fields) {
    if (f.type !== 'reference' || ['CreatedById', 'LastModifiedById'].includes(f.name) || trusted.has(f.name)) continue;
    const polymorphic = POLYMORPHIC_FIELDS[`${object.name}.${f.name}`] === true;
    // Distinct ids per target: a bulk chunk of 2,000 rows often names one owner 2,000 times.
    const byTarget = new Map<ObjectDef, Set<string>>();
    for (const p of pending) {
      const value = p.values[f.name];
      if (p.errors.length || typeof value !== 'string' || (p.existing && p.existing[f.name] === value)) continue;
      const target = polymorphic ? service.schema.byKeyPrefix(value.slice(0, 3)) : service.schema.get(f.referenceTo[0]!);
      if (!target || (!polymorphic && !value.startsWith(target.keyPrefix))) {
        p.errors.push(recordError('FIELD_INTEGRITY_EXCEPTION', `${f.label}: id value of incorrect type: ${value}`, [f.name]));
        continue;
      }
      const ids = byTarget.get(target);
      if (ids) ids.add(value);
      else byTarget.set(target, new Set([value]));
    }
    for (const [target, ids] of byTarget) {
      const mode: AccessMode = f.cascadeDelete ? 'edit' : 'read';
      const visible = f.name === 'OwnerId' ? await activeUsers(service, [...ids]) : await service.visibleIds(access, target, [...ids], mode);
      for (const p of pending) {
        const value = p.values[f.name];
        if (typeof value === 'string' && ids.has(value) && !visible.has(value)) {
          p.errors.push(recordError('INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', `insufficient access rights on cross-reference id: ${value}`, [f.name]));
        }
      }
    }
  }
}

async function activeUsers(service: DataService, ids: string[]): Promise<Set<string>> {
  const table = tableName(service.schema.get('User')!);
  const { rows } = await sql<{ Id: string }>`SELECT ${sql.ref('Id')} FROM ${sql.table(table)} WHERE ${sql.ref('Id')} IN (${sql.join(ids)}) AND ${sql.ref('IsActive')} = 1`.execute(service.db);
  return new Set(rows.map((r) => r.Id));
}

/** Unique and external id values must not repeat among live records (case-insensitively) or within the request. */
async function checkUnique(service: DataService, object: ObjectDef, pending: Pending[]): Promise<void> {
  for (const f of object.fields.filter((x) => x.unique)) {
    const key = (v: StoredValue) => String(v).toLowerCase();
    const candidates = pending.filter((p) => !p.errors.length && p.values[f.name] !== null && p.values[f.name] !== undefined);
    if (candidates.length === 0) continue;
    const values = candidates.map((p) => p.values[f.name] as string | number);
    const { rows } = await sql<{ Id: string; v: StoredValue }>`SELECT ${sql.ref('Id')}, ${sql.ref(f.name)} AS v FROM ${sql.table(tableName(object))}
      WHERE ${sql.ref('IsDeleted')} = 0 AND ${inValues(service.dialect, f, sql.ref(f.name), values)}`.execute(service.db);
    const owner = new Map(rows.map((r) => [key(r.v), r.Id]));
    for (const p of candidates) {
      const k = key(p.values[f.name]!);
      const holder = owner.get(k);
      if (holder && holder !== p.id) p.errors.push(recordError('DUPLICATE_VALUE', `duplicate value found: ${f.name} duplicates value on record with id: ${holder}`, []));
      else owner.set(k, p.id);
    }
  }
}


/**
 * Recomputes the roll-ups of the parents of these child rows (no-op for objects without one). A
 * parent whose total changed gets an UPDATE change event when it is enabled for Change Data
 * Capture: Salesforce includes roll-up summaries in change events, and an order's items change
 * only through them.
 */
async function rollUp(service: DataService, trx: RecordDatabase, object: ObjectDef, rows: readonly Row[], stamp: string, userId: string): Promise<void> {
  const rollup = ROLLUPS[object.name];
  if (!rollup) return;
  const ids = [...new Set(rows.map((r) => r[rollup.field]).filter((id): id is string => typeof id === 'string'))];
  if (ids.length === 0) return;
  const parent = service.schema.get(rollup.parent)!;
  const child = tableName(object);
  const totals = async () => new Map((await sql<Row>`SELECT ${sql.ref('Id')}, ${sql.ref(rollup.total)} FROM ${sql.table(tableName(parent))} WHERE ${sql.ref('Id')} IN (${sql.join(ids)})`.execute(trx)).rows.map((r) => [String(r.Id), r[rollup.total]]));
  const captured = service.cdcObjects.has(parent.name);
  const before = captured ? await totals() : undefined;
  await sql`UPDATE ${sql.table(tableName(parent))} SET ${sql.ref(rollup.total)} = (SELECT COALESCE(SUM(${sql.ref(rollup.amount)}), 0) FROM ${sql.table(child)} WHERE ${sql.ref(rollup.field)} = ${sql.table(tableName(parent))}.${sql.ref('Id')} AND ${sql.ref('IsDeleted')} = 0), ${sql.ref('SystemModstamp')} = ${stamp}
    WHERE ${sql.ref('Id')} IN (${sql.join(ids)})`.execute(trx);
  if (!before) return;
  const after = await totals();
  const changed = [...after].filter(([id, total]) => Number(total) !== Number(before.get(id)));
  await captureChanges(trx, parent, 'UPDATE', changed.map(([id, total]) => ({ id, values: { [rollup.total]: total ?? null }, before: { [rollup.total]: before.get(id) ?? null } })), userId, service.now());
}

/** Per-record results in request order; a failed create has no id, a failed update or delete keeps its own. */
function results(pending: readonly Pending[], idOnFailure: boolean): SaveResult[] {
  return pending.map((p) => (p.errors.length ? { id: idOnFailure ? p.id : null, success: false, errors: p.errors } : { id: p.id, success: true, errors: [] }));
}

/** With allOrNone, one failure fails every record; otherwise only the failing ones. */
function settle(pending: Pending[], allOrNone: boolean): boolean {
  const failed = pending.some((p) => p.errors.length > 0);
  if (failed && allOrNone) for (const p of pending) if (p.errors.length === 0) p.errors.push(ROLLED_BACK);
  return !(failed && allOrNone);
}

function defaultOf(f: FieldDef): StoredValue {
  if (f.defaultValue === null) return null;
  const stored = toStored(f, f.defaultValue);
  return stored.ok ? stored.value : null;
}

const PARAMETER_BUDGET = 30000;

/**
 * Inserts rows as multi-row INSERTs, written here rather than through Kysely's builder: a Bulk API
 * job inserts millions of rows, and building a query tree of one node per value cost a quarter of
 * the ingest's time (and most of its garbage). Only the columns some row fills are named, so the
 * dozens of empty fields of a wide object are left to their NULL default instead of bound one by one.
 */
async function insertRows(db: RecordDatabase, dialect: Dialect, table: string, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).filter((name) => rows.some((row) => row[name] !== null && row[name] !== undefined));
  const chunk = Math.max(1, Math.floor(PARAMETER_BUDGET / columns.length));
  const head = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) VALUES `;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const parameters: StoredValue[] = [];
    for (const row of part) for (const name of columns) parameters.push(row[name] ?? null);
    await db.executeQuery(CompiledQuery.raw(head + placeholders(dialect, part.length, columns.length), parameters));
  }
}

const placeholderCache = new Map<string, string>();

/** `(?, ?), (?, ?)` (SQLite) or `($1, $2), ($3, $4)` (PostgreSQL) for rows × columns; the same few shapes recur, so they are kept. */
function placeholders(dialect: Dialect, rows: number, columns: number): string {
  const key = `${dialect}:${rows}:${columns}`;
  let text = placeholderCache.get(key);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) tuples.push(`(${Array.from({ length: columns }, (_, c) => (dialect === 'postgres' ? `$${r * columns + c + 1}` : '?')).join(', ')})`);
    text = tuples.join(', ');
    if (placeholderCache.size < 256) placeholderCache.set(key, text);
  }
  return text;
}

export interface DmlOptions {
  allOrNone: boolean;
  /** Values the org sets itself (file sizes, document ids), beyond what the caller may write. */
  internal?: Row;
  /** Check everything, write nothing (an all-or-none upsert checks both halves before either writes). */
  dryRun?: boolean;
}

export async function createRecords(service: DataService, access: DataAccess, object: ObjectDef, bodies: unknown[], options: DmlOptions): Promise<SaveResult[]> {
  const rights = access.rights(object);
  const stamp = service.clock.next();
  // Every field's default, worked out once per call rather than once per record.
  const defaults: Row = Object.fromEntries(object.fields.map((f) => [f.name, defaultOf(f)]));
  const pending: Pending[] = bodies.map((body, index) => {
    const id = newRecordId(object.keyPrefix);
    if (!rights.create) return { index, id, values: {}, errors: [insufficientAccess()] };
    const { values, errors } = readFields(access, object, body, 'create', service);
    const row: Row = { ...defaults };
    Object.assign(row, values, options.internal ?? {}, {
      Id: id, IsDeleted: 0, CreatedDate: stamp, LastModifiedDate: stamp, SystemModstamp: stamp, CreatedById: access.userId, LastModifiedById: access.userId,
    });
    if (object.fields.some((f) => f.name === 'OwnerId') && !row.OwnerId) row.OwnerId = access.userId;
    if (errors.length === 0) {
      const missing = missingRequired(object, row);
      if (missing) errors.push(missing);
    }
    return { index, id, values: row, errors };
  });
  await checkReferences(service, access, object, pending, new Set(Object.keys(options.internal ?? {})));
  if (object.platformEvent) return publish(service, access, object, pending, options);
  await checkUnique(service, object, pending);
  if (settle(pending, options.allOrNone) && !options.dryRun) {
    const good = pending.filter((p) => p.errors.length === 0);
    let counter: number | undefined;
    const nextNumber = () => (counter = (counter ?? 0) + 1);
    if (object.name === 'Order' && good.length) counter = await maxOrderNumber(service, object);
    for (const p of good) compute(object, p.values, nextNumber);
    await service.transact(async ({ db: trx }) => {
      await insertRows(trx, service.dialect, tableName(object), good.map((p) => p.values));
      await rollUp(service, trx, object, good.map((p) => p.values), stamp, access.userId);
      if (service.cdcObjects.has(object.name)) await captureChanges(trx, object, 'CREATE', good.map((p) => ({ id: p.id, values: p.values })), access.userId, service.now());
    });
    service.noteInserted(good.length);
    service.changesCommitted(object);
  }
  return results(pending, false);
}

/** A create of platform events publishes them: each good one answers success with OPERATION_ENQUEUED and its EventUuid, as Salesforce does. */
async function publish(service: DataService, access: DataAccess, object: ObjectDef, pending: Pending[], options: DmlOptions): Promise<SaveResult[]> {
  if (!settle(pending, options.allOrNone) || options.dryRun) return results(pending, false);
  const good = pending.filter((p) => p.errors.length === 0);
  const uuids = await service.transact(({ db: trx }) => publishEvents(trx, object, good.map((p) => p.values), access.userId, service.now()));
  service.changesCommitted(object);
  const enqueued = new Map(good.map((p, i) => [p, uuids[i]!]));
  return pending.map((p) => (p.errors.length ? { id: null, success: false, errors: p.errors } : { id: p.id, success: true, errors: [{ errorCode: 'OPERATION_ENQUEUED', message: enqueued.get(p)!, fields: [] }] }));
}

async function maxOrderNumber(service: DataService, object: ObjectDef): Promise<number> {
  const { rows } = await sql<{ m: string | null }>`SELECT MAX(${sql.ref('OrderNumber')}) AS m FROM ${sql.table(tableName(object))}`.execute(service.db);
  return rows[0]?.m ? Number(rows[0].m) : 100;
}

/** Loads live records by id with what the user may do to each. */
async function loadForWrite(service: DataService, access: DataAccess, object: ObjectDef, ids: string[], mode: 'edit' | 'delete') {
  const table = tableName(object);
  const { rows } = ids.length
    ? await sql<Row>`SELECT * FROM ${sql.table(table)} WHERE ${sql.ref('Id')} IN (${sql.join([...new Set(ids)])})`.execute(service.db)
    : { rows: [] as Row[] };
  const readable = await service.visibleIds(access, object, ids, 'read');
  const writable = await service.visibleIds(access, object, ids, mode);
  const byId = new Map(rows.map((r) => [r.Id as string, r]));
  return (id: string): { row?: Row; error?: RecordError } => {
    const row = byId.get(id);
    if (row && row.IsDeleted === 1) return { error: recordError('ENTITY_IS_DELETED', 'entity is deleted') };
    if (!row || !readable.has(id)) return { error: recordError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`) };
    if (!writable.has(id)) return { error: insufficientAccess() };
    return { row };
  };
}

export async function updateRecords(service: DataService, access: DataAccess, object: ObjectDef, updates: { id: string; body: unknown }[], options: DmlOptions): Promise<SaveResult[]> {
  const stamp = service.clock.next();
  const lookup = await loadForWrite(service, access, object, updates.map((u) => u.id), 'edit');
  const pending: Pending[] = updates.map(({ id, body }, index) => {
    const found = lookup(id);
    if (found.error) return { index, id, values: {}, errors: [found.error] };
    const { values, errors } = readFields(access, object, body, 'update', service);
    const merged: Row = { ...found.row!, ...values };
    if (errors.length === 0) {
      const missing = missingRequired(object, merged);
      if (missing) errors.push(missing);
    }
    return { index, id, values, errors, existing: found.row! };
  });
  await checkReferences(service, access, object, pending);
  await checkUnique(service, object, pending);
  if (settle(pending, options.allOrNone) && !options.dryRun) {
    const good = pending.filter((p) => p.errors.length === 0);
    await service.transact(async ({ db: trx }) => {
      for (const p of good) {
        const merged: Row = { ...p.existing!, ...p.values };
        compute(object, merged, () => 0);
        const changes: Row = { ...p.values, LastModifiedDate: stamp, LastModifiedById: access.userId, SystemModstamp: stamp };
        for (const name of ['Name', 'TotalPrice']) if (name in merged && merged[name] !== p.existing![name]) changes[name] = merged[name]!;
        await trx.updateTable(tableName(object)).set(changes).where('Id', '=', p.id).execute();
      }
      await rollUp(service, trx, object, good.map((p) => p.existing!), stamp, access.userId);
      if (service.cdcObjects.has(object.name)) {
        await captureChanges(trx, object, 'UPDATE', good.map((p) => ({ id: p.id, values: { ...p.values, LastModifiedDate: stamp, LastModifiedById: access.userId }, before: p.existing! })), access.userId, service.now());
      }
    });
    service.changesCommitted(object);
  }
  return results(pending, true);
}

/** Deletes go to the recycle bin (IsDeleted, still visible to queryAll and getDeleted), taking master-detail children along. */
export async function deleteRecords(service: DataService, access: DataAccess, ids: string[], options: DmlOptions): Promise<SaveResult[]> {
  const stamp = service.clock.next();
  const objects = ids.map((id) => service.schema.byKeyPrefix(id.slice(0, 3)));
  const byObject = new Map<ObjectDef, string[]>();
  ids.forEach((id, i) => {
    const object = objects[i];
    if (object) byObject.set(object, [...(byObject.get(object) ?? []), id]);
  });
  const lookups = new Map<ObjectDef, Awaited<ReturnType<typeof loadForWrite>>>();
  for (const [object, list] of byObject) lookups.set(object, await loadForWrite(service, access, object, list, 'delete'));
  const pending: (Pending & { object?: ObjectDef })[] = ids.map((id, index) => {
    const object = objects[index];
    const found = object ? lookups.get(object)!(id) : { error: recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id') };
    return { index, id, values: {}, errors: found.error ? [found.error] : [], ...(object ? { object } : {}) };
  });
  if (settle(pending, options.allOrNone)) {
    const deleted = pending.filter((x) => x.errors.length === 0);
    await service.transact(async ({ db: trx }) => {
      for (const p of deleted) await softDelete(service, trx, p.object!, [p.id], stamp, access.userId);
      for (const object of new Set(deleted.map((p) => p.object!))) {
        if (service.cdcObjects.has(object.name)) await captureChanges(trx, object, 'DELETE', deleted.filter((p) => p.object === object).map((p) => ({ id: p.id, values: {} })), access.userId, service.now());
      }
    });
    for (const object of new Set(deleted.map((p) => p.object!))) service.changesCommitted(object);
  }
  return results(pending, true);
}

async function softDelete(service: DataService, trx: RecordDatabase, object: ObjectDef, ids: string[], stamp: string, userId: string): Promise<void> {
  if (ids.length === 0) return;
  const rollup = ROLLUPS[object.name];
  const children = rollup ? (await sql<Row>`SELECT ${sql.ref(rollup.field)} FROM ${sql.table(tableName(object))} WHERE ${sql.ref('Id')} IN (${sql.join(ids)})`.execute(trx)).rows : [];
  await trx.updateTable(tableName(object))
    .set({ IsDeleted: 1, [DELETED_AT]: stamp, SystemModstamp: stamp, LastModifiedDate: stamp, LastModifiedById: userId })
    .where('Id', 'in', ids).where('IsDeleted', '=', 0).execute();
  await rollUp(service, trx, object, children, stamp, userId);
  for (const child of service.schema.childRelationships(object).filter((c) => c.cascadeDelete)) {
    const childObject = service.schema.get(child.childSObject)!;
    const { rows } = await sql<{ Id: string }>`SELECT ${sql.ref('Id')} FROM ${sql.table(tableName(childObject))} WHERE ${sql.ref(child.field)} IN (${sql.join(ids)}) AND ${sql.ref('IsDeleted')} = 0`.execute(trx);
    await softDelete(service, trx, childObject, rows.map((r) => r.Id), stamp, userId);
  }
}

export interface UpsertOutcome { results: SaveResult[]; /** Per record: the ids when the external id matched several records. */ multiple: (string[] | undefined)[] }

/** Upsert by external id (or Id): update the one live visible match, create when there is none, refuse when there are several. */
export async function upsertRecords(service: DataService, access: DataAccess, object: ObjectDef, external: FieldDef, bodies: { value: unknown; body: unknown }[], options: DmlOptions): Promise<UpsertOutcome> {
  const keyOf = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : String(v).toLowerCase());
  const keys = bodies.map((b) => keyOf(b.value));
  const present = [...new Set(keys.filter((k): k is string => k !== undefined))];
  const matches = await findByExternalId(service, access, object, external, present);
  const results: SaveResult[] = new Array(bodies.length);
  const multiple: (string[] | undefined)[] = new Array(bodies.length).fill(undefined);
  const creates: { index: number; body: unknown }[] = [];
  const updates: { index: number; id: string; body: unknown }[] = [];
  bodies.forEach(({ body }, index) => {
    const key = keys[index];
    if (key === undefined) {
      results[index] = { id: null, success: false, errors: [recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${external.name}]`, [external.name])], created: false };
      return;
    }
    const ids = matches.get(key) ?? [];
    if (ids.length > 1) {
      multiple[index] = ids;
      results[index] = { id: null, success: false, errors: [recordError('DUPLICATE_EXTERNAL_ID', `${external.name}: more than one record found for external id field: ${ids.join(', ')}`, [external.name])], created: false };
    } else if (ids.length === 1) updates.push({ index, id: ids[0]!, body });
    else if (external.type === 'id') results[index] = { id: null, success: false, errors: [recordError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${String(bodies[index]!.value)}`, [])], created: false };
    else creates.push({ index, body: { ...(body as object), [external.name]: bodies[index]!.value } });
  });
  const failedEarly = results.some((r) => r && !r.success);
  if (failedEarly && options.allOrNone) {
    for (let i = 0; i < results.length; i++) results[i] ??= { id: null, success: false, errors: [ROLLED_BACK], created: false };
    return { results, multiple };
  }
  // Two phases, one verdict: with allOrNone the whole request is checked before anything is written.
  const createInputs = creates.map((c) => c.body);
  const updateInputs = updates.map((u) => ({ id: u.id, body: stripField(u.body, external.name) }));
  if (options.allOrNone) {
    const checkCreates = await createRecords(service, access, object, createInputs, { ...options, dryRun: true });
    const checkUpdates = await updateRecords(service, access, object, updateInputs, { ...options, dryRun: true });
    if ([...checkCreates, ...checkUpdates].some((r) => !r.success)) {
      creates.forEach((c, i) => (results[c.index] = { ...checkCreates[i]!, id: null, success: false, errors: checkCreates[i]!.success ? [ROLLED_BACK] : checkCreates[i]!.errors, created: false }));
      updates.forEach((u, i) => (results[u.index] = { ...checkUpdates[i]!, success: false, errors: checkUpdates[i]!.success ? [ROLLED_BACK] : checkUpdates[i]!.errors, created: false }));
      return { results, multiple };
    }
  }
  const created = await createRecords(service, access, object, createInputs, options);
  const updated = await updateRecords(service, access, object, updateInputs, options);
  creates.forEach((c, i) => (results[c.index] = { ...created[i]!, created: created[i]!.success }));
  updates.forEach((u, i) => (results[u.index] = { ...updated[i]!, created: false }));
  return { results, multiple };
}

function stripField(body: unknown, name: string): unknown {
  if (!body || typeof body !== 'object') return body;
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
}
