import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createApiKey } from '../src/api-keys/api-keys.js';
import { startHub } from '../src/start.js';
import { freshPostgresDatabase, newMasterKey, startHubProcess } from './helpers.js';
import { IDP_CLIENT, RESOURCE, startResourceIdp, type ResourceIdp } from './resource-idp.js';

const PROCESSES = 3;
const CALLERS = 50;

/**
 * Invariant 4 across a cluster: three real `hub serve --cluster` processes on one PostgreSQL store,
 * fifty callers each on one connection, and the IdP (oidc-provider) counts one token request. The
 * same three processes without --cluster make one request each, which shows the count can fail.
 */
describe(`cluster: ${PROCESSES} hub processes × ${CALLERS} callers share one token`, () => {
  let idp: ResourceIdp;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dirs: string[] = [];
  const masterKeys = newMasterKey();
  let key: string;
  let connectionId: string;
  const children: ChildProcess[] = [];

  before(async () => {
    idp = await startResourceIdp();
    database = await freshPostgresDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'hs-cluster-setup-'));
    dirs.push(dataDir);
    // The connection is made by a plain hub: its token stays in that process, which then stops.
    const hub = await startHub({ dataDir, databaseUrl: database.url, masterKeys, allowPrivateNetworks: true, logLevel: false, flows: false });
    try {
      key = (await createApiKey(hub.ctx.db, 'cluster test', ['connections:read', 'connections:write', 'connections:test'], Date.now())).key;
      const call = async (path: string, body: unknown) => {
        const res = await fetch(`${hub.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(res.status, 201, await res.clone().text());
        return (await res.json()) as Record<string, { id: string }>;
      };
      await call('/api/v1/identity-providers', { name: 'ERP IdP', tokenUrl: `${idp.issuer}/token`, clientId: IDP_CLIENT.id, clientSecret: IDP_CLIENT.secret, params: [{ name: 'resource', value: RESOURCE, in: 'body' }] });
      await call('/api/v1/external-credentials', { name: 'ERP OAuth', protocol: 'oauth2_client_credentials', identityProvider: 'ERP IdP', principals: [{ name: 'erp', grantedTo: ['cluster test'] }] });
      await call('/api/v1/named-credentials', { name: 'ERP', baseUrl: idp.apiUrl, externalCredential: 'ERP OAuth', principal: 'erp' });
      connectionId = (await call('/api/v1/connections', { name: 'ERP', app: 'named_credential', method: 'named_credential', credentials: { namedCredential: 'ERP', testPath: '/ping' } })).connection!.id;
    } finally {
      await hub.close();
    }
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    idp.close();
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function burst(args: string[]): Promise<number> {
    const hubs = await Promise.all(Array.from({ length: PROCESSES }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-hub-'));
      dirs.push(dir);
      return startHubProcess(dir, masterKeys, ['--database-url', database.url, ...args]);
    }));
    children.push(...hubs);
    const before = idp.tokenRequests();
    try {
      const statuses = await Promise.all(hubs.flatMap((hub) => Array.from({ length: CALLERS }, async () => {
        const res = await fetch(`${hub.url}/api/v1/connections/${connectionId}/test`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
        const body = (await res.json()) as { connection?: { status: string } };
        return `${res.status} ${body.connection?.status}`;
      })));
      assert.deepEqual(new Set(statuses), new Set(['200 active']));
      return idp.tokenRequests() - before;
    } finally {
      for (const hub of hubs) {
        hub.kill('SIGTERM');
        await new Promise((r) => hub.once('exit', r));
      }
    }
  }

  it('makes one token request for the whole cluster, sealed in the store', async () => {
    assert.equal(await burst(['--cluster']), 1);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ token_sealed: string }>('SELECT token_sealed FROM shared_tokens');
      assert.equal(rows.length, 1);
      // The IdP's tokens are JWTs (eyJ…); the row holds only the vault's envelope.
      assert.doesNotMatch(rows[0]!.token_sealed, /eyJ/);
    } finally {
      await client.end();
    }
  });

  it('without --cluster each process makes its own (the count above can fail)', async () => {
    assert.equal(await burst([]), PROCESSES);
  });
});
