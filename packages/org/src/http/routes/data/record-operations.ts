import { DmlError } from '../../../data/data-error.js';
import type { DataAccess } from '../../../data/access/data-access.js';
import { createRecords, deleteRecords, updateRecords, upsertRecords, type SaveResult } from '../../../data/records/dml.js';
import { findByExternalId } from '../../../data/records/lookup.js';
import { recordJson, requestedFields, retrieveOne, retrieveRows } from '../../../data/records/retrieve.js';
import { normalizeId, recordUrl } from '../../../data/records/values.js';
import type { ObjectDef } from '../../../data/schema/fields.js';
import type { DataService } from '../../../data/service.js';
import { ApiError, notFound } from '../../api-error.js';

/**
 * The single-record operations, apart from HTTP: the routes call them, and so do composite
 * subrequests (with a service bound to their transaction when allOrNone holds them together).
 */
export interface RecordCall { service: DataService; access: DataAccess; version: string }
export interface Answer { status: number; body: unknown; location?: string }

/** An object the user can read, or 404 NOT_FOUND as Salesforce answers for unknown and hidden objects alike. */
export function readable(call: RecordCall, name: string): ObjectDef {
  const object = call.service.schema.get(name);
  if (!object || !call.access.rights(object).read) throw notFound();
  return object;
}

function single(result: SaveResult): SaveResult {
  if (!result.success) throw new DmlError(result.errors);
  return result;
}

/** A record the caller cannot see is 404 on a single-record call; deleting one already deleted is 404 ENTITY_IS_DELETED. */
function throwIfMissing(result: SaveResult, deletedToo: boolean): void {
  const code = result.success ? undefined : result.errors[0]?.errorCode;
  if (code === 'INVALID_CROSS_REFERENCE_KEY') throw notFound();
  if (deletedToo && code === 'ENTITY_IS_DELETED') throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
}

export function idOrNotFound(object: ObjectDef, raw: string): string {
  const id = normalizeId(raw);
  if (!id || !id.startsWith(object.keyPrefix)) throw notFound(`Provided external ID field does not exist or is not accessible: ${raw}`);
  return id;
}

/** The field an upsert or lookup goes by: Id or an external id / unique field the user can read. */
export function externalField(call: RecordCall, object: ObjectDef, name: string) {
  const f = call.service.schema.field(object, name);
  if (!f || !(f.externalId || f.unique || f.name === 'Id') || !call.access.canRead(object, f)) {
    throw notFound(`Provided external ID field does not exist or is not accessible: ${name}`);
  }
  return f;
}

export async function createOne(call: RecordCall, object: ObjectDef, body: unknown): Promise<Answer> {
  if (Array.isArray(body)) throw new ApiError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${object.name} from START_ARRAY value; use composite/sobjects for several records`);
  const [result] = await createRecords(call.service, call.access, object, [body], { allOrNone: true });
  const saved = single(result!);
  // A published platform event is not a record to point at; its answer carries OPERATION_ENQUEUED.
  if (object.platformEvent) return { status: 201, body: { ...saved, errors: saved.errors.map((e) => ({ statusCode: e.errorCode, message: e.message, fields: e.fields })) } };
  return { status: 201, body: saved, location: recordUrl(call.version, object, saved.id!) };
}

export async function retrieve(call: RecordCall, object: ObjectDef, rawId: string, fieldList: string | undefined): Promise<Answer> {
  const id = idOrNotFound(object, rawId);
  const fields = requestedFields(call.service, call.access, object, fieldList);
  return { status: 200, body: recordJson(object, fields, await retrieveOne(call.service, call.access, object, id, fields), call.version) };
}

export async function updateOne(call: RecordCall, object: ObjectDef, rawId: string, body: unknown): Promise<Answer> {
  const id = idOrNotFound(object, rawId);
  const [result] = await updateRecords(call.service, call.access, object, [{ id, body }], { allOrNone: true });
  throwIfMissing(result!, false);
  single(result!);
  return { status: 204, body: null };
}

export async function deleteOne(call: RecordCall, object: ObjectDef, rawId: string): Promise<Answer> {
  const id = idOrNotFound(object, rawId);
  const [result] = await deleteRecords(call.service, call.access, [id], { allOrNone: true });
  throwIfMissing(result!, true);
  single(result!);
  return { status: 204, body: null };
}

async function lookup(call: RecordCall, object: ObjectDef, fieldName: string, value: string): Promise<string[]> {
  const f = call.service.schema.field(object, fieldName)!;
  if (f.name === 'Id') {
    const id = normalizeId(value);
    return id ? [...(await retrieveRows(call.service, call.access, object, [id], [])).keys()] : [];
  }
  return (await findByExternalId(call.service, call.access, object, f, [value])).get(value.toLowerCase()) ?? [];
}

export async function retrieveByExternalId(call: RecordCall, object: ObjectDef, fieldName: string, value: string, fieldList: string | undefined): Promise<Answer> {
  const external = externalField(call, object, fieldName);
  const fields = requestedFields(call.service, call.access, object, fieldList);
  const found = await lookup(call, object, external.name, value);
  if (found.length === 0) throw notFound();
  if (found.length > 1) return { status: 300, body: found.map((rid) => recordUrl(call.version, object, rid)) };
  return { status: 200, body: recordJson(object, fields, await retrieveOne(call.service, call.access, object, found[0]!, fields), call.version) };
}

export async function upsertOne(call: RecordCall, object: ObjectDef, fieldName: string, value: string, body: unknown): Promise<Answer> {
  const external = externalField(call, object, fieldName);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const clash = Object.entries(body as Record<string, unknown>).find(([k, v]) => k.toLowerCase() === external.name.toLowerCase() && String(v) !== value);
    if (clash) throw new ApiError(400, 'INVALID_FIELD', `The value of ${external.name} in the body (${String(clash[1])}) differs from the one in the URL (${value})`);
  }
  const { results, multiple } = await upsertRecords(call.service, call.access, object, external, [{ value, body }], { allOrNone: true });
  if (multiple[0]) return { status: 300, body: multiple[0].map((rid) => recordUrl(call.version, object, rid)) };
  const result = single(results[0]!);
  // API 46.0 and later answer an update with 200 and the result; earlier versions with 204.
  if (result.created) return { status: 201, body: result, location: recordUrl(call.version, object, result.id!) };
  return Number(call.version.slice(1)) >= 46 ? { status: 200, body: result } : { status: 204, body: null };
}
