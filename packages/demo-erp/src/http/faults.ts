import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ErpProblem, sendProblem } from '../problem.js';

/**
 * Fault injection for tests and demos (only when the ERP is started with faults enabled): the next
 * `count` API calls (optionally only those under `path`) fail with a 500, a 429 with Retry-After, or a timeout (no answer for
 * `delayMs`, then a 504).
 */
export const faultSpec = z.object({
  kind: z.enum(['error', 'rate_limit', 'timeout']),
  count: z.number().int().min(0).max(100_000),
  retryAfterSeconds: z.number().int().min(0).max(3600).default(1),
  delayMs: z.number().int().min(0).max(120_000).default(10_000),
  /** Only calls whose path starts with this (e.g. /sales-orders) fail; default every call. */
  path: z.string().startsWith('/').optional(),
  /** Only calls with this method fail; default every method. */
  method: z.enum(['GET', 'POST', 'PATCH']).optional(),
}).strict();
export type FaultSpec = z.infer<typeof faultSpec>;

export class Faults {
  private spec: FaultSpec | undefined;
  injected = 0;

  set(spec: FaultSpec): void {
    this.spec = spec.count > 0 ? { ...spec } : undefined;
  }

  /** Answers the request with the next fault, if one is due; true when it did. */
  async apply(reply: FastifyReply, method: string, path: string): Promise<boolean> {
    const spec = this.spec;
    if (!spec || spec.count <= 0 || (spec.path !== undefined && !path.startsWith(spec.path)) || (spec.method !== undefined && spec.method !== method)) return false;
    spec.count--;
    this.injected++;
    switch (spec.kind) {
      case 'error':
        await sendProblem(reply, new ErpProblem(500, 'Internal Server Error', 'injected fault'));
        return true;
      case 'rate_limit':
        reply.header('retry-after', String(spec.retryAfterSeconds));
        await sendProblem(reply, new ErpProblem(429, 'Too Many Requests', 'injected fault: slow down'));
        return true;
      case 'timeout':
        await new Promise((resolve) => setTimeout(resolve, spec.delayMs));
        await sendProblem(reply, new ErpProblem(504, 'Gateway Timeout', 'injected fault: timed out'));
        return true;
    }
  }
}
