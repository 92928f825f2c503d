import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openHub } from '../src/start.js';
import { newMasterKey, STORES } from './helpers.js';

const CLI = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

describe('handshake hub CLI', () => {
  it('creates an API key, serves the API with it, and rotates the master key', async () => {
    const { dataDir } = STORES[0]!.fresh();
    const key1 = newMasterKey(1);
    const env = { ...process.env, HANDSHAKE_MASTER_KEYS: key1 };
    const created = execFileSync(process.execPath, [CLI, 'hub', 'api-key', 'create', '--name', 'ci', '--data', dataDir], { encoding: 'utf8', env });
    const apiKey = /(hsk_\S+)/.exec(created)![1]!;

    const server = spawn(process.execPath, [CLI, 'hub', 'serve', '--data', dataDir, '--port', '0', '--log-level', 'error'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        server.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('Metrics:')) resolve(); });
        server.once('exit', (code) => reject(new Error(`hub serve exited ${code}: ${out}`)));
      });
      const api = /API:\s+(\S+)\/api\/v1/.exec(out)![1]!;
      const res = await fetch(`${api}/api/v1/connections`, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(res.status, 200);
    } finally {
      server.kill('SIGTERM');
    }

    // A connection secret sealed under key 1, then re-wrapped under key 2.
    const hub = await openHub({ dataDir, masterKeys: key1 });
    const sealed = hub.ctx.vault.seal('{"token":"t"}', 'connection:c1:secrets');
    await hub.ctx.db.insertInto('connections').values({ id: 'c1', name: 'c', description: null, app: 'http', method: 'bearer', config: '{}', secrets_sealed: sealed, credentials_hash: 'x', status: 'active', status_reason: null, last_tested_at: null, created_at: 0, updated_at: 0 }).execute();
    await hub.store.close();
    const key2 = newMasterKey(2);
    const rotated = execFileSync(process.execPath, [CLI, 'hub', 'rotate-master-key', '--data', dataDir], { encoding: 'utf8', env: { ...env, HANDSHAKE_MASTER_KEYS: `${key2},${key1}` } });
    assert.match(rotated, /Re-wrapped 1 connection secret\./);
    const after = await openHub({ dataDir, masterKeys: key2 });
    const row = await after.ctx.db.selectFrom('connections').select('secrets_sealed').executeTakeFirstOrThrow();
    assert.equal(after.ctx.vault.open(row.secrets_sealed, 'connection:c1:secrets').reveal(), '{"token":"t"}');
    await after.store.close();

    const wrong = spawnSync(process.execPath, [CLI, 'hub', 'serve', '--data', dataDir, '--port', '0'], { encoding: 'utf8', env: { ...env, HANDSHAKE_MASTER_KEYS: newMasterKey(2) } });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /not the key this database was encrypted with/);
    const none = spawnSync(process.execPath, [CLI, 'hub', 'serve', '--data', dataDir], { encoding: 'utf8', env: { ...process.env, HANDSHAKE_MASTER_KEYS: '' } });
    assert.match(none.stderr, /No master key: set HANDSHAKE_MASTER_KEYS/);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/2', "127.0.0.1,'; rm"]) {
      const refused = spawnSync(process.execPath, [CLI, 'hub', 'serve', '--data', dataDir, '--port', '0', '--trust-proxy', bad], { encoding: 'utf8', env: { ...env, HANDSHAKE_MASTER_KEYS: key2 } });
      assert.equal(refused.status, 1, bad);
      assert.match(refused.stderr, /--trust-proxy.* is not an IP address or CIDR range/, bad);
    }
  });
});
