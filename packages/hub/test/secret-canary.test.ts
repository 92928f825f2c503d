import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestOrg } from '../../org/test/helpers/org.js';
import { connectionClient } from '../src/connections/connections.js';
import { STORES, scanStoreAndClose, startTestHub } from './helpers.js';

/**
 * Invariant 1 for the hub: known secret values are planted (consumer secret, a bearer token, an
 * API key, the master key, the access tokens the hub obtains), every endpoint and error path runs
 * at trace level, and every response, log line, audit row and the database are scanned.
 */
for (const store of STORES) {
  describe(`hub secret canaries (${store.name})`, () => {
    it('never appear in responses, logs, audit rows or the database', async () => {
      const org = await startTestOrg(STORES[0]!);
      const logs: string[] = [];
      const hub = await startTestHub(store, { logLevel: 'trace', logStream: { write: (line: string) => void logs.push(line) } });
      const responses: string[] = [];
      try {
        const key = await hub.key();
        const revealKey = await hub.key(['credentials:reveal']);
        const bearerCanary = 'canary-bearer-token-0123456789';
        const canaries = [org.consumerSecret, bearerCanary, key.slice(-43), revealKey.slice(-43), hub.masterKeys.split(':')[1]!];
        const keep = (r: { text: string }) => responses.push(r.text);
        const sf = { name: 'sf', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret } };
        const created = await hub.api(key, 'POST', '/api/v1/connections', sf);
        keep(created);
        const id = (created.body.connection as { id: string }).id;
        keep(await hub.api(key, 'POST', '/api/v1/connections', sf));
        keep(await hub.api(key, 'POST', '/api/v1/connections', { ...sf, name: 'bad', credentials: { ...sf.credentials, consumerSecret: org.consumerSecret + 'x' } }));
        keep(await hub.api(key, 'POST', '/api/v1/connections', { name: 'b', app: 'http', method: 'bearer', credentials: { baseUrl: 'http://127.0.0.1:1', token: bearerCanary } }));
        keep(await hub.api(key, 'POST', '/api/v1/connections', `{"name":"x","credentials":{"token":"${bearerCanary}"`));
        keep(await hub.api(key, 'PATCH', `/api/v1/connections/${id}`, { credentials: { ...sf.credentials, consumerSecret: bearerCanary } }));
        keep(await hub.api(key, 'POST', `/api/v1/connections/${id}/test`));
        keep(await hub.api(key, 'GET', '/api/v1/connections'));
        keep(await hub.api(key, 'GET', `/api/v1/connections/${id}`));
        keep(await hub.api(key, 'GET', '/api/v1/audit?limit=1000'));
        keep(await hub.api(key, 'POST', `/api/v1/connections/${id}/reveal`));
        keep(await hub.api(`${key}x`, 'GET', '/api/v1/connections'));
        const client = await connectionClient(hub.ctx, id);
        const res = await client.request('/services/data/v66.0');
        assert.equal(res.status, 200);
        const orgTokens = await org.store.db.selectFrom('events').select('id').where('kind', '=', 'token').execute();
        assert.ok(orgTokens.length > 0);
        // The access token the hub holds is a canary too: read it through the token manager.
        const token = await hub.ctx.tokens.token(id, async () => { throw new Error('should be cached'); });
        canaries.push(token.reveal());
        keep({ text: await (await fetch(`${hub.url}/metrics`)).text() });
        // The one legitimate exit: reveal, with its own scope (checked separately).
        const revealed = await hub.api(revealKey, 'POST', `/api/v1/connections/${id}/reveal`);
        assert.equal((revealed.body.credentials as { consumerSecret: string }).consumerSecret, org.consumerSecret);

        const scan = (where: string, text: string) => {
          for (const canary of canaries) assert.ok(!text.includes(canary), `a secret (${canary.slice(0, 6)}…) appears in ${where}`);
        };
        assert.ok(logs.length > 10, 'trace logging was on');
        scan('the logs', logs.join('\n'));
        responses.forEach((r, i) => scan(`response ${i}`, r));
        scan('the audit log', JSON.stringify(await hub.ctx.db.selectFrom('audit').selectAll().execute()));
        await scanStoreAndClose(hub, store, scan);
      } finally {
        await hub.close().catch(() => undefined);
        await org.close();
      }
    });
  });
}
