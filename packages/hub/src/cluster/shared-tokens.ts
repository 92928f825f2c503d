import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { CachedToken, SharedTokenCache } from '../auth/token-manager.js';
import type { HubDatabase } from '../store/schema.js';
import type { Vault } from '../vault/vault.js';
import type { Secret } from '../vault/secret.js';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The cluster's token cache: a table of sealed tokens, and a PostgreSQL advisory lock per credential
 * held while one process fetches. Whoever waits on the lock finds the fresh token when it gets it, so
 * one token request is made per credential and lifetime across every process, and a refresh-token
 * chain is advanced by one process at a time.
 */
export class SharedTokens implements SharedTokenCache {
  constructor(private readonly db: Kysely<HubDatabase>, private readonly vault: Vault, private readonly now: () => number, private readonly namespace: string) {}

  obtain(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${this.namespace}:token:${key}`}, 0))`.execute(trx);
      const row = await trx.selectFrom('shared_tokens').select(['token_sealed', 'refresh_at']).where('key', '=', key).executeTakeFirst();
      const refreshAt = row?.refresh_at === null || row?.refresh_at === undefined ? null : Number(row.refresh_at);
      if (row && (refreshAt === null || refreshAt > this.now())) return { token: this.vault.open(row.token_sealed, `token:${key}`), refreshAt };
      const fresh = await fetch();
      const values = { token_sealed: this.vault.seal(fresh.token.reveal(), `token:${key}`), token_hash: tokenHash(fresh.token.reveal()), refresh_at: fresh.refreshAt, updated_at: this.now() };
      await trx.insertInto('shared_tokens').values({ key, ...values }).onConflict((oc) => oc.column('key').doUpdateSet(values)).execute();
      return fresh;
    });
  }

  async drop(key: string, refused?: Secret): Promise<void> {
    let query = this.db.deleteFrom('shared_tokens').where('key', '=', key);
    if (refused) query = query.where('token_hash', '=', tokenHash(refused.reveal()));
    await query.execute();
  }
}
