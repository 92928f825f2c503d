import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { saveFlow, setFlowStatus } from '../src/flows/flows.js';
import { startHub, type RunningHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, until } from './helpers.js';

const PROCESSES = 3;
const actor = { name: 'cluster test' };

/**
 * What must happen once per cluster, with three hubs in cluster mode on one PostgreSQL store. They
 * run in this test's process for speed, but share nothing in memory: each has its own store pool,
 * job queue (pg-boss) and lock session, exactly as separate processes do.
 */
describe(`cluster: ${PROCESSES} hubs, one schedule run per tick and one rotation when it is due`, () => {
  let org: TestOrg;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const hubs: RunningHub[] = [];
  const dirs: string[] = [];
  const masterKeys = newMasterKey();
  let sf: Connection;

  before(async () => {
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cluster-once-org-')) }) });
    database = await freshPostgresDatabase();
    for (let i = 0; i < PROCESSES; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'hs-cluster-once-hub-'));
      dirs.push(dataDir);
      hubs.push(await startHub({ dataDir, databaseUrl: database.url, masterKeys, allowPrivateNetworks: true, logLevel: false, cluster: { leaseSeconds: 10 }, rotation: { attempts: 2, initialDelayMs: 20, tickMs: 100 } }));
    }
    sf = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
  });
  after(async () => {
    for (const hub of hubs) await hub.close();
    await org.close();
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  let key: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hubs[0]!.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, { id: string }> };
  };

  it('a schedule ticking every second fires once per tick, whichever hub polls it (each tick creates a Lead: no upsert hides a second run)', async () => {
    key = (await createApiKey(hubs[0]!.ctx.db, 'cluster test', ['connections:read', 'connections:write', 'connections:test'], Date.now())).key;
    const conn = await api('POST', '/api/v1/connections', { name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.MuleSoft_Integration! } });
    assert.equal(conn.status, 201);
    await saveFlow(hubs[1]!.ctx, actor, `name: ticking
trigger: { type: schedule, cron: "* * * * * *" }
actions:
  - name: create-lead
    type: salesforce.create
    connection: Salesforce
    object: Lead
    mapping:
      LastName: { template: "tick-{firedAt}" }
      Company: { const: Clock Co }
`);
    await new Promise((r) => setTimeout(r, 5000));
    await setFlowStatus(hubs[2]!.ctx, actor, 'ticking', 'paused');
    await new Promise((r) => setTimeout(r, 1000));
    const leads = await sf.query<{ LastName: string }>("SELECT LastName FROM Lead WHERE LastName LIKE 'tick-%'");
    const ticks = leads.records.map((l) => l.LastName);
    assert.ok(ticks.length >= 3, `ticks fired: ${ticks.join(', ')}`);
    assert.equal(new Set(ticks).size, ticks.length, `one lead per tick: ${ticks.sort().join(', ')}`);
    const polledBy = await Promise.all(hubs.map((hub) => hub.ctx.db.selectFrom('flow_runs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()));
    assert.equal(Number(polledBy[0]!.n), ticks.length, 'one run recorded per tick');
  });

  it('a due rotation runs once, though all three hubs tick every 100 ms', async () => {
    const admin = await api('POST', '/api/v1/connections', { name: 'Salesforce admin', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.Admin_Tools! } });
    const target = (await api('GET', '/api/v1/connections')).body;
    const targetId = (target.connections as unknown as { id: string; name: string }[]).find((c) => c.name === 'Salesforce')!.id;
    const policy = await api('PUT', `/api/v1/connections/${targetId}/rotation-policy`, { adminConnectionId: admin.body.connection!.id, intervalHours: 24, gracePeriodSeconds: 0 });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const db = hubs[0]!.ctx.db;
    await db.updateTable('rotation_policies').set({ next_rotation_at: Date.now() - 1000 }).where('connection_id', '=', targetId).execute();
    await until('the rotation to complete', async () => (await db.selectFrom('rotations').select('status').where('status', '=', 'completed').execute()).length > 0, 30_000, 100);
    // Every hub ticks about ten more times.
    await new Promise((r) => setTimeout(r, 1500));
    const rotations = await db.selectFrom('rotations').select(['status']).execute();
    assert.deepEqual(rotations.map((r) => r.status), ['completed']);
    const starts = await db.selectFrom('audit').select('id').where('action', '=', 'rotation.start').execute();
    assert.equal(starts.length, 1);
    // Two processes running the one rotation would each record its steps.
    const steps = (await db.selectFrom('audit').select(['action', 'detail']).where('action', 'in', ['rotation.step', 'rotation.complete', 'rotation.fail']).execute()).map((a) => `${a.action} ${a.detail}`);
    assert.ok(steps.length >= 3, steps.join('; '));
    assert.equal(new Set(steps).size, steps.length, `each step recorded once: ${steps.join('; ')}`);
    assert.deepEqual(steps.filter((s) => !s.startsWith('rotation.step')).map((s) => s.split(' ')[0]), ['rotation.complete']);
  });
});
