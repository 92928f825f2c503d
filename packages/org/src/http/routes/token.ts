import type { FastifyInstance } from 'fastify';
import type { OrgMetrics } from '../../metrics.js';
import type { OAuthContext } from '../../oauth/context.js';
import type { TokenRateLimits } from '../../oauth/rate-limits.js';
import type { FormBody } from '../form-body.js';
import { answerTokenRequest } from '../token-answer.js';

/** The token endpoint for requests the node:http fast path leaves to fastify (see token-fast-path.ts). */
export function tokenRoutes(app: FastifyInstance, ctx: OAuthContext, metrics: OrgMetrics, limits: TokenRateLimits): void {
  app.post('/services/oauth2/token', async (request, reply) => {
    const answer = await answerTokenRequest(ctx, metrics, limits, {
      ip: request.ip,
      host: request.headers.host,
      contentType: request.headers['content-type'],
      authorization: request.headers.authorization,
      form: request.body as FormBody | undefined,
    });
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
