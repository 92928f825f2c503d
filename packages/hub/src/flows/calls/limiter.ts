/**
 * How many calls one connection (a Salesforce connection or a named credential) may have in flight
 * and how fast they may start. Every call a flow makes, polls included, passes through its
 * connection's limiter, so one flow's 429 slows every flow that uses the same API, and no other.
 *
 * - Concurrency adapts (AIMD): halved on 429 and 503, grown back by one per window of successes.
 * - `rateLimit` (calls per second) is a token bucket.
 * - A Retry-After pauses the whole connection until it has passed.
 * - A Salesforce connection above 90% of its daily allowance runs a tenth of its concurrency.
 */
export interface LimiterSettings {
  /** Most calls in flight at once. */
  maxInFlight: number;
  /** Calls started per second; undefined for no limit. */
  ratePerSecond?: number | undefined;
}

/**
 * Salesforce counts requests running over 20 s against a limit of 25 per org ("concurrent long-running
 * requests"); staying at 25 in flight keeps a slow org from refusing the integration's calls.
 */
export const SALESFORCE_MAX_IN_FLIGHT = 25;
export const DEFAULT_MAX_IN_FLIGHT = 25;
/** Above this share of the daily API allowance, a Salesforce connection slows down tenfold. */
export const API_USAGE_SLOWDOWN = 0.9;

export class CallLimiter {
  #inFlight = 0;
  #limit: number;
  #successes = 0;
  #pausedUntil = 0;
  #tokens: number;
  #refilledAt = Date.now();
  #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Share of the daily allowance used (Salesforce's Sforce-Limit-Info), 0–1. */
  apiUsage = 0;

  constructor(private settings: LimiterSettings) {
    this.#limit = settings.maxInFlight;
    this.#tokens = settings.ratePerSecond ?? 0;
  }

  configure(settings: LimiterSettings): void {
    if (settings.maxInFlight === this.settings.maxInFlight && settings.ratePerSecond === this.settings.ratePerSecond) return;
    this.settings = settings;
    this.#limit = Math.min(this.#limit, settings.maxInFlight);
    this.#pump();
  }

  /** The concurrency allowed right now (after 429 halvings and the usage slowdown). */
  get limit(): number {
    return this.apiUsage > API_USAGE_SLOWDOWN ? Math.max(1, Math.floor(this.#limit / 10)) : this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Until when (epoch ms) a Retry-After holds the connection, or 0. */
  get pausedUntil(): number {
    return this.#pausedUntil > Date.now() ? this.#pausedUntil : 0;
  }

  /** Runs a call when the connection has room for it. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      this.#pump();
    });
    try {
      return await call();
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  /** The server throttled (429/503): halve the concurrency, and hold every call for Retry-After. */
  throttled(retryAfterMs: number | undefined): void {
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    this.#successes = 0;
    if (retryAfterMs && retryAfterMs > 0) this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + retryAfterMs);
  }

  /** A call succeeded: after a window of successes, one more call may be in flight. */
  succeeded(): void {
    if (this.#limit >= this.settings.maxInFlight) return;
    if (++this.#successes >= this.#limit) {
      this.#successes = 0;
      this.#limit++;
      this.#pump();
    }
  }

  #pump(): void {
    if (this.#timer) return;
    const now = Date.now();
    if (this.#pausedUntil > now) return this.#wakeAt(this.#pausedUntil - now);
    const rate = this.settings.ratePerSecond;
    if (rate) {
      this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledAt) / 1000) * rate);
      this.#refilledAt = now;
    }
    while (this.#waiting.length && this.#inFlight < this.limit) {
      if (rate) {
        if (this.#tokens < 1) return this.#wakeAt(Math.ceil(((1 - this.#tokens) / rate) * 1000));
        this.#tokens--;
      }
      this.#inFlight++;
      this.#waiting.shift()!();
    }
  }

  #wakeAt(ms: number): void {
    if (!this.#waiting.length) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, ms);
  }
}

/** Parses `rateLimit: 50/s` (or /m) into calls per second. */
export function ratePerSecond(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a rate such as 50/s or 600/m`);
  return Number(m[1]) / (m[2] === 'm' ? 60 : 1);
}
