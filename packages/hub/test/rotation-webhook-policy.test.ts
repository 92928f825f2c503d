import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestHub, type TestHub } from './helpers.js';

for (const store of STORES) {
  describe(`a rotation policy's webhookUrl follows the URL policy (${store.name})`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub(store, { allowPrivateNetworks: false });
    });
    after(() => hub.close());

    it('refuses metadata, loopback and plain-http webhook URLs with a 400 naming the field', async () => {
      const key = await hub.key(['connections:write']);
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'https://127.0.0.1/hook', 'https://[::1]/hook', 'https://localhost/hook', 'http://example.com/hook']) {
        const res = await hub.api(key, 'PUT', `/api/v1/connections/${randomUUID()}/rotation-policy`, { adminConnectionId: randomUUID(), intervalHours: 24, webhookUrl: url });
        assert.equal(res.status, 400, `${url}: ${res.text}`);
        assert.equal((res.body.errors as { path: string }[])[0]!.path, 'webhookUrl', url);
      }
    });
  });
}
