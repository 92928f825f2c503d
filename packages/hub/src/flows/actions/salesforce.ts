import type { HubContext } from '../../context.js';
import { expression } from '../mapping.js';
import type { FlowAction } from '../definition.js';
import { durationMs } from '../definition.js';
import { PermanentError, salesforceCall } from '../endpoints.js';
import type { MappingContext } from '../mapping.js';

type SalesforceAction = Extract<FlowAction, { type: 'salesforce.create' | 'salesforce.update' | 'salesforce.upsert' }>;
type QueryAction = Extract<FlowAction, { type: 'salesforce.query' }>;
type CollectionsAction = Extract<FlowAction, { type: 'salesforce.collections' }>;

/**
 * Writes one record to Salesforce. Upsert by external id is the idempotent write: running the
 * same event twice updates the record it created the first time.
 */
export async function runSalesforceAction(ctx: HubContext, action: SalesforceAction, record: Record<string, unknown>): Promise<unknown> {
  const json = (method: string, path: string, body: unknown) => salesforceCall(ctx, action.connection, path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: durationMs(action.timeout) });
  switch (action.type) {
    case 'salesforce.upsert': {
      const field = action.externalIdField!;
      const value = record[field];
      if (value === undefined || value === null || value === '') throw new PermanentError(`${field} (the external id) is empty for this record`);
      const { [field]: _key, ...rest } = record;
      return (await json('PATCH', `/sobjects/${action.object}/${field}/${encodeURIComponent(String(value))}`, rest)).body;
    }
    case 'salesforce.create':
      return (await json('POST', `/sobjects/${action.object}`, record)).body;
    case 'salesforce.update': {
      const { Id, ...rest } = record;
      if (typeof Id !== 'string') throw new PermanentError('an update needs Id in its mapping');
      await json('PATCH', `/sobjects/${action.object}/${Id}`, rest);
      return { id: Id, success: true };
    }
  }
}

const soqlLiteral = (value: unknown) => (value === null || value === undefined ? 'null' : typeof value === 'number' || typeof value === 'boolean' ? String(value) : `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

/** A SOQL query with {expression} placeholders filled from the event as quoted literals; the output is its records. */
export async function runQueryAction(ctx: HubContext, action: QueryAction, input: unknown): Promise<unknown[]> {
  const parts = action.soql.split(/(\{[^}]+\})/g);
  let soql = '';
  for (const part of parts) soql += part.startsWith('{') && part.endsWith('}') ? soqlLiteral(await expression(part.slice(1, -1)).evaluate(input)) : part;
  const records: unknown[] = [];
  let path: string | undefined = `/query?q=${encodeURIComponent(soql)}`;
  while (path) {
    const page = (await salesforceCall(ctx, action.connection, path, { timeoutMs: durationMs(action.timeout) })).body as { records: unknown[]; nextRecordsUrl?: string };
    records.push(...page.records);
    // nextRecordsUrl is absolute from the instance root (/services/data/vXX.X/query/…).
    path = page.nextRecordsUrl?.replace(/^\/services\/data\/v\d+\.\d+/, '');
  }
  return records;
}

/** Writes a list of records through sObject Collections, 200 per call; any failed record fails the action. */
export async function runCollectionsAction(ctx: HubContext, action: CollectionsAction, records: Record<string, unknown>[]): Promise<unknown[]> {
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
}

/** Lookups in mappings (find the Account by Name) run as SOQL through the action's connection. */
export function salesforceLookup(ctx: HubContext, connection: string): MappingContext['lookup'] {
  return async (object, field, value, select) => {
    const literal = typeof value === 'number' || typeof value === 'boolean' ? String(value) : `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const soql = `SELECT ${select} FROM ${object} WHERE ${field} = ${literal} LIMIT 2`;
    const { body } = await salesforceCall(ctx, connection, `/query?q=${encodeURIComponent(soql)}`);
    const records = (body as { records: Record<string, unknown>[] }).records;
    if (records.length > 1) throw new PermanentError(`lookup of ${object} by ${field} = ${literal} matched several records`);
    return records[0]?.[select];
  };
}
