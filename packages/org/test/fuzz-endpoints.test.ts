import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestOrg, tokenFor, STORES, type TestOrg } from './helpers/org.js';
import { fuzzRoutes, routesOf } from './helpers/route-fuzz.js';

/** Invariant 7 for the org: every endpoint, hostile input, no 5xx, no crash. */
for (const store of STORES) {
  describe(`org endpoint fuzz (${store.name})`, () => {
    let org: TestOrg;
    before(async () => {
      org = await startTestOrg(store);
    });
    after(() => org.close());

    it('answers every route, with hostile parameters, bodies, encodings and headers, without a 5xx', async () => {
      const routes = routesOf(org.server);
      assert.ok(routes.length > 40, `the route tree was read: ${routes.length} routes`);
      const admin = `Bearer ${await tokenFor(org, 'Admin_Tools')}`;
      const integration = `Bearer ${await tokenFor(org, 'MuleSoft_Integration')}`;
      const { sent, failures } = await fuzzRoutes({ baseUrl: org.instanceUrl, routes, authorization: [admin, integration, 'Bearer 00Dxx!forged', ''], perRoute: 8, seed: 20261202, deadline: Date.now() + 60_000 });
      assert.ok(sent >= routes.length * 4, `${sent} requests sent`);
      assert.deepEqual(failures, []);
      // Still serving.
      assert.equal((await fetch(`${org.instanceUrl}/services/data`)).status, 200);
    });
  });
}
