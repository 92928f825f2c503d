import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { registerExternalService } from '../src/flows/external-services.js';
import { flowStats } from '../src/flows/runs.js';
import { saveFlow, setFlowStatus } from '../src/flows/flows.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const actor = { name: 'idle test' };
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Quiet feed', version: '1' },
  paths: {
    '/changes': { get: { operationId: 'changes', responses: { 200: { description: 'ok' } } } },
    '/sink': { post: { operationId: 'sink', requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } } }, responses: { 200: { description: 'ok' } } } },
  },
};

/** CPU (user + system) this process spends in `ms`, the hub living in it: the least of `times` windows, as noise only adds. */
async function cpuOver(ms: number, times = 1): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < times; i++) {
    const start = process.cpuUsage();
    await new Promise((r) => setTimeout(r, ms));
    const used = process.cpuUsage(start);
    least = Math.min(least, (used.user + used.system) / 1000);
  }
  return least;
}

describe('an idle hub: a drained feed flow and a quiet webhook flow cost (almost) nothing between events', () => {
  let hub: TestHub;
  let feed: Server;
  let polls = 0;

  before(async () => {
    feed = createServer((req, res) => {
      if (req.url?.startsWith('/changes')) polls++;
      const drainedAfterTwo = req.url?.startsWith('/changes?cursor=2') ? { items: [], nextCursor: '2' } : { items: [{ id: 'a', updatedAt: '1' }, { id: 'b', updatedAt: '1' }], nextCursor: '2' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.url === '/openapi.json' ? SPEC : req.url?.startsWith('/changes') ? drainedAfterTwo : { ok: true }));
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
    hub = await startTestHub(STORES[0]!);
    const key = await hub.key();
    assert.equal((await hub.api(key, 'POST', '/api/v1/external-credentials', { name: 'Open', protocol: 'custom_headers', headers: [{ name: 'x-api-key', value: 'k' }], principals: [{ name: 'p', grantedTo: ['test'] }] })).status, 201);
    assert.equal((await hub.api(key, 'POST', '/api/v1/named-credentials', { name: 'Quiet', baseUrl: url, externalCredential: 'Open', principal: 'p' })).status, 201);
    await registerExternalService(hub.ctx, { name: 'test', apiKeyName: 'test' }, { name: 'Quiet', namedCredential: 'Quiet', specUrl: `${url}/openapi.json` });
    await saveFlow(hub.ctx, { name: 'test', apiKeyName: 'test' }, `name: quiet-feed
trigger: { type: feed, service: Quiet, operation: changes }
actions:
  - name: sink
    type: service
    service: Quiet
    operation: sink
    mapping: { id: { path: id } }
`);
    // A webhook flow never polls: its worker must sleep until a delivery, not spin on a timer.
    await saveFlow(hub.ctx, { name: 'test', apiKeyName: 'test' }, `name: quiet-hook
trigger: { type: webhook, idPath: id }
actions:
  - name: sink
    type: service
    service: Quiet
    operation: sink
    mapping: { id: { path: id } }
`);
  });
  after(async () => {
    await hub.close();
    await new Promise((r) => feed.close(r));
  });

  it('spends no more CPU with an active drained feed flow and webhook flow than with both paused', async () => {
    const deadline = Date.now() + 15_000;
    while ((await flowStats(hub.ctx, 'quiet-feed')).runs.success < 2) {
      assert.ok(Date.now() < deadline, 'the feed\'s two items ran');
      await new Promise((r) => setTimeout(r, 50));
    }
    await cpuOver(500); // settle
    const activeMs = await cpuOver(2500, 3);
    const pollsWhileActive = polls;
    await setFlowStatus(hub.ctx, actor, 'quiet-feed', 'paused');
    await setFlowStatus(hub.ctx, actor, 'quiet-hook', 'paused');
    await cpuOver(500);
    const pausedMs = await cpuOver(2500, 3);
    assert.ok(polls - pollsWhileActive <= 1, 'a paused flow does not poll');
    // Between polls (every 5 s, the default) an active flow must not be busy: before its worker waited
    // for a signal it read the store ten times a second and cost about twice the paused hub.
    assert.ok(activeMs <= pausedMs * 1.25 + 10, `active ${activeMs.toFixed(0)} ms vs paused ${pausedMs.toFixed(0)} ms of CPU over 2.5 s`);
  });
});
