import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { request } from 'undici';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { registerExternalService } from '../src/flows/external-services.js';
import { pendingEvent } from '../src/flows/engine/event-queue.js';
import { pruneFlowHistory } from '../src/flows/engine/retention.js';
import { deadLetters, replayDeadLetters, saveFlow, saveFlowFolder, setFlowStatus, validateFlow } from '../src/flows/flows.js';
import type { Problem } from '../src/problem.js';
import { listRuns } from '../src/flows/runs.js';
import { z } from 'zod';
import { apiKeySchema, auditEntrySchema, connectionSchema, dashboardSchema, deadLetterSchema, flowSchemaView, flowStatsSchema, problemSchema, RESPONSE_SCHEMAS, runPageSchema, runSchema } from '../src/api/responses.js';
import { erpAccessToken, startTestHub, STORES, type TestHub, until } from './helpers.js';

const flowFile = (name: string) => readFileSync(fileURLToPath(new URL(`../flows/${name}.yaml`, import.meta.url)), 'utf8');
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };
const actor = { name: 'test' };


async function problemOf(promise: Promise<unknown>): Promise<Problem> {
  try {
    await promise;
  } catch (error) {
    return error as Problem;
  }
  throw new Error('expected a refusal');
}

describe('flows end to end: the seeds\' two flows between the org and the demo ERP', () => {
  let org: TestOrg;
  let erp: RunningErp;
  let hub: TestHub;
  let integration: Connection;
  let erpToken: string;
  const erpApi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${erp.url}${path}`, { method, headers: { authorization: `Bearer ${erpToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  before(async () => {
    org = await startTestOrg(STORES[0]!);
    erp = await startErp({ dataDir: mkdtempSync(join(tmpdir(), 'hs-flow-erp-')), clients: [CLIENT], faults: true });
    hub = await startTestHub(STORES[0]!, { flows: { idleMs: 20 } });
    const key = await hub.key();
    const post = async (path: string, body: unknown) => {
      const res = await hub.api(key, 'POST', path, body);
      assert.ok(res.status < 300, `${path}: ${res.text}`);
    };
    await post('/api/v1/connections', { name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret } });
    await post('/api/v1/identity-providers', { name: 'ERP IdP', tokenUrl: erp.tokenUrl, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, params: [{ name: 'resource', value: erp.url, in: 'body' }, { name: 'scope', value: 'erp.read erp.write', in: 'body' }] });
    await post('/api/v1/external-credentials', { name: 'ERP OAuth', protocol: 'oauth2_client_credentials', identityProvider: 'ERP IdP', principals: [{ name: 'erp', grantedTo: ['flows', 'test'] }] });
    await post('/api/v1/named-credentials', { name: 'ERP', baseUrl: erp.url, externalCredential: 'ERP OAuth', principal: 'erp' });
    await registerExternalService(hub.ctx, actor, { name: 'DemoERP', namedCredential: 'ERP', specUrl: `${erp.url}/openapi.json` });
    await saveFlow(hub.ctx, actor, flowFile('erp-contact-to-lead'));
    await saveFlow(hub.ctx, actor, flowFile('crm-order-to-erp-sales-order'));
    integration = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
    erpToken = await erpAccessToken(erp, CLIENT);
  });
  after(async () => {
    await hub.close();
    await erp.close();
    await org.close();
  });

  it('ERP contacts become Leads (external id, company required, owner set), each exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await erpApi('POST', '/contacts', { email: `lead${i}@erp.test`, firstName: 'Erp', lastName: `Person ${i}`, ...(i % 3 ? { company: `Company ${i}` } : {}) });
      ids.push((res.body as { id: string }).id);
    }
    const leads = await until('30 leads', async () => {
      const res = await integration.query<{ ERP_Contact_Id__c: string; Company: string; OwnerId: string }>("SELECT ERP_Contact_Id__c, Company, OwnerId FROM Lead WHERE ERP_Contact_Id__c != null");
      return res.totalSize >= 30 && res.records;
    });
    assert.deepEqual(leads.map((l) => l.ERP_Contact_Id__c).sort(), [...ids].sort());
    assert.ok(leads.every((l) => l.Company && l.OwnerId), 'company filled (a default when the ERP has none), owner set');
    await erpApi('PATCH', `/contacts/${ids[0]}`, { lastName: 'Renamed' });
    await until('the lead to follow the contact', async () => (await integration.query<{ LastName: string }>(`SELECT LastName FROM Lead WHERE ERP_Contact_Id__c = '${ids[0]}'`)).records[0]?.LastName === 'Renamed');
    assert.equal((await integration.query('SELECT COUNT() FROM Lead WHERE ERP_Contact_Id__c != null')).totalSize, 30, 'an update is not a new lead');
    const runs = (await listRuns(hub.ctx, 'erp-contact-to-lead')).runs;
    assert.ok(runs.some((r) => r.status === 'success' && JSON.stringify(r.steps).includes('upsert-lead')));
  });

  it('CRM orders with items become ERP sales orders with lines, each exactly once', async () => {
    const account = await integration.sobject('Account').create({ Name: 'Flow Customer' });
    const orderIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const order = await integration.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-11-23', Status: 'Draft' });
      orderIds.push(order.id!);
      await integration.sobject('OrderItem').create([
        { OrderId: order.id!, Quantity: 2, UnitPrice: 10, Description: `Widget ${i}` },
        { OrderId: order.id!, Quantity: 1, UnitPrice: 5.5, Description: `Gadget ${i}` },
      ]);
    }
    for (const id of orderIds) {
      const orders = await until(`the sales order for ${id}`, async () => {
        const res = await erpApi('GET', `/sales-orders?externalRef=${id}`);
        return (res.body as unknown[]).length > 0 && (res.body as { lines: unknown[]; total: number; customer: string }[]);
      });
      assert.equal(orders.length, 1);
      assert.equal(orders[0]!.lines.length, 2);
      assert.equal(orders[0]!.total, 25.5);
      assert.equal(orders[0]!.customer, 'Flow Customer');
    }
    // Touch an order again: a new change, the same sales order.
    await integration.sobject('Order').update({ Id: orderIds[0]!, Status: 'Draft' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(((await erpApi('GET', `/sales-orders?externalRef=${orderIds[0]}`)).body as unknown[]).length, 1);
  });

  it('picks up an order committed late, with a stamp behind the cursor (the overlap window, read as Ids first)', async () => {
    const flow = await hub.ctx.db.selectFrom('flows').select('id').where('name', '=', 'crm-order-to-erp-sales-order').executeTakeFirstOrThrow();
    const account = await integration.sobject('Account').create({ Name: 'Late Customer' });
    const ahead = await integration.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-11-23', Status: 'Draft' });
    await integration.sobject('OrderItem').create({ OrderId: ahead.id!, Quantity: 1, UnitPrice: 1, Description: 'ahead' });
    await until('the order ahead to sync', async () => ((await erpApi('GET', `/sales-orders?externalRef=${ahead.id}`)).body as unknown[]).length > 0);
    await setFlowStatus(hub.ctx, actor, flow.id, 'paused');
    const cursor = JSON.parse((await hub.ctx.db.selectFrom('flow_cursors').select('cursor').where('flow_id', '=', flow.id).executeTakeFirstOrThrow()).cursor) as { stamp: string };
    const late = await integration.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-11-23', Status: 'Draft' });
    await integration.sobject('OrderItem').create({ OrderId: late.id!, Quantity: 3, UnitPrice: 1, Description: 'late' });
    // As a transaction that started before the cursor's record and committed after the poll read it.
    const behind = new Date(Date.parse(cursor.stamp) - 1000).toISOString();
    await org.data.db.updateTable('sobj_order' as never).set({ SystemModstamp: behind } as never).where('Id' as never, '=', late.id! as never).execute();
    await setFlowStatus(hub.ctx, actor, flow.id, 'active');
    const orders = await until('the late order to sync', async () => {
      const res = await erpApi('GET', `/sales-orders?externalRef=${late.id}`);
      return (res.body as unknown[]).length > 0 && (res.body as { lines: { quantity: number }[] }[]);
    });
    assert.equal(orders[0]!.lines[0]!.quantity, 3);
  });

  it('rides out 429s with Retry-After and 500s, then dead-letters what keeps failing and replays it', async () => {
    const fast = flowFile('erp-contact-to-lead').replace('conditions:', 'retry: { attempts: 3, initialDelay: 50ms, maxDelay: 200ms }\nconditions:');
    await saveFlow(hub.ctx, actor, fast);
    // The ERP throttles the feed for a while: the poller backs off and catches up.
    const contact = (await erpApi('POST', '/contacts', { email: 'late@erp.test', lastName: 'Late' })).body as { id: string };
    await fetch(`${erp.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'rate_limit', count: 3, retryAfterSeconds: 1 }) });
    await until('the throttled contact to arrive', async () => (await integration.query(`SELECT Id FROM Lead WHERE ERP_Contact_Id__c = '${contact.id}'`)).totalSize === 1);
    assert.equal(erp.faults!.injected, 3, 'the poller met every injected 429');
    // The ERP's order endpoint fails with 500s while an order syncs; the paused contact flow waits meanwhile.
    await setFlowStatus(hub.ctx, actor, 'erp-contact-to-lead', 'paused');
    const account = await integration.sobject('Account').create({ Name: 'Fault Customer' });
    const order = await integration.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-11-24', Status: 'Draft' });
    await fetch(`${erp.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'error', count: 2, method: 'POST', path: '/sales-orders' }) });
    await integration.sobject('OrderItem').create({ OrderId: order.id!, Quantity: 1, UnitPrice: 3, Description: 'Retry me' });
    await until('the order to arrive despite the 500s', async () => ((await erpApi('GET', `/sales-orders?externalRef=${order.id}`)).body as unknown[]).length === 1);
    const orderRuns = (await listRuns(hub.ctx, 'crm-order-to-erp-sales-order', { limit: 100 })).runs;
    assert.ok(orderRuns.some((r) => r.status === 'failed' && /HTTP 500/.test(String(r.error))), 'the failed attempts are recorded');
    await setFlowStatus(hub.ctx, actor, 'erp-contact-to-lead', 'active');
    // Salesforce refuses a lead (a first name over its 40 characters): dead-lettered at once (a 400 is no retry case), then replayed.
    const bad = (await erpApi('POST', '/contacts', { email: 'long@erp.test', firstName: 'F'.repeat(60), lastName: 'Long' })).body as { id: string };
    const dead = await until('a dead letter', async () => (await deadLetters(hub.ctx, 'erp-contact-to-lead')).find((d) => (d.payload as { id: string }).id === bad.id));
    assert.match(String(dead.error), /HTTP 400/);
    assert.equal(await replayDeadLetters(hub.ctx, actor, 'erp-contact-to-lead', [dead.id]), 1);
    await until('the replay to run', async () => (await deadLetters(hub.ctx, 'erp-contact-to-lead')).some((d) => d.id === dead.id && d.attempts === 1));
  });

  it('the hub API saves, validates and lists flows, their runs and dead letters, and publishes the flow schema', async () => {
    const key = await hub.key(['flows:read', 'flows:write']);
    const yaml = (method: string, path: string, text: string) => fetch(`${hub.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' }, body: text });
    const saved = await yaml('PUT', '/api/v1/flows', flowFile('erp-contact-to-lead'));
    assert.equal(saved.status, 200, await saved.clone().text());
    const refused = await yaml('POST', '/api/v1/flows/validate', flowFile('erp-contact-to-lead').replace('Email: { path: email }', 'Nope__c: { path: email }'));
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = (await refused.json()) as { errors: { path: string; message: string; line: number; column: number }[] };
    assert.equal(problem.errors[0]!.path, 'actions[0].mapping.Nope__c');
    const sent = flowFile('erp-contact-to-lead').replace('Email: { path: email }', 'Nope__c: { path: email }').split('\n');
    const nopeLine = sent.findIndex((l) => l.includes('Nope__c:')) + 1;
    assert.deepEqual([problem.errors[0]!.line, problem.errors[0]!.column], [nopeLine, sent[nopeLine - 1]!.indexOf('{') + 1]);
    // YAML sent with no content type, or with curl's default form type, is read as YAML.
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }]) {
      const res = await request(`${hub.url}/api/v1/flows/validate`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body: flowFile('erp-contact-to-lead') });
      assert.equal(res.statusCode, 200, `${JSON.stringify(headers)}: ${await res.body.text()}`);
    }
    const list = await hub.api(key, 'GET', '/api/v1/flows');
    assert.deepEqual((list.body.flows as { name: string }[]).map((f) => f.name), ['crm-order-to-erp-sales-order', 'erp-contact-to-lead']);
    const runs = await hub.api(key, 'GET', '/api/v1/flows/erp-contact-to-lead/runs?limit=5');
    assert.equal((runs.body.runs as unknown[]).length, 5);
    assert.equal((await hub.api(key, 'GET', '/api/v1/flows/erp-contact-to-lead/dead-letters')).status, 200);
    const schema = await hub.api(key, 'GET', '/api/v1/flows/schema.json');
    assert.ok((schema.body.required as string[]).includes('trigger'));
    // Readable definition names (never zod's __schema0), each trigger and action kind described.
    const defs = schema.body.$defs as Record<string, { description?: string }>;
    assert.deepEqual(Object.keys(defs).filter((name) => !/^[A-Z][A-Za-z]+$/.test(name)), []);
    for (const kind of ['SalesforceTrigger', 'FeedTrigger', 'ScheduleTrigger', 'WebhookTrigger', 'SalesforceRecordAction', 'ServiceAction', 'FieldMapping']) assert.ok(defs[kind]?.description, `${kind} is described`);
    assert.ok(JSON.stringify(schema.body.properties).includes('dead letter'), 'top-level keys are described');
    assert.equal((await hub.api(await hub.key(['connections:read']), 'PUT', '/api/v1/flows', {})).status, 403, 'flows need the flows:write scope');
  });

  it('draws the last hour: token requests per connection and runs per flow per minute (each run counted once), backlog and lag', async () => {
    const key = await hub.key(['flows:read']);
    const res = await hub.api(key, 'GET', '/api/v1/dashboard');
    assert.equal(res.status, 200, res.text);
    const parsed = dashboardSchema.safeParse(res.body);
    assert.ok(parsed.success, parsed.error?.message);
    const board = parsed.data!;
    assert.equal(board.runs[0]!.points.length, 60);
    const tokens = board.tokenRequests.find((c) => c.connection === 'Salesforce');
    assert.ok(tokens && tokens.points.reduce((n, p) => n + p.success, 0) >= 1, 'the Salesforce connection requested tokens');
    const from = board.runs[0]!.points[0]!.at;
    for (const flow of board.runs) {
      const drawn = flow.points.reduce((n, p) => n + p.success + p.skipped + p.failed + p.dead, 0);
      const stored = await hub.ctx.db.selectFrom('flow_runs').innerJoin('flows', 'flows.id', 'flow_runs.flow_id').select((eb) => eb.fn.countAll<number>().as('n')).where('flows.name', '=', flow.flow).where('flow_runs.started_at', '>=', from).executeTakeFirstOrThrow();
      assert.equal(drawn, Number(stored.n), `${flow.flow}: every run in the window, once`);
    }
    assert.ok(board.runs.some((f) => f.flow === 'erp-contact-to-lead'));
    assert.deepEqual(board.flows.map((f) => f.flow).sort(), ['crm-order-to-erp-sales-order', 'erp-contact-to-lead']);
  });

  it('offers templates (the seed flows and four more), each valid against the demo wiring', async () => {
    const key = await hub.key(['flows:read']);
    const templates = (await hub.api(key, 'GET', '/api/v1/flows/templates')).body.templates as { name: string; description: string; text: string }[];
    assert.ok(templates.length >= 5);
    for (const t of ['crm-order-to-erp-sales-order', 'erp-contact-to-lead']) assert.ok(templates.some((x) => x.name === t), t);
    for (const template of templates) {
      assert.ok(template.description, `${template.name} is described`);
      const res = await request(`${hub.url}/api/v1/flows/validate`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' }, body: template.text });
      assert.equal(res.statusCode, 200, `${template.name}: ${await res.body.text()}`);
      await res.body.dump();
    }
  });

  it('answers what the OpenAPI document\'s response schemas say (strict: an undocumented field fails)', async () => {
    const key = await hub.key(['connections:read', 'flows:read', 'audit:read', 'api-keys:manage']);
    const doc = (await hub.api(key, 'GET', '/api/v1/openapi.json')).body as { components: { schemas: Record<string, unknown> } };
    for (const schema of RESPONSE_SCHEMAS) assert.ok(doc.components.schemas[(z.globalRegistry.get(schema) as { id: string }).id], 'each response schema is published');
    const get = async (path: string) => {
      const res = await hub.api(key, 'GET', path);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      return res.body;
    };
    const check = (schema: z.ZodType, value: unknown, where: string) => {
      const parsed = schema.safeParse(value);
      assert.ok(parsed.success, `${where}: ${parsed.error?.message}`);
    };
    const connections = (await get('/api/v1/connections')).connections as { id: string }[];
    assert.ok(connections.length > 0);
    connections.forEach((c) => check(connectionSchema, c, 'GET /connections'));
    check(connectionSchema, (await get(`/api/v1/connections/${connections[0]!.id}`)).connection, 'GET /connections/{id}');
    for (const f of (await get('/api/v1/flows')).flows as unknown[]) check(flowSchemaView, f, 'GET /flows');
    check(flowSchemaView, (await get('/api/v1/flows/erp-contact-to-lead')).flow, 'GET /flows/{id}');
    const page = await get('/api/v1/flows/erp-contact-to-lead/runs?limit=3');
    check(runPageSchema, page, 'GET /flows/{id}/runs');
    const runId = (page.runs as { id: string }[])[0]!.id;
    check(runSchema, (await get(`/api/v1/flows/erp-contact-to-lead/runs/${runId}`)).run, 'GET /flows/{id}/runs/{runId}');
    check(flowStatsSchema, await get('/api/v1/flows/erp-contact-to-lead/stats'), 'GET /flows/{id}/stats');
    for (const d of (await get('/api/v1/flows/erp-contact-to-lead/dead-letters')).deadLetters as unknown[]) check(deadLetterSchema, d, 'GET /dead-letters');
    for (const k of (await get('/api/v1/api-keys')).apiKeys as unknown[]) check(apiKeySchema, k, 'GET /api-keys');
    const entries = (await get('/api/v1/audit?limit=20')).entries as unknown[];
    assert.ok(entries.length > 0);
    entries.forEach((e) => check(auditEntrySchema, e, 'GET /audit'));
    const refused = await hub.api(key, 'GET', '/api/v1/audit?limit=0');
    assert.equal(refused.status, 400);
    check(problemSchema, refused.body, 'a 400');
  });

  it('abandons a call that does not answer within the action\'s timeout and retries it', async () => {
    await setFlowStatus(hub.ctx, actor, 'erp-contact-to-lead', 'paused');
    const impatient = flowFile('crm-order-to-erp-sales-order')
      .replace('    operation: createSalesOrder', '    operation: createSalesOrder\n    timeout: 300ms')
      .replace('conditions:', 'retry: { attempts: 5, initialDelay: 50ms, maxDelay: 200ms }\nconditions:');
    await saveFlow(hub.ctx, actor, impatient);
    // The ERP holds the next two order calls for 5 s each: far past the flow's 300 ms.
    await fetch(`${erp.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'timeout', count: 2, delayMs: 5000, method: 'POST', path: '/sales-orders' }) });
    const account = await integration.sobject('Account').create({ Name: 'Slow Customer' });
    const order = await integration.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-11-25', Status: 'Draft' });
    const started = Date.now();
    await integration.sobject('OrderItem').create({ OrderId: order.id!, Quantity: 1, UnitPrice: 7, Description: 'Patience' });
    await until('the order to arrive despite the hanging ERP', async () => ((await erpApi('GET', `/sales-orders?externalRef=${order.id}`)).body as unknown[]).length === 1);
    assert.ok(Date.now() - started < 5000, 'the hub did not wait for the hanging calls');
    const runs = (await listRuns(hub.ctx, 'crm-order-to-erp-sales-order', { limit: 20 })).runs;
    assert.equal(runs.filter((r) => r.status === 'failed' && /timed out after 300 ms/.test(String(r.error))).length, 2, 'each abandoned call is a recorded, retried attempt');
    await saveFlow(hub.ctx, actor, flowFile('crm-order-to-erp-sales-order'));
    await setFlowStatus(hub.ctx, actor, 'erp-contact-to-lead', 'active');
  });

  it('reads Sforce-Limit-Info and polls Salesforce ten times less often above 90% of the daily allowance', async () => {
    await saveFlow(hub.ctx, actor, `name: watch-quiet-leads
trigger: { type: salesforce, connection: Salesforce, object: Lead, fields: [LastName], where: "LastName = 'Nobody Ever'", interval: 100ms }
actions:
  - name: touch
    type: salesforce.update
    connection: Salesforce
    object: Lead
    mapping: { Id: { path: Id }, Company: { const: Seen Co } }
`);
    const usage = org.data.usage;
    const requestsOver = async (ms: number) => {
      const before = usage.current().used;
      await new Promise((r) => setTimeout(r, ms));
      return usage.current().used - before;
    };
    await new Promise((r) => setTimeout(r, 500));
    const normal = await requestsOver(2000);
    assert.ok(normal >= 10, `polling every 100 ms: ${normal} requests in 2 s`);
    const max = usage.max;
    try {
      // 92% of the allowance spent: the next answer's Sforce-Limit-Info says so.
      usage.max = Math.ceil(usage.current().used / 0.92);
      await new Promise((r) => setTimeout(r, 500));
      const slowed = await requestsOver(2000);
      assert.ok(slowed * 4 <= normal, `near the limit: ${slowed} requests in 2 s (vs ${normal})`);
    } finally {
      usage.max = max;
    }
    await setFlowStatus(hub.ctx, actor, 'watch-quiet-leads', 'paused');
  });

  it('schedule triggers fire once per tick, and webhooks queue one event per delivery', async () => {
    const upsert = (extra: string) => `
actions:
  - name: upsert-lead
    type: salesforce.upsert
    connection: Salesforce
    object: Lead
    externalIdField: ERP_Contact_Id__c
    mapping:
${extra}`;
    await saveFlow(hub.ctx, actor, `name: ticking\ntrigger: { type: schedule, cron: "* * * * * *" }${upsert(`      ERP_Contact_Id__c: { template: "tick-{firedAt}" }
      LastName: { const: Tick }
      Company: { const: Clock Co }`)}`);
    const ticks = await until('three ticks', async () => ((await listRuns(hub.ctx, 'ticking', { limit: 50 })).runs).filter((r) => r.status === 'success').length >= 3 && true);
    assert.ok(ticks);
    await setFlowStatus(hub.ctx, actor, 'ticking', 'paused');
    const leads = await integration.query<{ ERP_Contact_Id__c: string }>("SELECT ERP_Contact_Id__c FROM Lead WHERE ERP_Contact_Id__c LIKE 'tick-%'");
    assert.equal(new Set(leads.records.map((l) => l.ERP_Contact_Id__c)).size, leads.totalSize, 'one lead per tick');

    await saveFlow(hub.ctx, actor, `name: hooked\ntrigger: { type: webhook, idPath: ref }${upsert(`      ERP_Contact_Id__c: { path: ref }
      LastName: { path: name }
      Company: { const: Hook Co }`)}`);
    const key = await hub.key(['flows:trigger']);
    const deliver = (body: unknown, headers: Record<string, string> = {}) => fetch(`${hub.url}/api/v1/hooks/hooked`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const first = await deliver({ ref: 'HOOK-1', name: 'Hooked' });
    assert.equal(first.status, 202);
    const again = await deliver({ ref: 'HOOK-1', name: 'Hooked' });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate: boolean }).duplicate, true, 'a redelivered webhook is the same event');
    await until('the hooked lead', async () => (await integration.query("SELECT Id FROM Lead WHERE ERP_Contact_Id__c = 'HOOK-1'")).totalSize === 1);
    assert.equal((await deliver('not an object')).status, 400);
    assert.equal((await fetch(`${hub.url}/api/v1/hooks/hooked`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
    const wrongFlow = await fetch(`${hub.url}/api/v1/hooks/erp-contact-to-lead`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(wrongFlow.status, 409);
  });

  it('chains actions: a query finds the account, sObject Collections create its contacts', async () => {
    const account = await integration.sobject('Account').create({ Name: 'Chain Co' });
    await saveFlow(hub.ctx, actor, `name: chained
trigger: { type: webhook, idPath: ref }
actions:
  - name: findAccount
    type: salesforce.query
    connection: Salesforce
    soql: "SELECT Id FROM Account WHERE Name = {company} LIMIT 1"
  - name: contacts
    type: salesforce.collections
    connection: Salesforce
    object: Contact
    operation: create
    records:
      each: "people.{ 'last': name, 'account': $$._steps.findAccount[0].Id }"
      mapping:
        LastName: { path: last }
        AccountId: { path: account }
`);
    const key = await hub.key(['flows:trigger']);
    const res = await fetch(`${hub.url}/api/v1/hooks/chained`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ref: 'CHAIN-1', company: "Chain Co", people: [{ name: 'Ann Chain' }, { name: 'Bob Chain' }] }) });
    assert.equal(res.status, 202);
    const contacts = await until('the chained contacts', async () => {
      const found = await integration.query<{ LastName: string; AccountId: string }>("SELECT LastName, AccountId FROM Contact WHERE LastName LIKE '% Chain' ORDER BY LastName");
      return found.totalSize === 2 && found.records;
    });
    assert.deepEqual(contacts.map((c) => [c.LastName, c.AccountId]), [['Ann Chain', account.id], ['Bob Chain', account.id]]);
    const bad = await problemOf(validateFlow(hub.ctx, `name: chained-bad
trigger: { type: webhook }
actions:
  - name: contacts
    type: salesforce.collections
    connection: Salesforce
    object: Contact
    operation: create
    records: { each: people, mapping: { Industry: { path: x } } }
`));
    assert.match(JSON.stringify(bad.errors), /actions\[0\]\.records\.mapping\.Industry.*unknown field Industry on Contact/);
  });

  it('prunes finished history past the retention and keeps pending work and dead letters', async () => {
    const { db } = hub.ctx;
    // Nothing runs meanwhile: the counts below must not move between reading and pruning.
    const statuses = await db.selectFrom('flows').select(['id', 'status']).execute();
    await db.updateTable('flows').set({ status: 'paused', updated_at: Date.now() }).execute();
    await new Promise((r) => setTimeout(r, 1000));
    const count = async (table: 'flow_runs' | 'flow_events', status?: string) => Number((await (status ? db.selectFrom(table).where('status', '=', status) : db.selectFrom(table)).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const [runs, done, dead] = [await count('flow_runs'), await count('flow_events', 'done'), await count('flow_events', 'dead')];
    assert.ok(runs > 0 && done > 0 && dead > 0, 'earlier tests left runs, done events and a dead letter');
    const parked = pendingEvent((await db.selectFrom('flows').select('id').where('name', '=', 'watch-quiet-leads').executeTakeFirstOrThrow()).id, 'parked', {}, 0);
    await db.insertInto('flow_events').values(parked).execute();
    // Nothing is older than a cutoff in the past; everything finished is older than one in the future.
    assert.deepEqual(await pruneFlowHistory(db, 0), { runs: 0, events: 0 });
    assert.deepEqual(await pruneFlowHistory(db, Date.now() + 1000), { runs, events: done });
    assert.equal(await count('flow_runs'), 0);
    assert.equal(await count('flow_events', 'done'), 0);
    assert.equal(await count('flow_events', 'dead'), dead, 'dead letters stay until replayed');
    assert.equal((await db.selectFrom('flow_events').select('status').where('id', '=', parked.id).executeTakeFirst())?.status, 'pending', 'pending work stays');
    await db.deleteFrom('flow_events').where('id', '=', parked.id).execute();
    for (const { id, status } of statuses) await db.updateTable('flows').set({ status, updated_at: Date.now() }).where('id', '=', id).execute();
  });

  it('refuses bad flows at save time with their line and path', async () => {
    const bad = async (text: string, expected: RegExp) => {
      const problem = await problemOf(validateFlow(hub.ctx, text));
      assert.equal(problem.status, 400);
      assert.match(JSON.stringify(problem.errors), expected);
    };
    const lead = flowFile('erp-contact-to-lead');
    await bad('name: x\ntrigger: [unclosed', /invalid YAML/);
    await bad(lead.replace('connection: Salesforce', 'connection: Nowhere'), /unknown connection \\"Nowhere\\"/);
    await bad(lead.replace('Email: { path: email }', 'Bogus__c: { path: email }'), /unknown field Bogus__c on Lead/);
    await bad(lead.replace('Email: { path: email }', 'Industry: { path: email }'), /"path":"actions\[0\]\.mapping\.Industry","line":\d+,"column":\d+,"message":"[^"]*field-level security/);
    await bad(lead.replace('Email: { path: email }', 'Name: { path: email }'), /Lead\.Name is not writable/);
    await bad(lead.replace('Email: { path: email }', 'Status: { const: true }'), /maps true into Status/);
    await bad(lead.replace('Email: { path: email }', 'Status: { const: Bogus }'), /\\"Bogus\\" is not a value of the restricted picklist Status; its values: /);
    await bad(lead.replace('Company: { expr: "company ? company : \'Unknown (from ERP)\'" }', `Company: { const: ${'x'.repeat(300)} }`), /the text for Company is 300 characters; the field holds 255/);
    await bad(lead.replace('LastName: { path: lastName }', 'Email2: { path: lastName }').replace('Email: { path: email }', 'Email: { path: email }'), /required fields of Lead are not mapped: LastName/);
    await bad(lead.replace('path: id', 'path: "id +"'), /not a valid JSONata expression/);
    await bad(flowFile('crm-order-to-erp-sales-order').replace('customer: { path: Account.Name }', 'customer: { const: 5 }'), /maps a number into customer/);
    await bad(flowFile('crm-order-to-erp-sales-order').replace('operation: createSalesOrder', 'operation: launchRocket'), /has no operation launchRocket/);
    await bad('name: bad-cron\ntrigger: { type: schedule, cron: "every tuesday" }\nactions: []', /trigger\.cron.*cron expression/);
    // A misspelt key is reported on its own line, with the key it was probably meant to be.
    const misspelt = await problemOf(validateFlow(hub.ctx, '# a comment\nname: typo\n\ntriger: { type: webhook }\nactions: []\n'));
    const typo = misspelt.errors.find((e) => e.path === 'triger');
    assert.ok(typo, JSON.stringify(misspelt.errors));
    assert.deepEqual([typo.line, typo.column], [4, 1]);
    assert.match(typo.message, /unknown key "triger" \(did you mean trigger\?\)/);
    await bad(lead.replace('Email: { path: email }', 'Emial: { path: email }'), /unknown field Emial on Lead \(did you mean Email\?\)/);
    await bad(lead.replace('connection: Salesforce', 'connection: Salesfroce'), /unknown connection \\"Salesfroce\\" \(did you mean Salesforce\?\)/);
    const folder = mkdtempSync(join(tmpdir(), 'hs-flow-folder-'));
    writeFileSync(join(folder, 'a-good.yaml'), flowFile('erp-contact-to-lead'));
    writeFileSync(join(folder, 'b-bad.yaml'), flowFile('erp-contact-to-lead').replace('name: erp-contact-to-lead', 'name: other-flow').replace('Email: { path: email }', 'Nope__c: { path: email }'));
    writeFileSync(join(folder, 'notes.txt'), 'not a flow');
    const results = await saveFlowFolder(hub.ctx, actor, folder);
    assert.deepEqual(results.map((r) => [r.file, r.flow ?? null]), [['a-good.yaml', 'erp-contact-to-lead'], ['b-bad.yaml', null]]);
    assert.match(String(results[1]!.error), /\d+:\d+ actions\[0\]\.mapping\.Nope__c: unknown field/);
    const broken = await problemOf(registerExternalService(hub.ctx, actor, { name: 'Broken', namedCredential: 'ERP', spec: { openapi: '3.0.3', info: { title: 'x' }, paths: { '/a': { get: { operationId: 'a' } } } } }));
    assert.equal(broken.status, 400);
    assert.ok(broken.errors.length > 0, 'the validator\'s reasons are listed');
  });
});
