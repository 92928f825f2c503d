import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DmlError, recordError } from '../../../data/data-error.js';
import { BlobTooLargeError, type StoredBlob } from '../../../data/files/blob-store.js';
import { createContentVersion } from '../../../data/files/content.js';
import { deletedRecords, updatedIds } from '../../../data/records/changes.js';
import { describeObject, objectSummary } from '../../../data/records/describe.js';
import { retrieveOne } from '../../../data/records/retrieve.js';
import { normalizeId } from '../../../data/records/values.js';
import type { DataService } from '../../../data/service.js';
import { ApiError, notFound } from '../../api-error.js';
import { readableObject, type VersionParams } from './context.js';
import { createOne, deleteOne, retrieve, retrieveByExternalId, updateOne, upsertOne, type Answer, type RecordCall } from './record-operations.js';

type TypeParams = VersionParams & { type: string };
type IdParams = TypeParams & { id: string };
type PairParams = TypeParams & { a: string; b: string };

export const DATA_BODY_LIMIT = 50 * 1024 * 1024;

function tooLarge(service: DataService) {
  return new ApiError(413, 'MAXIMUM_SIZE_OF_DOCUMENT', `The file is larger than this org's limit of ${service.blobs.maxBytes} bytes (set HANDSHAKE_MAX_FILE_BYTES to change it).`);
}

/** ContentVersion bytes arrive as a multipart part (any order; the JSON part is found by its content type) or as base64 in JSON. */
async function readFileUpload(service: DataService, request: FastifyRequest): Promise<{ fields: Record<string, unknown>; blob: StoredBlob }> {
  let fields: Record<string, unknown> | undefined;
  let blob: StoredBlob | undefined;
  try {
    if (request.isMultipart()) {
      for await (const part of request.parts()) {
        if (part.type === 'file' && part.mimetype !== 'application/json') {
          if (blob) throw new ApiError(400, 'INVALID_MULTIPART_REQUEST', 'Only one binary part (VersionData) is accepted per ContentVersion');
          blob = await service.blobs.write(part.file);
          if (part.file.truncated) throw new BlobTooLargeError(service.blobs.maxBytes);
        } else {
          // @fastify/multipart already parses a field part sent as application/json.
          if (part.type === 'field' && part.value !== null && typeof part.value === 'object') {
            fields = part.value as Record<string, unknown>;
            continue;
          }
          const text = part.type === 'file' ? (await part.toBuffer()).toString('utf8') : String(part.value);
          if (part.type === 'field' && part.mimetype !== 'application/json' && !text.trim().startsWith('{')) continue;
          try {
            fields = JSON.parse(text) as Record<string, unknown>;
          } catch (error) {
            throw new ApiError(400, 'JSON_PARSER_ERROR', `The JSON part is not valid JSON: ${(error as Error).message}`);
          }
        }
      }
      if (!fields) throw new ApiError(400, 'INVALID_MULTIPART_REQUEST', 'The multipart request has no JSON part (Content-Type: application/json) with the ContentVersion fields');
      if (!blob) throw new DmlError([recordError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [VersionData]', ['VersionData'])]);
    } else {
      const body = request.body as Record<string, unknown> | null;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
      const { VersionData, ...rest } = body;
      if (typeof VersionData !== 'string' || VersionData === '') throw new DmlError([recordError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [VersionData]', ['VersionData'])]);
      if (!/^[A-Za-z0-9+/=\s]*$/.test(VersionData)) throw new DmlError([recordError('INVALID_TYPE_ON_FIELD_IN_RECORD', 'VersionData: value not of required type: base64', ['VersionData'])]);
      fields = rest;
      blob = await service.blobs.write(Readable.from([Buffer.from(VersionData, 'base64')]));
    }
  } catch (error) {
    if (blob) service.blobs.remove(blob.key);
    if (error instanceof BlobTooLargeError || (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(service);
    if (error instanceof ApiError || error instanceof DmlError) throw error;
    // What the multipart parser refuses: no boundary, a body cut short, a malformed part.
    throw new ApiError(400, 'INVALID_MULTIPART_REQUEST', `The multipart body could not be read: ${(error as Error).message}`);
  }
  return { fields, blob };
}

export function sobjectRoutes(app: FastifyInstance, service: DataService): void {
  app.get<{ Params: VersionParams }>('/sobjects', async (request, reply) => {
    if (unchangedSince(service, request, reply)) return reply;
    const { access, version } = request.data;
    return { encoding: 'UTF-8', maxBatchSize: 200, sobjects: service.schema.objects.filter((o) => access.rights(o).read).map((o) => objectSummary(access, o, version)) };
  });

  app.get<{ Params: TypeParams }>('/sobjects/:type', async (request) => {
    const object = readableObject(service, request, request.params.type);
    return { objectDescribe: objectSummary(request.data.access, object, request.data.version), recentItems: [] };
  });

  app.get<{ Params: TypeParams }>('/sobjects/:type/describe', async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    if (unchangedSince(service, request, reply)) return reply;
    return describeObject(service.schema, request.data.access, object, request.data.version);
  });

  app.post<{ Params: TypeParams }>('/sobjects/:type', { bodyLimit: DATA_BODY_LIMIT }, async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    const { access } = request.data;
    if (object.name === 'ContentVersion') {
      if (!access.rights(object).create) throw new DmlError([recordError('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id')]);
      const { fields, blob } = await readFileUpload(service, request);
      try {
        return reply.code(201).send(await createContentVersion(service, access, fields, blob));
      } catch (error) {
        service.blobs.remove(blob.key);
        throw error;
      }
    }
    if (request.isMultipart()) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Multipart uploads are for objects with binary fields (ContentVersion); send ${object.name} as JSON`);
    return answer(reply, await createOne(call(service, request), object, request.body));
  });

  app.get<{ Params: TypeParams; Querystring: { start?: string; end?: string } }>('/sobjects/:type/updated', async (request) => {
    const object = readableObject(service, request, request.params.type);
    return updatedIds(service, request.data.access, object, request.query.start, request.query.end);
  });

  app.get<{ Params: TypeParams; Querystring: { start?: string; end?: string } }>('/sobjects/:type/deleted', async (request) => {
    const object = readableObject(service, request, request.params.type);
    return deletedRecords(service, request.data.access, object, request.query.start, request.query.end);
  });

  app.get<{ Params: IdParams; Querystring: { fields?: string } }>('/sobjects/:type/:id', async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    return answer(reply, await retrieve(call(service, request), object, request.params.id, request.query.fields));
  });

  app.patch<{ Params: IdParams }>('/sobjects/:type/:id', { bodyLimit: DATA_BODY_LIMIT }, async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    return answer(reply, await updateOne(call(service, request), object, request.params.id, request.body));
  });

  app.delete<{ Params: IdParams }>('/sobjects/:type/:id', async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    return answer(reply, await deleteOne(call(service, request), object, request.params.id));
  });

  // Two segments after the type: a record's binary field (…/{id}/VersionData) or a record by external id (…/{field}/{value}).
  app.get<{ Params: PairParams; Querystring: { fields?: string } }>('/sobjects/:type/:a/:b', async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    const blobField = service.schema.field(object, request.params.b);
    const id = normalizeId(request.params.a);
    if (id && id.startsWith(object.keyPrefix) && blobField?.type === 'base64') {
      const row = await retrieveOne(service, request.data.access, object, id, [blobField]);
      const key = row[blobField.name];
      if (typeof key !== 'string') throw notFound();
      return reply.type('application/octet-stream').header('content-length', service.blobs.size(key)).send(service.blobs.read(key));
    }
    return answer(reply, await retrieveByExternalId(call(service, request), object, request.params.a, request.params.b, request.query.fields));
  });

  app.patch<{ Params: PairParams }>('/sobjects/:type/:a/:b', { bodyLimit: DATA_BODY_LIMIT }, async (request, reply) => {
    const object = readableObject(service, request, request.params.type);
    return answer(reply, await upsertOne(call(service, request), object, request.params.a, request.params.b, request.body));
  });
}

/**
 * Describe's conditional requests: `If-Modified-Since` answers 304 with no body when neither the
 * schema nor permissions changed since; `If-Unmodified-Since` answers 412 when they did. Dates are
 * HTTP dates (second precision), so a change within the same second counts as a change.
 */
function unchangedSince(service: DataService, request: FastifyRequest, reply: FastifyReply): boolean {
  const changed = Math.floor(service.describeChangedAt / 1000);
  const since = Date.parse(String(request.headers['if-modified-since'] ?? ''));
  if (Number.isFinite(since) && changed < Math.floor(since / 1000)) {
    reply.code(304).send();
    return true;
  }
  const unmodified = Date.parse(String(request.headers['if-unmodified-since'] ?? ''));
  if (Number.isFinite(unmodified) && changed >= Math.floor(unmodified / 1000)) {
    reply.code(412).send(new ApiError(412, 'PRECONDITION_FAILED', 'The describe changed since the If-Unmodified-Since date').body());
    return true;
  }
  return false;
}

const call = (service: DataService, request: FastifyRequest): RecordCall => ({ service, access: request.data.access, version: request.data.version });
const answer = (reply: FastifyReply, a: Answer) => (a.status === 204 ? reply.code(204).send() : reply.code(a.status).send(a.body));
