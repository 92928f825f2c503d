import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fuzzRoutes, routesOf } from '../../org/test/helpers/route-fuzz.js';
import { API_SCOPES } from '../src/api-keys/api-keys.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

/** Invariant 7 for the hub: every endpoint, hostile input, no 5xx, no crash. */
for (const store of STORES) {
  describe(`hub endpoint fuzz (${store.name})`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub(store);
    });
    after(() => hub.close());

    it('answers every route, with hostile parameters, bodies, encodings and headers, without a 5xx', async () => {
      const routes = routesOf(hub.server);
      assert.ok(routes.length > 30, `the route tree was read: ${routes.length} routes`);
      const all = `Bearer ${await hub.key([...API_SCOPES])}`;
      const some = `Bearer ${await hub.key(['connections:read'])}`;
      const { sent, failures } = await fuzzRoutes({ baseUrl: hub.url, routes, authorization: [all, all, some, 'Bearer hsk_forged', ''], perRoute: 10, seed: 20261202, deadline: Date.now() + 60_000 });
      assert.ok(sent >= routes.length * 5, `${sent} requests sent`);
      assert.deepEqual(failures, []);
      assert.equal((await hub.api(all.slice(7), 'GET', '/api/v1/connections')).status, 200);
    });
  });
}
