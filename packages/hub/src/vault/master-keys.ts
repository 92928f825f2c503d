import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * What wraps data keys. The local master key below implements it; a cloud KMS plugs in behind the
 * same interface (wrap/unwrap a 32-byte data key, bound to a context).
 */
export interface KeyEncryptionKey {
  readonly version: number;
  wrap(dataKey: Buffer, context: string): string;
  unwrap(wrapped: string, context: string): Buffer;
}

export class LocalMasterKey implements KeyEncryptionKey {
  readonly #key: Buffer;

  constructor(readonly version: number, key: Buffer) {
    if (key.length !== 32) throw new Error(`Master key version ${version} must be 32 bytes (got ${key.length}). Generate one with: openssl rand -base64 32`);
    this.#key = key;
  }

  wrap(dataKey: Buffer, context: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(`${this.version}:${context}`));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url');
  }

  unwrap(wrapped: string, context: string): Buffer {
    const raw = Buffer.from(wrapped, 'base64url');
    if (raw.length !== 12 + 16 + 32) throw new Error('wrapped data key is malformed');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${this.version}:${context}`));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }
}

/** The master keys this process holds: the current one (used to seal) and older ones (to open). */
export class KeyRing {
  readonly current: KeyEncryptionKey;
  readonly #byVersion: Map<number, KeyEncryptionKey>;

  constructor(keys: KeyEncryptionKey[]) {
    if (keys.length === 0) throw new Error('At least one master key is needed.');
    this.current = keys[0]!;
    this.#byVersion = new Map(keys.map((k) => [k.version, k]));
    if (this.#byVersion.size !== keys.length) throw new Error('Two master keys have the same version.');
  }

  get(version: number): KeyEncryptionKey {
    const key = this.#byVersion.get(version);
    if (!key) throw new Error(`This value was sealed with master key version ${version}, which is not configured. Add it to HANDSHAKE_MASTER_KEYS.`);
    return key;
  }

  get versions(): number[] {
    return [...this.#byVersion.keys()];
  }
}

export const MASTER_KEYS_ENV = 'HANDSHAKE_MASTER_KEYS';

/**
 * Reads `HANDSHAKE_MASTER_KEYS="2:<base64>,1:<base64>"` — version:key pairs, the current key
 * first. To rotate: put a new key first, restart, run `handshake hub rotate-master-key`, then drop
 * the old key.
 */
export function keyRingFromText(text: string, source = MASTER_KEYS_ENV): KeyRing {
  const keys = text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean).map((entry) => {
    const match = /^(\d+):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!match) throw new Error(`${source} must hold version:base64key pairs separated by commas, such as 1:${'A'.repeat(43)}=`);
    return new LocalMasterKey(Number(match[1]), Buffer.from(match[2]!, 'base64'));
  });
  return new KeyRing(keys);
}
