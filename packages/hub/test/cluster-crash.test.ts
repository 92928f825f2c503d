import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { createContact } from '../../demo-erp/src/contacts/contacts.js';
import { DEMO_SETUP_FILE } from '../../org/src/org/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess } from './helpers.js';

const RECORDS = Number(process.env.CLUSTER_CRASH_RECORDS ?? 10_000);
const PROCESSES = 3;
const KILLS = 10;
const LEASE_SECONDS = 10;
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };

type Hub = Awaited<ReturnType<typeof startHubProcess>>;

/**
 * Cluster mode under SIGKILL: three real `hub serve --cluster` processes share one PostgreSQL store
 * and a 10,000-contact sync; one of them, picked at random, is killed ten times and restarted. A
 * killed process's events come back to the others when their lease ends. Afterwards every contact
 * is a Lead exactly once, counted on an external id field the org does not keep unique.
 */
describe(`cluster: ${PROCESSES} hub processes, ${KILLS} SIGKILLs during a ${RECORDS}-record sync, every record exactly once`, () => {
  let org: TestOrg;
  let erp: RunningErp;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dirs = [mkdtempSync(join(tmpdir(), 'hs-cluster-crash-setup-'))];
  const masterKeys = newMasterKey();
  const hubs: (Hub | undefined)[] = [];

  const start = async (slot: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-crash-hub-'));
    dirs.push(dir);
    hubs[slot] = await startHubProcess(dir, masterKeys, ['--cluster', '--database-url', database.url, '--lease-seconds', String(LEASE_SECONDS)]);
  };

  before(async () => {
    const setupFile = join(dirs[0]!, 'demo-without-unique.yaml');
    const demo = readFileSync(DEMO_SETUP_FILE, 'utf8');
    assert.match(demo, /externalId: true, unique: true/);
    writeFileSync(setupFile, demo.replace('externalId: true, unique: true', 'externalId: true'));
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cluster-crash-org-')) }) }, { setupFile });
    const erpDir = mkdtempSync(join(tmpdir(), 'hs-cluster-crash-erp-'));
    dirs.push(erpDir);
    erp = await startErp({ dataDir: erpDir, clients: [CLIENT] });
    database = await freshPostgresDatabase();
    const { ctx, store } = await openHub({ dataDir: dirs[0]!, databaseUrl: database.url, masterKeys, allowPrivateNetworks: true });
    try {
      // Each process holds its calls to the org to 2 a second, so that every kill lands mid-sync with batches in flight.
      const flow = readFileSync(fileURLToPath(new URL('../flows/erp-contact-to-lead.yaml', import.meta.url)), 'utf8').replace('interval: 1s', 'interval: 200ms')
        .replace('batch: { size: 200, maxWait: 250ms }', 'batch: { size: 50, maxWait: 100ms }\nlimits: { Salesforce: { rateLimit: 2/s } }');
      assert.match(flow, /concurrency: 10/);
      await wireDemo(ctx, { name: 'cluster crash test' }, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, [flow]);
    } finally {
      await store.close();
    }
    for (let i = 0; i < RECORDS; i++) await createContact(erp.store.db, { email: `c${i}@cluster.test`, lastName: `Cluster ${i}`, company: 'Cluster Co' });
  });
  after(async () => {
    for (const hub of hubs) hub?.kill('SIGKILL');
    await erp.close();
    await org.close();
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('loses none and duplicates none', async () => {
    const token = await tokenFor(org, 'MuleSoft_Integration');
    const query = async (soql: string) => (await (await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { totalSize: number; records: { ERP_Contact_Id__c: string }[]; nextRecordsUrl?: string };
    const count = async () => (await query('SELECT COUNT() FROM Lead WHERE ERP_Contact_Id__c != null')).totalSize;
    for (let slot = 0; slot < PROCESSES; slot++) await start(slot);
    const progress: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      const slot = Math.floor(Math.random() * PROCESSES);
      const victim = hubs[slot]!;
      victim.kill('SIGKILL');
      await new Promise((r) => victim.once('exit', r));
      progress.push(`#${slot}: ${await count()}`);
      await start(slot);
    }
    const counts = progress.map((p) => Number(p.split(': ')[1]));
    assert.ok(counts[counts.length - 1]! < RECORDS, `the kills happened during the sync (synced at each kill: ${progress.join(', ')})`);
    assert.ok(counts.filter((n, i) => n > (i ? counts[i - 1]! : 0)).length >= KILLS - 2, `records arrived between the kills: processes were killed mid-work (${progress.join(', ')})`);
    const deadline = Date.now() + 240_000;
    while ((await count()) < RECORDS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    let page = await query('SELECT ERP_Contact_Id__c FROM Lead WHERE ERP_Contact_Id__c != null');
    const ids = page.records.map((r) => r.ERP_Contact_Id__c);
    while (page.nextRecordsUrl) {
      page = (await (await fetch(`${org.instanceUrl}${page.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof page;
      ids.push(...page.records.map((r) => r.ERP_Contact_Id__c));
    }
    const contacts = await erp.store.db.selectFrom('contacts').select('id').execute();
    assert.equal(ids.length, RECORDS, `every contact is a lead once (synced at each kill: ${progress.join(', ')})`);
    assert.deepEqual(new Set(ids), new Set(contacts.map((c) => c.id)));
  });
});
