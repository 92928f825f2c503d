import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { registerExternalService } from '../src/flows/external-services.js';
import { deadLetters, saveFlow } from '../src/flows/flows.js';
import { redactSecrets } from '../src/vault/redact.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const SECRET = 'echo-secret-Zq8vW3nR5tY1';
const HEADER_SECRET = 'header-secret-Lm4Kp9Xs2Dq7';

/** An identity provider and an API that echo whatever they receive (a real HTTP server on 127.0.0.1). */
function echoServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const echoed = `you sent ${body} with ${JSON.stringify(req.headers)}`;
      if (req.url === '/openapi.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ openapi: '3.0.3', info: { title: 'echo', version: '1' }, paths: { '/things': { post: { operationId: 'createThing', requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } } } }, responses: { 201: { description: 'ok' } } } } } }));
      } else if (req.url === '/token') {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: echoed }));
      } else res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: echoed, message: echoed }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('secrets echoed by a remote endpoint', () => {
  it('are removed in every form they travel in, and anything shaped like a credential too', () => {
    const text = `client_id=a&client_secret=${encodeURIComponent('s3cr3t value/+')}&x=1 {"authorization":"Bearer abcdefghijklmnop","password":"hunter2hunter2"} key s3cr3t value/+ basic ${Buffer.from('s3cr3t value/+').toString('base64')} jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc hsk_abcdefghijklmnopqrstuv`;
    const out = redactSecrets(text, ['s3cr3t value/+']);
    for (const leaked of ['s3cr3t', 'abcdefghijklmnop', 'hunter2', 'eyJhbGci', 'hsk_abcdef', encodeURIComponent('s3cr3t value/+'), Buffer.from('s3cr3t value/+').toString('base64')]) assert.ok(!out.includes(leaked), `${leaked} in ${out}`);
    assert.match(out, /client_id=a/, 'the rest is kept');
  });

  for (const store of STORES) {
    describe(`on ${store.name}`, () => {
      let hub: TestHub;
      let echo: { server: Server; url: string };
      before(async () => {
        echo = await echoServer();
        hub = await startTestHub(store, { flows: { idleMs: 20 } });
      });
      after(async () => {
        await hub.close();
        echo.server.close();
      });

      it('a token endpoint echoing the client secret: the 422, the audit log and the store hold no secret', async () => {
        const key = await hub.key(['connections:write', 'audit:read']);
        const res = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Echo', app: 'http', method: 'oauth2_client_credentials', credentials: { baseUrl: echo.url, tokenUrl: `${echo.url}/token`, clientId: 'echo-client', clientSecret: SECRET } });
        assert.equal(res.status, 422);
        assert.match(res.text, /invalid_client/);
        assert.ok(!res.text.includes(SECRET) && !res.text.includes(encodeURIComponent(SECRET)), res.text);
        const audit = await hub.api(key, 'GET', '/api/v1/audit');
        assert.ok(audit.text.includes('test_failed') && !audit.text.includes(SECRET), 'the audit row says what failed, without the secret');
      });

      it('an API echoing the request headers in a 400: run records, dead letters and the event row hold no secret', async () => {
        const admin = await hub.key();
        await hub.api(admin, 'POST', '/api/v1/external-credentials', { name: 'Echo Key', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: HEADER_SECRET }], principals: [{ name: 'p', grantedTo: ['flows', 'test'] }] });
        await hub.api(admin, 'POST', '/api/v1/named-credentials', { name: 'EchoApi', baseUrl: echo.url, externalCredential: 'Echo Key', principal: 'p' });
        await registerExternalService(hub.ctx, { name: 'test' }, { name: 'EchoService', namedCredential: 'EchoApi', specUrl: `${echo.url}/openapi.json` });
        await saveFlow(hub.ctx, { name: 'test' }, `name: echoing
trigger: { type: webhook }
actions:
  - name: create
    type: service
    service: EchoService
    operation: createThing
    mapping: { name: { path: name } }
`);
        const hookKey = await hub.key(['flows:trigger']);
        await fetch(`${hub.url}/api/v1/hooks/echoing`, { method: 'POST', headers: { authorization: `Bearer ${hookKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'thing' }) });
        let dead;
        for (let i = 0; i < 100 && !(dead = (await deadLetters(hub.ctx, 'echoing'))[0]); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(dead, 'the 400 was dead-lettered');
        assert.match(String(dead.error), /HTTP 400: .*you sent/);
        const rows = JSON.stringify([await hub.ctx.db.selectFrom('flow_runs').selectAll().execute(), await hub.ctx.db.selectFrom('flow_events').selectAll().execute()]);
        assert.ok(!rows.includes(HEADER_SECRET), 'no run, event or dead letter holds the echoed key');
        assert.ok(!JSON.stringify(dead).includes(HEADER_SECRET));
      });
    });
  }
});
