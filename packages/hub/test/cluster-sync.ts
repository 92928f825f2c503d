import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startErp } from '../../demo-erp/src/start.js';
import { createContact } from '../../demo-erp/src/contacts/contacts.js';
import { DEMO_SETUP_FILE } from '../../org/src/org/start.js';
import { startTestOrg, tokenFor } from '../../org/test/helpers/org.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess } from './helpers.js';

const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };

type Hub = Awaited<ReturnType<typeof startHubProcess>>;

/**
 * For the cluster's process tests: an org whose Lead external id is not unique (so only the hub's
 * discipline keeps a contact from becoming two Leads), the demo ERP with `records` contacts, and a
 * fresh PostgreSQL database wired with the ERP contact → Lead flow. Each hub process holds its calls
 * to the org to 2 a second, so that a kill or a SIGTERM lands mid-sync with batches in flight.
 */
export async function startContactSync(records: number, leaseSeconds: number) {
  const dirs = [mkdtempSync(join(tmpdir(), 'hs-cluster-sync-'))];
  const setupFile = join(dirs[0]!, 'demo-without-unique.yaml');
  const demo = readFileSync(DEMO_SETUP_FILE, 'utf8');
  assert.match(demo, /externalId: true, unique: true/);
  writeFileSync(setupFile, demo.replace('externalId: true, unique: true', 'externalId: true'));
  const org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cluster-sync-org-')) }) }, { setupFile });
  const erpDir = mkdtempSync(join(tmpdir(), 'hs-cluster-sync-erp-'));
  dirs.push(erpDir);
  const erp = await startErp({ dataDir: erpDir, clients: [CLIENT] });
  const database = await freshPostgresDatabase();
  const masterKeys = newMasterKey();
  const { ctx, store } = await openHub({ dataDir: dirs[0]!, databaseUrl: database.url, masterKeys, allowPrivateNetworks: true });
  try {
    const flow = readFileSync(fileURLToPath(new URL('../flows/erp-contact-to-lead.yaml', import.meta.url)), 'utf8').replace('interval: 1s', 'interval: 200ms')
      .replace('batch: { size: 200, maxWait: 250ms }', 'batch: { size: 50, maxWait: 100ms }\nlimits: { Salesforce: { rateLimit: 2/s } }');
    assert.match(flow, /concurrency: 10/);
    await wireDemo(ctx, { name: 'cluster test' }, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, [flow]);
  } finally {
    await store.close();
  }
  for (let i = 0; i < records; i++) await createContact(erp.store.db, { email: `c${i}@cluster.test`, lastName: `Cluster ${i}`, company: 'Cluster Co' });
  const token = await tokenFor(org, 'MuleSoft_Integration');
  const query = async (soql: string) => (await (await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { totalSize: number; records: { ERP_Contact_Id__c: string }[]; nextRecordsUrl?: string };
  const hubs: Hub[] = [];
  return {
    database,
    /** A `hub serve --cluster` process on the shared database. */
    startHub: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-sync-hub-'));
      dirs.push(dir);
      const hub = await startHubProcess(dir, masterKeys, ['--cluster', '--database-url', database.url, '--lease-seconds', String(leaseSeconds)]);
      hubs.push(hub);
      return hub;
    },
    /** Leads made from ERP contacts. */
    count: async () => (await query('SELECT COUNT() FROM Lead WHERE ERP_Contact_Id__c != null')).totalSize,
    /** Every Lead's ERP contact id (duplicates included), and every ERP contact id. */
    leadsAndContacts: async () => {
      let page = await query('SELECT ERP_Contact_Id__c FROM Lead WHERE ERP_Contact_Id__c != null');
      const leads = page.records.map((r) => r.ERP_Contact_Id__c);
      while (page.nextRecordsUrl) {
        page = (await (await fetch(`${org.instanceUrl}${page.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof page;
        leads.push(...page.records.map((r) => r.ERP_Contact_Id__c));
      }
      const contacts = (await erp.store.db.selectFrom('contacts').select('id').execute()).map((c) => c.id);
      return { leads, contacts };
    },
    close: async () => {
      for (const hub of hubs) hub.kill('SIGKILL');
      await erp.close();
      await org.close();
      await database.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
