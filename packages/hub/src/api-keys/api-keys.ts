import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';

export const API_SCOPES = ['connections:read', 'connections:write', 'connections:test', 'credentials:reveal', 'audit:read', 'flows:read', 'flows:write', 'flows:trigger', 'api-keys:manage', 'users:manage'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

export interface ApiKeyPrincipal { id: string; name: string; scopes: ApiScope[] }

/**
 * API keys read `hsk_<id>_<secret>`: the id finds the row, the 256-bit secret is stored only as
 * its SHA-256 and compared in constant time. The full key is shown once, at creation.
 */
export async function createApiKey(db: Kysely<HubDatabase>, name: string, scopes: ApiScope[], now: number, expiresAt: number | null = null): Promise<{ id: string; key: string }> {
  const id = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  await db.insertInto('api_keys').values({ id, name, secret_hash: sha256(secret), scopes: JSON.stringify(scopes), created_at: now, last_used_at: null, revoked: 0, expires_at: expiresAt }).execute();
  return { id, key: `hsk_${id}_${secret}` };
}

export interface ApiKeyView { id: string; name: string; scopes: ApiScope[]; createdAt: string; lastUsedAt: string | null; expiresAt: string | null; revoked: boolean }

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Every key, without its secret (which is never stored). */
export async function listApiKeys(db: Kysely<HubDatabase>): Promise<ApiKeyView[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, scopes: JSON.parse(r.scopes) as ApiScope[], createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at), expiresAt: iso(r.expires_at), revoked: r.revoked === 1 }));
}

/** Revokes a key at once (every later request with it is refused); false if there is no such key. */
export async function revokeApiKey(db: Kysely<HubDatabase>, id: string): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked: 1 }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * When each key was last used, written in batches (a write per request would double the hub's
 * writes): uses are noted in memory and flushed every `everyMs`, and on close.
 */
export class KeyUsage {
  #seen = new Map<string, number>();
  #timer: NodeJS.Timeout;

  constructor(private readonly db: Kysely<HubDatabase>, everyMs = 60_000) {
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), everyMs);
    this.#timer.unref();
  }

  used(id: string, at: number): void {
    this.#seen.set(id, at);
  }

  async flush(): Promise<void> {
    const seen = [...this.#seen];
    this.#seen.clear();
    for (const [id, at] of seen) await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}

export async function authenticateApiKey(db: Kysely<HubDatabase>, presented: string): Promise<ApiKeyPrincipal | undefined> {
  const match = /^hsk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
  if (!match) return undefined;
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', match[1]!).executeTakeFirst();
  if (!row || row.revoked === 1 || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
  const expected = Buffer.from(row.secret_hash);
  const actual = Buffer.from(sha256(match[2]!));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  return { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as ApiScope[] };
}
