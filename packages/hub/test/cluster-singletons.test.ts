import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import pg from 'pg';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess, until } from './helpers.js';

const PROCESSES = 3;

type Hub = Awaited<ReturnType<typeof startHubProcess>>;

/** What must happen once per cluster, with three real `hub serve --cluster` processes on one PostgreSQL store. */
describe(`cluster: ${PROCESSES} hub processes, one schedule run per tick and one rotation when it is due`, () => {
  let org: TestOrg;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const hubs: Hub[] = [];
  const dirs: string[] = [];
  const masterKeys = newMasterKey();
  let sf: Connection;
  let key: string;
  let store: pg.Client;

  before(async () => {
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cluster-once-org-')) }) });
    database = await freshPostgresDatabase();
    const dir = () => {
      const d = mkdtempSync(join(tmpdir(), 'hs-cluster-once-hub-'));
      dirs.push(d);
      return d;
    };
    const { ctx, store: opened } = await openHub({ dataDir: dir(), databaseUrl: database.url, masterKeys });
    try {
      key = (await createApiKey(ctx.db, 'cluster test', ['connections:read', 'connections:write', 'connections:test', 'flows:write', 'flows:read'], Date.now())).key;
    } finally {
      await opened.close();
    }
    // Every process looks for due rotations every second.
    for (let i = 0; i < PROCESSES; i++) hubs.push(await startHubProcess(dir(), masterKeys, ['--cluster', '--database-url', database.url, '--lease-seconds', '10', '--rotation-check-seconds', '1']));
    sf = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
    store = new pg.Client({ connectionString: database.url });
    await store.connect();
  });
  after(async () => {
    await store.end();
    for (const hub of hubs) hub.kill('SIGKILL');
    await org.close();
    await database.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The API of one of the processes, in turn. */
  let turn = 0;
  const api = async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const hub = hubs[turn++ % hubs.length]!;
    const res = await fetch(`${hub.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('a schedule ticking every second fires once per tick, whichever process polls it (each tick creates a Lead: no upsert hides a second run)', async () => {
    const conn = await api('POST', '/api/v1/connections', { name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.MuleSoft_Integration! } });
    assert.equal(conn.status, 201, JSON.stringify(conn.body));
    const saved = await api('PUT', '/api/v1/flows', `name: ticking
trigger: { type: schedule, cron: "* * * * * *" }
actions:
  - name: create-lead
    type: salesforce.create
    connection: Salesforce
    object: Lead
    mapping:
      LastName: { template: "tick-{firedAt}" }
      Company: { const: Clock Co }
`, 'application/yaml');
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal((await api('POST', '/api/v1/flows/ticking/pause', {})).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const leads = await sf.query<{ LastName: string }>("SELECT LastName FROM Lead WHERE LastName LIKE 'tick-%'");
    const ticks = leads.records.map((l) => l.LastName);
    assert.ok(ticks.length >= 3, `ticks fired: ${ticks.join(', ')}`);
    assert.equal(new Set(ticks).size, ticks.length, `one lead per tick: ${ticks.sort().join(', ')}`);
    const runs = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM flow_runs');
    assert.equal(runs.rows[0]!.n, ticks.length, 'one run recorded per tick');
  });

  it('a due rotation runs once, though all three processes look for due rotations every second', async () => {
    const admin = await api('POST', '/api/v1/connections', { name: 'Salesforce admin', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.Admin_Tools! } });
    assert.equal(admin.status, 201, JSON.stringify(admin.body));
    const target = ((await api('GET', '/api/v1/connections')).body.connections as { id: string; name: string }[]).find((c) => c.name === 'Salesforce')!.id;
    const policy = await api('PUT', `/api/v1/connections/${target}/rotation-policy`, { adminConnectionId: (admin.body.connection as { id: string }).id, intervalHours: 24, gracePeriodSeconds: 0 });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    await store.query('UPDATE rotation_policies SET next_rotation_at = $1 WHERE connection_id = $2', [Date.now() - 1000, target]);
    await until('the rotation to complete', async () => (await store.query("SELECT 1 FROM rotations WHERE status = 'completed'")).rows.length > 0, 60_000, 200);
    // Every process looks about three more times.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual((await store.query('SELECT status FROM rotations')).rows.map((r: { status: string }) => r.status), ['completed']);
    const audit = await store.query<{ action: string; detail: string }>("SELECT action, detail FROM audit WHERE action LIKE 'rotation.%' ORDER BY id");
    assert.equal(audit.rows.filter((a) => a.action === 'rotation.start').length, 1);
    // Two processes running the one rotation would each record its steps.
    const steps = audit.rows.filter((a) => ['rotation.step', 'rotation.complete', 'rotation.fail'].includes(a.action)).map((a) => `${a.action} ${a.detail}`);
    assert.ok(steps.length >= 3, steps.join('; '));
    assert.equal(new Set(steps).size, steps.length, `each step recorded once: ${steps.join('; ')}`);
    assert.deepEqual(steps.filter((s) => !s.startsWith('rotation.step')).map((s) => s.split(' ')[0]), ['rotation.complete']);
  });
});
