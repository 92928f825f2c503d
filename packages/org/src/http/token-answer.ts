import type { OrgMetrics } from '../metrics.js';
import { parseBasicAuth } from '../oauth/client-auth.js';
import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import type { TokenRateLimits } from '../oauth/rate-limits.js';
import { handleTokenRequest } from '../oauth/token-endpoint.js';
import { singleValued, type FormBody } from './form-body.js';
import { isMyDomain } from './hosts.js';

export interface TokenHttpRequest {
  ip: string;
  host: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  form: FormBody | undefined;
}

export interface TokenHttpAnswer { status: number; headers: Record<string, string>; body: unknown }

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * The token endpoint, independent of the HTTP framework: both the fastify route and the
 * node:http fast path (see token-fast-path.ts) answer through this one function.
 */
export async function answerTokenRequest(ctx: OAuthContext, metrics: OrgMetrics, limits: TokenRateLimits, req: TokenHttpRequest): Promise<TokenHttpAnswer> {
  const started = process.hrtime.bigint();
  try {
    await limits.consumeAddress(req.ip);
    if ((req.contentType ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      throw new OAuthError('invalid_request', 'the token endpoint accepts only application/x-www-form-urlencoded bodies');
    }
    const tokenRequest = {
      params: singleValued(req.form ?? {}),
      basicAuth: parseBasicAuth(req.authorization),
      address: req.ip,
      onMyDomain: isMyDomain(ctx, req.host),
    };
    const clientId = tokenRequest.basicAuth?.clientId ?? tokenRequest.params.client_id;
    if (clientId) await limits.consumeClient(clientId);
    const outcome = await handleTokenRequest(ctx, tokenRequest);
    metrics.tokenRequest(outcome.grantType, outcome.error?.error ?? 'success', started);
    if (outcome.error) return { status: outcome.error.status, headers: { ...NO_STORE, ...outcome.error.headers }, body: outcome.error.toJSON() };
    return { status: 200, headers: NO_STORE, body: outcome.result!.response };
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    metrics.tokenRequest('', error.error, started);
    return { status: error.status, headers: { ...NO_STORE, ...error.headers }, body: error.toJSON() };
  }
}
