import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { OAuthError } from './errors.js';

export interface RateLimitOptions {
  /** Token requests per minute from one address. */
  perAddressPerMinute: number;
  /** Token requests per minute naming one client id. */
  perClientPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = { perAddressPerMinute: 30_000, perClientPerMinute: 20_000 };

/** Per-address and per-client limits on the token endpoint; over either, 429 with an OAuth-style error. */
export class TokenRateLimits {
  readonly #address: RateLimiterMemory;
  readonly #client: RateLimiterMemory;

  constructor(options: RateLimitOptions = DEFAULT_RATE_LIMITS) {
    this.#address = new RateLimiterMemory({ points: options.perAddressPerMinute, duration: 60 });
    this.#client = new RateLimiterMemory({ points: options.perClientPerMinute, duration: 60 });
  }

  consumeAddress(address: string): Promise<void> {
    return consume(this.#address, address, 'this address');
  }

  consumeClient(clientId: string): Promise<void> {
    return consume(this.#client, clientId.slice(0, 256), 'this client');
  }
}

async function consume(limiter: RateLimiterMemory, key: string, who: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new OAuthError('rate_limit_exceeded', `too many token requests from ${who}; retry after ${seconds} seconds`, 429, { 'Retry-After': String(seconds) });
  }
}
