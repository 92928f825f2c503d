import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { openHub } from '../src/start.js';
import { newMasterKey, startHubProcess } from './helpers.js';

const ORDERS = 400;
const KILLS = 6;
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };
const CDC_FLOW = readFileSync(fileURLToPath(new URL('../flows/templates/crm-order-to-erp-sales-order-cdc.yaml', import.meta.url)), 'utf8');

/**
 * The cdc trigger's promise under SIGKILL: the replay id is stored in the transaction that queues
 * its events, so a hub killed at any moment (mid long poll, mid read of the changed records, mid
 * batch) resumes from what it committed and loses nothing. Orders keep arriving while a real
 * `handshake hub serve` process is killed six times and restarted; each kill lands while orders
 * are still streaming, and afterwards every order is in the ERP.
 */
describe(`the cdc trigger survives SIGKILL: ${ORDERS} orders streamed while the hub is killed ${KILLS} times`, () => {
  let org: TestOrg;
  let erp: RunningErp;
  const data = mkdtempSync(join(tmpdir(), 'hs-cdc-crash-hub-'));
  const erpDir = mkdtempSync(join(tmpdir(), 'hs-cdc-crash-erp-'));
  const masterKeys = newMasterKey();
  let child: ChildProcess | undefined;

  const startHub = async () => {
    child = await startHubProcess(data, masterKeys);
  };

  before(async () => {
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cdc-crash-org-')) }) });
    erp = await startErp({ dataDir: erpDir, clients: [CLIENT] });
    const { ctx, store } = await openHub({ dataDir: data, masterKeys, allowPrivateNetworks: true });
    try {
      await wireDemo(ctx, { name: 'cdc crash test' }, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, [CDC_FLOW]);
    } finally {
      await store.close();
    }
  });
  after(async () => {
    child?.kill('SIGKILL');
    await erp.close();
    await org.close();
    for (const dir of [data, erpDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('loses no order', async () => {
    const sf = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
    const account = await sf.sobject('Account').create({ Name: 'CDC Crash Co' });
    const orderIds: string[] = [];
    const synced = async () => (await erp.store.db.selectFrom('sales_orders').select('external_ref').execute()).filter((r) => orderIds.includes(String(r.external_ref))).length;
    // Orders arrive in batches of 10 every 600 ms or so, for longer than the kills take (an order, then
    // its item: the item is the change the flow waits for).
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < ORDERS; i += 10) {
        const orders = await sf.sobject('Order').create(Array.from({ length: 10 }, () => ({ AccountId: account.id!, EffectiveDate: '2026-12-01', Status: 'Draft' })));
        const ids = orders.map((o) => o.id!);
        await sf.sobject('OrderItem').create(ids.map((id, n) => ({ OrderId: id, Quantity: 1, UnitPrice: 1 + n, Description: `crash ${i + n}` })));
        orderIds.push(...ids);
        await new Promise((r) => setTimeout(r, 600));
      }
      writing = false;
    })();
    const progress: { written: number; synced: number }[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await startHub();
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
      child!.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      progress.push({ written: orderIds.length, synced: await synced() });
    }
    const shown = progress.map((p) => `${p.synced}/${p.written}`).join(', ');
    assert.ok(progress.filter((p) => p.written < ORDERS).length >= KILLS - 1, `orders were still being written at the kills (synced/written after each: ${shown})`);
    assert.ok(progress.filter((p, i) => p.synced > (i ? progress[i - 1]!.synced : 0)).length >= KILLS - 2, `orders reached the ERP between the kills: each kill landed mid-stream (${shown})`);
    await writer;
    assert.equal(writing, false);
    await startHub();
    const deadline = Date.now() + 120_000;
    while ((await synced()) < ORDERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const inErp = new Set((await erp.store.db.selectFrom('sales_orders').select('external_ref').execute()).map((r) => String(r.external_ref)));
    const missing = orderIds.filter((id) => !inErp.has(id));
    assert.deepEqual(missing, [], `every order reached the ERP (synced/written after each kill: ${shown})`);
  });
});
