import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRecords, deleteRecords, ROLLED_BACK, updateRecords, upsertRecords, type SaveResult } from '../../../data/records/dml.js';
import type { ObjectDef } from '../../../data/schema/fields.js';
import { recordJson, requestedFields, retrieveRows } from '../../../data/records/retrieve.js';
import { normalizeId } from '../../../data/records/values.js';
import type { DataService } from '../../../data/service.js';
import { ApiError } from '../../api-error.js';
import { readableObject, type VersionParams } from './context.js';
import { externalField } from './record-operations.js';
import { DATA_BODY_LIMIT } from './sobjects.js';

const MAX_RECORDS = 200;

interface CollectionBody { allOrNone?: unknown; records?: unknown }

/** Collections report errors with `statusCode` where single-record calls say `errorCode`. */
function collectionResult(result: SaveResult, withCreated = false) {
  return {
    id: result.id,
    success: result.success,
    errors: result.errors.map((e) => ({ statusCode: e.errorCode, message: e.message, fields: e.fields })),
    ...(withCreated ? { created: result.created ?? false } : {}),
  };
}

function readBody(request: FastifyRequest): { allOrNone: boolean; records: Record<string, unknown>[] } {
  const body = request.body as CollectionBody | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The body must be a JSON object with a records array');
  if (body.allOrNone !== undefined && typeof body.allOrNone !== 'boolean') throw new ApiError(400, 'JSON_PARSER_ERROR', 'allOrNone must be true or false');
  if (!Array.isArray(body.records)) throw new ApiError(400, 'INVALID_FIELD', 'records: a list of records is required');
  if (body.records.length > MAX_RECORDS) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_RECORDS} records into this call`);
  if (body.records.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) throw new ApiError(400, 'JSON_PARSER_ERROR', 'Every entry of records must be a JSON object');
  return { allOrNone: body.allOrNone === true, records: body.records as Record<string, unknown>[] };
}

/** A record's type comes from attributes.type; records of one call must all have one. */
function typeOf(records: Record<string, unknown>[], fallback?: string): string {
  const types = new Set(records.map((r) => (r.attributes as { type?: unknown } | undefined)?.type ?? fallback));
  if (types.size !== 1 || typeof [...types][0] !== 'string') throw new ApiError(400, 'INVALID_TYPE', 'Every record needs attributes.type, and this call takes one object type');
  return [...types][0] as string;
}

const MAX_CHUNKS = 10;

/**
 * Create and update take mixed types, processed as Salesforce does: in chunks of consecutive
 * records of one type, at most ten chunks, in one transaction when allOrNone holds them together.
 */
async function inChunks(service: DataService, request: FastifyRequest, records: Record<string, unknown>[], allOrNone: boolean, save: (scoped: DataService, object: ObjectDef, chunk: Record<string, unknown>[]) => Promise<SaveResult[]>): Promise<SaveResult[]> {
  const chunks: { object: ObjectDef; records: Record<string, unknown>[] }[] = [];
  records.forEach((record, i) => {
    const type = (record.attributes as { type?: unknown } | undefined)?.type;
    if (typeof type !== 'string') throw new ApiError(400, 'INVALID_TYPE', `records[${i}].attributes.type: every record needs its object type`);
    const last = chunks.at(-1);
    if (last && last.object.name.toLowerCase() === type.toLowerCase()) last.records.push(record);
    else chunks.push({ object: readableObject(service, request, type), records: [record] });
  });
  if (chunks.length > MAX_CHUNKS) throw new ApiError(400, 'INVALID_BATCH_SIZE', `Cannot have more than ${MAX_CHUNKS} chunks in a single operation (consecutive records of one type make a chunk; got ${chunks.length}). Please rearrange the data to reduce chunking.`);
  const run = async (scoped: DataService) => {
    const results: SaveResult[] = [];
    for (const chunk of chunks) {
      const saved = await save(scoped, chunk.object, chunk.records);
      results.push(...saved);
      if (allOrNone && saved.some((r) => !r.success)) throw new RolledBack(results);
    }
    return results;
  };
  if (!allOrNone) return run(service);
  try {
    return await service.transact(run);
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
    return records.map((_, i) => {
      const r = error.results[i];
      return r && !r.success ? r : { id: null, success: false, errors: [ROLLED_BACK] };
    });
  }
}

class RolledBack extends Error {
  constructor(readonly results: SaveResult[]) {
    super('rolled back');
  }
}

export function collectionRoutes(app: FastifyInstance, service: DataService): void {
  app.post<{ Params: VersionParams }>('/composite/sobjects', { bodyLimit: DATA_BODY_LIMIT }, async (request) => {
    const { allOrNone, records } = readBody(request);
    if (records.length === 0) return [];
    if (records.some((r) => r.id !== undefined || r.Id !== undefined)) throw new ApiError(400, 'INVALID_FIELD', 'Records to create cannot have an id');
    const saved = await inChunks(service, request, records, allOrNone, (scoped, object, chunk) => createRecords(scoped, request.data.access, object, chunk, { allOrNone }));
    return saved.map((r) => collectionResult(r));
  });

  app.patch<{ Params: VersionParams }>('/composite/sobjects', { bodyLimit: DATA_BODY_LIMIT }, async (request) => {
    const { allOrNone, records } = readBody(request);
    if (records.length === 0) return [];
    const idOf = (r: Record<string, unknown>) => normalizeId(String(r.id ?? r.Id ?? '')) ?? String(r.id ?? r.Id ?? '');
    const saved = await inChunks(service, request, records, allOrNone, (scoped, object, chunk) => updateRecords(scoped, request.data.access, object, chunk.map((r) => ({ id: idOf(r), body: r })), { allOrNone }));
    return saved.map((r) => collectionResult(r));
  });

  app.delete<{ Params: VersionParams; Querystring: { ids?: string; allOrNone?: string } }>('/composite/sobjects', async (request) => {
    const ids = (request.query.ids ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) throw new ApiError(400, 'MISSING_ARGUMENT', 'ids: give the ids to delete, comma-separated');
    if (ids.length > MAX_RECORDS) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_RECORDS} records into this call`);
    const normalized = ids.map((id) => normalizeId(id) ?? id);
    return (await deleteRecords(service, request.data.access, normalized, { allOrNone: request.query.allOrNone === 'true' })).map((r) => collectionResult(r));
  });

  app.post<{ Params: VersionParams & { type: string } }>('/composite/sobjects/:type', async (request) => {
    const object = readableObject(service, request, request.params.type);
    const body = request.body as { ids?: unknown; fields?: unknown } | null;
    if (!body || !Array.isArray(body.ids) || !Array.isArray(body.fields)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The body must be {"ids": [...], "fields": [...]}');
    if (body.ids.length > 2000) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', 'cannot retrieve more than 2000 records in one call');
    const fields = requestedFields(service, request.data.access, object, (body.fields as unknown[]).map(String).join(','));
    const ids = body.ids.map((id) => normalizeId(String(id)));
    const rows = await retrieveRows(service, request.data.access, object, ids.filter((id): id is string => id !== undefined), fields);
    return ids.map((id) => (id && rows.has(id) ? recordJson(object, fields, rows.get(id)!, request.data.version) : null));
  });

  app.patch<{ Params: VersionParams & { type: string; field: string } }>('/composite/sobjects/:type/:field', { bodyLimit: DATA_BODY_LIMIT }, async (request) => {
    const object = readableObject(service, request, request.params.type);
    const external = externalField({ service, access: request.data.access, version: request.data.version }, object, request.params.field);
    const { allOrNone, records } = readBody(request);
    typeOf(records, object.name);
    const inputs = records.map((r) => ({ value: Object.entries(r).find(([k]) => k.toLowerCase() === external.name.toLowerCase())?.[1], body: r }));
    const { results } = await upsertRecords(service, request.data.access, object, external, inputs, { allOrNone });
    return results.map((r) => collectionResult(r, true));
  });
}
