import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { until } from './helpers.js';
import { startContactSync } from './cluster-sync.js';

const RECORDS = 1000;

/**
 * SIGTERM drains: a `hub serve --cluster` process told to stop mid-sync, with batches in flight,
 * finishes them or hands them back. It exits 0 within its drain time; afterwards no job is left
 * active (held by nobody), every finished event has its run record and every unfinished one a job
 * waiting for a worker; a new process completes the sync with every record exactly once.
 */
describe('cluster: SIGTERM during a sync finishes or hands back the batches in flight, never half-recorded', () => {
  let sync: Awaited<ReturnType<typeof startContactSync>>;
  before(async () => {
    sync = await startContactSync(RECORDS, 10);
  });
  after(() => sync.close());

  it('drains on SIGTERM and loses or duplicates nothing', async () => {
    const first = await sync.startHub();
    await until('the sync to be under way', async () => (await sync.count()) > 0, 30_000, 50);
    const stopped = Date.now();
    first.kill('SIGTERM');
    const code = await new Promise((r) => first.once('exit', (c) => r(c)));
    assert.equal(code, 0, 'exited cleanly within its drain time');
    const synced = await sync.count();
    assert.ok(synced > 0 && synced < RECORDS, `stopped mid-sync (${synced} of ${RECORDS}, ${Date.now() - stopped} ms to drain)`);
    const client = new pg.Client({ connectionString: sync.database.url });
    await client.connect();
    try {
      const active = await client.query("SELECT count(*)::int AS n FROM handshake_jobs.job WHERE state = 'active'");
      assert.equal(active.rows[0].n, 0, 'no job is left held by the stopped process');
      const unrecorded = await client.query("SELECT count(*)::int AS n FROM flow_events e WHERE e.status = 'done' AND NOT EXISTS (SELECT 1 FROM flow_runs r WHERE r.event_id = e.id)");
      assert.equal(unrecorded.rows[0].n, 0, 'every finished event has its run');
      const orphans = await client.query("SELECT count(*)::int AS n FROM flow_events e WHERE e.status = 'pending' AND NOT EXISTS (SELECT 1 FROM handshake_jobs.job j WHERE j.data->>'event' = e.id AND j.state < 'completed')");
      assert.equal(orphans.rows[0].n, 0, 'every unfinished event waits in the queue');
    } finally {
      await client.end();
    }
    await sync.startHub();
    await until('the rest of the sync', async () => (await sync.count()) >= RECORDS, 120_000, 250);
    const { leads, contacts } = await sync.leadsAndContacts();
    assert.equal(leads.length, RECORDS, 'every contact is a lead once');
    assert.deepEqual(new Set(leads), new Set(contacts));
  });
});
