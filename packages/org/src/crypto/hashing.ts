import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual, type BinaryLike } from 'node:crypto';
import { promisify } from 'node:util';
import { randomBytesFromPool } from './random-pool.js';

const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keylen: number) => Promise<Buffer>;

/**
 * Tokens, codes and consumer secrets are 256-bit random values, so a plain SHA-256 is a safe
 * verifier for them (no dictionary to attack) and keeps the token endpoint fast; only human
 * passwords go through a slow KDF.
 */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function hmacSha256Base64(key: string | Buffer, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Compare against itself on length mismatch so the time taken does not depend on where they differ.
  if (ab.length !== bb.length) return timingSafeEqual(ab, ab) && false;
  return timingSafeEqual(ab, bb);
}

export function randomToken(bytes = 32): string {
  return randomBytesFromPool(bytes).toString('base64url');
}

const SCRYPT_KEYLEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT_KEYLEN);
  return `scrypt$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // A user with no password still costs one scrypt, so response time does not reveal which users exist.
  const [, saltText, keyText] = (stored ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAA').split('$');
  const key = await scryptAsync(password, Buffer.from(saltText ?? '', 'base64url'), SCRYPT_KEYLEN);
  const expected = Buffer.from(keyText ?? '', 'base64url');
  return stored !== null && expected.length === key.length && timingSafeEqual(key, expected);
}
