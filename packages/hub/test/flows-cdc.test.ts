import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { saveFlow } from '../src/flows/flows.js';
import { pollSalesforce } from '../src/flows/triggers/salesforce-changes.js';
import type { PollScope, TriggerSession } from '../src/flows/triggers/trigger.js';
import { startHub, type RunningHub } from '../src/start.js';
import { STORES, type TestHub, startTestHub, until } from './helpers.js';

const actor = { name: 'cdc test' };
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };
const CDC_FLOW = readFileSync(fileURLToPath(new URL('../flows/templates/crm-order-to-erp-sales-order-cdc.yaml', import.meta.url)), 'utf8');


for (const store of STORES) {
  describe(`Salesforce trigger, mode cdc: the order flow on Change Data Capture (${store.name})`, () => {
    let org: TestOrg;
    let erp: RunningErp;
    let hub: TestHub;
    let running: RunningHub;
    let sf: Connection;
    const dirs: string[] = [];
    const notices: string[] = [];
    const reopen = () => startHub({ ...hub.storeOptions, masterKeys: hub.masterKeys, allowPrivateNetworks: true, logLevel: false, flows: { idleMs: 20, log: { error: () => undefined, warn: (_o, message) => notices.push(message) } } });

    before(async () => {
      org = await startTestOrg(store);
      dirs.push(mkdtempSync(join(tmpdir(), 'hs-cdc-erp-')));
      erp = await startErp({ dataDir: dirs[0]!, clients: [CLIENT] });
      sf = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
      hub = await startTestHub(store, { flows: false });
      running = hub;
    });
    after(async () => {
      await running.close();
      await erp.close();
      await org.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    const order = async (label: string) => {
      const account = await sf.sobject('Account').create({ Name: `CDC ${label}` });
      const created = await sf.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-12-01', Status: 'Draft' });
      await sf.sobject('OrderItem').create({ OrderId: created.id!, Quantity: 2, UnitPrice: 7, Description: label });
      return created.id!;
    };
    const inErp = async (orderId: string) => (await erp.store.db.selectFrom('sales_orders').select('id').where('external_ref', '=', orderId).execute()).length > 0;
    /** Succeeded runs per order, counted in the hub's run records (no unique index on them). */
    const succeededRuns = async (db: RunningHub['ctx']['db']) => {
      const rows = await db.selectFrom('flow_runs').innerJoin('flow_events', 'flow_events.id', 'flow_runs.event_id').select('flow_events.record_key').where('flow_runs.status', '=', 'success').execute();
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(String(r.record_key), (counts.get(String(r.record_key)) ?? 0) + 1);
      return counts;
    };
    const cursorOf = async (db: RunningHub['ctx']['db']) => JSON.parse((await db.selectFrom('flow_cursors').select('cursor').executeTakeFirstOrThrow()).cursor) as { replayId?: number; catchingUp?: boolean };

    it('reads what existed before its first start by pages, then streams; each order reaches the ERP once', async () => {
      const before = [await order('before-1'), await order('before-2')];
      await hub.close();
      running = await reopen();
      await wireDemo(running.ctx, actor, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, [CDC_FLOW]);
      for (const id of before) await until(`order ${id} (made before the start) in the ERP`, () => inErp(id));
      const live = await order('live');
      const started = Date.now();
      await until('the live order in the ERP', () => inErp(live));
      assert.ok(Date.now() - started < 3000, `streamed, not polled late (${Date.now() - started} ms)`);
      const cursor = await cursorOf(running.ctx.db);
      assert.equal(typeof cursor.replayId, 'number', 'the replay id is stored with the events');
      assert.ok(!cursor.catchingUp);
      await new Promise((r) => setTimeout(r, 300));
      for (const id of [...before, live]) assert.equal((await succeededRuns(running.ctx.db)).get(id), 1, `one run for ${id}`);
    });

    it('a restart resumes from the stored replay id: changes made while it was down arrive once', async () => {
      const { replayId } = await cursorOf(running.ctx.db);
      await running.close();
      const whileDown = [await order('down-1'), await order('down-2')];
      running = await reopen();
      for (const id of whileDown) await until(`order ${id} (made while the hub was down)`, () => inErp(id));
      assert.ok(((await cursorOf(running.ctx.db)).replayId ?? 0) > (replayId ?? 0));
      await new Promise((r) => setTimeout(r, 300));
      const runs = await succeededRuns(running.ctx.db);
      for (const id of whileDown) assert.equal(runs.get(id), 1, `one run for ${id}`);
      assert.ok([...runs.values()].every((n) => n === 1), 'no order ran twice');
      assert.equal(notices.filter((n) => /retention/.test(n)).length, 0, 'no gap to close');
    });

    it('a replay id past retention falls back to reading the gap by pages, and says so', async () => {
      await running.close();
      const lost = await order('aged-out');
      // Every retained event is purged, as 72 hours would: the stored replay id is no longer valid.
      assert.ok(await org.streaming.purge(Date.now() + 73 * 3600_000) > 0);
      running = await reopen();
      await until('the order whose event was purged', () => inErp(lost));
      assert.ok(notices.some((n) => /replay id \d+ is past the org's event retention; reading the records changed since/.test(n)), notices.join('\n'));
      const key = (await createApiKey(running.ctx.db, 'cdc reader', ['flows:read'], Date.now())).key;
      const shown = await (await fetch(`${running.url}/api/v1/flows/crm-order-to-erp-sales-order-cdc`, { headers: { authorization: `Bearer ${key}` } })).json() as { flow: { triggerNotice: string | null } };
      assert.match(shown.flow.triggerNotice ?? '', /past the org's event retention/, 'the API shows it on the flow');
      const streamed = await order('after-gap');
      await until('an order after the gap, streamed again', () => inErp(streamed));
      assert.equal(typeof (await cursorOf(running.ctx.db)).replayId, 'number');
      assert.equal((await succeededRuns(running.ctx.db)).get(lost), 1);
    });

    it('backfill: bulk reads a first sync of more than 2,000 records through one Bulk API query job, typed as REST reads them', async () => {
      const account = await sf.sobject('Account').create({ Name: 'Bulk Backfill Co' });
      const deals = Array.from({ length: 2100 }, (_, i) => ({ Name: `Bulk Backfill ${i}`, StageName: 'Prospecting', CloseDate: '2026-12-31', Amount: i * 1.5, ...(i % 2 ? { AccountId: account.id! } : {}) }));
      const saved = await sf.sobject('Opportunity').create(deals, { allowRecursive: true });
      assert.ok(saved.every((r) => r.success), JSON.stringify(saved.find((r) => !r.success)));
      const trigger = { type: 'salesforce' as const, connection: 'Salesforce', object: 'Opportunity', fields: ['Name', 'Amount', 'CloseDate', 'Account.Name'], children: {}, where: "Name LIKE 'Bulk Backfill %'", interval: '5s', overlap: '2s', batchSize: 200, mode: 'poll' as const, backfill: 'bulk' as const, timeout: '30s' };
      const said: string[] = [];
      let session: TriggerSession | undefined;
      const scope: PollScope = { known: async () => new Set(), session: <S extends TriggerSession>(open: () => S) => (session ??= open()) as S, notice: (m) => said.push(m) };
      const events = new Map<string, Record<string, unknown>>();
      let cursor: string | undefined;
      let calls = 0;
      const pages: number[] = [];
      for (;;) {
        const result = await pollSalesforce(running.ctx, trigger, cursor, scope);
        calls++;
        if (result.events.length) pages.push(result.events.length);
        for (const e of result.events) events.set(String((e.payload as { Id: string }).Id), e.payload as Record<string, unknown>);
        cursor = result.cursor;
        if (!result.more) break;
        if (result.nextAt) await new Promise((r) => setTimeout(r, Math.max(0, result.nextAt! - Date.now())));
        assert.ok(calls < 100, 'a bulk read finishes');
      }
      assert.equal(events.size, 2100);
      assert.match(said[0] ?? '', /through Bulk API job \w+/);
      // The REST API's view of one record, for comparison: the same values, the same types.
      for (const one of [saved[42]!.id!, saved[43]!.id!]) {
        const rest = (await sf.query<Record<string, unknown>>(`SELECT Id, SystemModstamp, Name, Amount, CloseDate, Account.Name FROM Opportunity WHERE Id = '${one}'`)).records[0]!;
        const strip = (r: Record<string, unknown>) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'attributes' ? undefined : v))) as Record<string, unknown>;
        assert.deepEqual(strip(events.get(one)!), strip(rest), 'with a parent and without');
      }
      assert.equal(Math.max(...pages), 2100, `one results page held them all (pages: ${pages.join(', ')}), where REST would take 11`);
      assert.equal(JSON.parse(cursor!).bulk, undefined, 'the read is over; REST pages go on from the job\'s start');
    });

    it('refuses at save time: mode cdc on an object the org does not stream, and backfill: bulk with child relationships', async () => {
      const notStreamed = `name: cdc-accounts
trigger: { type: salesforce, mode: cdc, connection: Salesforce, object: Account, fields: [Id, Name] }
actions:
  - name: note
    type: salesforce.update
    connection: Salesforce
    object: Account
    mapping:
      Id: { path: Id }
      Phone: { const: "1" }
`;
      await assert.rejects(saveFlow(running.ctx, actor, notStreamed), (error: unknown) => {
        assert.match(JSON.stringify(error), /trigger\.mode.*channel you requested to subscribe to does not exist.*is Account enabled for Change Data Capture/s);
        return true;
      });

      const bad = CDC_FLOW.replace('name: crm-order-to-erp-sales-order-cdc', 'name: cdc-bulk-children').replace('  mode: cdc\n', '  mode: cdc\n  backfill: bulk\n');
      await assert.rejects(saveFlow(running.ctx, actor, bad), (error: { status?: number; detail?: string; errors?: unknown }) => {
        assert.equal(error.status, 400);
        assert.match(JSON.stringify(error), /trigger.*backfill.*child relationships/s);
        return true;
      });
    });
  });
}
