import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { validate } from '@readme/openapi-parser';
import { PDFDocument } from 'pdf-lib';
import { startErp, type RunningErp } from '../src/start.js';

const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STORES = [
  { name: 'sqlite', options: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-erp-')) }) },
  { name: 'postgres', options: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-erp-pg-')), databaseUrl: TEST_DATABASE_URL, databaseSchema: `erp_${randomBytes(6).toString('hex')}` }) },
];

/** A token from the ERP's IdP with a real OAuth client (oauth4webapi), for the given resource. */
async function token(erp: RunningErp, resource: string | null = erp.url): Promise<{ token?: string; error?: string }> {
  const as = await oauth.processDiscoveryResponse(new URL(erp.issuer), await oauth.discoveryRequest(new URL(erp.issuer), { [oauth.allowInsecureRequests]: true }));
  const client = { client_id: CLIENT.clientId };
  const params = new URLSearchParams({ scope: 'erp.read erp.write', ...(resource !== null ? { resource } : {}) });
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(CLIENT.clientSecret), params, { [oauth.allowInsecureRequests]: true });
  try {
    return { token: (await oauth.processClientCredentialsResponse(as, client, response)).access_token };
  } catch (error) {
    return { error: (error as { error?: string }).error ?? (error as Error).message };
  }
}

for (const store of STORES) {
  describe(`demo ERP (${store.name})`, () => {
    let erp: RunningErp;
    let bearer: string;
    const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${erp.url}${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const type = res.headers.get('content-type') ?? '';
      // Tests read whatever shape the endpoint answers; the assertions are the type check.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const parsed: any = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, body: parsed };
    };
    before(async () => {
      erp = await startErp({ ...store.options(), clients: [CLIENT], faults: true });
      bearer = (await token(erp)).token!;
    });
    after(() => erp.close());

    it('serves a valid OpenAPI 3 spec whose security scheme points at its IdP', async () => {
      const spec = (await (await fetch(`${erp.url}/openapi.json`)).json()) as { components: { securitySchemes: { clientCredentials: { flows: { clientCredentials: { tokenUrl: string } } } } }; servers: { url: string }[] };
      const result = await validate(structuredClone(spec) as never);
      assert.equal(result.valid, true, JSON.stringify(result));
      assert.equal(spec.components.securitySchemes.clientCredentials.flows.clientCredentials.tokenUrl, erp.tokenUrl);
      assert.equal(spec.servers[0]!.url, erp.url);
    });

    it('issues tokens only for its own audience, and the API accepts only those', async () => {
      assert.equal((await token(erp, null)).error, 'invalid_target', 'a token request must name the resource');
      assert.equal((await token(erp, 'https://other.example/api')).error, 'invalid_target');
      const [header, payload] = bearer.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      assert.equal(header.alg, 'RS256');
      assert.equal(payload.aud, erp.url);
      assert.equal((await fetch(`${erp.url}/contacts/changes`)).status, 401);
      const forged = `${bearer.slice(0, -4)}AAAA`;
      assert.equal((await fetch(`${erp.url}/contacts/changes`, { headers: { authorization: `Bearer ${forged}` } })).status, 401);
    });

    it('keeps a contact change feed that a cursor follows without gaps or repeats', async () => {
      const created: { id: string; updatedAt: string }[] = [];
      for (let i = 0; i < 25; i++) created.push((await api('POST', '/contacts', { email: `c${i}@erp.test`, lastName: `Contact ${i}`, company: 'Erp Co' })).body);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await api('GET', `/contacts/changes?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        seen.push(...page.body.items.map((c: { id: string }) => c.id));
        cursor = page.body.nextCursor;
        if (!page.body.hasMore) break;
      }
      assert.deepEqual(seen.slice(-25), created.map((c) => c.id));
      await api('PATCH', `/contacts/${created[3]!.id}`, { phone: '555' });
      const after = await api('GET', `/contacts/changes?cursor=${cursor}`);
      assert.deepEqual(after.body.items.map((c: { id: string; phone: string }) => [c.id, c.phone]), [[created[3]!.id, '555']], 'an update appears once more, after the cursor');
      const since = await api('GET', `/contacts/changes?updatedSince=${encodeURIComponent(created[20]!.updatedAt)}`);
      assert.ok(since.body.items.length >= 5);
      const bad = await api('POST', '/contacts', { email: 'not-an-email', lastName: '' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.status, 400);
      assert.ok(bad.body.errors.some((e: { path: string }) => e.path === 'body.email'));
      assert.equal((await api('GET', '/contacts/changes?cursor=%%%')).status, 400);
    });

    it('creates sales orders with lines exactly once per externalRef or Idempotency-Key, and in batches', async () => {
      const order = { customer: 'Acme', externalRef: 'CRM-801-1', orderDate: '2026-11-23', lines: [{ product: 'Widget', quantity: 3, unitPrice: 9.99 }, { product: 'Gadget', quantity: 1, unitPrice: 100 }] };
      const first = await api('POST', '/sales-orders', order);
      assert.equal(first.status, 201);
      assert.equal(first.body.total, 129.97);
      assert.deepEqual(first.body.lines.map((l: { product: string }) => l.product), ['Widget', 'Gadget']);
      const again = await api('POST', '/sales-orders', order);
      assert.deepEqual([again.status, again.body.id], [200, first.body.id], 'the same externalRef gives the same order');
      const keyed = { customer: 'Beta', orderDate: '2026-11-23', lines: [{ product: 'Bolt', quantity: 10, unitPrice: 0.5 }] };
      const k1 = await api('POST', '/sales-orders', keyed, { 'idempotency-key': 'key-1' });
      const k2 = await api('POST', '/sales-orders', keyed, { 'idempotency-key': 'key-1' });
      assert.equal(k2.body.id, k1.body.id);
      assert.equal(k2.headers.get('idempotent-replayed'), 'true');
      assert.equal((await api('POST', '/sales-orders', { ...keyed, customer: 'Other' }, { 'idempotency-key': 'key-1' })).status, 422);
      const batch = await api('POST', '/sales-orders/batch', { orders: Array.from({ length: 50 }, (_, i) => ({ ...order, externalRef: `B-${i % 40}` })) });
      assert.equal(batch.body.filter((r: { created: boolean }) => r.created).length, 40, 'repeated references inside a batch create one order each');
      assert.equal((await api('GET', '/sales-orders?externalRef=B-7')).body.length, 1);
      assert.equal(batch.body[45].order.id, batch.body[5].order.id, 'the repeat answers with the first order');
      const mixed = await api('POST', '/sales-orders/batch', { orders: [{ ...order, externalRef: 'B-1' }, { ...order, customer: '', externalRef: 'B-bad' }, { ...order, externalRef: 'B-new' }] });
      assert.equal(mixed.status, 200);
      assert.deepEqual(mixed.body.map((r: { created?: boolean; error?: unknown }) => r.error ? 'error' : r.created), [false, 'error', true], 'an invalid order is refused alone');
      assert.match(mixed.body[1].error.detail, /orders\.1\.customer/);
      const stored = (await api('GET', '/sales-orders?externalRef=B-new')).body[0];
      assert.deepEqual(stored, mixed.body[2].order, 'a batch answers what it stored');
      assert.equal((await api('POST', '/sales-orders/batch', { orders: Array.from({ length: 201 }, () => order) })).status, 400);
      assert.equal((await api('POST', '/sales-orders', { ...order, lines: [] })).status, 400);
    });

    it('invoices an order once and serves the invoice as a PDF', async () => {
      const order = (await api('POST', '/sales-orders', { customer: 'Pdf Co', orderDate: '2026-11-23', lines: [{ product: 'Paper', quantity: 2, unitPrice: 4.25 }] })).body;
      const invoice = await api('POST', `/sales-orders/${order.id}/invoice`);
      assert.equal(invoice.status, 201);
      assert.equal(invoice.body.amount, 8.5);
      assert.equal((await api('POST', `/sales-orders/${order.id}/invoice`)).body.id, invoice.body.id);
      const pdf = await api('GET', `/invoices/${invoice.body.id}/pdf`);
      assert.equal(pdf.headers.get('content-type'), 'application/pdf');
      assert.equal((pdf.body as Buffer).subarray(0, 5).toString(), '%PDF-');
      const parsed = await PDFDocument.load(pdf.body as Buffer);
      assert.equal(parsed.getTitle(), `Invoice ${invoice.body.number}`);
      assert.equal(parsed.getPageCount(), 1);
      assert.equal((await api('GET', '/invoices/INV-nope/pdf')).status, 404);
    });

    it('injects faults on request: 500s, 429 with Retry-After, timeouts', async () => {
      await fetch(`${erp.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'rate_limit', count: 2, retryAfterSeconds: 3 }) });
      const limited = await api('GET', '/contacts/changes');
      assert.deepEqual([limited.status, limited.headers.get('retry-after')], [429, '3']);
      assert.equal((await api('GET', '/contacts/changes')).status, 429);
      assert.equal((await api('GET', '/contacts/changes')).status, 200);
      await fetch(`${erp.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'error', count: 1 }) });
      assert.equal((await api('GET', '/contacts/changes')).status, 500);
      await fetch(`${erp.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'timeout', count: 1, delayMs: 300 }) });
      const started = Date.now();
      assert.equal((await api('GET', '/contacts/changes')).status, 504);
      assert.ok(Date.now() - started >= 300);
    });
  });
}
