import { Secret } from '../vault/secret.js';
import type { HubMetrics } from '../metrics.js';

export interface FetchedToken {
  accessToken: string;
  /** Seconds, when the server says; Salesforce's client credentials tokens carry none. */
  expiresIn?: number | undefined;
}

interface Cached {
  token: Secret;
  /** Local time after which the token is refreshed before use (no refresh when unknown). */
  refreshAt: number | null;
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
  readonly #cache = new Map<string, Cached>();
  readonly #inflight = new Map<string, Promise<Cached>>();

  constructor(private readonly metrics: HubMetrics, private readonly now: () => number = Date.now) {}

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

  /** Drops the token the API refused, unless a newer one has already replaced it. */
  /** The cached token of a key, if any (never fetches): for redacting it from text that echoes it. */
  peek(key: string): Secret | undefined {
    return this.#cache.get(key)?.token;
  }

  invalidate(key: string, refused: Secret): void {
    if (this.#cache.get(key)?.token === refused) this.#cache.delete(key);
  }

  /** Forgets a credential's token (its secrets changed, or the connection was deleted). */
  forget(key: string): void {
    this.#cache.delete(key);
  }

  async #request(key: string, fetch: () => Promise<FetchedToken>, label: string): Promise<Cached> {
    const started = this.now();
    try {
      const fetched = await fetch();
      const lifetime = fetched.expiresIn !== undefined && fetched.expiresIn > 0 ? fetched.expiresIn * 1000 : null;
      const entry: Cached = { token: new Secret(fetched.accessToken), refreshAt: lifetime === null ? null : started + lifetime - refreshMargin(lifetime) };
      this.#cache.set(key, entry);
      this.metrics.tokenRequest(label, 'success');
      return entry;
    } catch (error) {
      this.metrics.tokenRequest(label, 'failure');
      throw error;
    }
  }
}
