import type { BulkJobTable } from '../../store/schema.js';
import { stamp } from './jobs.js';

/**
 * Bulk API 1.0 (`/services/async/XX.X`), the subset jsforce falls back to for `Query#destroy()` and
 * `update()` of more than 200 records: a job holds batches, each batch is run as its own resumable
 * ingest (a `batch` row, its parent the job), and everything is said in XML.
 */
export const NS = 'http://www.force.com/2009/06/asyncapi/dataload';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An element with its fields; `standalone` adds the XML declaration and the namespace (not for one inside a list). */
export function xml(root: string, fields: [string, string | number | undefined | null][], standalone = true): string {
  const body = fields.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `<${k}>${escape(String(v))}</${k}>`).join('');
  return standalone ? `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="${NS}">${body}</${root}>` : `<${root}>${body}</${root}>`;
}

export const xmlError = (code: string, message: string) => xml('error', [['exceptionCode', code], ['exceptionMessage', message]]);

/** A batch's state as Bulk 1.0 names it. */
export function batchState(row: BulkJobTable): string {
  return ({ UploadComplete: 'Queued', InProgress: 'InProgress', JobComplete: 'Completed', Failed: 'Failed', Aborted: 'NotProcessed' } as Record<string, string>)[row.state] ?? 'Queued';
}

export function batchInfo(row: BulkJobTable, standalone = true): string {
  return xml('batchInfo', [
    ['id', row.id], ['jobId', row.parent_id], ['state', batchState(row)], ['stateMessage', row.state === 'Failed' ? row.error_message : undefined],
    ['createdDate', stamp(row.created_at)], ['systemModstamp', stamp(row.updated_at)], ['numberRecordsProcessed', row.records_processed],
    ['numberRecordsFailed', row.records_failed], ['totalProcessingTime', row.processing_ms], ['apiActiveProcessingTime', row.processing_ms], ['apexProcessingTime', 0],
  ], standalone);
}

export const batchInfoList = (rows: BulkJobTable[]) => `<?xml version="1.0" encoding="UTF-8"?><batchInfoList xmlns="${NS}">${rows.map((r) => batchInfo(r, false)).join('')}</batchInfoList>`;

export function jobInfo(job: BulkJobTable, batches: BulkJobTable[]): string {
  const count = (state: string) => batches.filter((b) => batchState(b) === state).length;
  return xml('jobInfo', [
    ['id', job.id], ['operation', job.operation], ['object', job.object], ['createdById', job.created_by], ['createdDate', stamp(job.created_at)],
    ['systemModstamp', stamp(job.updated_at)], ['state', job.state], ['externalIdFieldName', job.external_id_field], ['concurrencyMode', 'Parallel'], ['contentType', 'CSV'],
    ['numberBatchesQueued', count('Queued')], ['numberBatchesInProgress', count('InProgress')], ['numberBatchesCompleted', count('Completed')],
    ['numberBatchesFailed', count('Failed')], ['numberBatchesTotal', batches.length],
    ['numberRecordsProcessed', batches.reduce((n, b) => n + b.records_processed, 0)], ['numberRetries', 0], ['apiVersion', job.api_version.replace(/^v/, '')],
    ['numberRecordsFailed', batches.reduce((n, b) => n + b.records_failed, 0)], ['totalProcessingTime', batches.reduce((n, b) => n + b.processing_ms, 0)],
    ['apiActiveProcessingTime', batches.reduce((n, b) => n + b.processing_ms, 0)], ['apexProcessingTime', 0],
  ]);
}
