import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { keyRingFromText } from '../src/vault/master-keys.js';
import { Secret } from '../src/vault/secret.js';
import { Vault, VaultError } from '../src/vault/vault.js';
import { openHub } from '../src/start.js';
import { rotateMasterKey } from '../src/vault/rotate-master-key.js';
import { newMasterKey, STORES } from './helpers.js';

describe('Secret', () => {
  it('is redacted in strings, JSON and inspect output, and revealed only on request', () => {
    const secret = new Secret('hunter2-canary');
    assert.equal(String(secret), '[redacted]');
    assert.equal(`${secret}`, '[redacted]');
    assert.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
    assert.doesNotMatch(inspect({ nested: { secret } }, { depth: 5 }), /hunter2/);
    assert.equal(secret.reveal(), 'hunter2-canary');
  });
});

describe('vault (envelope encryption)', () => {
  const key1 = newMasterKey(1);
  const vault = new Vault(keyRingFromText(key1));

  it('seals with a fresh data key and nonce per value, bound to its context', () => {
    const a = vault.seal('s3cret', 'connection:1:secrets');
    assert.notEqual(a, vault.seal('s3cret', 'connection:1:secrets'));
    assert.match(a, /^hs1\.1\./);
    assert.equal(vault.open(a, 'connection:1:secrets').reveal(), 's3cret');
  });

  it('fails loudly on a tampered, swapped or truncated value, and on the wrong key', () => {
    const sealed = vault.seal('s3cret', 'connection:1:secrets');
    const parts = sealed.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    assert.throws(() => vault.open([...parts.slice(0, 5), flip(parts[5]!)].join('.'), 'connection:1:secrets'), VaultError);
    assert.throws(() => vault.open([...parts.slice(0, 2), flip(parts[2]!), ...parts.slice(3)].join('.'), 'connection:1:secrets'), VaultError);
    assert.throws(() => vault.open(sealed, 'connection:2:secrets'), VaultError, 'moved to another row');
    assert.throws(() => vault.open(sealed.slice(0, -10), 'connection:1:secrets'), VaultError);
    assert.throws(() => vault.open(parts.slice(0, 4).join('.'), 'connection:1:secrets'), /malformed or truncated/);
    assert.throws(() => new Vault(keyRingFromText(newMasterKey(1))).open(sealed, 'connection:1:secrets'), VaultError);
    assert.throws(() => new Vault(keyRingFromText(newMasterKey(2))).open(sealed, 'connection:1:secrets'), /version 1, which is not configured/);
  });

  it('refuses malformed master key settings with a clear error', () => {
    assert.throws(() => keyRingFromText('not-a-key'), /version:base64key/);
    assert.throws(() => keyRingFromText('1:c2hvcnQ='), /must be 32 bytes/);
    assert.throws(() => keyRingFromText(`${key1},${key1}`), /same version/);
  });
});

for (const store of STORES) {
  describe(`master key at start-up and rotation (${store.name})`, () => {
    it('refuses to start with a wrong master key, and re-wraps everything under a new one', async () => {
      const options = store.fresh();
      const base = { dataDir: options.dataDir, databaseUrl: options.databaseUrl, databaseSchema: options.databaseSchema };
      const key1 = newMasterKey(1);
      const first = await openHub({ ...base, masterKeys: key1 });
      const sealed = first.ctx.vault.seal('{"consumerSecret":"abc"}', 'connection:c1:secrets');
      await first.ctx.db.insertInto('connections').values({ id: 'c1', name: 'one', description: null, app: 'http', method: 'bearer', config: '{}', secrets_sealed: sealed, credentials_hash: 'x', status: 'active', status_reason: null, last_tested_at: null, created_at: 0, updated_at: 0 }).execute();
      await first.store.close();

      await assert.rejects(openHub({ ...base, masterKeys: newMasterKey(1) }), /not the key this database was encrypted with/);

      const key2 = newMasterKey(2);
      const both = await openHub({ ...base, masterKeys: `${key2},${key1}` });
      assert.equal(await rotateMasterKey(both.ctx.db, both.ctx.vault), 1);
      assert.equal(await rotateMasterKey(both.ctx.db, both.ctx.vault), 0, 'idempotent');
      await both.store.close();

      const onlyNew = await openHub({ ...base, masterKeys: key2 });
      const row = await onlyNew.ctx.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
      assert.match(row.secrets_sealed, /^hs1\.2\./);
      assert.equal(onlyNew.ctx.vault.open(row.secrets_sealed, 'connection:c1:secrets').reveal(), '{"consumerSecret":"abc"}');
      await onlyNew.store.close();
    });
  });
}
