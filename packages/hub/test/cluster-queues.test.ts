import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey } from './helpers.js';

type Opened = Awaited<ReturnType<typeof openHub>>;

/**
 * A new flow's job queue is made by whichever process needs it first; often two at once (the API
 * process taking its first webhook, a worker starting to fetch). pg-boss deadlocks on that (found
 * in CI: the webhook answered 500); every such call must still succeed.
 */
describe('cluster job queues: two processes making a flow\'s queue at once', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-queues-'));
  const hubs: Opened[] = [];

  before(async () => {
    database = await freshPostgresDatabase();
    const masterKeys = newMasterKey();
    for (const name of ['a', 'b']) hubs.push(await openHub({ dataDir: join(dir, name), databaseUrl: database.url, masterKeys, cluster: {} }));
  });
  after(async () => {
    for (const { ctx, store } of hubs) {
      await ctx.work.close();
      await store.close();
    }
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ten new flows, each queue made by both processes at the same moment: every call succeeds', async () => {
    const results = [];
    // A deadlock costs PostgreSQL's deadlock_timeout (1 s) to find: ten rounds, nearly all of which meet one.
    for (let i = 0; i < 10; i++) {
      const flowId = randomUUID();
      results.push(...await Promise.allSettled(hubs.map(({ ctx }) => ctx.work.take(flowId, 1, Date.now()))));
    }
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);
  });
});
