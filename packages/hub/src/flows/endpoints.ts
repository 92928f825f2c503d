import type { ConnectionClient } from '../auth/connection-client.js';
import { connectionClient } from '../connections/connections.js';
import type { HubContext } from '../context.js';
import { resolveNamedCredential } from '../credentials/named-credentials.js';
import { clientFor } from '../connections/connections.js';
import { notFound } from '../problem.js';

/** Failures a later attempt may fix (rate limits, server errors, timeouts), with the server's requested wait. */
export class RetryableError extends Error {
  override name = 'RetryableError';
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** Failures no retry fixes (a rejected record, a missing permission): the event goes to the dead-letter list. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

const SALESFORCE_API = 'v62.0';
/** How long a call may take when nothing says otherwise (lookups, describes at save time). */
const DEFAULT_TIMEOUT_MS = 15_000;

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

/** The last Sforce-Limit-Info reading (share of the daily allowance used) per Salesforce connection. */
const apiUsage = new WeakMap<HubContext, Map<string, number>>();

/** How much of its daily API allowance a Salesforce connection had used at its last call (0–1). */
export function apiUsageShare(ctx: HubContext, connection: string): number {
  return apiUsage.get(ctx)?.get(connection) ?? 0;
}

/**
 * A call through a Salesforce connection (by name). Every answer's Sforce-Limit-Info is read, so
 * the engine knows how close each connection is to its daily allowance whichever flow spent it.
 */
export async function salesforceCall(ctx: HubContext, connection: string, path: string, init: CallOptions = {}): Promise<{ status: number; body: unknown }> {
  const client = await clientByConnectionName(ctx, connection);
  return callJson(client, `/services/data/${SALESFORCE_API}${path}`, {
    ...init,
    onHeaders: (headers) => {
      const usage = /api-usage=(\d+)\/(\d+)/.exec(headers.get('sforce-limit-info') ?? '');
      if (!usage) return;
      let byConnection = apiUsage.get(ctx);
      if (!byConnection) apiUsage.set(ctx, (byConnection = new Map()));
      byConnection.set(connection, Number(usage[1]) / Number(usage[2]));
    },
  });
}

/** The signing client of a connection (by name) or a named credential. */
function clientByConnectionName(ctx: HubContext, name: string): Promise<ConnectionClient> {
  return cached(ctx, `connection:${name}`, async () => connectionClient(ctx, (await connectionByName(ctx, name)).id));
}

export function clientByNamedCredential(ctx: HubContext, name: string): Promise<ConnectionClient> {
  return cached(ctx, `named:${name}`, async () => clientFor(ctx, await resolveNamedCredential(ctx, name, undefined)));
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export type CallOptions = RequestInit & { timeoutMs?: number };

/** One JSON call with a timeout; classifies failures as retryable or permanent. */
export async function callJson(client: ConnectionClient, path: string, init: CallOptions & { onHeaders?: (headers: Headers) => void } = {}): Promise<{ status: number; body: unknown }> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, onHeaders, ...request } = init;
  // The timeout covers the body too. A timer cleared as soon as the call is over, not
  // AbortSignal.timeout: that signal holds the request's state until it fires, and at hundreds of
  // calls a second that is most of the heap.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await client.request(path, { ...request, signal: abort.signal });
    onHeaders?.(response.headers);
    text = await response.text();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new RetryableError(`timed out after ${timeoutMs} ms`);
    if (name === 'UnsafeRequestError') throw new PermanentError((error as Error).message);
    throw new RetryableError(`request failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: kept as text for the run record.
  }
  if (response.status === 429 || response.status >= 500) throw new RetryableError(`HTTP ${response.status}: ${text.slice(0, 300)}`, retryAfterMs(response.headers.get('retry-after')));
  if (response.status >= 400) throw new PermanentError(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  return { status: response.status, body };
}
