import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { DataAccess } from '../access/data-access.js';
import type { DataService } from '../service.js';
import { parseSoql, SoqlCompiler, type OutputNode } from '../soql/compile.js';
import { nextPage, runQuery } from '../soql/run.js';
import type { BulkJobTable } from '../../store/schema.js';
import { csvRow, formatOf } from './csv-format.js';
import { bulkError } from './jobs.js';
import type { JobFiles } from './job-files.js';

const PAGE = 2000;

/** The columns of a query's CSV: fields by name, parents' fields dotted (`Account.Name`), as Salesforce writes them. */
function columnPaths(nodes: OutputNode[], prefix: string[] = []): string[][] {
  return nodes.flatMap((n) => (n.kind === 'field' ? [[...prefix, n.name]] : n.kind === 'parent' ? columnPaths(n.children, [...prefix, n.name]) : []));
}

/** Checks a query for a Bulk 2.0 job as Salesforce does: no aggregates, GROUP BY, OFFSET or child subqueries. Returns the object. */
export async function checkBulkQuery(service: DataService, access: DataAccess, soql: string): Promise<string> {
  const compiled = await new SoqlCompiler(service, access, soql, false).compile(parseSoql(soql));
  const refused = compiled.aggregate || compiled.countOnly ? 'aggregate functions and GROUP BY' : compiled.offset ? 'OFFSET' : compiled.output.some((n) => n.kind === 'child') ? 'parent-to-child (nested) queries' : undefined;
  if (refused) throw bulkError(400, 'API_ERROR', `Bulk API 2.0 query jobs do not support ${refused}: ${soql}`);
  return compiled.object.name;
}

const cell = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/**
 * Runs a query job to its result file. Next to it, `offsets` holds each row's byte offset (8 bytes a
 * row), so any page (`locator`, `maxRecords`) is one read of a byte range.
 */
export async function runBulkQuery(service: DataService, files: JobFiles, job: BulkJobTable, access: DataAccess): Promise<number> {
  const format = formatOf(job);
  const compiled = await new SoqlCompiler(service, access, job.query!, job.operation === 'queryAll').compile(parseSoql(job.query!));
  const paths = columnPaths(compiled.output);
  files.truncate(job.id, 'results', 0);
  files.truncate(job.id, 'offsets', 0);
  files.append(job.id, 'results', csvRow(paths.map((p) => p.join('.')), format));
  let offset = files.size(job.id, 'results');
  let rows = 0;
  let page = await runQuery(service, access, job.query!, { includeDeleted: job.operation === 'queryAll', batchSize: PAGE, version: job.api_version });
  for (;;) {
    let text = '';
    const offsets = Buffer.alloc(page.records.length * 8);
    page.records.forEach((record, i) => {
      offsets.writeDoubleLE(offset, i * 8);
      const row = csvRow(paths.map((path) => cell(path.reduce<unknown>((v, key) => (v === null || v === undefined ? v : (v as Record<string, unknown>)[key]), record))), format);
      offset += Buffer.byteLength(row);
      text += row;
    });
    files.append(job.id, 'results', text);
    files.append(job.id, 'offsets', offsets);
    rows += page.records.length;
    if (page.done || !page.nextRecordsUrl) break;
    page = await nextPage(service, access, page.nextRecordsUrl.split('/').pop()!, job.api_version);
  }
  return rows;
}

/** A locator is the next row's number, base64url: opaque to clients, safe to append unencoded to a URL. */
const encodeLocator = (row: number) => Buffer.from(`row:${row}`).toString('base64url');
function decodeLocator(locator: string): number {
  const m = /^row:(\d+)$/.exec(Buffer.from(locator, 'base64url').toString());
  if (!m) throw bulkError(400, 'INVALIDLOCATOR', `Invalid locator: ${locator}`);
  return Number(m[1]);
}

/** One page of results: the header row, then rows [start, start + maxRecords), and the next locator or "null". */
export function resultPage(files: JobFiles, job: BulkJobTable, locator: string | undefined, maxRecords: number | undefined): { stream: Readable[]; count: number; next: string } {
  const total = job.records_processed;
  const start = locator ? decodeLocator(locator) : 0;
  if (start > total) throw bulkError(400, 'INVALIDLOCATOR', `Invalid locator: ${locator}`);
  const count = Math.min(maxRecords ?? total, total - start);
  const offsetsPath = files.path(job.id, 'offsets');
  const resultsPath = files.path(job.id, 'results');
  const at = (row: number): number => {
    if (row >= total) return files.size(job.id, 'results');
    const bytes = Buffer.alloc(8);
    const handle = openSync(offsetsPath, 'r');
    try {
      readSync(handle, bytes, 0, 8, row * 8);
    } finally {
      closeSync(handle);
    }
    return bytes.readDoubleLE(0);
  };
  const headerEnd = total > 0 ? at(0) : files.size(job.id, 'results');
  const parts: Readable[] = [createReadStream(resultsPath, { start: 0, end: headerEnd - 1 })];
  if (count > 0) parts.push(createReadStream(resultsPath, { start: at(start), end: at(start + count) - 1 }));
  return { stream: parts, count, next: start + count < total ? encodeLocator(start + count) : 'null' };
}
