import { parse } from 'csv-parse/sync';
import type { HubContext } from '../../context.js';
import { cached, salesforceCall } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';

/** Rows per results page: Bulk API 2.0 pages are large (its point is few calls), yet one page is queued in one transaction. */
const PAGE_ROWS = 5000;
/** How often a running job is looked at. */
const CHECK_EVERY_MS = 500;

/** Where a Bulk API 2.0 read stands, kept in the trigger's cursor so a restart resumes at the same page. */
export interface BulkRead { job: string; startedAt: string; locator?: string | undefined }

export type BulkStep =
  | { kind: 'waiting'; nextAt: number }
  | { kind: 'page'; records: Record<string, unknown>[]; locator: string | undefined }
  | { kind: 'failed'; reason: string };

interface JobInfo { id: string; state: string; createdDate: string; errorMessage?: string }
interface Describe { fields: { name: string; type: string }[] }

/** Starts a Bulk API 2.0 query job for `soql`; its results are read by `bulkStep`. */
export async function startBulkRead(ctx: HubContext, connection: string, soql: string): Promise<BulkRead> {
  const { body } = await salesforceCall(ctx, connection, '/jobs/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'query', query: soql }) });
  const job = body as JobInfo;
  return { job: job.id, startedAt: job.createdDate };
}

/** The next step of a read: wait for the job, or one page of records (typed as the REST API gives them), or why the job failed. */
export async function bulkStep(ctx: HubContext, connection: string, object: string, read: BulkRead): Promise<BulkStep> {
  const { body } = await salesforceCall(ctx, connection, `/jobs/query/${encodeURIComponent(read.job)}`);
  const job = body as JobInfo;
  if (job.state === 'Failed' || job.state === 'Aborted') return { kind: 'failed', reason: `Bulk API job ${job.id} ${job.state.toLowerCase()}${job.errorMessage ? `: ${job.errorMessage}` : ''}` };
  if (job.state !== 'JobComplete') return { kind: 'waiting', nextAt: ctx.now() + CHECK_EVERY_MS };
  let next: string | undefined;
  const locator = read.locator ? `&locator=${encodeURIComponent(read.locator)}` : '';
  const { body: csv } = await salesforceCall(ctx, connection, `/jobs/query/${encodeURIComponent(read.job)}/results?maxRecords=${PAGE_ROWS}${locator}`, {
    timeoutMs: 120_000,
    onHeaders: (header) => {
      const value = header('sforce-locator');
      next = value && value !== 'null' ? value : undefined;
    },
  });
  if (typeof csv !== 'string') throw new PermanentError('the Bulk API answered results that are not CSV');
  const types = await fieldTypes(ctx, connection, object);
  const rows = parse(csv, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  return { kind: 'page', records: rows.map((row) => toRecord(row, types)), locator: next };
}

function fieldTypes(ctx: HubContext, connection: string, object: string): Promise<Map<string, string>> {
  return cached(ctx, `describe:${connection}:${object}`, async () => {
    const { body } = await salesforceCall(ctx, connection, `/sobjects/${encodeURIComponent(object)}/describe`);
    return new Map((body as Describe).fields.map((f) => [f.name, f.type]));
  });
}

const NUMERIC = new Set(['int', 'double', 'currency', 'percent', 'long']);

/**
 * A CSV row as the REST API would give the record: an empty cell is null, numbers and booleans are
 * typed by the object's describe, and `Account.Name` becomes `{ Account: { Name } }` (null when the
 * parent is empty). Flows map bulk-read and REST-read records with the same expressions.
 */
function toRecord(row: Record<string, string>, types: Map<string, string>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [column, text] of Object.entries(row)) {
    const path = column.split('.');
    if (path.length === 1) {
      record[column] = typed(text, types.get(column));
      continue;
    }
    let at = record;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]!] = text === '' ? null : text;
  }
  for (const [key, value] of Object.entries(record)) {
    if (value && typeof value === 'object' && Object.values(value).every((v) => v === null)) record[key] = null;
  }
  return record;
}

function typed(text: string, type: string | undefined): unknown {
  if (text === '') return null;
  if (type && NUMERIC.has(type)) return Number(text);
  if (type === 'boolean') return text === 'true';
  if (type === 'datetime') return new Date(text).toISOString().replace('Z', '+0000');
  return text;
}
