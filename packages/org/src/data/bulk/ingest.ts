import { parse } from 'csv-parse';
import { sql } from 'kysely';
import type { DataAccess } from '../access/data-access.js';
import { recordError, type RecordError } from '../data-error.js';
import { createRecords, deleteRecords, updateRecords, upsertRecords, type SaveResult } from '../records/dml.js';
import { findByExternalId } from '../records/lookup.js';
import { normalizeId } from '../records/values.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { tableName } from '../store/record-tables.js';
import type { BulkJobTable } from '../../store/schema.js';
import { csvRow, csvValues, formatOf, type CsvFormat } from './csv-format.js';
import type { JobFiles } from './job-files.js';

const CHUNK = 2000;
/** jsforce writes null as #N/A; Salesforce sets the field to null. An empty cell leaves it unchanged on update. */
const NULL_MARK = '#N/A';

/** One header column: a field, or a parent found by one of its external ids (`Account.ERP_Id__c`). */
type Column = { name: string; field: FieldDef } | { name: string; lookup: FieldDef; parent: ObjectDef; key: FieldDef };

export class JobFailure extends Error {}

/** Resolves the upload's header against the object, with the user's access; an unknown name fails the job as Salesforce does. */
function columns(service: DataService, access: DataAccess, object: ObjectDef, header: string[]): Column[] {
  return header.map((name) => {
    const [rel, key] = name.split('.', 2);
    if (key !== undefined) {
      const lookup = object.fields.find((f) => f.relationshipName?.toLowerCase() === rel!.toLowerCase());
      const parent = lookup ? service.schema.get(lookup.referenceTo[0] ?? '') : undefined;
      const keyField = parent ? service.schema.field(parent, key) : undefined;
      if (!lookup || !parent || !keyField || !(keyField.externalId || keyField.unique || keyField.name === 'Id') || !access.canRead(parent, keyField)) {
        throw new JobFailure(`InvalidBatch : Field name not found : ${name}`);
      }
      return { name, lookup, parent, key: keyField };
    }
    const field = service.schema.field(object, name);
    if (!field || !access.canRead(object, field)) throw new JobFailure(`InvalidBatch : Field name not found : ${name}`);
    return { name, field };
  });
}

const errorText = (errors: RecordError[]) => errors.map((e) => `${e.errorCode}:${e.message}:${e.fields.join(',')} --`).join(' ');

/** Rows of one chunk as record bodies, parents found by external id in one query per relationship column. */
async function bodies(service: DataService, access: DataAccess, job: BulkJobTable, cols: Column[], rows: string[][]): Promise<{ body: Record<string, unknown>; error?: RecordError }[]> {
  const parents = new Map<string, Map<string, string[]>>();
  for (const [i, col] of cols.entries()) {
    if (!('lookup' in col)) continue;
    const values = [...new Set(rows.map((r) => r[i] ?? '').filter((v) => v !== '' && v !== NULL_MARK))];
    parents.set(col.name, await findByExternalId(service, access, col.parent, col.key, values));
  }
  return rows.map((row) => {
    const body: Record<string, unknown> = {};
    for (const [i, col] of cols.entries()) {
      const value = row[i] ?? '';
      if (value === '') continue;
      if ('field' in col) {
        body[col.field.name] = value === NULL_MARK ? null : value;
        continue;
      }
      if (value === NULL_MARK) { body[col.lookup.name] = null; continue; }
      const found = parents.get(col.name)!.get(value.toLowerCase()) ?? [];
      if (found.length !== 1) {
        return { body, error: recordError(found.length ? 'DUPLICATE_EXTERNAL_ID' : 'INVALID_FIELD', found.length ? `${col.key.name}: more than one record found for external id field: ${value}` : `Foreign key external ID: ${value} not found for field ${col.key.name} in entity ${col.parent.name}`, [col.lookup.name]) };
      }
      body[col.lookup.name] = found[0];
    }
    if (job.operation !== 'insert' && job.operation !== 'upsert' && typeof body.Id !== 'string') return { body, error: recordError('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']) };
    return { body };
  });
}

/** Applies one chunk with the job's operation; one SaveResult per row. */
async function apply(scoped: DataService, access: DataAccess, job: BulkJobTable, object: ObjectDef, rows: Record<string, unknown>[]): Promise<SaveResult[]> {
  const options = { allOrNone: false };
  switch (job.operation) {
    case 'insert':
      return createRecords(scoped, access, object, rows, options);
    case 'update':
      return updateRecords(scoped, access, object, rows.map((body) => ({ id: normalizeId(String(body.Id)) ?? String(body.Id), body })), options);
    case 'upsert': {
      const external = scoped.schema.field(object, job.external_id_field!)!;
      return (await upsertRecords(scoped, access, object, external, rows.map((body) => ({ value: body[external.name], body })), options)).results;
    }
    default: {
      const ids = rows.map((body) => normalizeId(String(body.Id)) ?? String(body.Id));
      const results = await deleteRecords(scoped, access, ids, options);
      if (job.operation === 'hardDelete') {
        const gone = ids.filter((_, i) => results[i]!.success);
        if (gone.length) await sql`DELETE FROM ${sql.table(tableName(object))} WHERE ${sql.ref('Id')} IN (${sql.join(gone)})`.execute(scoped.db);
      }
      return results;
    }
  }
}

/**
 * Runs an ingest job from where it stopped: chunks of 2,000 rows, each chunk's records, its result
 * lines and the job's progress committed together, so a crash repeats or loses nothing.
 */
export async function runIngest(service: DataService, files: JobFiles, job: BulkJobTable, access: DataAccess, aborted: () => Promise<boolean>): Promise<void> {
  const object = service.schema.get(job.object);
  if (!object) throw new JobFailure(`InvalidJob : Unknown object ${job.object}`);
  const format = formatOf(job);
  const sizes = JSON.parse(job.result_sizes) as Record<string, number>;
  // A Bulk 1.0 batch also answers one result line per row, in input order.
  const ordered = job.kind === 'batch';
  const resultFiles = ordered ? (['successfulResults', 'failedResults', 'results'] as const) : (['successfulResults', 'failedResults'] as const);
  for (const file of resultFiles) files.truncate(job.id, file, sizes[file] ?? 0);
  const parser = uploadRows(service, job, format);
  let header: string[] | undefined;
  let cols: Column[] = [];
  let rowNumber = 0;
  let chunk: string[][] = [];
  let done = job.rows_done;
  let processed = job.records_processed;
  let failed = job.records_failed;
  const flush = async () => {
    if (chunk.length === 0) return;
    const started = Date.now();
    const prepared = await bodies(service, access, job, cols, chunk);
    const valid = prepared.map((p, i) => ({ ...p, i })).filter((p) => !p.error);
    let success = '';
    let failure = '';
    let inOrder = '';
    await service.transact(async (scoped) => {
      const saved = await apply(scoped, access, job, object, valid.map((p) => p.body));
      const results = new Map(valid.map((p, k) => [p.i, saved[k]!]));
      chunk.forEach((row, i) => {
        const result = results.get(i) ?? { id: null, success: false, errors: [prepared[i]!.error!] };
        const echoed = csvValues(row, format);
        if (result.success) success += csvRow([result.id!, String(job.operation === 'insert' || result.created === true)], format, echoed);
        else failure += csvRow([result.id ?? '', errorText(result.errors)], format, echoed);
        if (ordered) inOrder += csvRow([result.id ?? '', String(result.success), String(result.success && (job.operation === 'insert' || result.created === true)), result.success ? '' : errorText(result.errors)], format);
      });
      if (ordered) files.append(job.id, 'results', inOrder);
      files.append(job.id, 'successfulResults', success);
      files.append(job.id, 'failedResults', failure);
      done += chunk.length;
      processed += chunk.length;
      failed += chunk.length - valid.filter((p) => results.get(p.i)!.success).length;
      await scoped.orgDb.updateTable('bulk_jobs').set({
        rows_done: done, records_processed: processed, records_failed: failed, processing_ms: job.processing_ms + (Date.now() - started),
        result_sizes: JSON.stringify(Object.fromEntries(resultFiles.map((f) => [f, files.size(job.id, f)]))), updated_at: service.now(),
      }).where('id', '=', job.id).execute();
    });
    job.processing_ms += Date.now() - started;
    chunk = [];
  };
  try {
    for await (const record of parser) {
      if (!header) {
        header = record;
        cols = columns(service, access, object, header);
        if (job.operation === 'upsert' && !header.some((h) => h.toLowerCase() === job.external_id_field!.toLowerCase())) throw new JobFailure(`InvalidBatch : Field name not found : ${job.external_id_field}`);
        if (job.rows_done === 0) writeHeaders(files, job, header, format);
        continue;
      }
      rowNumber++;
      if (rowNumber <= job.rows_done) continue;
      chunk.push(record);
      if (chunk.length >= CHUNK) {
        await flush();
        if (await aborted()) return writeUnprocessed(service, files, job, format, header, done);
      }
    }
  } catch (error) {
    if (error instanceof JobFailure) throw error;
    const code = (error as { code?: string }).code;
    if (code?.startsWith('CSV_')) throw new JobFailure(`InvalidBatch : ${(error as Error).message}`);
    throw error;
  }
  if (!header) throw new JobFailure('InvalidBatch : The uploaded data is empty: the first line must name the fields');
  await flush();
}

function writeHeaders(files: JobFiles, job: BulkJobTable, header: string[], format: CsvFormat): void {
  const echoed = csvValues(header, format);
  for (const file of ['successfulResults', 'failedResults', 'results'] as const) files.truncate(job.id, file, 0);
  files.append(job.id, 'successfulResults', csvRow(['sf__Id', 'sf__Created'], format, echoed));
  files.append(job.id, 'failedResults', csvRow(['sf__Id', 'sf__Error'], format, echoed));
  if (job.kind === 'batch') files.append(job.id, 'results', csvRow(['Id', 'Success', 'Created', 'Error'], format));
}

/** The uploaded CSV's records, parsed with the job's delimiter and line ending. */
function uploadRows(service: DataService, job: BulkJobTable, format: CsvFormat): AsyncIterable<string[]> {
  return service.blobs.read(job.data_key!).pipe(parse({ delimiter: format.delimiter, record_delimiter: format.lineEnding, bom: true, skip_empty_lines: true })) as AsyncIterable<string[]>;
}

/** After an abort: the rows never processed, under the upload's header. */
async function writeUnprocessed(service: DataService, files: JobFiles, job: BulkJobTable, format: CsvFormat, header: string[], done: number): Promise<void> {
  const parser = uploadRows(service, job, format);
  let n = -1;
  let out = csvValues(header, format).join(format.delimiter) + format.lineEnding;
  for await (const record of parser) {
    if (++n > done) out += csvValues(record, format).join(format.delimiter) + format.lineEnding;
  }
  files.truncate(job.id, 'unprocessedrecords', 0);
  files.append(job.id, 'unprocessedrecords', out);
}
