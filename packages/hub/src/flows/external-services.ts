import { randomUUID } from 'node:crypto';
import { dereference, validate } from '@readme/openapi-parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import { checkUrl } from '../connections/url-policy.js';
import type { Actor, HubContext } from '../context.js';
import { parse } from '../credentials/common.js';
import { clientFor } from '../connections/connections.js';
import { resolveNamedCredential } from '../credentials/named-credentials.js';
import { invalid, notFound, Problem } from '../problem.js';
import { cached } from './calls/clients.js';

/** One operation of a registered service: what an action calls. */
export interface ServiceOperation {
  operationId: string;
  method: string;
  path: string;
  pathParams: string[];
  /** The request body's JSON schema (dereferenced), if it takes one. */
  body?: JsonSchema | undefined;
  summary?: string | undefined;
  /** The binary media types a successful answer may have (a file: application/pdf, image/*, application/octet-stream…). */
  fileTypes?: string[] | undefined;
  /** The file media types its request body may have: it takes a file (raw, or as a multipart/form-data part). */
  uploadTypes?: string[] | undefined;
  /** With multipart/form-data: the form field the file goes in (the schema's binary property, else `file`). */
  uploadField?: string | undefined;
  /** The operation that does the same for many items in one call (`x-handshake-batch` in the spec). */
  batch?: { operationId: string; itemsField: string; resultField?: string | undefined } | undefined;
}

export interface JsonSchema { maxItems?: number; type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; additionalProperties?: boolean | JsonSchema; enum?: unknown[]; format?: string }

export const registration = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'must start with a letter and hold only letters, digits and underscores'),
  namedCredential: z.string().min(1),
  specUrl: z.url().optional(),
  spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
}).strict().refine((r) => (r.specUrl === undefined) !== (r.spec === undefined), { message: 'give either spec (the document) or specUrl (where to fetch it)', path: ['spec'] });

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const isJson = (type: string) => /^application\/(.+\+)?json$/i.test(type);
/** A media type that can only carry a file, never a document the hub reads (JSON, text). */
const isBinary = (type: string) => !isJson(type) && !/^text\//i.test(type);

/**
 * The file media types of a content map (a request body's, a response's), if it has any. Text
 * counts as a file where the same body may also be binary (a document store that takes PDFs and
 * plain text); alone, it is a document the hub reads.
 */
function fileTypesIn(content: Record<string, unknown> | undefined): string[] | undefined {
  const types = Object.keys(content ?? {});
  return types.some(isBinary) ? types.filter((t) => !isJson(t)) : undefined;
}

/** The form field of a multipart/form-data body that holds the file. */
function uploadFieldOf(content: Record<string, { schema?: JsonSchema }> | undefined): string | undefined {
  const form = content?.['multipart/form-data'];
  if (!form) return undefined;
  return Object.entries(form.schema?.properties ?? {}).find(([, p]) => p.format === 'binary' || p.format === 'base64')?.[0] ?? 'file';
}

/** The file media types of an operation's successful answers, if it answers with a file. */
function fileTypesOf(responses: Record<string, { content?: Record<string, unknown> }> | undefined): string[] | undefined {
  const types = Object.entries(responses ?? {}).filter(([status]) => /^2/.test(status)).flatMap(([, r]) => fileTypesIn(r.content) ?? []);
  return types.length ? [...new Set(types)] : undefined;
}

/** Every operation of a dereferenced OpenAPI 3 document, by operationId. */
export function operationsOf(spec: { paths?: Record<string, Record<string, unknown>> }): Map<string, ServiceOperation> {
  const operations = new Map<string, ServiceOperation>();
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method] as { operationId?: string; summary?: string; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; responses?: Record<string, { content?: Record<string, unknown> }>; 'x-handshake-batch'?: { operationId?: unknown; itemsField?: unknown; resultField?: unknown } } | undefined;
      if (!op?.operationId) continue;
      operations.set(op.operationId, {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        body: op.requestBody?.content?.['application/json']?.schema,
        summary: op.summary,
        fileTypes: fileTypesOf(op.responses),
        uploadTypes: fileTypesIn(op.requestBody?.content),
        uploadField: uploadFieldOf(op.requestBody?.content),
        batch: typeof op['x-handshake-batch']?.operationId === 'string' && typeof op['x-handshake-batch'].itemsField === 'string'
          ? { operationId: op['x-handshake-batch'].operationId, itemsField: op['x-handshake-batch'].itemsField, resultField: typeof op['x-handshake-batch'].resultField === 'string' ? op['x-handshake-batch'].resultField : undefined } : undefined,
      });
    }
  }
  return operations;
}

/** The first `$ref` that is not a local pointer (`#/…`), with where it is; walked without recursion, so any depth is safe. */
function externalRef(document: object): { path: string; ref: string } | undefined {
  const stack: [unknown, string][] = [[document, '']];
  while (stack.length) {
    const [node, path] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    for (const [key, value] of Object.entries(node)) {
      const at = path ? `${path}.${key}` : key;
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) return { path: at, ref: value };
      if (value && typeof value === 'object') stack.push([value, at]);
    }
  }
  return undefined;
}

/**
 * Registers (or re-registers, picking up a new version) an OpenAPI 3 service with the named
 * credential its calls go through. A document that does not parse or validate is refused with the
 * validator's reasons; each operation becomes an action flows can use.
 */
export async function registerExternalService(ctx: HubContext, actor: Actor, body: unknown) {
  const input = parse(registration, body);
  const named = await ctx.db.selectFrom('named_credentials').select('id').where('name', '=', input.namedCredential).executeTakeFirst();
  if (!named) throw invalid([{ path: 'namedCredential', message: `unknown named credential "${input.namedCredential}"` }]);
  let document: unknown = input.spec;
  if (input.specUrl) {
    const urlProblem = await checkUrl(input.specUrl, ctx.urlPolicy);
    if (urlProblem) throw invalid([{ path: 'specUrl', message: urlProblem }]);
    // A spec served by the API itself (often behind the same credentials) is fetched through the
    // named credential; one elsewhere is fetched without credentials, which stay on their origin.
    const named = await ctx.db.selectFrom('named_credentials').select('base_url').where('name', '=', input.namedCredential).executeTakeFirstOrThrow();
    const sameOrigin = new URL(input.specUrl).origin === new URL(named.base_url).origin;
    const fetching = sameOrigin
      ? resolveNamedCredential(ctx, input.namedCredential, actor.apiKeyName).then((conn) => clientFor(ctx, conn).request(input.specUrl!, { signal: AbortSignal.timeout(15_000) }))
      : ctx.outbound.request(new URL(input.specUrl), { signal: AbortSignal.timeout(15_000) });
    const res = await fetching.catch((error: Error) => {
      if (error instanceof Problem) throw error;
      throw invalid([{ path: 'specUrl', message: `could not fetch the spec: ${error.message}` }]);
    });
    if (!res.ok) throw invalid([{ path: 'specUrl', message: `fetching the spec answered HTTP ${res.status}` }]);
    document = await res.text();
  }
  if (typeof document === 'string') {
    try {
      document = parseYaml(document, { maxAliasCount: 100 });
    } catch (error) {
      throw invalid([{ path: 'spec', message: `not JSON or YAML: ${(error as Error).message.split('\n')[0]}` }]);
    }
  }
  if (!document || typeof document !== 'object' || !('openapi' in document) || !String((document as { openapi: unknown }).openapi).startsWith('3.')) {
    throw invalid([{ path: 'spec', message: 'not an OpenAPI 3 document (no "openapi: 3.x" field)' }]);
  }
  const external = externalRef(document);
  if (external) throw invalid([{ path: `spec.${external.path}`, message: `$ref "${external.ref.slice(0, 200)}" points outside the document; only local references (#/…) are read: bundle the spec into one document` }]);
  // Never resolved anyway: the parser is told not to read files or URLs a document names.
  const local = { resolve: { external: false, file: false } };
  const result = await validate(structuredClone(document) as never, local);
  if (!result.valid) throw invalid(result.errors.map((e) => ({ path: 'spec', message: e.message })));
  const dereferenced = await dereference(structuredClone(document) as never, local) as { paths?: Record<string, Record<string, unknown>> };
  const operations = operationsOf(dereferenced);
  if (operations.size === 0) throw invalid([{ path: 'spec', message: 'the document has no operations with an operationId' }]);
  const now = ctx.now();
  const existing = await ctx.db.selectFrom('external_services').selectAll().where('name', '=', input.name).executeTakeFirst();
  const spec = JSON.stringify(dereferenced);
  const version = (existing?.version ?? 0) + 1;
  if (existing) await ctx.db.updateTable('external_services').set({ named_credential: input.namedCredential, spec, version, updated_at: now }).where('id', '=', existing.id).execute();
  else await ctx.db.insertInto('external_services').values({ id: randomUUID(), name: input.name, named_credential: input.namedCredential, spec, version, updated_at: now }).execute();
  await audit(ctx.db, now, { actor: actor.name, action: existing ? 'external_service.update' : 'external_service.create', targetType: 'external_service', targetId: input.name, outcome: 'success', detail: `version ${version}, ${operations.size} operations` });
  return { name: input.name, namedCredential: input.namedCredential, version, operations: [...operations.values()].map((o) => ({ operationId: o.operationId, method: o.method, path: o.path, summary: o.summary })) };
}

export interface ExternalService { name: string; namedCredential: string; version: number; operations: Map<string, ServiceOperation> }

export function externalService(ctx: HubContext, name: string): Promise<ExternalService> {
  return cached(ctx, `service:${name}`, () => loadExternalService(ctx, name));
}

async function loadExternalService(ctx: HubContext, name: string): Promise<ExternalService> {
  const row = await ctx.db.selectFrom('external_services').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`external service "${name}"`);
  return { name: row.name, namedCredential: row.named_credential, version: row.version, operations: operationsOf(JSON.parse(row.spec)) };
}
