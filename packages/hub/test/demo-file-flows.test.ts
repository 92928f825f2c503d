import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { PDFDocument } from 'pdf-lib';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { fileDownload } from '../src/flows/actions/file-download.js';
import type { FlowAction } from '../src/flows/definition.js';
import { deleteFlow, getFlow, saveFlow } from '../src/flows/flows.js';
import { listRuns } from '../src/flows/runs.js';
import { attachFile, attachFileFromAnotherProcess } from './attach-file.js';
import { digestOf, MB } from './file-bytes.js';
import { erpAccessToken, startTestHub, STORES, type TestHub, until } from './helpers.js';

const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };
const actor = { name: 'file flows test' };
const FLOWS = ['crm-order-to-erp-sales-order', 'erp-invoice-to-order-file', 'order-files-to-erp'];
const flowFile = (name: string) => readFileSync(fileURLToPath(new URL(`../flows/${name}.yaml`, import.meta.url)), 'utf8');

for (const store of STORES) {
  describe(`the demo's file flows: ERP invoice PDFs onto Salesforce orders, order files into the ERP (${store.name})`, () => {
    let org: TestOrg;
    let erp: RunningErp;
    let erpDir: string;
    let hub: TestHub;
    let integration: Connection;
    let admin: Connection;
    let adminToken: string;
    let erpToken: string;
    let orderId: string;
    const erpApi = async (method: string, path: string) => {
      const res = await fetch(`${erp.url}${path}`, { method, headers: { authorization: `Bearer ${erpToken}` } });
      return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') ? await res.json() as unknown : Buffer.from(await res.arrayBuffer()) };
    };
    const newOrder = async (items: number) => {
      const accountId = (await integration.sobject('Account').create({ Name: `Files ${randomBytes(3).toString('hex')}` })).id!;
      const id = (await integration.sobject('Order').create({ AccountId: accountId, EffectiveDate: '2026-12-03', Status: 'Draft' })).id!;
      for (let i = 1; i <= items; i++) await integration.sobject('OrderItem').create({ OrderId: id, Quantity: i, UnitPrice: 5, Description: `Item ${i}` });
      return id;
    };

    before(async () => {
      org = await startTestOrg(STORES[0]!);
      erpDir = mkdtempSync(join(tmpdir(), 'hs-file-flows-erp-'));
      erp = await startErp({ dataDir: erpDir, clients: [CLIENT] });
      hub = await startTestHub(store, { flows: { idleMs: 20 } });
      // The demo's own wiring (`handshake demo`): the Salesforce connection as the integration user, the ERP as DemoERP.
      await wireDemo(hub.ctx, actor, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, FLOWS.map(flowFile));
      integration = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
      adminToken = await tokenFor(org, 'Admin_Tools');
      admin = new Connection({ instanceUrl: org.instanceUrl, accessToken: adminToken, version: '62.0' });
      erpToken = await erpAccessToken(erp, CLIENT);
    });
    after(async () => {
      await hub.close();
      await erp.close();
      await org.close();
      rmSync(erpDir, { recursive: true, force: true });
    });

    it('an ERP invoice becomes one PDF file on its Salesforce Order, read back with jsforce; run again, the action finds it', async () => {
      orderId = await newOrder(2);
      await until('the ERP order', async () => (await erpApi('GET', `/sales-orders/eid:${orderId}`)).status === 200, 30_000, 50);
      const invoice = (await erpApi('POST', `/sales-orders/eid:${orderId}/invoice`)).body as { id: string; number: string };
      const links = await until('the file on the order', async () => {
        const found = await integration.query<{ ContentDocumentId: string }>(`SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '${orderId}'`);
        return found.records.length > 0 && found.records;
      }, 30_000, 100);
      assert.equal(links.length, 1);
      const version = (await integration.query<{ Id: string; Title: string; PathOnClient: string; FileExtension: string; Handshake_Key__c: string }>(`SELECT Id, Title, PathOnClient, FileExtension, Handshake_Key__c FROM ContentVersion WHERE ContentDocumentId = '${links[0]!.ContentDocumentId}'`)).records[0]!;
      assert.deepEqual([version.Title, version.PathOnClient, version.FileExtension], [`Invoice ${invoice.number}`, `${invoice.number}.pdf`, 'pdf']);
      const chunks: Buffer[] = [];
      for await (const chunk of integration.sobject('ContentVersion').record(version.Id).blob('VersionData')) chunks.push(chunk as Buffer);
      const stored = Buffer.concat(chunks);
      const original = (await erpApi('GET', `/invoices/${invoice.id}/pdf`)).body as Buffer;
      assert.equal(createHash('sha256').update(stored).digest('hex'), createHash('sha256').update(original).digest('hex'), 'the file is the ERP\'s PDF, byte for byte');
      assert.equal((await PDFDocument.load(stored)).getTitle(), `Invoice ${invoice.number}`);

      // A crash after the insert and before the run was recorded runs the action again with the same key: it finds the file by its marker.
      const flow = await getFlow(hub.ctx, 'erp-invoice-to-order-file');
      const action = flow.definition.actions[0] as Extract<FlowAction, { type: 'file.download' }>;
      const run = (await listRuns(hub.ctx, flow.id, { record: invoice.id })).runs[0]!;
      assert.equal(run.status, 'success');
      const again = await fileDownload.run(hub.ctx, action, { input: await fileDownload.prepare(hub.ctx, action, { id: invoice.id, number: invoice.number, orderExternalRef: orderId }), idempotencyKey: `${flow.id}:${invoice.id}:${invoice.number}:${action.name}` });
      assert.deepEqual(again, { contentVersionId: version.Id, bytes: stored.length, alreadyStored: true });
      assert.equal((await integration.query(`SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '${orderId}'`)).totalSize, 1, 'still one file');
    });

    it('a large file a person attaches to the Order is stored with the ERP sales order, streamed, with flat memory; the invoice PDF is not sent back', async (t) => {
      const size = store.name === 'sqlite' ? 100 * MB : 5 * MB;
      let peak = process.memoryUsage().rss;
      const base = peak;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
      let documents: { name: string; size: number; sha256: string; contentType: string }[];
      try {
        // The person uploads from another process: what is measured here is the org taking the file, the hub moving it, the ERP storing it.
        await attachFileFromAnotherProcess({ instanceUrl: org.instanceUrl, token: adminToken, fields: { Title: 'Signed contract', PathOnClient: 'contract/signed v2.pdf', FirstPublishLocationId: orderId }, size });
        documents = await until('the document in the ERP', async () => {
          const list = (await erpApi('GET', `/sales-orders/eid:${orderId}/documents`)).body as typeof documents;
          return list.length > 0 && list;
        }, 120_000, 100);
      } finally {
        clearInterval(sampler);
      }
      // The org, the hub and the ERP all run in this process: the file passes through all three.
      t.diagnostic(`RSS grew ${((peak - base) / MB).toFixed(1)} MB moving ${size / MB} MB into the org, through the hub, into the ERP`);
      assert.ok(peak - base < 60 * MB, `RSS grew ${((peak - base) / MB).toFixed(0)} MB`);
      assert.deepEqual(documents.map((d) => [d.name, d.size, d.contentType]), [['contract_signed v2.pdf', size, 'application/pdf']], 'only the person\'s file, named as the ERP takes it; the hub\'s own invoice PDF stays in Salesforce');
      assert.equal(documents[0]!.sha256, digestOf(size), 'the ERP has the bytes the person attached');
      assert.equal((await admin.query(`SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '${orderId}'`)).totalSize, 2);
    });

    it('checks idempotencyField when the flow is saved, and warns when a download has none', async () => {
      const invoiceFlow = flowFile('erp-invoice-to-order-file').replace('name: erp-invoice-to-order-file', 'name: invoice-variant');
      const refusal = async (text: string) => (await saveFlow(hub.ctx, actor, text).then(() => undefined, (error: unknown) => error)) as { errors?: { path: string; message: string }[] } | undefined;
      const missing = await refusal(invoiceFlow.replace('idempotencyField: Handshake_Key__c', 'idempotencyField: Nope__c'));
      assert.deepEqual(missing?.errors?.map((e) => e.path), ['actions[0].idempotencyField']);
      assert.match(missing!.errors![0]!.message, /must be a text field of ContentVersion .* marked External ID .*\(it is not there/);
      const standard = await refusal(invoiceFlow.replace('idempotencyField: Handshake_Key__c', 'idempotencyField: Title'));
      assert.match(standard?.errors?.[0]?.message ?? '', /a custom field name/);
      const unmarked = await saveFlow(hub.ctx, actor, invoiceFlow.replace('    idempotencyField: Handshake_Key__c\n', ''));
      assert.ok(unmarked.warnings.some((w) => w.path === 'actions[0]' && /Set idempotencyField/.test(w.message)), JSON.stringify(unmarked.warnings));
      assert.deepEqual((await saveFlow(hub.ctx, actor, invoiceFlow)).warnings, []);
      await deleteFlow(hub.ctx, actor, 'invoice-variant');
    });

    it('a file on an Order the ERP does not have is a dead letter that says so; files on other records are not sent', async () => {
      const unsynced = await newOrder(0);
      const accountId = (await integration.sobject('Account').create({ Name: 'Not an order' })).id!;
      const attach = (fields: Record<string, string>) => attachFile({ instanceUrl: org.instanceUrl, token: adminToken, fields, size: 10 });
      await attach({ Title: 'On an account', PathOnClient: 'account.txt', FirstPublishLocationId: accountId });
      const versionId = await attach({ Title: 'Early', PathOnClient: 'early.txt', FirstPublishLocationId: unsynced });
      const flow = await getFlow(hub.ctx, 'order-files-to-erp');
      const run = await until('the refused run', async () => (await listRuns(hub.ctx, flow.id, { record: versionId })).runs.find((r) => r.status === 'dead') ?? false, 30_000, 100);
      assert.match(String(run.error), new RegExp(`Sales order with externalRef ${unsynced} does not exist`));
      const skipped = (await listRuns(hub.ctx, flow.id, { limit: 50 })).runs.filter((r) => r.status === 'success');
      assert.equal(skipped.length, 1, 'one file sent: the contract; the account\'s file met no condition');
    });
  });
}
