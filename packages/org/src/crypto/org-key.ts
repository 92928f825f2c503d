import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ORG_KEY_ENV = 'HANDSHAKE_ORG_KEY';

/**
 * The org's 256-bit key encrypts consumer secrets at rest and signs browser sessions. It comes
 * from HANDSHAKE_ORG_KEY (base64) when set — required when several org processes share one
 * PostgreSQL database — or else from `org.key` in the data folder, created on first start.
 */
export function loadOrgKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env[ORG_KEY_ENV];
  if (fromEnv) return decodeKey(fromEnv, ORG_KEY_ENV);
  const file = join(dataDir, 'org.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8').trim(), file);
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new Error(`The org key in ${source} must be 32 bytes, base64-encoded (got ${key.length} bytes). Generate one with: openssl rand -base64 32`);
  }
  return key;
}
