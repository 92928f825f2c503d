import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { STORES, scanStoreAndClose, startTestHub } from './helpers.js';

const canary = (name: string) => `canary-${name}-${randomBytes(12).toString('hex')}`;

/**
 * Invariant 1 against endpoints that echo: a token endpoint that puts the request (client secret
 * included) in its error_description, and an API that answers 200, 400 and 500 with every header
 * and the body it received (bearer token, API key header). Flows call it, fail, retry and
 * dead-letter; connections are tested against it. No secret may reach a response, a run record,
 * a dead letter, an audit row, a log line or the database, on either store.
 */
for (const store of STORES) {
  describe(`hub secret canaries with echoing endpoints (${store.name})`, () => {
    it('never appear in run records, dead letters, audit rows, logs, responses or the database', async () => {
      const secrets = { idp: canary('idp-secret'), access: canary('access-token'), header: canary('api-key-header'), connection: canary('conn-secret'), bearer: canary('bearer') };
      const echo = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const seen = JSON.stringify({ headers: req.headers, body });
          if (req.url === '/token-ok') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: secrets.access, token_type: 'bearer', expires_in: 3600 }));
          if (req.url === '/token-echo') return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: `you sent ${seen}` }));
          const status = Number(/\/api\/echo(\d{3})/.exec(req.url ?? '')?.[1] ?? 400);
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ youSent: JSON.parse(seen), token: req.headers.authorization, message: `rejected ${req.headers.authorization ?? ''} ${req.headers['x-api-key'] ?? ''}` }));
        });
      });
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
      const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      const logs: string[] = [];
      const hub = await startTestHub(store, { logLevel: 'trace', logStream: { write: (line: string) => void logs.push(line) }, flows: { idleMs: 20 } });
      const responses: string[] = [];
      try {
        const key = await hub.key(['connections:read', 'connections:write', 'connections:test', 'audit:read', 'flows:read', 'flows:write', 'flows:trigger']);
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await hub.api(key, method, path, body);
          responses.push(res.text);
          return res;
        };
        const created = async (method: string, path: string, body: unknown) => {
          const res = await call(method, path, body);
          assert.ok(res.status < 300, `${path}: ${res.text}`);
        };
        await created('POST', '/api/v1/identity-providers', { name: 'EchoIdP', tokenUrl: `${echoUrl}/token-ok`, clientId: 'echo-client', clientSecret: secrets.idp });
        await created('POST', '/api/v1/external-credentials', { name: 'EchoOAuth', protocol: 'oauth2_client_credentials', identityProvider: 'EchoIdP', principals: [{ name: 'p', grantedTo: ['test'] }] });
        await created('POST', '/api/v1/external-credentials', { name: 'EchoKey', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: secrets.header }], principals: [{ name: 'p', grantedTo: ['test'] }] });
        const spec = { openapi: '3.0.0', info: { title: 'Echo', version: '1' }, paths: Object.fromEntries(['200', '400', '500'].map((s) => [`/api/echo${s}`, { post: { operationId: `echo${s}`, requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { note: { type: 'string' } } } } } }, responses: { [s]: { description: 'echo' } } } }])) };
        for (const [named, ext] of [['EchoA', 'EchoOAuth'], ['EchoB', 'EchoKey']] as const) {
          await created('POST', '/api/v1/named-credentials', { name: named, baseUrl: echoUrl, externalCredential: ext, principal: 'p' });
          await created('POST', '/api/v1/external-services', { name: `${named}Svc`, namedCredential: named, spec });
        }
        const flows: string[] = [];
        for (const named of ['EchoA', 'EchoB']) {
          for (const status of ['200', '400', '500']) {
            const name = `${named.toLowerCase()}-${status}`;
            flows.push(name);
            const yaml = `name: ${name}\ntrigger: { type: webhook, idPath: ref }\nretry: { attempts: 2, initialDelay: 50ms, maxDelay: 100ms }\nactions:\n  - name: send\n    type: service\n    service: ${named}Svc\n    operation: echo${status}\n    mapping:\n      note: { path: note }\n`;
            const saved = await fetch(`${hub.url}/api/v1/flows`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' }, body: yaml });
            assert.ok(saved.status < 300, await saved.text());
            const delivered = await fetch(`${hub.url}/api/v1/hooks/${name}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ref: `${name}-1`, note: 'hello' }) });
            assert.equal(delivered.status, 202);
          }
        }
        // Connections tested against the echoing token endpoint and API: their 422s carry the reason.
        const failing = await call('POST', '/api/v1/connections', { name: 'echo-cc', app: 'http', method: 'oauth2_client_credentials', credentials: { baseUrl: echoUrl, tokenUrl: `${echoUrl}/token-echo`, clientId: 'c', clientSecret: secrets.connection } });
        assert.equal(failing.status, 422, failing.text);
        const bearer = await call('POST', '/api/v1/connections', { name: 'echo-bearer', app: 'http', method: 'bearer', credentials: { baseUrl: echoUrl, token: secrets.bearer, testPath: '/api/echo400' } });
        assert.equal(bearer.status, 422, bearer.text);

        // Every flow reaches its end: 200s are done, 400s and 500s dead-lettered after their attempts.
        const deadline = Date.now() + 20_000;
        for (const name of flows) {
          for (;;) {
            const events = await hub.ctx.db.selectFrom('flow_events').innerJoin('flows', 'flows.id', 'flow_events.flow_id').select('flow_events.status').where('flows.name', '=', name).execute();
            if (events.length && events.every((e) => e.status === (name.endsWith('200') ? 'done' : 'dead'))) break;
            assert.ok(Date.now() < deadline, `${name} did not finish: ${JSON.stringify(events)}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          await call('GET', `/api/v1/flows/${name}/runs`);
          await call('GET', `/api/v1/flows/${name}/dead-letters`);
        }
        const runs = await hub.ctx.db.selectFrom('flow_runs').select(['status', 'steps', 'error']).execute();
        assert.ok(runs.some((r) => r.status === 'dead' && r.error && /HTTP 400/.test(r.error)), 'a run recorded the echoing 400');
        assert.ok(runs.some((r) => r.error && /HTTP 500/.test(r.error)), 'a run recorded the echoing 500');
        await call('GET', '/api/v1/audit?limit=1000');

        const scan = (where: string, text: string) => {
          for (const [name, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `the ${name} canary appears in ${where}`);
          assert.ok(!text.includes(key.slice(-43)), `the API key appears in ${where}`);
        };
        responses.forEach((r, i) => scan(`response ${i}`, r));
        scan('the run records', JSON.stringify(runs));
        scan('the flow events (dead letters, last_error)', JSON.stringify(await hub.ctx.db.selectFrom('flow_events').selectAll().execute()));
        scan('the audit rows', JSON.stringify(await hub.ctx.db.selectFrom('audit').selectAll().execute()));
        assert.ok(logs.length > 10, 'trace logging was on');
        scan('the logs', logs.join('\n'));
        await scanStoreAndClose(hub, store, scan);
      } finally {
        await hub.close().catch(() => undefined);
        echo.close();
      }
    });
  });
}
