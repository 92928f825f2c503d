import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
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
import { newMasterKey, startHubProcess } from './helpers.js';

const RECORDS = Number(process.env.CRASH_RECORDS ?? 10_000);
const KILLS = 10;
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };
const actor = { name: 'crash test' };

/**
 * Invariant 6: the hub is killed with SIGKILL at random moments during a 10,000-record sync, ten
 * times, and restarted; afterwards every source record exists exactly once in the target. The hub
 * runs as a real process (`handshake hub serve`) with the seed flow's concurrency and batching on,
 * its calls to the org held to 5 a second so that every kill lands mid-sync with batches in
 * flight; the org and the ERP run in this one. The org's external id field is not unique here
 * (as in the demo), so nothing but the hub's own discipline (claims, per-record order, idempotent
 * upserts) keeps a contact from becoming two Leads.
 */
describe(`flows survive SIGKILL: ${RECORDS} ERP contacts, ${KILLS} kills, every one exactly once in Salesforce`, () => {
  let org: TestOrg;
  let erp: RunningErp;
  const data = mkdtempSync(join(tmpdir(), 'hs-crash-hub-'));
  const setupDir = mkdtempSync(join(tmpdir(), 'hs-crash-setup-'));
  const masterKeys = newMasterKey();
  let child: ChildProcess | undefined;

  const startHub = async () => {
    child = await startHubProcess(data, masterKeys);
  };

  before(async () => {
    const setupFile = join(setupDir, 'demo-without-unique.yaml');
    const demo = readFileSync(DEMO_SETUP_FILE, 'utf8');
    assert.match(demo, /externalId: true, unique: true/);
    writeFileSync(setupFile, demo.replace('externalId: true, unique: true', 'externalId: true'));
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-crash-org-')) }) }, { setupFile });
    erp = await startErp({ dataDir: mkdtempSync(join(tmpdir(), 'hs-crash-erp-')), clients: [CLIENT] });
    const { ctx, store } = await openHub({ dataDir: data, masterKeys, allowPrivateNetworks: true });
    try {
      const flow = readFileSync(fileURLToPath(new URL('../flows/erp-contact-to-lead.yaml', import.meta.url)), 'utf8').replace('interval: 1s', 'interval: 200ms')
        .replace('batch: { size: 200, maxWait: 250ms }', 'batch: { size: 50, maxWait: 100ms }\nlimits: { Salesforce: { rateLimit: 5/s } }');
      assert.match(flow, /concurrency: 10/);
      await wireDemo(ctx, actor, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, [flow]);
    } finally {
      await store.close();
    }
    for (let i = 0; i < RECORDS; i++) await createContact(erp.store.db, { email: `c${i}@crash.test`, lastName: `Crash ${i}`, company: 'Crash Co' });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await erp.close();
    await org.close();
    for (const dir of [data, setupDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('loses none and duplicates none', async () => {
    const token = await tokenFor(org, 'MuleSoft_Integration');
    const count = async () => {
      const res = await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT COUNT() FROM Lead WHERE ERP_Contact_Id__c != null')}`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { totalSize: number }).totalSize;
    };
    const progress: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await startHub();
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1500));
      child!.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      progress.push(await count());
    }
    assert.ok(progress[progress.length - 1]! < RECORDS, `the kills happened during the sync (synced after each kill: ${progress.join(', ')})`);
    const moved = progress.filter((n, i) => n > (i ? progress[i - 1]! : 0)).length;
    assert.ok(moved >= KILLS - 2, `records arrived between the kills: the hub was killed mid-work (synced after each kill: ${progress.join(', ')})`);
    await startHub();
    const deadline = Date.now() + 240_000;
    while ((await count()) < RECORDS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const res = await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT ERP_Contact_Id__c FROM Lead WHERE ERP_Contact_Id__c != null')}`, { headers: { authorization: `Bearer ${token}` } });
    let page = (await res.json()) as { records: { ERP_Contact_Id__c: string }[]; nextRecordsUrl?: string; totalSize: number };
    const ids: string[] = page.records.map((r) => r.ERP_Contact_Id__c);
    while (page.nextRecordsUrl) {
      page = (await (await fetch(`${org.instanceUrl}${page.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof page;
      ids.push(...page.records.map((r) => r.ERP_Contact_Id__c));
    }
    const contacts = await erp.store.db.selectFrom('contacts').select('id').execute();
    if (ids.length !== RECORDS) {
      // What the hub's store says about the missing ones, for whoever reads the failure.
      child?.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const { store } = await openHub({ dataDir: data, masterKeys, allowPrivateNetworks: true });
      const states = await store.db.selectFrom('flow_events').select(['status', 'claim', 'attempts', 'last_error', 'next_attempt_at']).where('status', '!=', 'done').limit(5).execute();
      const counts = await store.db.selectFrom('flow_events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
      await store.close();
      assert.fail(`${ids.length} leads for ${RECORDS} contacts (synced after each kill: ${progress.join(', ')}); hub events: ${JSON.stringify(counts)}; not done: ${JSON.stringify(states)}`);
    }
    assert.equal(ids.length, RECORDS, `every contact is a lead once (synced after each kill: ${progress.join(', ')})`);
    assert.deepEqual(new Set(ids), new Set(contacts.map((c) => c.id)));
  });
});
