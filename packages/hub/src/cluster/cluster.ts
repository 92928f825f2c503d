import { TokenManager } from '../auth/token-manager.js';
import type { HubContext } from '../context.js';
import type { HubStore } from '../store/database.js';
import { JobQueue } from './job-queue.js';
import { ClusterLocks } from './locks.js';
import { sharedRateLimits } from './shared-rate-limits.js';
import { SharedTokens } from './shared-tokens.js';

export interface ClusterOptions {
  /** How long a process holds an event before a peer may take it over (default 300 s: longer than any action's timeout). */
  leaseSeconds?: number;
}

/**
 * Makes this hub process one of several sharing a PostgreSQL store: events go through pg-boss jobs,
 * polls and retention run on one process at a time, and tokens and rate-limit counts are shared. Everything the processes
 * share is in the store; nothing else has to run.
 */
export async function joinCluster(ctx: HubContext, store: HubStore, databaseUrl: string, schema: string | undefined, options: ClusterOptions, log: (message: string) => void): Promise<void> {
  const namespace = schema ?? 'public';
  const locks = new ClusterLocks(databaseUrl, namespace, log);
  ctx.work = await JobQueue.open(ctx.db, databaseUrl, `${schema ?? 'handshake'}_jobs`, locks, { leaseSeconds: options.leaseSeconds ?? 300 }, (error) => log(`job queue: ${error.message}`));
  ctx.tokens = new TokenManager(ctx.metrics, ctx.now, new SharedTokens(ctx.db, ctx.vault, locks, ctx.now));
  if (!store.pgPool) throw new Error('Cluster mode needs the PostgreSQL store.');
  ctx.rateLimits = await sharedRateLimits(store.pgPool);
}
