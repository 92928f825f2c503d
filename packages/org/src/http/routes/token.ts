import type { FastifyInstance } from 'fastify';
import type { OAuthContext, TokenRequest } from '../../oauth/context.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import type { OrgMetrics } from '../../metrics.js';
import { parseBasicAuth } from '../../oauth/client-auth.js';
import type { TokenRateLimits } from '../../oauth/rate-limits.js';
import { sendOAuthError } from '../error-format.js';
import { formParams } from '../form-body.js';
import { isMyDomain } from '../hosts.js';

export function tokenRoutes(app: FastifyInstance, ctx: OAuthContext, metrics: OrgMetrics, limits: TokenRateLimits): void {
  app.post('/services/oauth2/token', async (request, reply) => {
    const started = process.hrtime.bigint();
    await limits.consumeAddress(request.ip);
    const tokenRequest: TokenRequest = {
      params: formParams(request, 'token'),
      basicAuth: parseBasicAuth(request.headers.authorization),
      address: request.ip,
      onMyDomain: isMyDomain(ctx, request),
    };
    const clientId = tokenRequest.basicAuth?.clientId ?? tokenRequest.params.client_id;
    if (clientId) await limits.consumeClient(clientId);
    const outcome = await handleTokenRequest(ctx, tokenRequest);
    metrics.tokenRequest(outcome.grantType, outcome.error?.error ?? 'success', started);
    if (outcome.error) return sendOAuthError(reply, outcome.error);
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(outcome.result!.response);
  });
}
