import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestHub, type TestHub } from './helpers.js';

for (const store of STORES) {
  describe(`liveness and readiness probes (${store.name})`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub(store, { flows: { idleMs: 20 } });
    });
    after(async () => {
      await hub.close().catch(() => undefined);
    });
    const get = async (path: string) => {
      const res = await fetch(`${hub.url}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('answer without a credential: alive, and ready with the store reachable and the flow engine running', async () => {
      assert.deepEqual(await get('/healthz'), { status: 200, body: { status: 'ok' } });
      assert.deepEqual(await get('/readyz'), { status: 200, body: { status: 'ready', checks: { store: 'ok', flowEngine: 'running' } } });
    });

    it('readiness is 503 once the flow engine stops, and once the store stops answering; liveness stays 200', async () => {
      await hub.flows!.stop();
      assert.deepEqual(await get('/readyz'), { status: 503, body: { status: 'not ready', checks: { store: 'ok', flowEngine: 'stopped' } } });
      await hub.ctx.db.destroy();
      const ready = await get('/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body.checks, { store: 'unreachable', flowEngine: 'stopped' });
      assert.doesNotMatch(JSON.stringify(ready.body), /destroyed|postgres|sqlite/i, 'why is logged, not answered');
      assert.equal((await get('/healthz')).status, 200);
    });
  });
}
