import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess } from './helpers.js';

type Hub = Awaited<ReturnType<typeof startHubProcess>>;

/**
 * A rateLimit policy in a cluster counts in the shared store: a client gets the limit once across
 * the processes, not once per process (with counts in each process's memory, the fifth call below,
 * the third on its process, would pass).
 */
describe('cluster rate limits: two hub serve processes share one count per client', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-limits-'));
  const masterKeys = newMasterKey();
  let key: string;
  let hubs: Hub[] = [];

  before(async () => {
    database = await freshPostgresDatabase();
    const { ctx, store } = await openHub({ dataDir: join(dir, 'setup'), databaseUrl: database.url, masterKeys });
    try {
      key = (await createApiKey(ctx.db, 'limits test', ['flows:read'], Date.now())).key;
    } finally {
      await store.close();
    }
    const policies = join(dir, 'policies.yaml');
    writeFileSync(policies, 'api:\n  - { type: rateLimit, requests: 4, per: 1m }\n');
    const args = ['--cluster', '--database-url', database.url, '--policies', policies];
    hubs = await Promise.all([startHubProcess(join(dir, 'a'), masterKeys, args), startHubProcess(join(dir, 'b'), masterKeys, args)]);
  });
  after(async () => {
    for (const hub of hubs) hub.kill('SIGKILL');
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('four calls spread over both processes pass; the fifth, on either, is 429 with Retry-After', async () => {
    const call = (hub: Hub) => fetch(`${hub.url}/api/v1/flows`, { headers: { authorization: `Bearer ${key}` } });
    const statuses = [];
    for (const hub of [hubs[0]!, hubs[1]!, hubs[0]!, hubs[1]!]) statuses.push((await call(hub)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    for (const hub of hubs) {
      const refused = await call(hub);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.match(((await refused.json()) as { detail: string }).detail, /at most 4 requests per 1m for each client/);
    }
  });
});
