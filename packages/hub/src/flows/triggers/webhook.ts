import { createHash } from 'node:crypto';
import type { HubContext } from '../../context.js';
import { expression } from '../mapping.js';
import { invalid, Problem } from '../../problem.js';
import type { FlowDefinition } from '../definition.js';
import { pendingEvent, queueEvents } from '../engine/event-queue.js';
import { getFlow } from '../flows.js';
import type { PolicySettings } from '../../policies/registry.js';




/**
 * An inbound webhook queues one event for its flow. The event's key is the caller's
 * Idempotency-Key, else the id found at the flow's idPath, else a hash of the body: a webhook
 * delivered twice (webhook senders retry) runs once.
 */
export async function receiveWebhook(ctx: HubContext, flowName: string, body: unknown, idempotencyKey: string | undefined, caller?: string): Promise<{ eventId: string; duplicate: boolean }> {
  const flow = await getFlow(ctx, flowName);
  const trigger = flow.definition.trigger as FlowDefinition['trigger'];
  if (trigger.type !== 'webhook') throw new Problem(409, 'Not a webhook flow', `flow "${flow.name}" is triggered by ${trigger.type}, not by webhooks`);
  if (flow.status !== 'active') throw new Problem(409, 'Flow paused', `flow "${flow.name}" is paused; resume it to accept webhooks`);
  if (body === null || typeof body !== 'object') throw invalid([{ path: '(body)', message: 'send a JSON object' }]);
  let key = idempotencyKey;
  let recordKey: string | undefined;
  if (trigger.idPath) {
    const id = await expression(trigger.idPath).evaluate(body);
    if (id !== undefined && id !== null) recordKey = String(id);
  }
  if (!key && recordKey !== undefined) key = `id:${recordKey}`;
  key ??= `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
  const event = pendingEvent(flow.id, key, body, ctx.now(), recordKey, caller);
  if (await ctx.db.transaction().execute((trx) => queueEvents(trx, ctx.work, [event]))) {
    ctx.queued.queued(event.flow_id);
    return { eventId: event.id, duplicate: false };
  }
  const existing = await ctx.db.selectFrom('flow_events').select('id').where('flow_id', '=', flow.id).where('dedupe_key', '=', event.dedupe_key).executeTakeFirstOrThrow();
  return { eventId: existing.id, duplicate: true };
}

/**
 * The policies a webhook call must pass: the hub-wide ones, then the flow's. Undefined when the name
 * is no webhook flow (the caller then needs an API key before it learns that).
 */
export async function webhookPolicies(ctx: HubContext, flowName: string): Promise<PolicySettings[] | undefined> {
  const flow = await getFlow(ctx, flowName).catch(() => undefined);
  const trigger = flow?.definition.trigger as FlowDefinition['trigger'] | undefined;
  if (trigger?.type !== 'webhook') return undefined;
  return [...ctx.policies.webhooks, ...trigger.policies];
}
