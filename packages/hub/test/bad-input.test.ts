import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { routesOf } from '../../org/test/helpers/route-fuzz.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

describe('hub API bad input', () => {
  let hub: TestHub;
  let strict: TestHub;
  let key: string;
  let strictKey: string;
  before(async () => {
    hub = await startTestHub(STORES[0]!);
    strict = await startTestHub(STORES[0]!, { allowPrivateNetworks: false });
    key = await hub.key();
    strictKey = await strict.key();
  });
  after(async () => {
    await hub.close();
    await strict.close();
  });

  const expectProblem = (res: { status: number; body: Record<string, unknown>; type: string | null; text: string }, status: number, path?: string, message?: RegExp) => {
    assert.equal(res.status, status, res.text);
    assert.match(res.type ?? '', /^application\/problem\+json/);
    assert.equal(res.body.status, status);
    if (path) {
      const errors = res.body.errors as { path: string; message: string }[];
      const hit = errors?.find((e) => e.path === path);
      assert.ok(hit, `an error names ${path}: ${res.text}`);
      if (message) assert.match(hit.message, message);
    }
  };

  it('names an unknown app or method and lists the known ones', async () => {
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'sap', method: 'basic', credentials: {} }), 400, 'app', /known apps: salesforce, http/);
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'salesforce', method: 'password', credentials: {} }), 400, 'method', /known methods: oauth2_client_credentials/);
  });

  it('names each missing or wrong field', async () => {
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { app: 'salesforce', method: 'oauth2_client_credentials', credentials: {} }), 400, 'name');
    const missing = await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: 'https://acme.my.salesforce.com' } });
    expectProblem(missing, 400, 'credentials.consumerKey');
    expectProblem(missing, 400, 'credentials.consumerSecret');
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: 'not a url', consumerKey: 'k', consumerSecret: 's' } }), 400, 'credentials.instanceUrl');
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: 'https://login.salesforce.com', consumerKey: 'k', consumerSecret: 's' } }), 400, 'credentials.instanceUrl', /My Domain/);
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'http', method: 'bearer', credentials: { baseUrl: 'https://api.example.com', token: 't', extra: 1 } }), 400, 'credentials', /extra/);
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'http', method: 'bearer', credentials: 'nope' }), 400, 'credentials');
    // A test path that URL parsing would read as another host (`/\\host` is `//host`).
    for (const testPath of ['/\\localhost:9/x', '//localhost:9/x']) {
      expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'http', method: 'bearer', credentials: { baseUrl: 'https://api.example.com', token: 't', testPath } }), 400, 'credentials.testPath', /own host/);
      expectProblem(await hub.api(key, 'POST', '/api/v1/connections', { name: 'x', app: 'named_credential', method: 'named_credential', credentials: { namedCredential: 'Any', testPath } }), 400, 'credentials.testPath', /own host/);
    }
  });

  it('refuses non-https remote hosts and private addresses unless allowed for development', async () => {
    const bearer = (baseUrl: string) => ({ name: 'x', app: 'http', method: 'bearer', credentials: { baseUrl, token: 't' } });
    expectProblem(await strict.api(strictKey, 'POST', '/api/v1/connections', bearer('http://api.example.com')), 400, 'credentials.baseUrl', /must use https/);
    for (const url of ['https://127.0.0.1', 'https://10.1.2.3', 'https://192.168.0.1', 'https://169.254.169.254', 'https://localhost', 'https://[::1]', 'https://[::ffff:127.0.0.1]']) {
      expectProblem(await strict.api(strictKey, 'POST', '/api/v1/connections', bearer(url)), 400, 'credentials.baseUrl', /private|this machine/);
    }
  });

  it('says which endpoint it could not reach, with a 4xx, and saves nothing', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const res = await hub.api(key, 'POST', '/api/v1/connections', { name: 'closed', app: 'http', method: 'bearer', credentials: { baseUrl: `http://127.0.0.1:${port}`, token: 't' } });
    expectProblem(res, 422, 'credentials', new RegExp(`could not reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    assert.equal(((await hub.api(key, 'GET', '/api/v1/connections')).body.connections as unknown[]).length, 0);
  });

  it('headers over 16 KB answer 431 in problem JSON, not the web framework\'s shape', async () => {
    const res = await fetch(`${hub.url}/api/v1/connections`, { headers: { authorization: `Bearer ${key}`, 'x-padding': 'a'.repeat(20_000) } });
    expectProblem({ status: res.status, type: res.headers.get('content-type'), text: '', body: (await res.json()) as Record<string, unknown> }, 431);
  });

  it('refuses an OpenAPI spec with an external $ref (file, URL, path), naming where it is, and an alias bomb', async () => {
    const key = await hub.key(['connections:read', 'connections:write', 'flows:write']);
    const ext = await hub.api(key, 'POST', '/api/v1/external-credentials', { name: 'SpecExt', protocol: 'custom_headers', headers: [{ name: 'X-K', value: 'v' }], principals: [{ name: 'p', grantedTo: ['test'] }] });
    assert.equal(ext.status, 201, ext.text);
    const named = await hub.api(key, 'POST', '/api/v1/named-credentials', { name: 'SpecTarget', baseUrl: 'http://127.0.0.1:9', externalCredential: 'SpecExt', principal: 'p' });
    assert.equal(named.status, 201, named.text);
    for (const ref of ['file:///etc/passwd', 'http://127.0.0.1:9/schema.json', '../secrets.json', 'other.yaml#/components/schemas/X']) {
      const spec = { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: { '/x': { post: { operationId: 'x', requestBody: { content: { 'application/json': { schema: { $ref: ref } } } }, responses: { 200: { description: 'ok' } } } } } };
      expectProblem(await hub.api(key, 'POST', '/api/v1/external-services', { name: 'Spec', namedCredential: 'SpecTarget', spec }), 400, 'spec.paths./x.post.requestBody.content.application/json.schema.$ref', /points outside the document/);
    }
    const bomb = `openapi: 3.0.0\na: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\n`;
    expectProblem(await hub.api(key, 'POST', '/api/v1/external-services', { name: 'Spec', namedCredential: 'SpecTarget', spec: bomb }), 400, 'spec');
  });

  it('answers malformed JSON, wrong content types, unknown routes and ids with problem JSON', async () => {
    expectProblem(await hub.api(key, 'POST', '/api/v1/connections', '{"name":'), 400, '(body)');
    const res = await fetch(`${hub.url}/api/v1/connections`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/xml' }, body: '<x/>' });
    assert.equal(res.status, 415);
    expectProblem(await hub.api(key, 'GET', '/api/v1/connections/00000000-0000-0000-0000-000000000000'), 404);
    expectProblem(await hub.api(key, 'GET', '/api/v1/nothing'), 404);
    expectProblem(await hub.api(key, 'GET', '/api/v1/audit?limit=0'), 400, 'limit');
  });

  it('needs a valid API key with the right scope', async () => {
    expectProblem(await hub.api('hsk_nope', 'GET', '/api/v1/connections'), 401);
    const readOnly = await hub.key(['connections:read']);
    expectProblem(await hub.api(readOnly, 'POST', '/api/v1/connections', {}), 403);
    const res = await fetch(`${hub.url}/api/v1/connections`);
    assert.equal(res.status, 401);
  });

  it('serves an OpenAPI document generated from the validation schemas', async () => {
    const doc = (await (await fetch(`${hub.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: { CreateConnection: { 'x-credentials': Record<string, { required?: string[] }> } } } };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/v1/connections']);
    assert.deepEqual(doc.components.schemas.CreateConnection['x-credentials']['salesforce.oauth2_client_credentials']!.required?.sort(), ['consumerKey', 'consumerSecret', 'instanceUrl']);
  });

  it('the OpenAPI document passes a standard validator and lists every route the server has (a route added without it fails here)', async () => {
    const doc = (await (await fetch(`${hub.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const result = await validate(structuredClone(doc) as never, { resolve: { external: false } });
    assert.ok(result.valid, result.valid ? '' : JSON.stringify(result.errors).slice(0, 2000));
    // /api/docs is the browsable reference of this document (its page and assets), not an API route.
    const missing = routesOf(hub.server).filter((r) => (r.path.startsWith('/api/') || r.path === '/metrics') && !r.path.startsWith('/api/docs')).filter((r) => !doc.paths[r.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(missing, []);
    const runs = doc.paths['/api/v1/flows/{id}/runs']!.parameters as { name: string }[];
    assert.deepEqual(runs.map((p) => p.name).sort(), ['cursor', 'id', 'limit', 'record', 'since', 'status', 'until'], 'query parameters come from the zod schema');
    // The browsable reference: the same document, its page and assets served by the hub itself.
    const page = await fetch(`${hub.url}/api/docs/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    for (const asset of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.ok(!/^(https?:)?\/\//.test(asset[1]!), `${asset[1]} is served locally, not from a CDN`);
      assert.equal((await fetch(new URL(asset[1]!, `${hub.url}/api/docs/`))).status, 200, asset[1]);
    }
    assert.deepEqual(Object.keys(((await (await fetch(`${hub.url}/api/docs/json`)).json()) as { paths: object }).paths).sort(), Object.keys(doc.paths).sort());
  });
});
