import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { deadLetters } from '../src/flows/flows.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const PASSWORD = 'owner-basic-password-9Qx';

/** Records every request and its Authorization header (a real HTTP server on 127.0.0.1). */
function recordingServer(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const spec = { openapi: '3.0.3', info: { title: 'owned', version: '1' }, paths: { '/things': { post: { operationId: 'createThing', requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } } } }, responses: { 201: { description: 'ok' } } } } } };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/openapi.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spec));
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })));
}

for (const store of STORES) {
  describe(`a principal's secret reaches only the keys granted it, in named credentials and flows (${store.name})`, () => {
    let hub: TestHub;
    let owned: Awaited<ReturnType<typeof recordingServer>>;
    let attackerSink: Awaited<ReturnType<typeof recordingServer>>;
    let owner: string;
    let attacker: string;
    const flow = (name: string, service: string) => `name: ${name}\ntrigger: { type: webhook }\nactions:\n  - name: create\n    type: service\n    service: ${service}\n    operation: createThing\n    mapping: { name: { path: name } }\n`;
    const put = (key: string, text: string) => fetch(`${hub.url}/api/v1/flows`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' }, body: text });
    const trigger = (name: string) => fetch(`${hub.url}/api/v1/hooks/${name}`, { method: 'POST', headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `x-${Date.now()}-${Math.random()}` }) });
    const scopes = ['connections:read', 'connections:write', 'flows:read', 'flows:write', 'flows:trigger'] as const;

    before(async () => {
      owned = await recordingServer();
      attackerSink = await recordingServer();
      hub = await startTestHub(store, { flows: { idleMs: 20 } });
      owner = (await createApiKey(hub.ctx.db, 'owner', [...scopes], Date.now())).key;
      attacker = (await createApiKey(hub.ctx.db, 'attacker', [...scopes], Date.now())).key;
      const res = await hub.api(owner, 'POST', '/api/v1/external-credentials', { name: 'Owner Basic', protocol: 'basic', username: 'owner', password: PASSWORD, principals: [{ name: 'main', grantedTo: ['owner'] }] });
      assert.equal(res.status, 201, res.text);
      assert.equal((await hub.api(owner, 'POST', '/api/v1/named-credentials', { name: 'Owned', baseUrl: owned.url, externalCredential: 'Owner Basic', principal: 'main' })).status, 201);
      assert.equal((await hub.api(owner, 'POST', '/api/v1/external-services', { name: 'OwnedService', namedCredential: 'Owned', specUrl: `${owned.url}/openapi.json` })).status, 201);
    });
    after(async () => {
      await hub.close();
      owned.server.close();
      attackerSink.server.close();
    });

    it('a key without the grant cannot point a named credential of that principal at its own URL', async () => {
      const res = await hub.api(attacker, 'POST', '/api/v1/named-credentials', { name: 'Stolen', baseUrl: attackerSink.url, externalCredential: 'Owner Basic', principal: 'main' });
      assert.equal(res.status, 403, res.text);
      assert.match(String(res.body.detail), /"attacker" is not granted principal "main"/);
    });

    it('nor save a flow that uses it: the flow runs as the key that saved it, checked at save', async () => {
      const res = await put(attacker, flow('borrowed', 'OwnedService'));
      assert.equal(res.status, 400);
      const problem = (await res.json()) as { errors: { path: string; message: string }[] };
      assert.match(problem.errors[0]!.path, /actions\[0\]\.service$/);
      assert.match(problem.errors[0]!.message, /"attacker" is not granted principal "main"/);
      const mine = await put(owner, flow('owned-flow', 'OwnedService'));
      assert.equal(mine.status, 200, await mine.clone().text());
      assert.equal((await trigger('owned-flow')).status, 202);
      for (let i = 0; i < 100 && owned.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 30));
      assert.equal(owned.seen[0], `POST /things Basic ${Buffer.from(`owner:${PASSWORD}`).toString('base64')}`, 'the owner\'s flow signs with the principal');
      // Overwriting the owner's flow makes it run as the attacker: refused the same way.
      assert.equal((await put(attacker, flow('owned-flow', 'OwnedService'))).status, 400);
    });

    it('and checked at run: once the grant is gone, the flow\'s calls are refused and nothing is sent', async () => {
      const ext = await hub.ctx.db.selectFrom('external_credentials').select(['id', 'principals']).where('name', '=', 'Owner Basic').executeTakeFirstOrThrow();
      await hub.ctx.db.updateTable('external_credentials').set({ principals: JSON.stringify([{ name: 'main', grantedTo: [] }]) }).where('id', '=', ext.id).execute();
      await new Promise((r) => setTimeout(r, 2200)); // resolved credentials are cached for 2 s
      const sent = owned.seen.length;
      assert.equal((await trigger('owned-flow')).status, 202);
      let dead;
      for (let i = 0; i < 100 && !(dead = (await deadLetters(hub.ctx, 'owned-flow'))[0]); i++) await new Promise((r) => setTimeout(r, 30));
      assert.match(String(dead?.error), /"owner" is not granted principal "main"/);
      assert.equal(dead?.attempts, 1, 'a missing grant is not retried');
      assert.equal(owned.seen.length, sent, 'nothing was sent');
      assert.equal(attackerSink.seen.length, 0);
      await hub.ctx.db.updateTable('external_credentials').set({ principals: ext.principals }).where('id', '=', ext.id).execute();
    });
  });
}
