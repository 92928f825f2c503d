import type { HubContext } from '../../context.js';
import { cached, salesforceCall } from '../calls/clients.js';
import { PermanentError, RetryableError } from '../calls/errors.js';
import { z } from 'zod';
import type { FlowAction } from '../definition.js';
import { compileMapping } from '../mapping.js';
import { durationMs, fieldMapping, objectName, salesforceBase } from '../schema-parts.js';
import { createAction, type ItemResult } from './action-kind.js';
import { checkRecordWrite } from './salesforce-fields.js';
import { salesforceLookup } from './salesforce-lookup.js';

export const salesforceRecordsSchema = z.object({
  ...salesforceBase,
  type: z.enum(['salesforce.create', 'salesforce.update', 'salesforce.upsert']),
  object: objectName,
  externalIdField: z.string().optional().describe('upsert: the external id field the record is matched on'),
  mapping: z.record(z.string(), fieldMapping).describe('one mapping per Salesforce field'),
}).strict().meta({ id: 'SalesforceRecordAction', description: 'Create, update or upsert one Salesforce record per event (sObject Collections when events queue up).' });

/** sObject Collections takes at most 200 records a call. */
const COLLECTION_LIMIT = 200;
/** Record errors a later attempt may get past (another transaction held the row). */
const RETRYABLE_CODES = new Set(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'REQUEST_RUNNING_TOO_LONG']);

interface CollectionResult { id?: string; success: boolean; created?: boolean; errors: { statusCode: string; message: string; fields?: string[] }[] }

/**
 * `salesforce.create`, `salesforce.update` and `salesforce.upsert`: one record per event, or, when
 * events queue up, up to 200 records per sObject Collections call (allOrNone false), each record's
 * result mapped back to its event. Upsert by external id is the idempotent write; create is not
 * (Salesforce's REST API has no idempotency key), which validation warns about.
 */
type RecordAction = Extract<FlowAction, { type: 'salesforce.create' | 'salesforce.update' | 'salesforce.upsert' }>;

const ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * The Id an update names, checked before it goes into a URL: 15 or 18 letters and digits (nothing
 * like `../Contact/003…`), with the key prefix of the action's object, so a Lead flow can only ever
 * write Leads.
 */
async function recordId(ctx: HubContext, action: RecordAction, record: Record<string, unknown>): Promise<string> {
  const id = record.Id;
  if (typeof id !== 'string' || !ID.test(id)) throw new PermanentError(`an update needs Id in its mapping: a 15 or 18 character Salesforce Id, not ${JSON.stringify(id)?.slice(0, 40)}`);
  const prefix = await cached(ctx, `key-prefix:${action.connection}:${action.object}`, async () => ((await salesforceCall(ctx, action.connection, `/sobjects/${action.object}/describe`)).body as { keyPrefix?: string }).keyPrefix);
  if (prefix && !id.startsWith(prefix)) throw new PermanentError(`Id ${id} is not a ${action.object} Id (${action.object} Ids start with ${prefix})`);
  return id;
}

const externalId = (action: RecordAction, record: Record<string, unknown>) => {
  const field = action.externalIdField!;
  const value = record[field];
  if (value === undefined || value === null || value === '') throw new PermanentError(`${field} (the external id) is empty for this record`);
  return { field, value: String(value) };
};

export const salesforceRecords = createAction<'salesforce.create' | 'salesforce.update' | 'salesforce.upsert'>({
  check: (v, action, at) => checkRecordWrite(v, { ...action, kind: action.type }, at, [...at, 'mapping']),

  prepare: (ctx, action, source) => compileMapping(action.mapping)(source, { lookup: salesforceLookup(ctx, action.connection) }),

  async run(ctx, action, { input }) {
    const record = input as Record<string, unknown>;
    const json = (method: string, path: string, body: unknown) => salesforceCall(ctx, action.connection, path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: durationMs(action.timeout) });
    switch (action.type) {
      case 'salesforce.upsert': {
        const { field, value } = externalId(action, record);
        const { [field]: _key, ...rest } = record;
        return (await json('PATCH', `/sobjects/${action.object}/${field}/${encodeURIComponent(value)}`, rest)).body;
      }
      case 'salesforce.create':
        return (await json('POST', `/sobjects/${action.object}`, record)).body;
      case 'salesforce.update': {
        const id = await recordId(ctx, action, record);
        const { Id: _id, ...rest } = record;
        await json('PATCH', `/sobjects/${action.object}/${encodeURIComponent(id)}`, rest);
        return { id, success: true };
      }
    }
  },

  batchLimit: async () => COLLECTION_LIMIT,

  async runBatch(ctx, action, items) {
    // Records refused before the call (no external id, a foreign Id) fail alone; the rest go in one call.
    const refusals = await Promise.all(items.map(async (item): Promise<Error | undefined> => {
      const record = item.input as Record<string, unknown>;
      try {
        if (action.type === 'salesforce.upsert') externalId(action, record);
        if (action.type === 'salesforce.update') await recordId(ctx, action, record);
        return undefined;
      } catch (error) {
        return error as Error;
      }
    }));
    const results: (ItemResult | undefined)[] = refusals.map((error) => (error ? { ok: false, error } : undefined));
    const positions = items.flatMap((_item, i) => (refusals[i] ? [] : [i]));
    const records = positions.map((i) => ({ attributes: { type: action.object }, ...(items[i]!.input as Record<string, unknown>) }));
    if (records.length) {
      const path = action.type === 'salesforce.upsert' ? `/composite/sobjects/${action.object}/${action.externalIdField}` : '/composite/sobjects';
      const { body } = await salesforceCall(ctx, action.connection, path, {
        method: action.type === 'salesforce.create' ? 'POST' : 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ allOrNone: false, records }),
        timeoutMs: durationMs(action.timeout),
      });
      const answers = body as CollectionResult[];
      if (!Array.isArray(answers) || answers.length !== records.length) throw new RetryableError(`sObject Collections answered ${Array.isArray(answers) ? answers.length : 'no'} results for ${records.length} records`);
      answers.forEach((answer, j) => {
        const i = positions[j]!;
        if (answer.success) {
          results[i] = { ok: true, output: action.type === 'salesforce.upsert' ? { id: answer.id, success: true, created: answer.created } : { id: answer.id ?? (items[i]!.input as { Id?: string }).Id, success: true } };
          return;
        }
        const message = answer.errors.map((e) => `${e.statusCode}: ${e.message}${e.fields?.length ? ` (${e.fields.join(', ')})` : ''}`).join('; ');
        const retryable = answer.errors.some((e) => RETRYABLE_CODES.has(e.statusCode));
        results[i] = { ok: false, error: retryable ? new RetryableError(message) : new PermanentError(message) };
      });
    }
    return results as ItemResult[];
  },

  target: async (_ctx, action) => `connection:${action.connection}`,

  notIdempotent: (action) => (action.type === 'salesforce.create'
    ? 'salesforce.create is not idempotent: Salesforce takes no idempotency key, so a crash between the call and its record may create the record twice. Use salesforce.upsert with an external id field'
    : undefined),
});
