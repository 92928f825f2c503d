import type { HubContext } from '../../context.js';
import { expression } from '../mapping.js';
import { durationMs, type FlowTrigger } from '../definition.js';
import { namedCredentialCall } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';
import { externalService } from '../external-services.js';
import type { PollResult, PollScope } from './trigger.js';
import { z } from 'zod';
import type { SaveCheck } from '../actions/action-kind.js';
import { duration, timeout } from '../schema-parts.js';

type FeedTrigger = Extract<FlowTrigger, { type: 'feed' }>;


export const feedTrigger = z.object({
  type: z.literal('feed'),
  service: z.string().min(1).describe('the external service\'s name'),
  operation: z.string().min(1).describe('the operationId to read pages with'),
  cursorParam: z.string().default('cursor').describe('the query parameter the cursor is sent in'),
  itemsPath: z.string().default('items').describe('where the page\'s items are in the answer'),
  nextCursorPath: z.string().default('nextCursor').describe('where the next cursor is in the answer (a string or a number)'),
  /** Where the answer says another page is waiting now (true); read again at once instead of after the interval. */
  hasMorePath: z.string().default('hasMore'),
  idPath: z.string().default('id'),
  versionPath: z.string().default('updatedAt'),
  interval: duration.default('5s'),
  limit: z.number().int().min(1).max(1000).default(100),
  timeout,
}).strict().meta({ id: 'FeedTrigger', description: 'Poll a service operation that answers a page of changed items and a cursor.' });

/** Save-time checks: the service has the operation, and it is read with GET. */
export async function checkFeedTrigger(v: SaveCheck, trigger: z.infer<typeof feedTrigger>): Promise<void> {
  let service;
  try {
    service = await externalService(v.ctx, trigger.service);
  } catch {
    return v.problem(['trigger', 'service'], `unknown external service "${trigger.service}"`);
  }
  if (!(await v.namedCredential(['trigger', 'service'], service.namedCredential))) return;
  const op = service.operations.get(trigger.operation);
  if (!op) v.problem(['trigger', 'operation'], `${trigger.service} has no operation ${trigger.operation}; it has ${[...service.operations.keys()].join(', ')}`);
  else if (op.method !== 'GET') v.problem(['trigger', 'operation'], `${trigger.operation} is a ${op.method}; a feed is read with GET`);
}

/**
 * Polling an OpenAPI service's change feed with the cursor it hands out. The cursor is stored with
 * the events it led to; each item is keyed by its id and version, so an item that changes again is
 * a new event and one read twice is not.
 */
export async function pollFeed(ctx: HubContext, trigger: FeedTrigger, cursor: string | undefined, { runAs }: PollScope): Promise<PollResult> {
  const service = await externalService(ctx, trigger.service);
  const operation = service.operations.get(trigger.operation);
  if (!operation || operation.method !== 'GET') throw new PermanentError(`operation ${trigger.operation} of ${trigger.service} is not a GET feed`);
  const query = new URLSearchParams({ limit: String(trigger.limit), ...(cursor ? { [trigger.cursorParam]: cursor } : {}) });
  const { body } = await namedCredentialCall(ctx, service.namedCredential, `${operation.path}?${query.toString()}`, { timeoutMs: durationMs(trigger.timeout) }, runAs);
  const items = (await expression(trigger.itemsPath).evaluate(body)) as unknown;
  const list = Array.isArray(items) ? items : items ? [items] : [];
  const next = (await expression(trigger.nextCursorPath).evaluate(body)) as unknown;
  // A cursor is text or a number (an offset, a sequence number); anything else would re-read the first page forever.
  if (next !== undefined && next !== null && next !== '' && typeof next !== 'string' && !(typeof next === 'number' && Number.isFinite(next))) {
    throw new PermanentError(`${trigger.nextCursorPath} in the feed's answer is ${Array.isArray(next) ? 'a list' : typeof next}; a cursor must be text or a number`);
  }
  const hasMore = (await expression(trigger.hasMorePath).evaluate(body)) === true;
  const events = [];
  for (const item of list) {
    const id = await expression(trigger.idPath).evaluate(item);
    const version = await expression(trigger.versionPath).evaluate(item);
    events.push({ dedupeKey: `${String(id)}:${String(version)}`, recordKey: String(id), payload: item });
  }
  return { events, cursor: next !== undefined && next !== null && next !== '' ? String(next) : cursor ?? '', more: hasMore };
}
