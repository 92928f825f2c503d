import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { connectionClient } from '../src/connections/connections.js';
import { callout } from '../src/credentials/named-credentials.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';
import { IDP_CLIENT, RESOURCE, startResourceIdp, type ResourceIdp } from './resource-idp.js';

for (const store of STORES) {
  describe(`named credentials, external credentials and identity providers (${store.name})`, () => {
    let idp: ResourceIdp;
    let hub: TestHub;
    let admin: string;
    let flows: string;
    let other: string;
    before(async () => {
      idp = await startResourceIdp();
      hub = await startTestHub(store);
      admin = await hub.key();
      flows = await namedKey('flows');
      other = await namedKey('other');
    });
    after(async () => {
      await hub.close();
      idp.close();
    });
    async function namedKey(name: string): Promise<string> {
      return (await createApiKey(hub.ctx.db, name, ['connections:read', 'connections:write', 'connections:test'], Date.now())).key;
    }

    it('sets up an identity provider with a custom parameter, an external credential with a principal, and a named credential', async () => {
      const provider = await hub.api(admin, 'POST', '/api/v1/identity-providers', { name: 'ERP IdP', tokenUrl: `${idp.issuer}/token`, clientId: IDP_CLIENT.id, clientSecret: IDP_CLIENT.secret, params: [{ name: 'resource', value: RESOURCE, in: 'body' }] });
      assert.equal(provider.status, 201, provider.text);
      assert.ok(!provider.text.includes(IDP_CLIENT.secret));
      const ext = await hub.api(admin, 'POST', '/api/v1/external-credentials', { name: 'ERP OAuth', protocol: 'oauth2_client_credentials', identityProvider: 'ERP IdP', principals: [{ name: 'erp-integration', grantedTo: ['flows', 'test'] }] });
      assert.equal(ext.status, 201, ext.text);
      const named = await hub.api(admin, 'POST', '/api/v1/named-credentials', { name: 'ERP', baseUrl: idp.apiUrl, externalCredential: 'ERP OAuth', principal: 'erp-integration' });
      assert.equal(named.status, 201, named.text);
    });

    it('callout:ERP/path signs with a token the IdP issued for the audience, once for many calls', async () => {
      const before = idp.tokenRequests();
      const statuses = await Promise.all(Array.from({ length: 30 }, async () => (await callout(hub.ctx, 'callout:ERP/ping', {}, 'flows')).status));
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(idp.tokenRequests(), before + 1);
      await assert.rejects(callout(hub.ctx, 'callout:ERP/ping', {}, 'other'), /not granted principal "erp-integration"/);
      await assert.rejects(callout(hub.ctx, 'https://erp.example/ping'), /callout:NamedCredential\/path/);
    });

    let id: string;
    it('a connection from the named credential is active for a granted key, inactive for another', async () => {
      const granted = await hub.api(flows, 'POST', '/api/v1/connections', { name: 'ERP', app: 'named_credential', method: 'named_credential', credentials: { namedCredential: 'ERP', testPath: '/ping' } });
      assert.equal(granted.status, 201, granted.text);
      const conn = granted.body.connection as { id: string; status: string };
      id = conn.id;
      assert.equal(conn.status, 'active');
      const denied = await hub.api(other, 'POST', '/api/v1/connections', { name: 'ERP for other', app: 'named_credential', method: 'named_credential', credentials: { namedCredential: 'ERP', testPath: '/ping' } });
      assert.equal(denied.status, 201);
      const inactive = denied.body.connection as { status: string; statusReason: string };
      assert.equal(inactive.status, 'inactive');
      assert.match(inactive.statusReason, /"other" is not granted principal "erp-integration"/);
      assert.equal((await (await connectionClient(hub.ctx, id)).request('/ping')).status, 200);
    });

    it('allows editing only name and description, and deleting it keeps the named credential', async () => {
      const refused = await hub.api(flows, 'PATCH', `/api/v1/connections/${id}`, { credentials: { namedCredential: 'Other' } });
      assert.equal(refused.status, 400);
      assert.match(refused.text, /only its name and description/);
      const renamed = await hub.api(flows, 'PATCH', `/api/v1/connections/${id}`, { name: 'ERP renamed', description: 'sales orders' });
      assert.equal((renamed.body.connection as { name: string }).name, 'ERP renamed');
      assert.equal((await hub.api(flows, 'DELETE', `/api/v1/connections/${id}`)).status, 204);
      const named = await hub.api(admin, 'GET', '/api/v1/named-credentials');
      assert.deepEqual((named.body.namedCredentials as { name: string }[]).map((n) => n.name), ['ERP']);
    });

    it('refuses bad definitions, naming the field', async () => {
      const errorAt = async (path: string, body: unknown, field: string, message?: RegExp) => {
        const res = await hub.api(admin, 'POST', path, body);
        assert.equal(res.status, 400, res.text);
        const hit = (res.body.errors as { path: string; message: string }[]).find((e) => e.path === field);
        assert.ok(hit, `${field} named in ${res.text}`);
        if (message) assert.match(hit.message, message);
      };
      await errorAt('/api/v1/external-credentials', { name: 'X', protocol: 'oauth2_client_credentials', principals: [{ name: 'p' }] }, 'identityProvider', /required/);
      await errorAt('/api/v1/external-credentials', { name: 'X', protocol: 'basic', username: 'u', principals: [{ name: 'p' }] }, 'password', /required/);
      await errorAt('/api/v1/external-credentials', { name: 'X', protocol: 'oauth2_client_credentials', identityProvider: 'nope', principals: [{ name: 'p' }] }, 'identityProvider', /unknown identity provider/);
      await errorAt('/api/v1/named-credentials', { name: 'Y', baseUrl: idp.apiUrl, externalCredential: 'nope', principal: 'p' }, 'externalCredential', /unknown external credential/);
      await errorAt('/api/v1/named-credentials', { name: 'Z', baseUrl: idp.apiUrl, externalCredential: 'ERP OAuth', principal: 'nobody' }, 'principal', /no principal "nobody"/);
      await errorAt('/api/v1/named-credentials', { name: 'has space', baseUrl: idp.apiUrl, externalCredential: 'ERP OAuth', principal: 'erp-integration' }, 'name');
      await errorAt('/api/v1/identity-providers', { name: 'I', tokenUrl: 'not a url', clientId: 'c', clientSecret: 's' }, 'tokenUrl');
    });

    it('basic and custom-header external credentials sign with what they hold', async () => {
      const echo = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiKey: req.headers['x-api-key'] ?? null, authorization: req.headers.authorization ?? null })));
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
      const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      try {
        await hub.api(admin, 'POST', '/api/v1/external-credentials', { name: 'Headers', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: 'header-secret-1' }], principals: [{ name: 'p', grantedTo: ['flows', 'test'] }] });
        await hub.api(admin, 'POST', '/api/v1/named-credentials', { name: 'EchoHeaders', baseUrl: echoUrl, externalCredential: 'Headers', principal: 'p' });
        assert.deepEqual(await (await callout(hub.ctx, 'callout:EchoHeaders/', {}, 'flows')).json(), { apiKey: 'header-secret-1', authorization: null });
        await hub.api(admin, 'POST', '/api/v1/external-credentials', { name: 'Basic', protocol: 'basic', username: 'erp-user', password: 'basic-secret-1', principals: [{ name: 'p', grantedTo: ['flows', 'test'] }] });
        await hub.api(admin, 'POST', '/api/v1/named-credentials', { name: 'EchoBasic', baseUrl: echoUrl, externalCredential: 'Basic', principal: 'p' });
        assert.deepEqual(await (await callout(hub.ctx, 'callout:EchoBasic/', {}, 'flows')).json(), { apiKey: null, authorization: `Basic ${Buffer.from('erp-user:basic-secret-1').toString('base64')}` });
        const listed = await hub.api(admin, 'GET', '/api/v1/external-credentials');
        assert.ok(!listed.text.includes('header-secret-1') && !listed.text.includes('basic-secret-1'));
      } finally {
        echo.close();
      }
    });

    it('fetches a spec served behind the API\'s own credentials through the named credential, and one elsewhere without them', async () => {
      const spec = { openapi: '3.0.0', info: { title: 'guarded', version: '1' }, paths: { '/ping': { get: { operationId: 'ping', responses: { 200: { description: 'ok' } } } } } };
      const seen: (string | null)[] = [];
      const api = createServer((req, res) => {
        seen.push((req.headers['x-api-key'] as string | undefined) ?? null);
        if (req.headers['x-api-key'] !== 'spec-key-1') return res.writeHead(401).end('{"error":"unauthorized"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spec));
      });
      const other = createServer((req, res) => {
        seen.push((req.headers['x-api-key'] as string | undefined) ?? null);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spec));
      });
      await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
      try {
        const writer = await hub.key(['connections:write', 'flows:write']);
        await hub.api(admin, 'POST', '/api/v1/external-credentials', { name: 'SpecKey', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: 'spec-key-1' }], principals: [{ name: 'p', grantedTo: ['test'] }] });
        assert.equal((await hub.api(writer, 'POST', '/api/v1/named-credentials', { name: 'Guarded', baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`, externalCredential: 'SpecKey', principal: 'p' })).status, 201);
        const registered = await hub.api(writer, 'POST', '/api/v1/external-services', { name: 'Guarded', namedCredential: 'Guarded', specUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}/openapi.json` });
        assert.equal(registered.status, 201, registered.text);
        const elsewhere = await hub.api(writer, 'POST', '/api/v1/external-services', { name: 'Elsewhere', namedCredential: 'Guarded', specUrl: `http://127.0.0.1:${(other.address() as AddressInfo).port}/openapi.json` });
        assert.equal(elsewhere.status, 201, elsewhere.text);
        assert.deepEqual(seen, ['spec-key-1', null], 'the key went to its own origin only');
      } finally {
        api.close();
        other.close();
      }
    });
  });
}
