import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { HubContext } from '../context.js';
import { duration, durationMs } from '../flows/schema-parts.js';
import { PolicyRefusal, type PolicyKind } from './policy-kind.js';

export const rateLimitPolicySchema = z.object({
  type: z.literal('rateLimit'),
  /** Requests each client may make per window. */
  requests: z.number().int().min(1).max(1_000_000),
  per: duration,
}).strict().meta({ id: 'RateLimitPolicy', description: 'At most `requests` per `per` for each client (its token\'s client id or subject, else its address); more answer 429 with Retry-After.' });
export type RateLimitPolicy = z.infer<typeof rateLimitPolicySchema>;

/** One limiter per hub, endpoint and setting: a policy's windows are its own. */
const limiters = new WeakMap<HubContext, Map<string, RateLimiterAbstract>>();

/** Rate limiting per client, on rate-limiter-flexible's fixed windows, counted where the hub's RateLimitStore says. */
export const rateLimit: PolicyKind<RateLimitPolicy> = {
  type: 'rateLimit',
  schema: rateLimitPolicySchema,
  authenticates: false,
  async check(ctx, s, call, caller) {
    let mine = limiters.get(ctx);
    if (!mine) limiters.set(ctx, (mine = new Map()));
    const key = `${call.endpoint} ${s.requests}/${s.per}`;
    let limiter = mine.get(key);
    // Named by a hash: in a shared store the name is part of every key, which must stay short.
    if (!limiter) mine.set(key, (limiter = ctx.rateLimits.limiter(createHash('sha256').update(key).digest('base64url').slice(0, 22), s.requests, Math.max(1, Math.ceil(durationMs(s.per) / 1000)))));
    const client = caller.clientId ? `client:${caller.clientId}` : caller.subject ? `subject:${caller.subject}` : `ip:${call.ip}`;
    try {
      await limiter.consume(client);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new PolicyRefusal(429, 'Too many requests', `at most ${s.requests} requests per ${s.per} for each client; try again in ${seconds} s`, { 'Retry-After': String(seconds) });
    }
  },
};
