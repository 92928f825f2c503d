/**
 * Bulk API 2.0 against the REST API a competent engineer would otherwise use, in the same run, on
 * the same org (SQLite, the demo's integration user with field-level security and private sharing):
 *   ingest: 1,000,000 accounts in one job (upload, processing, results), against composite/sobjects
 *           with 200 records a call and 4 calls in flight;
 *   query:  the same 1,000,000 accounts through a query job (CSV, one page), against paginated
 *           SOQL (2,000 a page, nextRecordsUrl).
 * Alone: node --import tsx bench/bulk.ts (BENCH_BULK_ROWS, BENCH_BULK_BASELINE_ROWS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrg } from '../packages/org/src/org/start.js';

const ROWS = Number(process.env.BENCH_BULK_ROWS ?? 1_000_000);
const BASELINE_ROWS = Number(process.env.BENCH_BULK_BASELINE_ROWS ?? 100_000);
const DEMO = fileURLToPath(new URL('../packages/org/setup/demo.yaml', import.meta.url));
const V = 'v62.0';

export interface BulkBenchResult {
  rows: number;
  ingest: { recordsPerSecond: number; baselineRecordsPerSecond: number; ratio: number };
  query: { recordsPerSecond: number; baselineRecordsPerSecond: number; ratio: number };
}

export async function benchBulk(log: (line: string) => void): Promise<BulkBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-bulk-'));
  const org = await startOrg({ dataDir: dir, setupFile: DEMO, logLevel: false, port: 0 });
  try {
    const app = org.setup!.newApps.find((a) => a.apiName === 'MuleSoft_Integration')!;
    const tokenRes = await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret }) });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const call = async (method: string, path: string, body?: string, type = 'application/json') => {
      const res = await fetch(`${org.instanceUrl}/services/data/${V}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': type } : {}) }, ...(body ? { body } : {}) });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return { text, headers: res.headers };
    };
    const waitDone = async (kind: string, id: string) => {
      for (;;) {
        const info = JSON.parse((await call('GET', `/jobs/${kind}/${id}`)).text) as { state: string; numberRecordsProcessed: number; numberRecordsFailed?: number; errorMessage?: string };
        if (info.state === 'JobComplete') return info;
        if (info.state === 'Failed' || info.state === 'Aborted') throw new Error(`job ${id} ${info.state}: ${info.errorMessage ?? ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // Baseline ingest: composite/sobjects, 200 a call, 4 calls in flight.
    log(`  baseline: ${BASELINE_ROWS.toLocaleString('en')} accounts through composite/sobjects, 200 a call, 4 in flight…`);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < BASELINE_ROWS) {
        const start = next;
        next += 200;
        const records = Array.from({ length: Math.min(200, BASELINE_ROWS - start) }, (_, i) => ({ attributes: { type: 'Account' }, Name: `REST ${start + i}`, AccountNumber: `R${start + i}` }));
        await call('POST', '/composite/sobjects', JSON.stringify({ allOrNone: false, records }));
      }
    }));
    const baselineIngest = BASELINE_ROWS / ((performance.now() - t0) / 1000);

    log(`  Bulk API 2.0: ${ROWS.toLocaleString('en')} accounts in one ingest job…`);
    const csv = `Name,AccountNumber\n${Array.from({ length: ROWS }, (_, i) => `Bulk ${i},B${i}`).join('\n')}\n`;
    const t1 = performance.now();
    const job = JSON.parse((await call('POST', '/jobs/ingest', JSON.stringify({ object: 'Account', operation: 'insert' }))).text) as { id: string };
    await call('PUT', `/jobs/ingest/${job.id}/batches`, csv, 'text/csv');
    await call('PATCH', `/jobs/ingest/${job.id}`, JSON.stringify({ state: 'UploadComplete' }));
    const done = await waitDone('ingest', job.id);
    if (done.numberRecordsProcessed !== ROWS || done.numberRecordsFailed) throw new Error(`ingest: ${JSON.stringify(done)}`);
    const bulkIngest = ROWS / ((performance.now() - t1) / 1000);
    const total = ROWS + BASELINE_ROWS;

    log(`  baseline: ${total.toLocaleString('en')} accounts read through paginated SOQL…`);
    const t2 = performance.now();
    let url: string | undefined = `/services/data/${V}/query?q=${encodeURIComponent('SELECT Id, Name, AccountNumber FROM Account')}`;
    let read = 0;
    while (url) {
      const res = await fetch(`${org.instanceUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });
      const page = (await res.json()) as { records: unknown[]; nextRecordsUrl?: string };
      read += page.records.length;
      url = page.nextRecordsUrl;
    }
    const baselineQuery = read / ((performance.now() - t2) / 1000);

    log(`  Bulk API 2.0: a query job over ${total.toLocaleString('en')} accounts…`);
    const t3 = performance.now();
    const query = JSON.parse((await call('POST', '/jobs/query', JSON.stringify({ operation: 'query', query: 'SELECT Id, Name, AccountNumber FROM Account' }))).text) as { id: string };
    await waitDone('query', query.id);
    const page = await call('GET', `/jobs/query/${query.id}/results`);
    const rows = Number(page.headers.get('sforce-numberofrecords'));
    if (rows !== read) throw new Error(`query job served ${rows} rows, SOQL read ${read}`);
    const bulkQuery = rows / ((performance.now() - t3) / 1000);
    return {
      rows: ROWS,
      ingest: { recordsPerSecond: bulkIngest, baselineRecordsPerSecond: baselineIngest, ratio: bulkIngest / baselineIngest },
      query: { recordsPerSecond: bulkQuery, baselineRecordsPerSecond: baselineQuery, ratio: bulkQuery / baselineQuery },
    };
  } finally {
    await org.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchBulk((line) => console.log(`[bench] ${line}`)), null, 2));
}
