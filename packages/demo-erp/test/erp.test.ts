import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { validate } from '@readme/openapi-parser';
import { PDFDocument } from 'pdf-lib';
import { Readable } from 'node:stream';
import { putDocument } from '../src/documents/documents.js';
import { ErpProblem } from '../src/problem.js';
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
    let dataDir: string;
    before(async () => {
      const options = store.options();
      dataDir = options.dataDir;
      erp = await startErp({ ...options, clients: [CLIENT], faults: true });
      bearer = (await token(erp)).token!;
    });
    after(async () => {
      await erp.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

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

    it('feeds new invoices after a cursor, each once, with the invoiced order\'s externalRef', async () => {
      const start = (await api('GET', '/invoices/changes?limit=1000')).body;
      const made = [];
      for (const ref of ['801A', null, '801B']) {
        const order = (await api('POST', '/sales-orders', { customer: 'Feed Co', orderDate: '2026-12-03', ...(ref ? { externalRef: `${ref}-${randomBytes(4).toString('hex')}` } : {}), lines: [{ product: 'x', quantity: 1, unitPrice: 1 }] })).body;
        made.push({ invoice: (await api('POST', `/sales-orders/${order.id}/invoice`)).body, externalRef: order.externalRef });
      }
      const seen = [];
      let cursor = start.nextCursor;
      for (;;) {
        const page = (await api('GET', `/invoices/changes?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      assert.deepEqual(seen.map((i: { id: string }) => i.id), made.map((m) => m.invoice.id));
      assert.deepEqual(seen.map((i: { orderExternalRef: string | null }) => i.orderExternalRef), made.map((m) => m.externalRef));
      assert.deepEqual((await api('GET', `/invoices/changes?cursor=${cursor}`)).body.items, [], 'nothing is read twice');
      // Invoicing again is not a new invoice, so not a new item in the feed.
      await api('POST', `/sales-orders/${made[0]!.invoice.orderId}/invoice`);
      assert.deepEqual((await api('GET', `/invoices/changes?cursor=${cursor}`)).body.items, []);
      const bad = await api('GET', '/invoices/changes?cursor=not-a-cursor');
      assert.deepEqual([bad.status, bad.body.detail], [400, 'cursor is not a cursor this feed returned']);
    });

    it('stores documents under an order, by id or eid:externalRef, streamed to disk and hashed', async () => {
      const ref = `801D-${randomBytes(4).toString('hex')}`;
      const order = (await api('POST', '/sales-orders', { customer: 'Doc Co', externalRef: ref, orderDate: '2026-12-03', lines: [{ product: 'x', quantity: 1, unitPrice: 1 }] })).body;
      const put = (path: string, body: Buffer | string | undefined, type = 'application/pdf', extra: Record<string, string> = {}) =>
        fetch(`${erp.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${bearer}`, ...(type ? { 'content-type': type } : {}), ...extra }, ...(body !== undefined ? { body, duplex: 'half' } : {}) } as RequestInit);
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const stored = await put(`/sales-orders/eid:${ref}/documents/Contract%20(signed).pdf`, bytes);
      assert.equal(stored.status, 201);
      const document = await stored.json() as { orderId: string; name: string; size: number; sha256: string; contentType: string };
      assert.deepEqual([document.orderId, document.name, document.size, document.contentType], [order.id, 'Contract (signed).pdf', bytes.length, 'application/pdf']);
      assert.equal(document.sha256, createHash('sha256').update(bytes).digest('hex'));
      const read = await api('GET', `/sales-orders/${order.id}/documents/Contract%20(signed).pdf`);
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('content-type'), 'application/pdf');
      assert.ok((read.body as Buffer).equals(bytes), 'the bytes read back are the bytes stored');
      // Putting the name again replaces the document: one document, the new bytes, and the old file is gone.
      const replaced = await put(`/sales-orders/${order.id}/documents/Contract%20(signed).pdf`, 'v2', 'text/plain');
      assert.equal(replaced.status, 200);
      const list = (await api('GET', `/sales-orders/eid:${ref}/documents`)).body as { name: string; size: number; contentType: string }[];
      assert.deepEqual(list.map((d) => [d.name, d.size, d.contentType]), [['Contract (signed).pdf', 2, 'text/plain']]);
      assert.equal(readdirSync(join(dataDir, 'documents')).length, 1, 'the replaced bytes were removed');

      // Bad names (a path, a dot file, CR/LF), a type that is not a document, no body, an unknown order, no write scope.
      for (const name of ['..%2F..%2Fetc%2Fpasswd', '.hidden', 'a%0D%0Ab.pdf', 'x'.repeat(201)]) {
        const bad = await put(`/sales-orders/${order.id}/documents/${name}`, 'x');
        assert.equal(bad.status, 400, name);
        assert.match(((await bad.json()) as { detail: string }).detail, /is not allowed/);
      }
      const html = await put(`/sales-orders/${order.id}/documents/page.html`, '<p>', 'text/html');
      assert.equal(html.status, 415);
      assert.match(((await html.json()) as { detail: string }).detail, /this one is text\/html/);
      assert.equal((await put(`/sales-orders/${order.id}/documents/empty.pdf`, undefined, '')).status, 400);
      assert.equal((await put('/sales-orders/eid:nope/documents/a.pdf', 'x')).status, 404);
      const anonymous = await fetch(`${erp.url}/sales-orders/${order.id}/documents/a.pdf`, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: 'x' });
      assert.equal(anonymous.status, 401);
      assert.equal((await api('GET', `/sales-orders/${order.id}/documents`)).body.length, 1, 'nothing refused was stored');

      // Over the size limit (200 MB on the API; 1 KB here): 413 once the limit is passed, and the partial file is removed.
      const tooBig = await putDocument(erp.store.db, join(dataDir, 'documents'), order.id, 'big.pdf', 'application/pdf', Readable.from([randomBytes(600), randomBytes(600)]), 1024).catch((error: unknown) => error);
      assert.ok(tooBig instanceof ErpProblem);
      assert.deepEqual([tooBig.status, tooBig.detail], [413, 'the document is over 1024 bytes']);
      assert.equal(readdirSync(join(dataDir, 'documents')).length, 1, 'the partial file was removed');
      assert.equal((await api('GET', `/sales-orders/${order.id}/documents`)).body.length, 1);
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
