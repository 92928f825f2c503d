import type { Kysely } from 'kysely';
import { ApiError } from '../../http/api-error.js';
import { newSalesforceId } from '../../ids/salesforce-id.js';
import type { BulkJobTable, OrgDatabase } from '../../store/schema.js';
import type { DataAccess } from '../access/data-access.js';
import type { DataService } from '../service.js';
import { DELIMITERS, LINE_ENDINGS } from './csv-format.js';

export type JobKind = BulkJobTable['kind'];
export const INGEST_OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const;
export const QUERY_OPERATIONS = ['query', 'queryAll'] as const;
/** States from which a job no longer changes. */
export const TERMINAL = new Set(['JobComplete', 'Failed', 'Aborted']);

/** Bulk API 2.0 errors: a JSON array of {errorCode, message}, as jsforce's Bulk 2.0 client reads them. */
export const bulkError = (status: number, errorCode: string, message: string) => new ApiError(status, errorCode, message);

/** Salesforce's Bulk timestamps: milliseconds and +0000, not Z. */
export const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/** JobInfo as Salesforce answers it; `full` adds what GET shows beyond the create answer. */
export function jobInfo(job: BulkJobTable, full: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: job.id, operation: job.operation, object: job.object, createdById: job.created_by, createdDate: stamp(job.created_at),
    systemModstamp: stamp(job.updated_at), state: job.state,
    ...(job.external_id_field ? { externalIdFieldName: job.external_id_field } : {}),
    concurrencyMode: 'Parallel', contentType: 'CSV', apiVersion: Number(job.api_version.slice(1)),
  };
  if (job.kind === 'ingest') base.contentUrl = `services/data/${job.api_version}/jobs/ingest/${job.id}/batches`;
  Object.assign(base, { lineEnding: job.line_ending, columnDelimiter: job.column_delimiter });
  if (!full) return base;
  return {
    ...base,
    jobType: job.kind === 'ingest' ? 'V2Ingest' : 'V2Query',
    numberRecordsProcessed: job.records_processed,
    ...(job.kind === 'ingest' ? { numberRecordsFailed: job.records_failed } : {}),
    retries: 0, totalProcessingTime: job.processing_ms,
    ...(job.kind === 'ingest' ? { apiActiveProcessingTime: job.processing_ms, apexProcessingTime: 0 } : { isPkChunkingSupported: false }),
    ...(job.state === 'Failed' && job.error_message ? { errorMessage: job.error_message } : {}),
  };
}

export interface NewJob {
  kind: JobKind; operation: string; object: string; externalIdField?: string | undefined; query?: string; userId: string; version: string;
  lineEnding?: unknown; columnDelimiter?: unknown; state: string; parentId?: string; dataKey?: string;
}

export function readFormat(lineEnding: unknown, columnDelimiter: unknown): { line_ending: string; column_delimiter: string } {
  const line = lineEnding ?? 'LF';
  const delimiter = columnDelimiter ?? 'COMMA';
  if (typeof line !== 'string' || !(line in LINE_ENDINGS)) throw bulkError(400, 'INVALIDJOB', `lineEnding: must be LF or CRLF (got ${String(line)})`);
  if (typeof delimiter !== 'string' || !(delimiter in DELIMITERS)) throw bulkError(400, 'INVALIDJOB', `columnDelimiter: must be one of ${Object.keys(DELIMITERS).join(', ')} (got ${String(delimiter)})`);
  return { line_ending: line, column_delimiter: delimiter };
}

export async function insertJob(db: Kysely<OrgDatabase>, job: NewJob, now: number): Promise<BulkJobTable> {
  const row: BulkJobTable = {
    // Salesforce's key prefixes: 750 for jobs, 751 for Bulk 1.0 batches.
    id: newSalesforceId(job.kind === 'batch' ? '751' : '750'), kind: job.kind, operation: job.operation, object: job.object, external_id_field: job.externalIdField ?? null,
    query: job.query ?? null, parent_id: job.parentId ?? null, state: job.state, created_by: job.userId, api_version: job.version, ...readFormat(job.lineEnding, job.columnDelimiter),
    uploads: job.dataKey ? 1 : 0, data_key: job.dataKey ?? null, rows_done: 0, records_processed: 0, records_failed: 0, result_sizes: '{}', error_message: null, processing_ms: 0,
    created_at: now, updated_at: now,
  };
  await db.insertInto('bulk_jobs').values(row).execute();
  return row;
}

/** A job of this kind the user created; anyone else's, or an unknown id, is 404 as Salesforce answers. */
export async function findJob(db: Kysely<OrgDatabase>, kind: JobKind, id: string, userId: string): Promise<BulkJobTable> {
  const job = await db.selectFrom('bulk_jobs').selectAll().where('id', '=', id).where('kind', '=', kind).executeTakeFirst();
  if (!job || job.created_by !== userId) throw bulkError(404, 'NOT_FOUND', `The requested job does not exist: ${id}`);
  return job;
}

/** A state change only if the job is still in the state it was read in (a runner may have moved it). */
export async function moveJob(db: Kysely<OrgDatabase>, job: BulkJobTable, changes: Partial<BulkJobTable>, now: number): Promise<BulkJobTable> {
  const next = { ...changes, updated_at: now };
  const result = await db.updateTable('bulk_jobs').set(next).where('id', '=', job.id).where('state', '=', job.state).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    const current = await db.selectFrom('bulk_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
    throw bulkError(400, 'INVALIDJOBSTATE', `The job changed state meanwhile (it is ${current.state})`);
  }
  return { ...job, ...next };
}

export async function listJobs(db: Kysely<OrgDatabase>, userId: string, kind: JobKind | undefined, after: string | undefined, limit: number): Promise<BulkJobTable[]> {
  let q = db.selectFrom('bulk_jobs').selectAll().where('created_by', '=', userId);
  if (kind) q = q.where('kind', '=', kind);
  if (after) q = q.where('id', '>', after);
  return q.orderBy('id').limit(limit).execute();
}

/**
 * An ingest job's request checked against the object and what the user may do with it (Bulk 2.0
 * and 1.0 alike): the operation, an object the user can read, the right to that operation, the
 * Bulk API Hard Delete permission for hardDelete, and an external id field the user can see for upsert.
 */
export function checkIngestJob(service: DataService, access: DataAccess, input: { operation: unknown; object: unknown; externalIdFieldName: unknown }) {
  const { operation } = input;
  if (typeof operation !== 'string' || !(INGEST_OPERATIONS as readonly string[]).includes(operation)) throw bulkError(400, 'INVALIDJOB', `operation: must be one of ${INGEST_OPERATIONS.join(', ')} (got ${String(operation)})`);
  if (typeof input.object !== 'string') throw bulkError(400, 'INVALIDJOB', 'object: the sObject type is required, e.g. "Account"');
  const object = service.schema.get(input.object);
  if (!object || !access.rights(object).read) throw bulkError(400, 'INVALIDJOB', `object: ${input.object} is not an object you can see`);
  const rights = access.rights(object);
  const allowed = operation === 'insert' ? rights.create : operation === 'update' ? rights.edit : operation === 'upsert' ? rights.create && rights.edit : rights.delete;
  if (!allowed) throw bulkError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', `You do not have permission to ${operation} ${object.name} records`);
  if (operation === 'hardDelete' && !access.access.system.includes('BulkApiHardDelete')) throw bulkError(400, 'FEATURENOTENABLED', 'Bulk API Hard Delete permission is required for hardDelete jobs');
  let externalIdField: string | undefined;
  if (operation === 'upsert') {
    const name = input.externalIdFieldName;
    const f = typeof name === 'string' ? service.schema.field(object, name) : undefined;
    if (!f || !(f.externalId || f.unique || f.name === 'Id') || !access.canRead(object, f)) throw bulkError(400, 'INVALIDJOB', `externalIdFieldName: ${String(name)} is not an external id field of ${object.name} you can see`);
    externalIdField = f.name;
  }
  return { operation, object: object.name, externalIdField };
}
