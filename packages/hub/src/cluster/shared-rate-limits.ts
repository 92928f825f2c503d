import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { RateLimitStore } from '../policies/rate-limit-store.js';

const TABLE = 'policy_rate_limits';

/**
 * Rate-limit windows counted in the cluster's PostgreSQL (rate-limiter-flexible's store: one
 * upsert per request), so every process sees the same count. It runs on the store's own pool (its
 * search path is the hub's schema, and it survives a database restart). While the database cannot
 * be reached, each process counts in its own memory instead of refusing or letting everything through.
 */
export async function sharedRateLimits(pool: pg.Pool): Promise<RateLimitStore> {
  const options = { storeClient: pool, storeType: 'pool', tableName: TABLE };
  // The table is made here, once per process (CREATE TABLE IF NOT EXISTS); the limiters then use it.
  await new Promise<void>((resolve, reject) => {
    new RateLimiterPostgres({ ...options, keyPrefix: 'setup', points: 1, duration: 1 }, (error?: Error) => (error ? reject(error) : resolve()));
  });
  return {
    limiter: (name, points, duration) => new RateLimiterPostgres({
      ...options, tableCreated: true, keyPrefix: name, points, duration,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration }),
    }),
  };
}
