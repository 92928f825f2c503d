import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';

export const API_SCOPES = ['connections:read', 'connections:write', 'connections:test', 'credentials:reveal', 'audit:read', 'flows:read', 'flows:write', 'flows:trigger'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

export interface ApiKeyPrincipal { id: string; name: string; scopes: ApiScope[] }

/**
 * API keys read `hsk_<id>_<secret>`: the id finds the row, the 256-bit secret is stored only as
 * its SHA-256 and compared in constant time. The full key is shown once, at creation.
 */
export async function createApiKey(db: Kysely<HubDatabase>, name: string, scopes: ApiScope[], now: number): Promise<{ id: string; key: string }> {
  const id = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  await db.insertInto('api_keys').values({ id, name, secret_hash: sha256(secret), scopes: JSON.stringify(scopes), created_at: now, last_used_at: null, revoked: 0 }).execute();
  return { id, key: `hsk_${id}_${secret}` };
}

export async function authenticateApiKey(db: Kysely<HubDatabase>, presented: string): Promise<ApiKeyPrincipal | undefined> {
  const match = /^hsk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
  if (!match) return undefined;
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', match[1]!).executeTakeFirst();
  if (!row || row.revoked === 1) return undefined;
  const expected = Buffer.from(row.secret_hash);
  const actual = Buffer.from(sha256(match[2]!));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  return { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as ApiScope[] };
}
