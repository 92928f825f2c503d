import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startOrg } from '../src/org/start.js';
import { STORES, tokenFor, startTestOrg } from './helpers/org.js';
import { rest, startDataOrg, type DataOrg } from './helpers/data-org.js';

const V = 'v62.0';

/** A Bulk API 2.0 call with fetch: raw CSV bodies and headers jsforce hides. */
async function bulk(instanceUrl: string, token: string, method: string, path: string, body?: string | object, contentType = 'application/json') {
  const res = await fetch(`${instanceUrl}/services/data/${V}/jobs${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, text, body: json as any, headers: res.headers };
}

async function waitFor(instanceUrl: string, token: string, kind: 'ingest' | 'query', id: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const info = (await bulk(instanceUrl, token, 'GET', `/${kind}/${id}`)).body as Record<string, unknown>;
    if (['JobComplete', 'Failed', 'Aborted'].includes(String(info.state))) return info;
    if (Date.now() > until) throw new Error(`job ${id} still ${String(info.state)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ingest(org: { instanceUrl: string }, token: string, job: object, csv: string) {
  const created = await bulk(org.instanceUrl, token, 'POST', '/ingest', job);
  assert.equal(created.status, 200, created.text);
  assert.equal((await bulk(org.instanceUrl, token, 'PUT', `/ingest/${created.body.id}/batches`, csv, 'text/csv')).status, 201);
  assert.equal((await bulk(org.instanceUrl, token, 'PATCH', `/ingest/${created.body.id}`, { state: 'UploadComplete' })).status, 200);
  const info = await waitFor(org.instanceUrl, token, 'ingest', created.body.id);
  const file = async (name: string) => (await bulk(org.instanceUrl, token, 'GET', `/ingest/${created.body.id}/${name}`)).text;
  return { id: created.body.id as string, info, success: await file('successfulResults'), failed: await file('failedResults') };
}

for (const store of STORES) {
  describe(`Bulk API 2.0 (${store.name})`, () => {
    let org: DataOrg;
    let token: string;
    before(async () => {
      org = await startDataOrg(store);
      token = await org.token('MuleSoft_Integration');
    });
    after(() => org.close());
    const countOf = async (soql: string) => (await org.integration.query(soql)).totalSize;

    it('jsforce bulk2.loadAndWaitForResults inserts, and reports each failed row with its Salesforce error', async () => {
      const input = [{ Name: 'Bulk One', Phone: '1' }, { Name: 'Bulk Two', Phone: 'x'.repeat(41) }, { Name: 'Bulk Three', Phone: null }];
      const results = await org.integration.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', input: input as Record<string, unknown>[], pollTimeout: 30_000 });
      assert.deepEqual(results.successfulResults.map((r) => [(r as Record<string, unknown>).Name, r.sf__Created]), [['Bulk One', 'true'], ['Bulk Three', 'true']]);
      assert.equal(results.failedResults.length, 1);
      assert.match(String(results.failedResults[0]!.sf__Error), /^STRING_TOO_LONG:.*:Phone --$/);
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name LIKE 'Bulk %'"), 2);
    });

    it('update (empty cell = unchanged, #N/A = null), upsert by external id (created or not), relationship columns, delete; hardDelete needs its permission', async () => {
      const inserted = await ingest(org, token, { object: 'Account', operation: 'insert' }, 'Name,Phone,Legacy_Key__c\nUpd A,111,ERP-A\nUpd B,222,ERP-B\n');
      const ids = [...inserted.success.matchAll(/^"(001\w+)"/gm)].map((m) => m[1]!);
      assert.equal(ids.length, 2);
      const updated = await ingest(org, token, { object: 'Account', operation: 'update' }, `Id,Name,Phone\n${ids[0]},Upd A2,\n${ids[1]},,#N/A\n`);
      assert.equal(updated.info.numberRecordsProcessed, 2);
      const rows = await org.integration.query<{ Name: string; Phone: string | null }>(`SELECT Name, Phone FROM Account WHERE Id IN ('${ids.join("','")}') ORDER BY Name`);
      assert.deepEqual(rows.records.map((r) => [r.Name, r.Phone]), [['Upd A2', '111'], ['Upd B', null]]);
      const upserted = await ingest(org, token, { object: 'Account', operation: 'upsert', externalIdFieldName: 'Legacy_Key__c' }, 'Legacy_Key__c,Name\nERP-A,Upserted A\nERP-C,Upserted C\n');
      assert.deepEqual([...upserted.success.matchAll(/^"\w+","(true|false)",([^,]+)/gm)].map((m) => [m[2], m[1]]), [['ERP-A', 'false'], ['ERP-C', 'true']]);
      const contacts = await ingest(org, token, { object: 'Contact', operation: 'insert' }, 'LastName,Account.Legacy_Key__c\nChild,ERP-C\nOrphan,ERP-NOPE\n');
      assert.equal(contacts.info.numberRecordsFailed, 1);
      assert.match(contacts.failed, /INVALID_FIELD:Foreign key external ID: ERP-NOPE not found/);
      const child = await org.integration.query<{ Account: { Legacy_Key__c: string } }>("SELECT Account.Legacy_Key__c FROM Contact WHERE LastName = 'Child'");
      assert.equal(child.records[0]!.Account.Legacy_Key__c, 'ERP-C');
      const deleted = await ingest(org, token, { object: 'Account', operation: 'delete' }, `Id\n${ids[1]}\n`);
      assert.equal(deleted.info.numberRecordsFailed, 0);
      assert.equal(await countOf(`SELECT Id FROM Account WHERE Id = '${ids[1]}'`), 0);
      const hard = await bulk(org.instanceUrl, token, 'POST', '/ingest', { object: 'Account', operation: 'hardDelete' });
      assert.deepEqual([hard.status, hard.body[0].errorCode], [400, 'FEATURENOTENABLED']);
    });

    it('reads every delimiter and CRLF, quoted values holding the delimiter, quotes and newlines; results echo the upload', async () => {
      const cases: [string, string][] = [['TAB', '\t'], ['PIPE', '|'], ['SEMICOLON', ';'], ['CARET', '^'], ['BACKQUOTE', '`'], ['COMMA', ',']];
      for (const [name, d] of cases) {
        const csv = `Name${d}AccountNumber\r\n"Delim ${name}${d} ""q"""${d}"line one\r\nline two"\r\n`;
        const result = await ingest(org, token, { object: 'Account', operation: 'insert', columnDelimiter: name, lineEnding: 'CRLF' }, csv);
        assert.equal(result.info.numberRecordsProcessed, 1, `${name}: ${result.failed}`);
        assert.equal(result.info.numberRecordsFailed, 0, `${name}: ${result.failed}`);
        assert.ok(result.success.startsWith(`"sf__Id"${d}"sf__Created"${d}Name${d}AccountNumber\r\n`), `${name}: ${JSON.stringify(result.success)}`);
      }
      const stored = await org.integration.query<{ Name: string; AccountNumber: string }>("SELECT Name, AccountNumber FROM Account WHERE Name LIKE 'Delim %'");
      assert.equal(stored.totalSize, 6);
      assert.ok(stored.records.every((r) => r.Name.endsWith(' "q"') && r.AccountNumber === 'line one\r\nline two'), JSON.stringify(stored.records[0]));
    });

    it('refuses what Salesforce refuses: two uploads, closing twice, aborting a finished job, bad JSON, unknown columns, other users\' jobs, missing rights', async () => {
      const job = (await bulk(org.instanceUrl, token, 'POST', '/ingest', { object: 'Account', operation: 'insert' })).body;
      assert.equal(job.contentUrl, `services/data/${V}/jobs/ingest/${job.id}/batches`);
      assert.match(job.createdDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
      for (let i = 0; i < 2; i++) await bulk(org.instanceUrl, token, 'PUT', `/ingest/${job.id}/batches`, 'Name\nTwice\n', 'text/csv');
      const twice = await bulk(org.instanceUrl, token, 'PATCH', `/ingest/${job.id}`, { state: 'UploadComplete' });
      assert.deepEqual([twice.status, twice.body[0].errorCode], [400, 'INVALIDJOB']);
      assert.match(twice.body[0].message, /Found multipe contents for job/);
      const done = await ingest(org, token, { object: 'Account', operation: 'insert' }, 'Name\nFinished\n');
      const abort = await bulk(org.instanceUrl, token, 'PATCH', `/ingest/${done.id}`, { state: 'Aborted' });
      assert.deepEqual([abort.status, abort.body[0].errorCode, abort.body[0].message], [400, 'INVALIDJOBSTATE', 'Aborting already Completed Job not allowed']);
      const badJson = await bulk(org.instanceUrl, token, 'POST', '/ingest', '{"object": "Account",', 'application/json');
      assert.equal(badJson.status, 400);
      assert.ok(Array.isArray(badJson.body) && badJson.body[0].errorCode);
      const unknown = await ingest(org, token, { object: 'Account', operation: 'insert' }, 'Name,Industry\nHidden,Banking\n');
      assert.deepEqual([unknown.info.state, unknown.info.errorMessage], ['Failed', 'InvalidBatch : Field name not found : Industry']);
      const reader = await org.token('Reader_Tools');
      assert.equal((await bulk(org.instanceUrl, reader, 'GET', `/ingest/${done.id}`)).status, 404, 'another user\'s job is not found');
      const readOnly = await bulk(org.instanceUrl, reader, 'POST', '/ingest', { object: 'Account', operation: 'insert' });
      assert.deepEqual([readOnly.status, readOnly.body[0].errorCode], [400, 'INSUFFICIENT_ACCESS_OR_READONLY']);
      assert.equal((await bulk(org.instanceUrl, token, 'POST', '/ingest', { object: 'Account', operation: 'merge' })).status, 400);
      assert.equal((await bulk(org.instanceUrl, token, 'POST', '/ingest', { object: 'Account', operation: 'insert', columnDelimiter: 'SPACE' })).status, 400);
      assert.equal((await bulk(org.instanceUrl, token, 'GET', '/ingest/750../../etc')).status, 404);
      assert.equal((await bulk(org.instanceUrl, token, 'DELETE', `/ingest/${done.id}`)).status, 204);
      assert.equal((await bulk(org.instanceUrl, token, 'GET', `/ingest/${done.id}`)).status, 404);
    });

    it('query jobs: jsforce bulk2.query, CSV pages with Sforce-Locator and maxRecords (header on each, "null" last), queryAll, access enforced', async () => {
      await org.integration.sobject('Account').create(Array.from({ length: 120 }, (_, i) => ({ Name: `Q ${String(i).padStart(3, '0')}` })));
      const rows = await (await org.integration.bulk2.query("SELECT Id, Name, Owner.Name FROM Account WHERE Name LIKE 'Q %'", { pollTimeout: 30_000 })).toArray();
      assert.equal(rows.length, 120);
      assert.equal(rows[0]!['Owner.Name'], 'MuleSoft Integration');
      const job = (await bulk(org.instanceUrl, token, 'POST', '/query', { operation: 'query', query: "SELECT Name FROM Account WHERE Name LIKE 'Q %' ORDER BY Name" })).body;
      assert.equal(job.state, 'UploadComplete');
      const info = await waitFor(org.instanceUrl, token, 'query', job.id);
      assert.deepEqual([info.jobType, info.numberRecordsProcessed], ['V2Query', 120]);
      const names: string[] = [];
      let locator = '';
      let pages = 0;
      do {
        const page = await bulk(org.instanceUrl, token, 'GET', `/query/${job.id}/results?maxRecords=50${locator ? `&locator=${locator}` : ''}`);
        assert.equal(page.headers.get('content-type'), 'text/csv; charset=UTF-8');
        const lines = page.text.trimEnd().split('\n');
        assert.equal(lines[0], '"Name"');
        assert.equal(Number(page.headers.get('sforce-numberofrecords')), lines.length - 1);
        names.push(...lines.slice(1).map((l) => JSON.parse(l) as string));
        locator = page.headers.get('sforce-locator')!;
        assert.match(locator, /^[A-Za-z0-9_-]+$|^null$/);
        pages++;
      } while (locator !== 'null');
      assert.equal(pages, 3);
      assert.deepEqual(names, Array.from({ length: 120 }, (_, i) => `Q ${String(i).padStart(3, '0')}`));
      assert.equal((await bulk(org.instanceUrl, token, 'GET', `/query/${job.id}`)).headers.get('sforce-locator'), null, 'job info carries no locator');
      const otherVersion = await fetch(`${org.instanceUrl}/services/data/v60.0/jobs/query/${job.id}/results`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(otherVersion.status, 409);
      await org.integration.sobject('Account').destroy((await org.integration.query<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Q 000'")).records[0]!.Id);
      const all = (await bulk(org.instanceUrl, token, 'POST', '/query', { operation: 'queryAll', query: "SELECT Name, IsDeleted FROM Account WHERE Name = 'Q 000'" })).body;
      await waitFor(org.instanceUrl, token, 'query', all.id);
      assert.match((await bulk(org.instanceUrl, token, 'GET', `/query/${all.id}/results`)).text, /"Q 000","true"/);
      for (const refused of ['SELECT COUNT() FROM Account', 'SELECT Name, (SELECT LastName FROM Contacts) FROM Account', 'SELECT Name FROM Account LIMIT 5 OFFSET 2']) {
        assert.equal((await bulk(org.instanceUrl, token, 'POST', '/query', { operation: 'query', query: refused })).status, 400, refused);
      }
      const hidden = await bulk(org.instanceUrl, token, 'POST', '/query', { operation: 'query', query: 'SELECT Industry FROM Account' });
      assert.deepEqual([hidden.status, hidden.body[0].errorCode], [400, 'INVALID_FIELD']);
      // The reader sees only what sharing gives it, in a bulk query as in a REST one.
      const reader = await org.token('Reader_Tools');
      const readerJob = (await bulk(org.instanceUrl, reader, 'POST', '/query', { operation: 'query', query: 'SELECT Id FROM Account' })).body;
      const readerInfo = await waitFor(org.instanceUrl, reader, 'query', readerJob.id);
      assert.equal(readerInfo.numberRecordsProcessed, (await org.reader.query('SELECT Id FROM Account')).totalSize);
    });

    it('/limits counts the day\'s Bulk API 2.0 query jobs', async () => {
      const before = (await rest(org, token, 'GET', '/limits')).body.DailyBulkV2QueryJobs.Remaining as number;
      const job = (await bulk(org.instanceUrl, token, 'POST', '/query', { operation: 'query', query: 'SELECT Id FROM Account' })).body;
      await waitFor(org.instanceUrl, token, 'query', job.id);
      assert.equal((await rest(org, token, 'GET', '/limits')).body.DailyBulkV2QueryJobs.Remaining, before - 1);
    });
  });
}

describe('Bulk API 2.0 ingest survives SIGKILL (SQLite, the org as a process)', () => {
  const ROWS = 30_000;
  const KILLS = 3;
  const MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
  const data = mkdtempSync(join(tmpdir(), 'hs-bulk-crash-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  });

  const serve = () => new Promise<string>((resolve, reject) => {
    child = spawn(process.execPath, [MAIN, 'org', 'serve', '--data', data, '--port', '0', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Instance URL \(My Domain\): (\S+)/.exec(out);
      if (url) resolve(url[1]!);
    });
    child.once('exit', (code, signal) => reject(new Error(`org exited (${code ?? signal}) before it was ready: ${out}`)));
  });
  const kill = () => new Promise<void>((resolve) => {
    child!.once('exit', () => resolve());
    child!.kill('SIGKILL');
  });

  it(`${ROWS} rows, ${KILLS} kills landing mid-job: every row exactly once, every result line once`, async () => {
    // Prepare the job in-process (its token outlives the restarts), then run it in a process that gets killed.
    const first = await startTestOrg(STORES[0]!, {}, { dataDir: data });
    const token = await tokenFor(first, 'MuleSoft_Integration');
    const csv = `Name,AccountNumber\n${Array.from({ length: ROWS }, (_, i) => `Crash ${i},N${i}`).join('\n')}\n`;
    const job = (await bulk(first.instanceUrl, token, 'POST', '/ingest', { object: 'Account', operation: 'insert' })).body;
    await bulk(first.instanceUrl, token, 'PUT', `/ingest/${job.id}/batches`, csv, 'text/csv');
    await first.close();

    let url = await serve();
    assert.equal((await bulk(url, token, 'PATCH', `/ingest/${job.id}`, { state: 'UploadComplete' })).status, 200);
    const seen: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Kill once the job has made progress beyond the last kill, at a random moment within a chunk.
      for (;;) {
        const info = (await bulk(url, token, 'GET', `/ingest/${job.id}`)).body;
        if (info.numberRecordsProcessed > (seen.at(-1) ?? 0)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      await kill();
      const reopened = await startOrg({ dataDir: data, logLevel: false });
      const progress = await reopened.store.db.selectFrom('bulk_jobs').select(['state', 'records_processed']).where('id', '=', job.id).executeTakeFirstOrThrow();
      await reopened.bulk.stop();
      await reopened.close();
      if (progress.state === 'JobComplete') break;
      assert.equal(progress.state, 'InProgress', 'killed mid-job');
      assert.ok(progress.records_processed < ROWS);
      seen.push(progress.records_processed);
      url = await serve();
    }
    assert.ok(seen.length >= 1, `at least one kill landed mid-job (progress at the kills: ${seen.join(', ')})`);
    const info = await waitFor(url, token, 'ingest', job.id, 120_000);
    assert.deepEqual([info.state, info.numberRecordsProcessed, info.numberRecordsFailed], ['JobComplete', ROWS, 0]);
    const success = (await bulk(url, token, 'GET', `/ingest/${job.id}/successfulResults`)).text.trimEnd().split('\n');
    assert.equal(success.length, ROWS + 1, 'one result line per row, the header once');
    assert.equal(new Set(success.slice(1).map((l) => l.split(',')[3])).size, ROWS);
    // AccountNumber has no unique index: counting it shows duplicates if a chunk ran twice.
    const counted = await fetch(`${url}/services/data/${V}/query?q=${encodeURIComponent("SELECT COUNT(Id) n, COUNT_DISTINCT(AccountNumber) d FROM Account WHERE Name LIKE 'Crash %'")}`, { headers: { authorization: `Bearer ${token}` } });
    const [row] = ((await counted.json()) as { records: { n: number; d: number }[] }).records;
    assert.deepEqual([row!.n, row!.d], [ROWS, ROWS]);
  });
});
