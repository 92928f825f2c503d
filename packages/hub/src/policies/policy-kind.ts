import type { z } from 'zod';
import type { HubContext } from '../context.js';
import { Problem } from '../problem.js';

/** An inbound request as policies see it (no body: policies decide before it is read). */
export interface InboundCall {
  headers: Record<string, string | string[] | undefined>;
  /** The address the request came from. */
  ip: string;
  /** Which endpoint (`hooks/<flow>`, `api`): a rate limit counts per endpoint. */
  endpoint: string;
}

/** Who called, as far as the policies could tell: recorded on the run and in rejections' audit rows. */
export interface CallerIdentity {
  /** How the caller proved who it is. */
  via: 'token' | 'api-key' | 'none';
  subject?: string;
  clientId?: string;
  issuer?: string;
  scopes?: string[];
}

/** A refusal: the status and the reason the caller is told (never a secret, never the token). */
export class PolicyRefusal extends Problem {
  override name = 'PolicyRefusal';
  constructor(status: 401 | 403 | 429, title: string, detail: string, headers: Record<string, string> = {}) {
    super(status, title, detail, [], headers);
  }
}

/**
 * One kind of inbound policy (a file each, registered in registry.ts): its settings' schema, whether
 * it authenticates the caller (and so stands in for an API key), and its check. A check refuses by
 * throwing PolicyRefusal, and may say more about the caller.
 */
export interface PolicyKind<S extends { type: string }> {
  type: S['type'];
  schema: z.ZodType<S>;
  authenticates: boolean;
  /** The settings' URLs, checked against the hub's URL policy when a flow or the hub's policies are saved. */
  urls?(settings: S): string[];
  check(ctx: HubContext, settings: S, call: InboundCall, caller: CallerIdentity): Promise<CallerIdentity | void>;
}

/** The bearer token of a call, if it sends one. */
export function bearerToken(call: InboundCall): string | undefined {
  const header = call.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^Bearer /i.test(value) ? value.slice(7).trim() || undefined : undefined;
}
