import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

for (const store of STORES) {
  describe(`API keys can be listed, revoked and expire; last use is kept (${store.name})`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub(store, { metricsToken: 'metrics-token-for-the-scraper' });
    });
    after(() => hub.close());

    it('creates, lists (never a secret), revokes at once, and refuses an expired key', async () => {
      const admin = (await createApiKey(hub.ctx.db, 'key-admin', ['api-keys:manage', 'connections:read'], Date.now())).key;
      const created = await hub.api(admin, 'POST', '/api/v1/api-keys', { name: 'ci', scopes: ['connections:read'], expiresInDays: 30 });
      assert.equal(created.status, 201, created.text);
      const ci = created.body.key as string;
      const id = (created.body.apiKey as { id: string; expiresAt: string }).id;
      assert.ok(Date.parse((created.body.apiKey as { expiresAt: string }).expiresAt) > Date.now() + 29 * 86_400_000);
      assert.equal((await hub.api(ci, 'GET', '/api/v1/connections')).status, 200);
      const listed = await hub.api(admin, 'GET', '/api/v1/api-keys');
      assert.ok(!listed.text.includes(ci.slice(-43)), 'no secret in the list');
      assert.deepEqual((listed.body.apiKeys as { name: string }[]).map((k) => k.name).sort(), ['ci', 'key-admin']);
      assert.equal((await hub.api(admin, 'DELETE', `/api/v1/api-keys/${id}`)).status, 204);
      assert.equal((await hub.api(ci, 'GET', '/api/v1/connections')).status, 401, 'revoked at once');
      assert.equal((await hub.api(admin, 'DELETE', '/api/v1/api-keys/nope')).status, 404);
      assert.equal((await hub.api(admin, 'POST', '/api/v1/api-keys', { name: 'x', scopes: ['everything'] })).status, 400);
      const expired = (await createApiKey(hub.ctx.db, 'old', ['connections:read'], Date.now() - 2000, Date.now() - 1000)).key;
      assert.equal((await hub.api(expired, 'GET', '/api/v1/connections')).status, 401, 'an expired key is refused');
      assert.equal((await hub.api(await hub.key(['connections:read']), 'GET', '/api/v1/api-keys')).status, 403, 'managing keys needs its own scope');
    });

    it('keeps last use without a write per request, and protects /metrics with its token', async () => {
      const { id, key } = await createApiKey(hub.ctx.db, 'busy', ['connections:read'], Date.now());
      for (let i = 0; i < 20; i++) await hub.api(key, 'GET', '/api/v1/connections');
      const before = await hub.ctx.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(before.last_used_at, null, 'not written per request');
      await hub.close();
      const reopened = await hub.ctx.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirst().catch(() => undefined);
      if (reopened) assert.ok(reopened.last_used_at, 'flushed when the server closed');
      hub = await startTestHub(store, { metricsToken: 'metrics-token-for-the-scraper', dataDir: hub.storeOptions.dataDir, databaseUrl: hub.storeOptions.databaseUrl, databaseSchema: hub.storeOptions.databaseSchema, masterKeys: hub.masterKeys });
      const row = await hub.ctx.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
      assert.ok(row.last_used_at && row.last_used_at <= Date.now(), 'last use was written in a batch');
      assert.equal((await fetch(`${hub.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${hub.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await fetch(`${hub.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-the-scraper' } })).status, 200);
    });
  });
}
