import type { ConnectionClient } from '../../auth/connection-client.js';
import { clientFor, connectionClient } from '../../connections/connections.js';
import type { HubContext } from '../../context.js';
import { resolveNamedCredential } from '../../credentials/named-credentials.js';
import { notFound, Problem } from '../../problem.js';
import { PermanentError } from './errors.js';
import { callJson, type CallOptions } from './call-json.js';
import { CallLimiter, DEFAULT_MAX_IN_FLIGHT, SALESFORCE_MAX_IN_FLIGHT, type LimiterSettings } from './limiter.js';

const SALESFORCE_API = 'v62.0';
const CACHE_MS = 2000;

/**
 * A short-lived cache per hub context: flows resolve the same connection, named credential and
 * service definition for every event, and a change made through the API is seen within 2 s.
 */
export function cached<T>(ctx: HubContext, key: string, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  const hit = cache.get(key);
  const now = Date.now();
  if (hit && now - hit.at < CACHE_MS) return hit.value as Promise<T>;
  const value = load();
  cache.set(key, { at: now, value });
  value.catch(() => cache.delete(key));
  return value;
}
const caches = new WeakMap<HubContext, Map<string, { at: number; value: Promise<unknown> }>>();

export async function connectionByName(ctx: HubContext, name: string): Promise<{ id: string; app: string }> {
  const row = await ctx.db.selectFrom('connections').select(['id', 'app']).where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`connection "${name}"`);
  return row;
}

const limiters = new WeakMap<HubContext, Map<string, CallLimiter>>();

/**
 * The limiter of a connection (`connection:NAME`) or a named credential (`named:NAME`), shared by
 * every flow of this hub. Settings come from the flows that use it (the strictest wins).
 */
export function limiterFor(ctx: HubContext, key: string, settings?: LimiterSettings): CallLimiter {
  let byKey = limiters.get(ctx);
  if (!byKey) limiters.set(ctx, (byKey = new Map()));
  let limiter = byKey.get(key);
  if (!limiter) byKey.set(key, (limiter = new CallLimiter(settings ?? defaultLimits(key))));
  else if (settings) limiter.configure(settings);
  return limiter;
}

/** A limiter's settings when no flow declares any: Salesforce's guidance for Salesforce connections. */
export function defaultLimits(key: string): LimiterSettings {
  return { maxInFlight: key.startsWith('connection:') ? SALESFORCE_MAX_IN_FLIGHT : DEFAULT_MAX_IN_FLIGHT };
}

/** Every limiter of a hub, by key (for metrics and tests). */
export function allLimiters(ctx: HubContext): ReadonlyMap<string, CallLimiter> {
  return limiters.get(ctx) ?? new Map();
}

/** How much of its daily API allowance a Salesforce connection had used at its last call (0–1). */
export function apiUsageShare(ctx: HubContext, connection: string): number {
  return limiters.get(ctx)?.get(`connection:${connection}`)?.apiUsage ?? 0;
}

/**
 * A call through a Salesforce connection (by name), within its limiter. Every answer's
 * Sforce-Limit-Info is read, so the hub knows how close each connection is to its daily allowance
 * whichever flow spent it.
 */
export async function salesforceCall(ctx: HubContext, connection: string, path: string, init: CallOptions = {}): Promise<{ status: number; body: unknown }> {
  const client = await salesforceClient(ctx, connection);
  const limiter = limiterFor(ctx, `connection:${connection}`);
  return callJson(client, `/services/data/${SALESFORCE_API}${path}`, {
    ...init,
    limiter,
    onHeaders: (header) => {
      const usage = /api-usage=(\d+)\/(\d+)/.exec(header('sforce-limit-info') ?? '');
      if (usage) limiter.apiUsage = Number(usage[1]) / Number(usage[2]);
    },
  });
}

/** The client of a Salesforce connection (by name), for calls outside the REST API (the Streaming API). */
export function salesforceClient(ctx: HubContext, connection: string): Promise<ConnectionClient> {
  return cached(ctx, `connection:${connection}`, async () => connectionClient(ctx, (await connectionByName(ctx, connection)).id));
}

/**
 * A call through a named credential, within its limiter, as `runAs` (the API key that saved the
 * flow; undefined for the hub's operator): a key not granted the credential's principal is refused,
 * and no retry changes that.
 */
export async function namedCredentialCall(ctx: HubContext, namedCredential: string, path: string, init: CallOptions = {}, runAs?: string): Promise<{ status: number; body: unknown }> {
  const client = await cached(ctx, `named:${namedCredential}:${runAs ?? ''}`, async () => clientFor(ctx, await resolveNamedCredential(ctx, namedCredential, runAs))).catch((error: unknown) => {
    if (error instanceof Problem) throw new PermanentError(error.detail ?? error.title);
    throw error;
  });
  return callJson(client, path, { ...init, limiter: limiterFor(ctx, `named:${namedCredential}`) });
}

export type { ConnectionClient };
