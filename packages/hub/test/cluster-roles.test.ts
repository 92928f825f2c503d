import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { openHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess, until } from './helpers.js';

type Hub = Awaited<ReturnType<typeof startHubProcess>>;

/**
 * `--role`: an API process and a worker process of one cluster, as real `hub serve` processes. The
 * webhook the API process accepts is run by the worker; the API process runs no flows, and the
 * worker answers only its probes and metrics.
 */
describe('cluster roles: an api process takes the webhook, a worker process runs it', () => {
  let org: TestOrg;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dirs: string[] = [];
  const masterKeys = newMasterKey();
  let key: string;
  let api: Hub;
  let worker: Hub;

  before(async () => {
    org = await startTestOrg({ name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-cluster-roles-org-')) }) });
    database = await freshPostgresDatabase();
    const dir = () => {
      const d = mkdtempSync(join(tmpdir(), 'hs-cluster-roles-hub-'));
      dirs.push(d);
      return d;
    };
    const { ctx, store } = await openHub({ dataDir: dir(), databaseUrl: database.url, masterKeys });
    try {
      key = (await createApiKey(ctx.db, 'roles test', ['connections:write', 'flows:read', 'flows:write', 'flows:trigger'], Date.now())).key;
    } finally {
      await store.close();
    }
    const args = (role: string) => ['--cluster', '--database-url', database.url, '--role', role];
    [api, worker] = await Promise.all([startHubProcess(dir(), masterKeys, args('api')), startHubProcess(dir(), masterKeys, args('worker'))]);
  });
  after(async () => {
    api?.kill('SIGKILL');
    worker?.kill('SIGKILL');
    await org.close();
    await database.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const call = async (hub: Hub, method: string, path: string, body?: string, type = 'application/json') => {
    const res = await fetch(`${hub.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': type } : {}) }, ...(body ? { body } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('the worker answers its probes and refuses the API with a problem naming its role', async () => {
    const ready = await call(worker, 'GET', '/readyz');
    assert.deepEqual(ready, { status: 200, body: { status: 'ready', checks: { store: 'ok', queue: 'ok', flowEngine: 'running' } } });
    const refused = await call(worker, 'GET', '/api/v1/flows');
    assert.equal(refused.status, 404);
    assert.match(String(refused.body.detail), /worker \(--role worker\).*--role api or all/);
    assert.deepEqual((await call(api, 'GET', '/readyz')).body.checks, { store: 'ok', queue: 'ok', flowEngine: 'disabled' });
  });

  it('a webhook accepted by the api process runs on the worker', async () => {
    const conn = await call(api, 'POST', '/api/v1/connections', JSON.stringify({ name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.MuleSoft_Integration! } }));
    assert.equal(conn.status, 201, JSON.stringify(conn.body));
    const saved = await call(api, 'PUT', '/api/v1/flows', `name: hooked
trigger: { type: webhook, idPath: ref }
actions:
  - name: create-lead
    type: salesforce.create
    connection: Salesforce
    object: Lead
    mapping:
      LastName: { path: name }
      Company: { const: Roles Co }
`, 'application/yaml');
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const hook = await call(api, 'POST', '/api/v1/hooks/hooked', JSON.stringify({ ref: 'R-1', name: 'Split' }));
    assert.equal(hook.status, 202, JSON.stringify(hook.body));
    const runs = await until('the worker to run it', async () => {
      const list = await call(api, 'GET', '/api/v1/flows/hooked/runs');
      const found = (list.body.runs as { status: string }[]).filter((r) => r.status === 'success');
      return found.length ? found : undefined;
    }, 20_000, 100);
    assert.equal(runs.length, 1);
  });
});
