import type { HubContext } from '../../context.js';
import { salesforceCall } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';
import type { MappingContext } from '../mapping.js';

/** A value as a quoted SOQL literal. */
export const soqlLiteral = (value: unknown) => (value === null || value === undefined ? 'null' : typeof value === 'number' || typeof value === 'boolean' ? String(value) : `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

/** Lookups in mappings (find the Account by Name) run as SOQL through the action's connection. */
export function salesforceLookup(ctx: HubContext, connection: string): MappingContext['lookup'] {
  return async (object, field, value, select) => {
    const literal = soqlLiteral(value);
    const soql = `SELECT ${select} FROM ${object} WHERE ${field} = ${literal} LIMIT 2`;
    const { body } = await salesforceCall(ctx, connection, `/query?q=${encodeURIComponent(soql)}`);
    const records = (body as { records: Record<string, unknown>[] }).records;
    if (records.length > 1) throw new PermanentError(`lookup of ${object} by ${field} = ${literal} matched several records`);
    return records[0]?.[select];
  };
}
