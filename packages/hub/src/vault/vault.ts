import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './master-keys.js';
import { Secret } from './secret.js';

const FORMAT = 'hs1';

/**
 * Envelope encryption: each value gets a fresh 256-bit data key (AES-256-GCM, random 96-bit
 * nonce); the data key is wrapped by the current master key. A sealed value reads
 * `hs1.<master key version>.<wrapped data key>.<nonce>.<tag>.<ciphertext>`, and both layers bind
 * the context (which row and field it belongs to), so a value copied into another row, tampered
 * with or truncated fails to open — loudly, never as an empty or garbage value.
 */
export class Vault {
  constructor(private readonly ring: KeyRing) {}

  seal(plaintext: string, context: string): string {
    const dataKey = randomBytes(32);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const kek = this.ring.current;
    return [FORMAT, kek.version, kek.wrap(dataKey, context), nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): Secret {
    const parts = parse(sealed);
    const kek = this.#kek(parts.version);
    try {
      const dataKey = kek.unwrap(parts.wrapped, context);
      const decipher = createDecipheriv('aes-256-gcm', dataKey, parts.nonce);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(parts.tag);
      return new Secret(Buffer.concat([decipher.update(parts.body), decipher.final()]).toString('utf8'));
    } catch {
      throw new VaultError(`A sealed value for ${context} failed to open: it was altered, moved from another record, or sealed with a different master key (version ${parts.version}).`);
    }
  }

  #kek(version: number) {
    try {
      return this.ring.get(version);
    } catch (error) {
      throw new VaultError((error as Error).message);
    }
  }

  /** True when the value's data key is wrapped by an older master key. */
  isStale(sealed: string): boolean {
    return parse(sealed).version !== this.ring.current.version;
  }

  /** Re-wraps the data key under the current master key; the encrypted data itself is untouched. */
  rewrap(sealed: string, context: string): string {
    const parts = parse(sealed);
    if (parts.version === this.ring.current.version) return sealed;
    const kek = this.#kek(parts.version);
    let dataKey: Buffer;
    try {
      dataKey = kek.unwrap(parts.wrapped, context);
    } catch (error) {
      throw new VaultError(`Cannot re-wrap the value for ${context}: ${(error as Error).message}`);
    }
    const segments = sealed.split('.');
    return [FORMAT, this.ring.current.version, this.ring.current.wrap(dataKey, context), ...segments.slice(3)].join('.');
  }
}

export class VaultError extends Error {
  override name = 'VaultError';
}

function parse(sealed: string) {
  const segments = sealed.split('.');
  const [format, version, wrapped, nonce, tag, body] = segments;
  if (segments.length !== 6 || format !== FORMAT || !/^\d+$/.test(version ?? '') || !wrapped || !nonce || !tag || body === undefined) {
    throw new VaultError('A sealed value is malformed or truncated.');
  }
  const nonceBytes = Buffer.from(nonce, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (nonceBytes.length !== 12 || tagBytes.length !== 16) throw new VaultError('A sealed value is malformed or truncated.');
  return { version: Number(version), wrapped, nonce: nonceBytes, tag: tagBytes, body: Buffer.from(body, 'base64url') };
}
