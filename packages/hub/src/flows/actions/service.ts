import { didYouMean } from '../did-you-mean.js';
import { createHash } from 'node:crypto';
import type { HubContext } from '../../context.js';
import { namedCredentialCall } from '../calls/clients.js';
import { operationPath } from '../calls/file-transfer.js';
import { PermanentError, RetryableError } from '../calls/errors.js';
import { z } from 'zod';
import type { FieldMapping } from '../definition.js';
import { externalService, type ExternalService, type JsonSchema, type ServiceOperation } from '../external-services.js';
import { compileMapping } from '../mapping.js';
import { actionBase, durationMs, fieldMapping } from '../schema-parts.js';
import { createAction, type ItemResult, type SaveCheck } from './action-kind.js';

export const serviceSchema = z.object({
  ...actionBase,
  type: z.literal('service'),
  service: z.string().min(1).describe('the external service\'s name'),
  operation: z.string().min(1).describe('the operationId in its OpenAPI document'),
  /** Path parameters, each a mapping. */
  params: z.record(z.string(), fieldMapping).default({}),
  mapping: z.record(z.string(), fieldMapping).describe('the request body: one mapping per field of the operation\'s schema'),
}).strict().meta({ id: 'ServiceAction', description: 'Call an operation of a registered external service through its named credential.' });

const schemaTypes = (schema: JsonSchema): string[] => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);

/** Whether a mapping's declared or constant type fits a property of the operation's JSON body; a reason if not. */
function schemaTypeProblem(spec: FieldMapping, name: string, schema: JsonSchema): string | undefined {
  const types = schemaTypes(schema);
  if (types.length === 0) return undefined;
  const conversion = 'type' in spec ? spec.type : undefined;
  const constant = 'const' in spec ? spec.const : undefined;
  const kind = conversion === 'integer' ? 'integer' : conversion === 'number' ? 'number' : conversion === 'boolean' ? 'boolean' : conversion ? 'string'
    : constant === undefined || constant === null ? undefined : typeof constant === 'number' ? 'number' : typeof constant === 'boolean' ? 'boolean' : 'string';
  if ('each' in spec && !types.includes('array')) return `maps a list into ${name}, which is ${types.join('/')}`;
  if (!kind) return undefined;
  const ok = types.includes(kind) || (kind === 'integer' && types.includes('number')) || (kind === 'number' && types.includes('integer') && Number.isInteger(constant));
  return ok ? undefined : `maps a ${kind} into ${name}, which is ${types.join('/')}`;
}

/** The mapping against the operation's body schema: known properties, fitting types, required ones set. */
function checkAgainstSchema(v: SaveCheck, schema: JsonSchema, mapping: Record<string, FieldMapping>, path: PropertyKey[]): void {
  const properties = schema.properties ?? {};
  for (const [target, spec] of Object.entries(mapping)) {
    const property = properties[target];
    if (!property) {
      if (schema.additionalProperties === false || Object.keys(properties).length > 0) v.problem([...path, target], `unknown field ${target}${didYouMean(target, Object.keys(properties))}; the operation takes ${Object.keys(properties).join(', ') || 'no body'}`);
      continue;
    }
    const typeProblem = schemaTypeProblem(spec, target, property);
    if (typeProblem) v.problem([...path, target], typeProblem);
    if ('each' in spec && property.items) checkAgainstSchema(v, property.items, spec.mapping, [...path, target, 'mapping']);
  }
  for (const required of schema.required ?? []) if (!(required in mapping)) v.problem(path, `the operation requires ${required}, which the mapping does not set`);
}

interface ServiceInput { body: Record<string, unknown>; params: Record<string, unknown> }

const typedMappings = new WeakMap<Record<string, FieldMapping>, { version: number; mapping: Record<string, FieldMapping> }>();

/**
 * The mapping with each `path` or `expr` into a number, integer or boolean property of the body
 * converted to that type when it has no `type:` of its own: a source's "12" goes as 12, and a value
 * that is no number fails its event naming the field, instead of reaching the service as text.
 */
function typedMapping(mapping: Record<string, FieldMapping>, body: JsonSchema | undefined, version: number): Record<string, FieldMapping> {
  const cached = typedMappings.get(mapping);
  if (cached?.version === version) return cached.mapping;
  const typed = Object.fromEntries(Object.entries(mapping).map(([target, spec]) => {
    const declared = schemaTypes(body?.properties?.[target] ?? {}).filter((t) => t !== 'null');
    const type = declared.length === 1 && ['integer', 'number', 'boolean'].includes(declared[0]!) ? declared[0] as 'integer' | 'number' | 'boolean' : undefined;
    return [target, type && ('path' in spec || 'expr' in spec) && !spec.type ? { ...spec, type } : spec];
  }));
  typedMappings.set(mapping, { version, mapping: typed });
  return typed;
}

async function operationOf(ctx: HubContext, serviceName: string, operationId: string): Promise<{ service: ExternalService; operation: ServiceOperation }> {
  const service = await externalService(ctx, serviceName);
  const operation = service.operations.get(operationId);
  if (!operation) throw new PermanentError(`${serviceName} has no operation ${operationId} (version ${service.version})`);
  return { service, operation };
}

/**
 * `service`: an operation of a registered OpenAPI service, called through its named credential.
 * Every call carries an Idempotency-Key made of the event and the action, so a retry after a crash
 * or a timeout is recognised by the service and not applied twice. An operation whose spec names a
 * batch counterpart (`x-handshake-batch: {operationId, itemsField, resultField}`) runs queued
 * events through it: the counterpart takes the bodies as a list under `itemsField` and answers one
 * result per item, in order; an item with an `error` is that event's failure, and `resultField`
 * names what in an item is the single operation's answer (the step's output).
 */
export const serviceCall = createAction<'service'>({
  async check(v, action, at) {
    v.mapping([...at, 'mapping'], action.mapping);
    let service: ExternalService;
    try {
      service = await externalService(v.ctx, action.service);
    } catch {
      v.problem([...at, 'service'], `unknown external service "${action.service}"`);
      return;
    }
    if (!(await v.namedCredential([...at, 'service'], service.namedCredential))) return;
    const op = service.operations.get(action.operation);
    if (!op) {
      v.problem([...at, 'operation'], `${action.service} has no operation ${action.operation}; it has ${[...service.operations.keys()].join(', ')}`);
      return;
    }
    for (const name of op.pathParams) if (!(name in action.params)) v.problem([...at, 'params'], `the operation's path needs the parameter ${name}`);
    checkAgainstSchema(v, op.body ?? { type: 'object', properties: {} }, action.mapping, [...at, 'mapping']);
  },

  async prepare(ctx, action, source): Promise<ServiceInput> {
    const { service, operation } = await operationOf(ctx, action.service, action.operation);
    return { body: await compileMapping(typedMapping(action.mapping, operation.body, service.version))(source, {}), params: await compileMapping(action.params)(source, {}) };
  },

  async run(ctx, action, { input, idempotencyKey, runAs }) {
    const { service, operation } = await operationOf(ctx, action.service, action.operation);
    const { body, params } = input as ServiceInput;
    const path = operationPath(operation, params);
    const hasBody = operation.body !== undefined && operation.method !== 'GET';
    const { body: answer } = await namedCredentialCall(ctx, service.namedCredential, path, {
      method: operation.method,
      headers: { 'idempotency-key': idempotencyKey, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      ...(hasBody ? { body: JSON.stringify(body) } : {}),
      timeoutMs: durationMs(action.timeout),
    }, runAs);
    return answer;
  },

  async batchLimit(ctx, action) {
    const { service, operation } = await operationOf(ctx, action.service, action.operation);
    const batch = operation.batch && service.operations.get(operation.batch.operationId);
    // Path parameters differ per event; only a body-only operation can be batched.
    if (!batch || !operation.batch || operation.pathParams.length || batch.pathParams.length) return undefined;
    return batch.body?.properties?.[operation.batch.itemsField]?.maxItems ?? 100;
  },

  async runBatch(ctx, action, items) {
    const { service, operation } = await operationOf(ctx, action.service, action.operation);
    const { operationId, itemsField, resultField } = operation.batch!;
    const batch = service.operations.get(operationId)!;
    // The same events in the same order are the same request: a retried batch carries the same key.
    const key = createHash('sha256').update(items.map((i) => i.idempotencyKey).join('\n')).digest('base64url');
    const { body: answer } = await namedCredentialCall(ctx, service.namedCredential, batch.path, {
      method: batch.method,
      headers: { 'idempotency-key': `batch:${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ [itemsField]: items.map((i) => (i.input as ServiceInput).body) }),
      timeoutMs: durationMs(action.timeout),
    }, items[0]?.runAs);
    if (!Array.isArray(answer) || answer.length !== items.length) throw new RetryableError(`${operationId} answered ${Array.isArray(answer) ? answer.length : 'no'} results for ${items.length} items`);
    return answer.map((result: unknown): ItemResult => {
      const error = (result as { error?: { status?: number; detail?: string; title?: string } } | null)?.error;
      if (!error) return { ok: true, output: resultField ? (result as Record<string, unknown>)[resultField] : result };
      const message = `${operationId} refused this item: ${error.status ?? ''} ${error.detail ?? error.title ?? JSON.stringify(error)}`.trim();
      return { ok: false, error: error.status && (error.status === 429 || error.status >= 500) ? new RetryableError(message) : new PermanentError(message) };
    });
  },

  async target(ctx, action) {
    return `named:${(await externalService(ctx, action.service)).namedCredential}`;
  },
  notIdempotent: () => undefined,
});
