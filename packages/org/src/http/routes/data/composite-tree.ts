import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RecordError } from '../../../data/data-error.js';
import { createRecords } from '../../../data/records/dml.js';
import type { ObjectDef } from '../../../data/schema/fields.js';
import type { DataService } from '../../../data/service.js';
import { ApiError } from '../../api-error.js';
import { readableObject, type VersionParams } from './context.js';
import { DATA_BODY_LIMIT } from './sobjects.js';

const MAX_RECORDS = 200;
const MAX_TYPES = 5;
const MAX_DEPTH = 5;

/** One record of a tree, flattened: its fields, where it sits, and which parent (and lookup) it hangs from. */
interface Node { referenceId: string; object: ObjectDef; fields: Record<string, unknown>; level: number; parent?: Node; parentField?: string; id?: string }

function invalid(message: string): ApiError {
  return new ApiError(400, 'INVALID_INPUT', message);
}

/** Reads `{records:[…]}` with children nested under their child relationship names, level by level. */
function flatten(service: DataService, request: FastifyRequest, rootType: string): Node[] {
  const body = request.body as { records?: unknown } | null;
  if (!body || typeof body !== 'object' || !Array.isArray(body.records)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The body must be {"records": [...]}');
  const nodes: Node[] = [];
  const types = new Set<string>();
  const walk = (records: unknown[], expected: ObjectDef, level: number, where: string, parent?: Node, parentField?: string) => {
    if (level > MAX_DEPTH) throw invalid(`${where}: records nest at most ${MAX_DEPTH} levels deep`);
    records.forEach((raw, i) => {
      const at = `${where}[${i}]`;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ApiError(400, 'JSON_PARSER_ERROR', `${at}: each record must be a JSON object`);
      const { attributes, ...rest } = raw as Record<string, unknown>;
      const attrs = (attributes ?? {}) as { type?: unknown; referenceId?: unknown };
      if (typeof attrs.referenceId !== 'string' || attrs.referenceId === '') throw invalid(`${at}.attributes.referenceId: required`);
      if (typeof attrs.type !== 'string' || attrs.type.toLowerCase() !== expected.name.toLowerCase()) throw invalid(`${at}.attributes.type: must be ${expected.name}`);
      types.add(expected.name);
      const fields: Record<string, unknown> = {};
      const node: Node = { referenceId: attrs.referenceId, object: expected, fields, level, ...(parent ? { parent, parentField: parentField! } : {}) };
      if (nodes.push(node) > MAX_RECORDS) throw invalid(`A tree request takes at most ${MAX_RECORDS} records`);
      for (const [key, value] of Object.entries(rest)) {
        const nested = value && typeof value === 'object' && !Array.isArray(value) && Array.isArray((value as { records?: unknown }).records) ? (value as { records: unknown[] }).records : undefined;
        if (!nested) {
          fields[key] = value;
          continue;
        }
        const rel = service.schema.childRelationships(expected).find((r) => r.relationshipName.toLowerCase() === key.toLowerCase());
        if (!rel) throw invalid(`${at}.${key}: ${expected.name} has no child relationship named ${key}`);
        walk(nested, readableObject(service, request, rel.childSObject), level + 1, `${at}.${key}.records`, node, rel.field);
      }
    });
  };
  walk(body.records, readableObject(service, request, rootType), 1, 'records');
  if (types.size > MAX_TYPES) throw invalid(`A tree request takes at most ${MAX_TYPES} object types (got ${types.size})`);
  return nodes;
}

class TreeFailed extends Error {
  constructor(readonly failures: { referenceId: string; errors: RecordError[] }[]) {
    super('tree failed');
  }
}

/**
 * POST /composite/tree/{type} (what `sf data import tree` sends): records with their children,
 * inserted level by level in one transaction, so a bad record anywhere leaves nothing behind.
 */
async function insertTree(service: DataService, request: FastifyRequest<{ Params: VersionParams & { type: string } }>) {
  const nodes = flatten(service, request, request.params.type);
  const { access } = request.data;
  try {
    await service.transact(async (scoped) => {
      const failures: { referenceId: string; errors: RecordError[] }[] = [];
      for (let level = 1; level <= MAX_DEPTH; level++) {
        const atLevel = nodes.filter((n) => n.level === level);
        for (const object of new Set(atLevel.map((n) => n.object))) {
          const batch = atLevel.filter((n) => n.object === object);
          const bodies = batch.map((n) => (n.parent ? { ...n.fields, [n.parentField!]: n.parent.id } : n.fields));
          const saved = await createRecords(scoped, access, object, bodies, { allOrNone: false });
          saved.forEach((result, i) => {
            if (result.success) batch[i]!.id = result.id!;
            else failures.push({ referenceId: batch[i]!.referenceId, errors: result.errors });
          });
        }
        if (failures.length) throw new TreeFailed(failures);
      }
    });
  } catch (error) {
    if (!(error instanceof TreeFailed)) throw error;
    return { status: 400, body: { hasErrors: true, results: error.failures.map((f) => ({ referenceId: f.referenceId, errors: f.errors.map((e) => ({ statusCode: e.errorCode, message: e.message, fields: e.fields })) })) } };
  }
  return { status: 201, body: { hasErrors: false, results: [...nodes].sort((a, b) => a.level - b.level).map((n) => ({ referenceId: n.referenceId, id: n.id })) } };
}

export function compositeTreeRoutes(app: FastifyInstance, service: DataService): void {
  app.post<{ Params: VersionParams & { type: string } }>('/composite/tree/:type', { bodyLimit: DATA_BODY_LIMIT }, async (request, reply) => {
    const { status, body } = await insertTree(service, request);
    return reply.code(status).send(body);
  });
}
