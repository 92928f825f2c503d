import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { createContact } from '../../demo-erp/src/contacts/contacts.js';
import { DEMO_SETUP_FILE } from '../../org/src/org/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess, until } from './helpers.js';

const RECORDS = 1000;
const LEASE_SECONDS = 10;
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };

type Hub = Awaited<ReturnType<typeof startHubProcess>>;

/**
 * SIGTERM drains: a `hub serve --cluster` process told to stop mid-sync, with batches in flight
 * (its calls to the org held to 2 a second), finishes them or hands them back. It exits 0 within
 * its drain time; afterwards no job is left active (held by nobody), every finished event has its
 * run record and every unfinished one a job waiting for a worker; a new process completes the
 * sync with every record exactly once.
 */
describe('cluster: SIGTERM during a sync finishes or hands back the batches in flight, never half-recorded', () => {
  let org: TestOrg;
  let erp: RunningErp;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dirs = [mkdtempSync(join(tmpdir(), 'hs-cluster-term-setup-'))];
  const masterKeys = newMasterKey();
  const hubs: Hub[] = [];

  const start = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-term-hub-'));
    dirs.push(dir);
    const hub = await startHubProcess(dir, masterKeys, ['--cluster', '--database-url', database.url, '--lease-seconds', String(LEASE_SECONDS)]);
    hubs.push(hub);
    return hub;
  };

  before(async () => {
    const setupFile = join(dirs[0]!, 'demo-without-unique.yaml');
    const demo = readFileSync(DEMO_SETUP_FILE, 'utf8');
    assert.match(demo, /externalId: true, unique: true/);
    writeFileSync(setupFile, demo.replace('externalId: true, unique: true', 'externalId: true'));
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cluster-term-org-')) }) }, { setupFile });
    const erpDir = mkdtempSync(join(tmpdir(), 'hs-cluster-term-erp-'));
    dirs.push(erpDir);
    erp = await startErp({ dataDir: erpDir, clients: [CLIENT] });
    database = await freshPostgresDatabase();
    const { ctx, store } = await openHub({ dataDir: dirs[0]!, databaseUrl: database.url, masterKeys, allowPrivateNetworks: true });
    try {
      // Each process holds its calls to the org to 2 a second, so that every kill lands mid-sync with batches in flight.
      const flow = readFileSync(fileURLToPath(new URL('../flows/erp-contact-to-lead.yaml', import.meta.url)), 'utf8').replace('interval: 1s', 'interval: 200ms')
        .replace('batch: { size: 200, maxWait: 250ms }', 'batch: { size: 50, maxWait: 100ms }\nlimits: { Salesforce: { rateLimit: 2/s } }');
      assert.match(flow, /concurrency: 10/);
      await wireDemo(ctx, { name: 'cluster SIGTERM test' }, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, [flow]);
    } finally {
      await store.close();
    }
    for (let i = 0; i < RECORDS; i++) await createContact(erp.store.db, { email: `c${i}@term.test`, lastName: `Cluster ${i}`, company: 'Cluster Co' });
  });
  after(async () => {
    for (const hub of hubs) hub.kill('SIGKILL');
    await erp.close();
    await org.close();
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('drains on SIGTERM and loses or duplicates nothing', async () => {
    const token = await tokenFor(org, 'MuleSoft_Integration');
    const query = async (soql: string) => (await (await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { totalSize: number; records: { ERP_Contact_Id__c: string }[] };
    const count = async () => (await query('SELECT COUNT() FROM Lead WHERE ERP_Contact_Id__c != null')).totalSize;
    const first = await start();
    await until('the sync to be under way', async () => (await count()) > 0, 30_000, 50);
    const stopped = Date.now();
    first.kill('SIGTERM');
    const code = await new Promise((r) => first.once('exit', (c) => r(c)));
    assert.equal(code, 0, 'exited cleanly within its drain time');
    const synced = await count();
    assert.ok(synced > 0 && synced < RECORDS, `stopped mid-sync (${synced} of ${RECORDS}, ${Date.now() - stopped} ms to drain)`);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const active = await client.query("SELECT count(*)::int AS n FROM handshake_jobs.job WHERE state = 'active'");
      assert.equal(active.rows[0].n, 0, 'no job is left held by the stopped process');
      const unrecorded = await client.query("SELECT count(*)::int AS n FROM flow_events e WHERE e.status = 'done' AND NOT EXISTS (SELECT 1 FROM flow_runs r WHERE r.event_id = e.id)");
      assert.equal(unrecorded.rows[0].n, 0, 'every finished event has its run');
      const orphans = await client.query("SELECT count(*)::int AS n FROM flow_events e WHERE e.status = 'pending' AND NOT EXISTS (SELECT 1 FROM handshake_jobs.job j WHERE j.data->>'event' = e.id AND j.state < 'completed')");
      assert.equal(orphans.rows[0].n, 0, 'every unfinished event waits in the queue');
    } finally {
      await client.end();
    }
    await start();
    await until('the rest of the sync', async () => (await count()) >= RECORDS, 120_000, 250);
    const leads = await query('SELECT ERP_Contact_Id__c FROM Lead WHERE ERP_Contact_Id__c != null');
    assert.equal(leads.totalSize, RECORDS, 'every contact is a lead once');
    assert.equal(new Set(leads.records.map((r) => r.ERP_Contact_Id__c)).size, RECORDS);
  });
});
