import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { until } from './helpers.js';
import { startContactSync } from './cluster-sync.js';

const RECORDS = 2000;

/** Restarts the local PostgreSQL server (the store and the job queue) and waits until it answers. */
function restartPostgres(): void {
  const version = readdirSync('/etc/postgresql')[0]!;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'ignore' });
  execFileSync('sh', ['-c', 'for i in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 1; done; exit 1']);
}

/**
 * The queue's server restarted during a sync. In cluster mode the job queue is pg-boss in the
 * store's PostgreSQL, so restarting it takes the store, the queue and every lock away at once. Two
 * `hub serve --cluster` processes ride it out (no crash), and every record lands exactly once.
 * A serial test: it restarts the server every other test uses.
 */
describe('cluster: PostgreSQL (store and job queue) restarted during a sync', () => {
  let sync: Awaited<ReturnType<typeof startContactSync>>;
  before(async () => {
    sync = await startContactSync(RECORDS, 10);
  });
  after(() => sync.close());

  it('loses nothing, duplicates nothing, and no process dies', async () => {
    const hubs = [await sync.startHub(), await sync.startHub()];
    const exits: string[] = [];
    for (const hub of hubs) hub.once('exit', (code, signal) => exits.push(`${code ?? signal}`));
    await until('the sync to be under way', async () => (await sync.count()) > 0, 30_000, 50);
    restartPostgres();
    const atRestart = await sync.count();
    assert.ok(atRestart < RECORDS, `restarted mid-sync (${atRestart} of ${RECORDS} synced)`);
    await until('the rest of the sync', async () => (await sync.count()) >= RECORDS, 180_000, 250);
    assert.deepEqual(exits, [], 'both processes lived through the restart');
    for (const hub of hubs) assert.equal((await fetch(`${hub.url}/readyz`)).status, 200);
    const { leads, contacts } = await sync.leadsAndContacts();
    assert.equal(leads.length, RECORDS, 'every contact is a lead once');
    assert.deepEqual(new Set(leads), new Set(contacts));
  });
});
