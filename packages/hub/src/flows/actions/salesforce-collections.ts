import { salesforceCall } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';
import { z } from 'zod';
import { compileList } from '../mapping.js';
import { durationMs, fieldMapping, objectName, salesforceBase } from '../schema-parts.js';
import { createAction } from './action-kind.js';
import { checkRecordWrite } from './salesforce-fields.js';
import { salesforceLookup } from './salesforce-lookup.js';

export const salesforceCollectionsSchema = z.object({
  ...salesforceBase,
  type: z.literal('salesforce.collections'),
  object: objectName,
  operation: z.enum(['create', 'update', 'upsert']),
  externalIdField: z.string().optional(),
  allOrNone: z.boolean().default(true).describe('true: the call fails whole when one record fails'),
  /** The records to write: a list mapping (`each` + `mapping`). */
  records: z.object({ each: z.string().min(1), mapping: z.record(z.string(), fieldMapping) }).strict(),
}).strict().meta({ id: 'SalesforceCollectionsAction', description: 'Write a list from the event (each + mapping) in one sObject Collections call (at most 200 records).' });

/**
 * `salesforce.collections`: one event writes a list of records (its order lines, its contacts)
 * through sObject Collections, 200 per call; any failed record fails the event.
 */
export const salesforceCollections = createAction<'salesforce.collections'>({
  async check(v, action, at) {
    // Each record of the list is checked like a single record's write.
    v.expression([...at, 'records', 'each'], action.records.each);
    await checkRecordWrite(v, { kind: `salesforce.${action.operation}`, connection: action.connection, object: action.object, externalIdField: action.externalIdField, mapping: action.records.mapping }, at, [...at, 'records', 'mapping']);
  },

  prepare: (ctx, action, source) => compileList(action.records)(source, { lookup: salesforceLookup(ctx, action.connection) }),

  async run(ctx, action, { input }) {
    const records = input as Record<string, unknown>[];
    const results: { success: boolean; errors: { statusCode: string; message: string }[] }[] = [];
    for (let i = 0; i < records.length; i += 200) {
      const chunk = records.slice(i, i + 200).map((r) => ({ attributes: { type: action.object }, ...r }));
      const path = action.operation === 'upsert' ? `/composite/sobjects/${action.object}/${action.externalIdField}` : '/composite/sobjects';
      const { body } = await salesforceCall(ctx, action.connection, path, { method: action.operation === 'create' ? 'POST' : 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ allOrNone: action.allOrNone, records: chunk }), timeoutMs: durationMs(action.timeout) });
      results.push(...(body as typeof results));
    }
    const failed = results.map((r, i) => ({ ...r, i })).filter((r) => !r.success);
    if (failed.length) throw new PermanentError(`${failed.length} of ${results.length} records failed: ${failed.slice(0, 3).map((f) => `#${f.i}: ${f.errors.map((e) => `${e.statusCode} ${e.message}`).join(', ')}`).join('; ')}`);
    return results;
  },

  target: async (_ctx, action) => `connection:${action.connection}`,
  notIdempotent: (action) => (action.operation === 'create'
    ? 'salesforce.collections with operation create is not idempotent: a crash between the call and its record may create the records twice. Use operation upsert with an external id field'
    : undefined),
});
