import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until, type startHubProcess } from './helpers.js';
import { startContactSync } from './cluster-sync.js';

const RECORDS = Number(process.env.CLUSTER_CRASH_RECORDS ?? 10_000);
const PROCESSES = 3;
const KILLS = 10;

/**
 * Cluster mode under SIGKILL: three real `hub serve --cluster` processes share one PostgreSQL store
 * and a 10,000-contact sync; one of them, picked at random, is killed ten times while records are
 * moving, and restarted. A killed process's events come back to the others when their lease (10 s) ends. Afterwards every
 * contact is a Lead exactly once, counted on an external id field the org does not keep unique.
 */
describe(`cluster: ${PROCESSES} hub processes, ${KILLS} SIGKILLs during a ${RECORDS}-record sync, every record exactly once`, () => {
  let sync: Awaited<ReturnType<typeof startContactSync>>;
  before(async () => {
    sync = await startContactSync(RECORDS, 10);
  });
  after(() => sync.close());

  it('loses none and duplicates none', async (t) => {
    const hubs: Awaited<ReturnType<typeof startHubProcess>>[] = [];
    for (let slot = 0; slot < PROCESSES; slot++) hubs.push(await sync.startHub());
    const progress: string[] = [];
    let synced = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Each kill lands while records are moving: after the last kill's events have come back (their
      // lease is 10 s, so a random moment alone can fall in a stall), at a random moment of the work.
      await until('records moving again', async () => (await sync.count()) > synced, 30_000, 100);
      await new Promise((r) => setTimeout(r, Math.random() * 700));
      const slot = Math.floor(Math.random() * PROCESSES);
      const victim = hubs[slot]!;
      victim.kill('SIGKILL');
      await new Promise((r) => victim.once('exit', r));
      synced = await sync.count();
      progress.push(`#${slot}: ${synced}`);
      hubs[slot] = await sync.startHub();
    }
    t.diagnostic(`synced at each kill: ${progress.join(', ')}`);
    const counts = progress.map((p) => Number(p.split(': ')[1]));
    assert.ok(counts[counts.length - 1]! < RECORDS, `the kills happened during the sync (synced at each kill: ${progress.join(', ')})`);
    assert.ok(counts.filter((n, i) => n > (i ? counts[i - 1]! : 0)).length >= KILLS - 2, `records arrived between the kills: processes were killed mid-work (${progress.join(', ')})`);
    const deadline = Date.now() + 240_000;
    while ((await sync.count()) < RECORDS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const { leads, contacts } = await sync.leadsAndContacts();
    assert.equal(leads.length, RECORDS, `every contact is a lead once (synced at each kill: ${progress.join(', ')})`);
    assert.deepEqual(new Set(leads), new Set(contacts));
  });
});
