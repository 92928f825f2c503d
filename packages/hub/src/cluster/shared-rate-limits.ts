import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { RateLimitStore } from '../policies/rate-limit-store.js';

const TABLE = 'policy_rate_limits';

/**
 * Rate-limit windows counted in the cluster's PostgreSQL (rate-limiter-flexible's store: one
 * upsert per request), so every process sees the same count. While the database cannot be reached,
 * each process counts in its own memory instead of refusing or letting everything through.
 */
export async function sharedRateLimits(databaseUrl: string, schema: string | undefined, log: (message: string) => void): Promise<RateLimitStore> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, idleTimeoutMillis: 10_000 });
  // An idle client's error (the database restarting) must not end the process.
  pool.on('error', (error) => log(`rate limits: ${error.message}`));
  const options = { storeClient: pool, storeType: 'pool', tableName: TABLE, ...(schema ? { schemaName: schema } : {}) };
  // The table is made here, once per process (CREATE TABLE IF NOT EXISTS); the limiters then use it.
  await new Promise<void>((resolve, reject) => {
    new RateLimiterPostgres({ ...options, keyPrefix: 'setup', points: 1, duration: 1 }, (error?: Error) => (error ? reject(error) : resolve()));
  });
  return {
    limiter: (name, points, duration) => new RateLimiterPostgres({
      ...options, tableCreated: true, keyPrefix: name, points, duration,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration }),
    }),
    close: () => pool.end(),
  };
}
