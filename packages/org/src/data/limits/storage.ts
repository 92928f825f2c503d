import { sql } from 'kysely';
import type { DataAccess } from '../access/data-access.js';
import type { ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { tableName } from '../store/record-tables.js';

/** Salesforce counts most records as 2 KB of data storage, whatever their size. */
const BYTES_PER_RECORD = 2048;
const MB = 1024 * 1024;
const DATA_STORAGE_MB = 1024;

async function liveCount(service: DataService, object: ObjectDef): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(tableName(object))} WHERE ${sql.ref('IsDeleted')} = 0`.execute(service.db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Live record counts per object (`/limits/recordCount`), for the objects the caller can read;
 * an unknown or hidden name is left out, as Salesforce omits unknown names.
 */
export async function recordCounts(service: DataService, access: DataAccess, names?: string[]): Promise<{ count: number; name: string }[]> {
  const wanted = names ? new Set(names.map((n) => n.toLowerCase())) : undefined;
  const objects = service.schema.objects.filter((o) => access.rights(o).read && !o.platformEvent && (!wanted || wanted.has(o.name.toLowerCase())));
  const counts = [];
  for (const object of objects) {
    counts.push({ count: await liveCount(service, object), name: object.name });
  }
  return counts;
}

/** Data and file storage from what is stored now, not constants. */
export async function storageLimits(service: DataService): Promise<{ DataStorageMB: { Max: number; Remaining: number }; FileStorageMB: { Max: number; Remaining: number } }> {
  let records = 0;
  for (const object of service.schema.objects) {
    if (object.name === 'User' || object.name === 'Organization') continue;
    records += await liveCount(service, object);
  }
  const versions = service.schema.get('ContentVersion');
  const { rows } = versions ? await sql<{ n: number | string | null }>`SELECT SUM(${sql.ref('ContentSize')}) AS n FROM ${sql.table(tableName(versions))} WHERE ${sql.ref('IsDeleted')} = 0`.execute(service.db) : { rows: [] };
  const fileMax = Math.floor((service.blobs.maxBytes * 1000) / MB);
  return {
    DataStorageMB: { Max: DATA_STORAGE_MB, Remaining: Math.max(0, DATA_STORAGE_MB - Math.ceil((records * BYTES_PER_RECORD) / MB)) },
    FileStorageMB: { Max: fileMax, Remaining: Math.max(0, fileMax - Math.ceil(Number(rows[0]?.n ?? 0) / MB)) },
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Bulk API 2.0 allowances against the jobs of the last 24 hours. */
export async function bulkLimits(service: DataService): Promise<Record<string, { Max: number; Remaining: number }>> {
  const since = service.now() - DAY_MS;
  const jobs = await service.orgDb.selectFrom('bulk_jobs').select(['kind', 'records_processed']).where('created_at', '>', since).execute();
  const queries = jobs.filter((j) => j.kind === 'query').length;
  // Salesforce splits ingest data into 10,000-record batches, shared with Bulk API 1.0.
  const batches = jobs.filter((j) => j.kind === 'ingest').reduce((n, j) => n + Math.max(1, Math.ceil(j.records_processed / 10_000)), 0);
  return {
    DailyBulkV2QueryJobs: { Max: 10_000, Remaining: Math.max(0, 10_000 - queries) },
    DailyBulkApiBatches: { Max: 15_000, Remaining: Math.max(0, 15_000 - batches) },
  };
}
