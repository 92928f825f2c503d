import type { ConnectionClient } from '../../auth/connection-client.js';
import type { OutboundRequest, OutboundResponse } from '../../net/outbound.js';
import { PermanentError, RetryableError } from './errors.js';
import type { CallLimiter } from './limiter.js';

/** How long a call may take when nothing says otherwise (lookups, describes at save time). */
const DEFAULT_TIMEOUT_MS = 15_000;

export type CallOptions = Omit<OutboundRequest, 'signal'> & {
  timeoutMs?: number;
  onHeaders?: (header: OutboundResponse['header']) => void;
  /** Ends the call early (a long poll whose flow stops); the call then fails as retryable. */
  signal?: AbortSignal;
};

function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * One JSON call with a timeout, within the connection's limiter; classifies failures as retryable
 * or permanent, and tells the limiter about throttling (429, 503 and their Retry-After).
 */
export async function callJson(client: ConnectionClient, path: string, init: CallOptions & { limiter?: CallLimiter } = {}): Promise<{ status: number; body: unknown }> {
  const { limiter, ...rest } = init;
  if (!limiter) return callOnce(client, path, rest);
  return limiter.run(async () => {
    try {
      const result = await callOnce(client, path, rest);
      limiter.succeeded();
      return result;
    } catch (error) {
      if (error instanceof RetryableError && error.throttled) limiter.throttled(error.retryAfterMs);
      throw error;
    }
  });
}

async function callOnce(client: ConnectionClient, path: string, init: CallOptions): Promise<{ status: number; body: unknown }> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, onHeaders, signal, ...request } = init;
  // The timeout covers the body too. A timer cleared as soon as the call is over, not
  // AbortSignal.timeout: that signal holds the request's state until it fires, and at hundreds of
  // calls a second that is most of the heap.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  const stop = () => abort.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) stop();
  let response: OutboundResponse;
  let text: string;
  try {
    response = await client.request(path, { ...request, signal: abort.signal });
    onHeaders?.(response.header);
    text = await response.text();
  } catch (error) {
    const name = (error as Error).name;
    if (signal?.aborted) throw new RetryableError('the call was cancelled');
    if (abort.signal.aborted) throw new RetryableError(`timed out after ${timeoutMs} ms`);
    if (name === 'UnsafeRequestError') throw new PermanentError((error as Error).message);
    throw new RetryableError(`request failed: ${client.redact((error as Error).message)}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
  // Whatever of the request an answer echoes is removed before it is parsed and kept.
  if (response.status < 400) text = client.redactAnswer(text);
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: kept as text for the run record.
  }
  // An error body is kept (run records, dead letters): whatever of the request it echoes is removed first.
  if (response.status === 429 || response.status >= 500) {
    throw new RetryableError(`HTTP ${response.status}: ${client.redact(text).slice(0, 300)}`, retryAfterMs(response.header('retry-after')), response.status === 429 || response.status === 503);
  }
  if (response.status >= 400) throw new PermanentError(`HTTP ${response.status}: ${client.redact(text).slice(0, 500)}`);
  return { status: response.status, body };
}
