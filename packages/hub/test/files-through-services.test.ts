import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { registerExternalService } from '../src/flows/external-services.js';
import { saveFlow } from '../src/flows/flows.js';
import { listRuns } from '../src/flows/runs.js';
import { digestOf, fileBytes, MB } from './file-bytes.js';
import { STORES, startTestHub, until, type TestHub } from './helpers.js';

const actor = { name: 'file test' };
interface Received { name: string; type: string; size: number; sha256: string; idempotencyKey: string }

/**
 * A document store answering GET /files/{size} with a PDF of that many bytes (or, for /files/html-…,
 * an HTML page), and taking PUT /files/{name}, hashed as it arrives (never held whole).
 */
async function startFileServer(): Promise<{ url: string; received: Received[]; close(): void }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/forms/')) {
      // A form upload: parsed as a form (undici's parser), the file part hashed.
      void (async () => {
        const form = await new Response(Readable.toWeb(req) as ReadableStream, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
        const file = form.get('document') as File;
        const bytes = Buffer.from(await file.arrayBuffer());
        received.push({ name: `${decodeURIComponent(req.url!.slice('/forms/'.length))}:${file.name}`, type: file.type, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), idempotencyKey: String(req.headers['idempotency-key']) });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ fields: [...form.keys()] }));
      })().catch(() => res.writeHead(400).end());
      return;
    }
    if (req.method === 'PUT') {
      const hash = createHash('sha256');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        received.push({ name: decodeURIComponent(req.url!.slice('/files/'.length)), type: String(req.headers['content-type']), size, sha256: hash.digest('hex'), idempotencyKey: String(req.headers['idempotency-key']) });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: size }));
      });
      return;
    }
    const match = /^\/files\/(html-)?(\d+)$/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end();
    const size = Number(match[2]);
    res.writeHead(200, { 'content-type': match[1] ? 'text/html' : 'application/pdf', 'content-length': String(size) });
    const chunks = fileBytes(size);
    const pump = () => {
      for (let next = chunks.next(); !next.done; next = chunks.next()) if (!res.write(next.value)) return void res.once('drain', pump);
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => server.close() };
}

const SPEC = {
  openapi: '3.0.3', info: { title: 'Documents', version: '1' },
  paths: {
    '/forms/{name}': {
      post: { operationId: 'postForm', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { document: { type: 'string', format: 'binary' } } } } } }, responses: { 201: { description: 'Stored', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
    '/files/{name}': {
      get: { operationId: 'getFile', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'The file', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } } } },
      put: { operationId: 'putFile', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], requestBody: { required: true, content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } }, responses: { 201: { description: 'Stored', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
  },
};

for (const store of STORES) {
  describe(`files through External Services: an external file into a ContentVersion, streamed (${store.name})`, () => {
    let org: TestOrg;
    let files: Awaited<ReturnType<typeof startFileServer>>;
    let hub: TestHub;
    let sf: Connection;
    let hookKey: string;
    let accountId: string;

    before(async () => {
      org = await startTestOrg(STORES[0]!);
      files = await startFileServer();
      hub = await startTestHub(store);
      const admin = await hub.key();
      const post = async (path: string, body: unknown) => assert.ok((await hub.api(admin, 'POST', path, body)).status < 300, path);
      // The admin's app: the files go onto an account the admin owns.
      await post('/api/v1/connections', { name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.Admin_Tools! } });
      await post('/api/v1/external-credentials', { name: 'Documents Key', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: 'documents-secret' }], principals: [{ name: 'p', grantedTo: ['flows', 'test'] }] });
      await post('/api/v1/named-credentials', { name: 'DocumentsApi', baseUrl: files.url, externalCredential: 'Documents Key', principal: 'p' });
      await registerExternalService(hub.ctx, actor, { name: 'Documents', namedCredential: 'DocumentsApi', spec: SPEC });
      const saved = await saveFlow(hub.ctx, actor, `name: attach
trigger: { type: webhook, idPath: file }
actions:
  - name: download
    type: file.download
    service: Documents
    operation: getFile
    params: { name: { path: file } }
    connection: Salesforce
    timeout: 30s
    file:
      title: { template: "Invoice {file}" }
      pathOnClient: { template: "invoice-{file}.pdf" }
      linkTo: { path: account }
`);
      assert.ok(saved.warnings.some((w) => /creates a new ContentVersion each time/.test(w.message)), 'the save warns that a retry can attach twice');
      await saveFlow(hub.ctx, actor, `name: send
trigger: { type: webhook, idPath: version }
actions:
  - name: upload
    type: file.upload
    connection: Salesforce
    contentVersionId: { path: version }
    service: Documents
    operation: putFile
    params: { name: { template: "copy-{version}.pdf" } }
    timeout: 30s
`);
      await saveFlow(hub.ctx, actor, `name: send-form
trigger: { type: webhook, idPath: version }
actions:
  - name: upload
    type: file.upload
    connection: Salesforce
    contentVersionId: { path: version }
    service: Documents
    operation: postForm
    params: { name: { const: "order-1" } }
`);
      hookKey = await hub.key(['flows:trigger']);
      sf = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'Admin_Tools'), version: '62.0' });
      accountId = (await sf.sobject('Account').create({ Name: `Files ${store.name}` })).id!;
    });
    after(async () => {
      await hub.close();
      await org.close();
      files.close();
    });

    const hook = async (flow: string, body: unknown) => {
      const res = await fetch(`${hub.url}/api/v1/hooks/${flow}`, { method: 'POST', headers: { authorization: `Bearer ${hookKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 202, await res.text());
    };
    const deliver = (file: string) => hook('attach', { file, account: accountId });
    let versionId: string;
    let sent: number;
    const runOf = (file: string) => until(`the run for ${file}`, async () => (await listRuns(hub.ctx, 'attach', { record: file })).runs.find((r) => r.status !== 'failed' || r.attempt > 1) ?? false, 120_000, 100);

    it('a 100 MB file arrives whole as a ContentVersion on the account, read back with jsforce, with flat memory', async (t) => {
      const size = store.name === 'sqlite' ? 100 * MB : 5 * MB;
      let peak = process.memoryUsage().rss;
      const base = peak;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
      try {
        await deliver(String(size));
        const run = await runOf(String(size));
        assert.equal(run.status, 'success', JSON.stringify(run.steps));
      } finally {
        clearInterval(sampler);
      }
      // The org, the hub and the file server all run in this process: the file passes through all three.
      t.diagnostic(`RSS grew ${((peak - base) / MB).toFixed(1)} MB moving ${size / MB} MB`);
      assert.ok(peak - base < 60 * MB, `RSS grew ${((peak - base) / MB).toFixed(0)} MB moving ${size / MB} MB`);
      const links = await sf.query<{ ContentDocumentId: string }>(`SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '${accountId}'`);
      assert.equal(links.records.length, 1);
      const version = (await sf.query<{ Id: string; Title: string; ContentSize: number; PathOnClient: string }>(`SELECT Id, Title, ContentSize, PathOnClient FROM ContentVersion WHERE ContentDocumentId = '${links.records[0]!.ContentDocumentId}'`)).records[0]!;
      assert.deepEqual([version.Title, version.ContentSize, version.PathOnClient], [`Invoice ${size}`, size, `invoice-${size}.pdf`]);
      versionId = version.Id;
      sent = size;
      const hash = createHash('sha256');
      for await (const chunk of sf.sobject('ContentVersion').record(version.Id).blob('VersionData')) hash.update(chunk as Buffer);
      assert.equal(hash.digest('hex'), digestOf(size), 'the bytes read back are the bytes sent');
    });

    it('refuses an answer whose media type the operation does not declare, and a file over maxBytes, storing nothing', async () => {
      await deliver('html-2048');
      const wrongType = await until('the refusal', async () => (await listRuns(hub.ctx, 'attach', { record: 'html-2048' })).runs[0] ?? false, 20_000, 100);
      assert.equal(wrongType.status, 'dead');
      assert.match(String(wrongType.error), /answered text\/html, which its OpenAPI document does not declare \(application\/pdf\)/);
      const before = (await sf.query('SELECT Id FROM ContentVersion')).totalSize;
      await deliver(String(100 * MB + 1));
      const tooBig = await until('the refusal', async () => (await listRuns(hub.ctx, 'attach', { record: String(100 * MB + 1) })).runs[0] ?? false, 20_000, 100);
      assert.equal(tooBig.status, 'dead');
      assert.match(String(tooBig.error), /over the 104857600 allowed/);
      assert.equal((await sf.query('SELECT Id FROM ContentVersion')).totalSize, before);
    });

    it('file.upload sends that ContentVersion\'s bytes to a PUT operation, streamed, with an Idempotency-Key', async (t) => {
      let peak = process.memoryUsage().rss;
      const base = peak;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
      try {
        await hook('send', { version: versionId });
        const run = await until('the upload', async () => (await listRuns(hub.ctx, 'send', { record: versionId })).runs[0] ?? false, 120_000, 100);
        assert.equal(run.status, 'success', JSON.stringify(run.steps));
      } finally {
        clearInterval(sampler);
      }
      t.diagnostic(`RSS grew ${((peak - base) / MB).toFixed(1)} MB sending ${sent / MB} MB`);
      assert.ok(peak - base < 60 * MB, `RSS grew ${((peak - base) / MB).toFixed(0)} MB`);
      const got = files.received.find((r) => r.name === `copy-${versionId}.pdf`)!;
      assert.deepEqual([got.type, got.size, got.sha256], ['application/pdf', sent, digestOf(sent)]);
      assert.match(got.idempotencyKey, /\S{8,}/);
      await hook('send', { version: 'not-an-id' });
      const refused = await until('the refusal', async () => (await listRuns(hub.ctx, 'send', { record: 'not-an-id' })).runs[0] ?? false, 20_000, 100);
      assert.equal(refused.status, 'dead');
      assert.match(String(refused.error), /must be a ContentVersion Id/);
    });

    it('file.upload sends the file as the part of a multipart/form-data form when that is what the operation takes', async () => {
      const small = (await sf.sobject('ContentVersion').create({ Title: 'Form', PathOnClient: 'form "quoted".pdf', VersionData: Buffer.from('%PDF-1.4 form test').toString('base64'), FirstPublishLocationId: accountId })).id!;
      await hook('send-form', { version: small });
      const run = await until('the form upload', async () => (await listRuns(hub.ctx, 'send-form', { record: small })).runs[0] ?? false, 20_000, 100);
      assert.equal(run.status, 'success', JSON.stringify(run));
      const got = files.received.find((r) => r.name.startsWith('order-1:'))!;
      assert.deepEqual([got.name, got.type, got.size, got.sha256], ['order-1:form _quoted_.pdf', 'application/pdf', 18, createHash('sha256').update('%PDF-1.4 form test').digest('hex')]);
      assert.match(got.idempotencyKey, /\S{8,}/);
    });
  });
}
