import type { HubContext } from '../../context.js';
import { durationMs, type FlowAction } from '../definition.js';
import { callJson, clientByNamedCredential, PermanentError } from '../endpoints.js';
import { externalService } from '../external-services.js';

type ServiceAction = Extract<FlowAction, { type: 'service' }>;

/**
 * Calls an operation of a registered external service through its named credential. Every call
 * carries an Idempotency-Key made of the event and the action, so a retry after a crash or a
 * timeout is recognised by the service and not applied twice.
 */
export async function runServiceAction(ctx: HubContext, action: ServiceAction, body: Record<string, unknown>, params: Record<string, unknown>, idempotencyKey: string): Promise<unknown> {
  const service = await externalService(ctx, action.service);
  const operation = service.operations.get(action.operation);
  if (!operation) throw new PermanentError(`${action.service} has no operation ${action.operation} (version ${service.version})`);
  const path = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new PermanentError(`path parameter ${name} is empty`);
    return encodeURIComponent(String(value));
  });
  const client = await clientByNamedCredential(ctx, service.namedCredential);
  const hasBody = operation.body !== undefined && operation.method !== 'GET';
  const { body: answer } = await callJson(client, path, {
    method: operation.method,
    headers: { 'idempotency-key': idempotencyKey, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { body: JSON.stringify(body) } : {}),
    timeoutMs: durationMs(action.timeout),
  });
  return answer;
}
