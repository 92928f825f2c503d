import type { HubContext } from '../../context.js';
import type { FlowAction } from '../definition.js';
import { callJson, clientByConnectionName, PermanentError, SALESFORCE_API } from '../endpoints.js';
import type { MappingContext } from '../mapping.js';

type SalesforceAction = Extract<FlowAction, { type: `salesforce.${string}` }>;

const base = `/services/data/${SALESFORCE_API}`;

/**
 * Writes one record to Salesforce. Upsert by external id is the idempotent write: running the
 * same event twice updates the record it created the first time.
 */
export async function runSalesforceAction(ctx: HubContext, action: SalesforceAction, record: Record<string, unknown>): Promise<unknown> {
  const client = await clientByConnectionName(ctx, action.connection);
  const json = (method: string, path: string, body: unknown) => callJson(client, `${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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

/** Lookups in mappings (find the Account by Name) run as SOQL through the action's connection. */
export function salesforceLookup(ctx: HubContext, connection: string): MappingContext['lookup'] {
  return async (object, field, value, select) => {
    const client = await clientByConnectionName(ctx, connection);
    const literal = typeof value === 'number' || typeof value === 'boolean' ? String(value) : `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const soql = `SELECT ${select} FROM ${object} WHERE ${field} = ${literal} LIMIT 2`;
    const { body } = await callJson(client, `${base}/query?q=${encodeURIComponent(soql)}`);
    const records = (body as { records: Record<string, unknown>[] }).records;
    if (records.length > 1) throw new PermanentError(`lookup of ${object} by ${field} = ${literal} matched several records`);
    return records[0]?.[select];
  };
}
