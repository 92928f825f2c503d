import { Secret } from '../vault/secret.js';
import type { HubMetrics } from '../metrics.js';

export interface FetchedToken {
  accessToken: string;
  /** Seconds, when the server says; Salesforce's client credentials tokens carry none. */
  expiresIn?: number | undefined;
}

export interface CachedToken {
  token: Secret;
  /** Time after which the token is refreshed before use (no refresh when unknown). */
  refreshAt: number | null;
}

/** Where a cluster's processes share tokens (cluster/shared-tokens.ts). */
export interface SharedTokenCache {
  /** A token another process stored that is still fresh; otherwise `fetch` runs under the key's cluster-wide lock and its token is stored. */
  obtain(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken>;
  /** Drops the stored token: the one given (if it is still the stored one), or any. */
  drop(key: string, refused?: Secret): Promise<void>;
}

/** Refresh ahead of expiry by 10% of the lifetime, at most one minute, at least five seconds. */
function refreshMargin(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(5_000, lifetimeMs * 0.1));
}

/**
 * One cache per credential, single-flight: however many callers ask at once, one token request
 * is made and its result shared. Expiry is reckoned from the local clock when the token arrived
 * (never from the IdP's timestamps), so an IdP clock minutes off does not matter. A token the API
 * refused is dropped only if it is still the cached one, so fifty callers failing together cause
 * one refresh, not fifty.
 */
export class TokenManager {
  readonly #cache = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();

  /** `shared`: in a cluster, one token request per credential and lifetime across every process. */
  constructor(private readonly metrics: HubMetrics, private readonly now: () => number = Date.now, private readonly shared?: SharedTokenCache) {}

  /** `label` names the credential in metrics (a name, not the key's id). */
  async token(key: string, fetch: () => Promise<FetchedToken>, label = key): Promise<Secret> {
    const cached = this.#cache.get(key);
    if (cached && (cached.refreshAt === null || cached.refreshAt > this.now())) {
      this.metrics.tokenCacheHit(label);
      return cached.token;
    }
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#request(key, fetch, label).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return (await pending).token;
  }

  /** The cached token of a key, if any (never fetches): for redacting it from text that echoes it. */
  peek(key: string): Secret | undefined {
    return this.#cache.get(key)?.token;
  }

  /** Drops the token the API refused, unless a newer one has already replaced it. */
  async invalidate(key: string, refused: Secret): Promise<void> {
    if (this.#cache.get(key)?.token === refused) this.#cache.delete(key);
    await this.shared?.drop(key, refused);
  }

  /** Forgets a credential's token (its secrets changed, or the connection was deleted). */
  async forget(key: string): Promise<void> {
    this.#cache.delete(key);
    await this.shared?.drop(key);
  }

  async #request(key: string, fetch: () => Promise<FetchedToken>, label: string): Promise<CachedToken> {
    const entry = this.shared ? await this.shared.obtain(key, () => this.#fetch(fetch, label)) : await this.#fetch(fetch, label);
    this.#cache.set(key, entry);
    return entry;
  }

  async #fetch(fetch: () => Promise<FetchedToken>, label: string): Promise<CachedToken> {
    const started = this.now();
    try {
      const fetched = await fetch();
      const lifetime = fetched.expiresIn !== undefined && fetched.expiresIn > 0 ? fetched.expiresIn * 1000 : null;
      const entry: CachedToken = { token: new Secret(fetched.accessToken), refreshAt: lifetime === null ? null : started + lifetime - refreshMargin(lifetime) };
      this.metrics.tokenRequest(label, 'success');
      return entry;
    } catch (error) {
      this.metrics.tokenRequest(label, 'failure');
      throw error;
    }
  }
}
