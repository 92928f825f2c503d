import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrgKey } from '../src/crypto/org-key.js';
import { SecretBox } from '../src/crypto/secret-box.js';
import { hashPassword, verifyPassword } from '../src/crypto/hashing.js';
import { idChecksum, isValidSalesforceId, newSalesforceId } from '../src/ids/salesforce-id.js';

describe('Salesforce ids', () => {
  it('computes the 3-character checksum from the upper-case positions of each 5-character chunk', () => {
    assert.equal(idChecksum('000000000000000'), 'AAA');
    assert.equal(idChecksum('AAAAA00000zzzzz'), '5AA');
    assert.equal(idChecksum('A0000B0000C0000'), 'BBB');
    assert.equal(idChecksum('0000A0000B0000C'), 'QQQ');
  });

  it('makes 18-character ids with the prefix and a valid checksum', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSalesforceId('005')));
    assert.equal(ids.size, 1000);
    for (const id of ids) {
      assert.match(id, /^005[0-9A-Za-z]{12}[A-Z0-5]{3}$/);
      assert.ok(isValidSalesforceId(id));
    }
    const id = [...ids][0]!;
    const flipped = id.slice(0, 5) + (id[5] === id[5]!.toUpperCase() ? id[5]!.toLowerCase() : id[5]!.toUpperCase()) + id.slice(6);
    if (flipped !== id) assert.equal(isValidSalesforceId(flipped), false);
  });
});

describe('secret box (AES-256-GCM)', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  it('round-trips and uses a fresh nonce per value', () => {
    const a = box.seal('s3cret', 'ctx');
    assert.notEqual(a, box.seal('s3cret', 'ctx'));
    assert.equal(box.open(a, 'ctx'), 's3cret');
  });
  it('fails loudly on a tampered, truncated or swapped ciphertext, or a wrong key', () => {
    const sealed = box.seal('s3cret', 'row:1');
    const [v, nonce, tag, body] = sealed.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    assert.throws(() => box.open([v, nonce, tag, flip(body!)].join('.'), 'row:1'));
    assert.throws(() => box.open([v, nonce, tag].join('.'), 'row:1'));
    assert.throws(() => box.open(sealed, 'row:2'), 'bound to its row');
    assert.throws(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'row:1'));
  });
});

describe('org key and passwords', () => {
  it('creates the key file once with mode 0600, and refuses a malformed key with a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-key-'));
    const key = loadOrgKey(dir, {});
    assert.deepEqual(loadOrgKey(dir, {}), key);
    assert.throws(() => loadOrgKey(dir, { HANDSHAKE_ORG_KEY: 'c2hvcnQ=' }), /must be 32 bytes/);
    writeFileSync(join(dir, 'org.key'), 'bad');
    assert.throws(() => loadOrgKey(dir, {}), /must be 32 bytes/);
  });
  it('hashes passwords with scrypt and verifies them', async () => {
    const hash = await hashPassword('correct horse');
    assert.match(hash, /^scrypt\$/);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('wrong horse', hash), false);
    assert.equal(await verifyPassword('anything', null), false);
  });
});
