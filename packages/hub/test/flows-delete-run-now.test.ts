import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const CLI = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

for (const store of STORES) {
  describe(`flows: run now, delete (${store.name})`, () => {
    let hub: TestHub;
    let key: string;
    let calls = 0;
    const target = createServer((req, res) => {
      calls++;
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    const put = async (yaml: string) => {
      const res = await fetch(`${hub.url}/api/v1/flows`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' }, body: yaml });
      assert.equal(res.status, 200, await res.text());
    };
    const flow = (name: string, trigger: string) => `name: ${name}\ntrigger: ${trigger}\nactions:\n  - name: ping\n    type: service\n    service: Target\n    operation: ping\n    mapping:\n      note: { const: hi }\n`;

    before(async () => {
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
      hub = await startTestHub(store, { flows: { idleMs: 20 } });
      key = await hub.key(['flows:read', 'flows:write', 'flows:trigger', 'connections:write', 'connections:read']);
      const post = async (path: string, body: unknown) => assert.ok((await hub.api(key, 'POST', path, body)).status < 300, path);
      await post('/api/v1/external-credentials', { name: 'TargetKey', protocol: 'custom_headers', headers: [{ name: 'X-Key', value: 'k1234567' }], principals: [{ name: 'p', grantedTo: ['test'] }] });
      await post('/api/v1/named-credentials', { name: 'TargetNC', baseUrl: `http://127.0.0.1:${(target.address() as AddressInfo).port}`, externalCredential: 'TargetKey', principal: 'p' });
      await post('/api/v1/external-services', { name: 'Target', namedCredential: 'TargetNC', spec: { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: { '/ping': { post: { operationId: 'ping', requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { note: { type: 'string' } } } } } }, responses: { 200: { description: 'ok' } } } } } } });
    });
    after(async () => {
      await hub.close();
      target.close();
    });

    it('runs a schedule flow now (once per call, besides its ticks); other triggers are refused with why', async () => {
      await put(flow('yearly', '{ type: schedule, cron: "0 0 1 1 *" }'));
      const before = calls;
      const queued = await hub.api(key, 'POST', '/api/v1/flows/yearly/run');
      assert.equal(queued.status, 202, queued.text);
      let runs: { status: string }[] = [];
      for (let i = 0; i < 100 && !runs.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        runs = (await hub.api(key, 'GET', '/api/v1/flows/yearly/runs')).body.runs as { status: string }[];
      }
      assert.deepEqual(runs.map((r) => r.status), ['success']);
      assert.equal(calls, before + 1, 'the run called the target once');
      await put(flow('hooked', '{ type: webhook, idPath: ref }'));
      const refused = await hub.api(key, 'POST', '/api/v1/flows/hooked/run');
      assert.equal(refused.status, 409);
      assert.match(refused.text, /only schedule flows can be run now/);
    });

    it('deletes a flow with its runs, events, cursor and usages; refuses while senders call its webhook or events wait, unless forced', async () => {
      const webhook = await hub.api(key, 'DELETE', '/api/v1/flows/hooked');
      assert.equal(webhook.status, 409);
      assert.match(webhook.text, /senders call its webhook \(POST \/api\/v1\/hooks\/hooked\).*\?force=true/);
      assert.equal((await hub.api(key, 'DELETE', '/api/v1/flows/hooked?force=true')).status, 204);
      assert.equal((await hub.api(key, 'GET', '/api/v1/flows/hooked')).status, 404);
      const hook = await fetch(`${hub.url}/api/v1/hooks/hooked`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"ref":"1"}' });
      assert.equal(hook.status, 404);

      // Events waiting: paused, then run now twice.
      assert.equal((await hub.api(key, 'POST', '/api/v1/flows/yearly/pause')).status, 200);
      // The engine sees a pause on its next refresh (every 250 ms).
      await new Promise((r) => setTimeout(r, 1000));
      await hub.api(key, 'POST', '/api/v1/flows/yearly/run');
      await hub.api(key, 'POST', '/api/v1/flows/yearly/run');
      const backlog = ((await hub.api(key, 'GET', '/api/v1/flows/yearly/stats')).body as { backlog: number }).backlog;
      assert.equal(backlog, 2, 'both wait');
      const waiting = await hub.api(key, 'DELETE', '/api/v1/flows/yearly');
      assert.equal(waiting.status, 409);
      assert.match(waiting.text, new RegExp(`${backlog} events? still to run`));
      const id = (await hub.api(key, 'GET', '/api/v1/flows/yearly')).body.flow as { id: string };
      assert.equal((await hub.api(key, 'DELETE', '/api/v1/flows/yearly?force=true')).status, 204);
      for (const table of ['flow_runs', 'flow_events', 'flow_cursors'] as const) {
        assert.equal((await hub.ctx.db.selectFrom(table).select('flow_id').where('flow_id', '=', id.id).execute()).length, 0, `${table} rows are gone`);
      }
      assert.equal((await hub.ctx.db.selectFrom('connection_usages').select('consumer_id').where('consumer_id', '=', id.id).execute()).length, 0);
      const audit = await hub.ctx.db.selectFrom('audit').select(['action', 'detail']).where('action', '=', 'flow.delete').execute();
      assert.equal(audit.length, 2);
      assert.ok(audit.some((a) => new RegExp(`forced: ${backlog} events? still to run`).test(a.detail ?? '')), JSON.stringify(audit));
    });

    it('keeps each save that changes the document as a version (as sent, comments too), and rolls back by saving an old one again', async () => {
      const first = `# first draft\n${flow('versioned', '{ type: webhook }')}`;
      const second = `# second draft\n${flow('versioned', '{ type: webhook }').replace('const: hi', 'const: hello')}`;
      await put(first);
      await put(second);
      await put(second); // the same document again is not a new version
      const api = (method: string, path: string) => hub.api(key, method, `/api/v1/flows/versioned${path}`);
      const versions = (await api('GET', '/versions')).body.versions as { version: number; text: string; savedBy: string }[];
      assert.deepEqual(versions.map((v) => v.version), [2, 1]);
      assert.equal(versions[1]!.text, first, 'kept as sent, comment included');
      assert.equal(versions[0]!.savedBy, 'api-key:test');
      assert.equal(((await api('GET', '')).body.flow as { version: number }).version, 2);
      const restored = await api('POST', '/versions/1/restore');
      assert.equal(restored.status, 200, restored.text);
      assert.equal((restored.body.flow as { version: number }).version, 3);
      const now = (await api('GET', '')).body.flow as { definition: { actions: { mapping: { note: { const: string } } }[] } };
      assert.equal(now.definition.actions[0]!.mapping.note.const, 'hi', 'the flow runs version 1 again');
      assert.equal(((await api('GET', '/versions')).body.versions as { text: string }[])[0]!.text, first);
      assert.equal((await api('POST', '/versions/99/restore')).status, 404);
      const bad = await api('POST', '/versions/x/restore');
      assert.equal(bad.status, 400);
      assert.match(bad.text, /"path":"version"/);
      assert.equal((await api('DELETE', '?force=true')).status, 204);
      assert.equal((await hub.ctx.db.selectFrom('flow_versions').selectAll().execute()).filter((v) => v.text.includes('versioned')).length, 0, 'deleted with the flow');
    });

    it('the CLI deletes and runs flows, and its help never prints the API key from the environment', async () => {
      const env = { ...process.env, HANDSHAKE_HUB_URL: hub.url, HANDSHAKE_API_KEY: key };
      // Asynchronously: the hub answering the CLI lives in this test process.
      const cli = (...args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      });
      for (const args of [['flows', 'runs', '--help'], ['flows', 'delete', '--help'], ['hub', 'rotation', '--help']]) {
        const help = await cli(...args);
        assert.equal(help.status, 0, help.stderr);
        assert.ok(!help.stdout.includes(key.slice(-20)), `${args.join(' ')} --help prints no key`);
      }
      const file = `${hub.storeOptions.dataDir}/cli-yearly.yaml`;
      writeFileSync(file, flow('cli-yearly', '{ type: schedule, cron: "0 0 1 1 *" }'));
      assert.equal((await cli('flows', 'save', file)).status, 0);
      const ran = await cli('flows', 'run-now', 'cli-yearly');
      assert.equal(ran.status, 0, ran.stderr);
      assert.match(ran.stdout, /Queued event \S+ for cli-yearly/);
      const deleted = await cli('flows', 'delete', 'cli-yearly', '--force');
      assert.equal(deleted.status, 0, deleted.stderr);
      assert.match(deleted.stdout, /Deleted flow "cli-yearly"/);
    });
  });
}
