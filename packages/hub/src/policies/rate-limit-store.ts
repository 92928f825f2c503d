import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Where the rateLimit policy counts its windows: this process's memory (one process), or a table
 * every process of a cluster shares (cluster/shared-rate-limits.ts), so a client gets the limit
 * once, not once per process.
 */
export interface RateLimitStore {
  /** A fixed-window limiter of `points` per `durationSeconds`; `name` keeps its counts apart from other limiters'. */
  limiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract;
}

export const memoryRateLimits = (): RateLimitStore => ({
  limiter: (name, points, duration) => new RateLimiterMemory({ keyPrefix: name, points, duration }),
});
