import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CachedToken, SharedTokenCache } from '../auth/token-manager.js';
import type { HubDatabase } from '../store/schema.js';
import type { Vault } from '../vault/vault.js';
import type { Secret } from '../vault/secret.js';
import type { ClusterLocks } from './locks.js';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
/** How often a process waiting for a peer's token looks for it, and how long it waits in all. */
const LOOK_EVERY_MS = 50;
const WAIT_AT_MOST_MS = 30_000;

/**
 * The cluster's token cache: a table of sealed tokens, and a lock per credential held by the one
 * process that fetches. The others look for the stored token until it is there, so one token
 * request is made per credential and lifetime across every process, and a refresh-token chain is
 * advanced by one process at a time. Nothing holds a store connection while a token is fetched.
 */
export class SharedTokens implements SharedTokenCache {
  constructor(private readonly db: Kysely<HubDatabase>, private readonly vault: Vault, private readonly locks: ClusterLocks, private readonly now: () => number) {}

  async obtain(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
    for (let waited = 0; waited <= WAIT_AT_MOST_MS; waited += LOOK_EVERY_MS) {
      const stored = await this.#fresh(key);
      if (stored) return stored;
      const fetched = await this.locks.tryHold(`token:${key}`, async () => {
        // A peer may have stored one between the look and the lock.
        const again = await this.#fresh(key);
        if (again) return again;
        const token = await fetch();
        const values = { token_sealed: this.vault.seal(token.token.reveal(), `token:${key}`), token_hash: tokenHash(token.token.reveal()), refresh_at: token.refreshAt, updated_at: this.now() };
        await this.db.insertInto('shared_tokens').values({ key, ...values }).onConflict((oc) => oc.column('key').doUpdateSet(values)).execute();
        return token;
      });
      if (fetched) return fetched;
      await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
    }
    throw new Error(`no token for ${key}: another hub process has been fetching it for ${WAIT_AT_MOST_MS / 1000} s`);
  }

  async drop(key: string, refused?: Secret): Promise<void> {
    let query = this.db.deleteFrom('shared_tokens').where('key', '=', key);
    if (refused) query = query.where('token_hash', '=', tokenHash(refused.reveal()));
    await query.execute();
  }

  async #fresh(key: string): Promise<CachedToken | undefined> {
    const row = await this.db.selectFrom('shared_tokens').select(['token_sealed', 'refresh_at']).where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    const refreshAt = row.refresh_at === null ? null : Number(row.refresh_at);
    return refreshAt === null || refreshAt > this.now() ? { token: this.vault.open(row.token_sealed, `token:${key}`), refreshAt } : undefined;
  }
}
