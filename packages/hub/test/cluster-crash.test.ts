import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { startHubProcess } from './helpers.js';
import { startContactSync } from './cluster-sync.js';

const RECORDS = Number(process.env.CLUSTER_CRASH_RECORDS ?? 10_000);
const PROCESSES = 3;
const KILLS = 10;

/**
 * Cluster mode under SIGKILL: three real `hub serve --cluster` processes share one PostgreSQL store
 * and a 10,000-contact sync; one of them, picked at random, is killed ten times and restarted. A
 * killed process's events come back to the others when their lease (10 s) ends. Afterwards every
 * contact is a Lead exactly once, counted on an external id field the org does not keep unique.
 */
describe(`cluster: ${PROCESSES} hub processes, ${KILLS} SIGKILLs during a ${RECORDS}-record sync, every record exactly once`, () => {
  let sync: Awaited<ReturnType<typeof startContactSync>>;
  before(async () => {
    sync = await startContactSync(RECORDS, 10);
  });
  after(() => sync.close());

  it('loses none and duplicates none', async () => {
    const hubs: Awaited<ReturnType<typeof startHubProcess>>[] = [];
    for (let slot = 0; slot < PROCESSES; slot++) hubs.push(await sync.startHub());
    const progress: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      const slot = Math.floor(Math.random() * PROCESSES);
      const victim = hubs[slot]!;
      victim.kill('SIGKILL');
      await new Promise((r) => victim.once('exit', r));
      progress.push(`#${slot}: ${await sync.count()}`);
      hubs[slot] = await sync.startHub();
    }
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
