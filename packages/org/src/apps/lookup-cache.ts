import type { Kysely } from 'kysely';
import { findUserById } from '../identity/users.js';
import type { OrgDatabase, UserTable } from '../store/schema.js';
import { findAppByConsumerKey, type AppWithConsumer } from './apps.js';

const TTL_MS = 2_000;

/**
 * Hits-only cache of the token endpoint's reads: the app behind a consumer key and the run-as user.
 * Changes made in this process (setup apply, admin API) clear it at once; changes made by another
 * process sharing the database are seen within two seconds (Salesforce itself allows up to ten
 * minutes for app changes to propagate). Misses are never cached, so a new app works at once.
 */
export class LookupCache {
  readonly #apps = new Map<string, { value: AppWithConsumer; until: number }>();
  readonly #users = new Map<string, { value: UserTable; until: number }>();

  constructor(private readonly db: Kysely<OrgDatabase>, private readonly now: () => number) {}

  async appByConsumerKey(key: string): Promise<AppWithConsumer | undefined> {
    const now = this.now();
    const hit = this.#apps.get(key);
    if (hit && hit.until > now && (hit.value.consumer.expires_at === null || hit.value.consumer.expires_at > now)) return hit.value;
    const value = await findAppByConsumerKey(this.db, key, now);
    if (value) this.#apps.set(key, { value, until: now + TTL_MS });
    else this.#apps.delete(key);
    return value;
  }

  async user(id: string): Promise<UserTable | undefined> {
    const now = this.now();
    const hit = this.#users.get(id);
    if (hit && hit.until > now) return hit.value;
    const value = await findUserById(this.db, id);
    if (value) this.#users.set(id, { value, until: now + TTL_MS });
    else this.#users.delete(id);
    return value;
  }

  clear(): void {
    this.#apps.clear();
    this.#users.clear();
  }
}
