import { salesforceCall } from '../calls/clients.js';
import { z } from 'zod';
import { expression } from '../mapping.js';
import { durationMs, salesforceBase } from '../schema-parts.js';
import { createAction } from './action-kind.js';
import { soqlLiteral } from './salesforce-lookup.js';

export const salesforceQuerySchema = z.object({
  ...salesforceBase,
  type: z.literal('salesforce.query'),
  /** SOQL; {expression} placeholders are filled from the event and quoted as SOQL literals. */
  soql: z.string().min(10).describe('SOQL; {expression} placeholders are filled from the event and quoted as SOQL literals'),
}).strict().meta({ id: 'SalesforceQueryAction', description: 'Run a SOQL query; its records are in _steps.<name>.records for later actions.' });

/**
 * `salesforce.query`: SOQL with {expression} placeholders filled from the event as quoted literals;
 * the step's output is the records (every page). A read: safe to repeat.
 */
export const salesforceQuery = createAction<'salesforce.query'>({
  async check(v, action, at) {
    await v.salesforceConnection([...at, 'connection'], action.connection);
    for (const part of action.soql.match(/\{[^}]+\}/g) ?? []) v.expression([...at, 'soql'], part.slice(1, -1));
  },

  async prepare(_ctx, action, source) {
    let soql = '';
    for (const part of action.soql.split(/(\{[^}]+\})/g)) soql += part.startsWith('{') && part.endsWith('}') ? soqlLiteral(await expression(part.slice(1, -1)).evaluate(source)) : part;
    return soql;
  },

  async run(ctx, action, { input }) {
    const records: unknown[] = [];
    let path: string | undefined = `/query?q=${encodeURIComponent(input as string)}`;
    while (path) {
      const page = (await salesforceCall(ctx, action.connection, path, { timeoutMs: durationMs(action.timeout) })).body as { records: unknown[]; nextRecordsUrl?: string };
      records.push(...page.records);
      // nextRecordsUrl is absolute from the instance root (/services/data/vXX.X/query/…).
      path = page.nextRecordsUrl?.replace(/^\/services\/data\/v\d+\.\d+/, '');
    }
    return records;
  },

  target: async (_ctx, action) => `connection:${action.connection}`,
  notIdempotent: () => undefined,
});
