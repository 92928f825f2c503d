import { createHash } from 'node:crypto';
import type { HubContext } from '../../context.js';
import { namedCredentialCall } from '../calls/clients.js';
import { PermanentError, RetryableError } from '../calls/errors.js';
import { durationMs } from '../definition.js';
import { externalService, type ExternalService, type ServiceOperation } from '../external-services.js';
import { compileMapping } from '../mapping.js';
import { createAction, type ItemResult } from './action-kind.js';

interface ServiceInput { body: Record<string, unknown>; params: Record<string, unknown> }

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
  async prepare(_ctx, action, source): Promise<ServiceInput> {
    return { body: await compileMapping(action.mapping)(source, {}), params: await compileMapping(action.params)(source, {}) };
  },

  async run(ctx, action, { input, idempotencyKey }) {
    const { service, operation } = await operationOf(ctx, action.service, action.operation);
    const { body, params } = input as ServiceInput;
    const path = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      const value = params[name];
      if (value === undefined || value === null) throw new PermanentError(`path parameter ${name} is empty`);
      return encodeURIComponent(String(value));
    });
    const hasBody = operation.body !== undefined && operation.method !== 'GET';
    const { body: answer } = await namedCredentialCall(ctx, service.namedCredential, path, {
      method: operation.method,
      headers: { 'idempotency-key': idempotencyKey, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      ...(hasBody ? { body: JSON.stringify(body) } : {}),
      timeoutMs: durationMs(action.timeout),
    });
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
    });
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
