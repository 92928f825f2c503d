import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { OrgMetrics } from '../metrics.js';
import type { OAuthContext } from '../oauth/context.js';
import type { TokenRateLimits } from '../oauth/rate-limits.js';
import { FORM_BODY_LIMIT, parseForm } from './form-body.js';
import { answerTokenRequest } from './token-answer.js';

/**
 * The token endpoint is the org's hot path. Measured on this project's machines, fastify's
 * request-body handling cost about two thirds of a core at 12k requests/s, so a plain
 * `POST /services/oauth2/token` (no query string) is answered straight from node:http. The answer
 * itself comes from the same function as the fastify route; anything unusual (a query string,
 * another method) falls through to fastify, which refuses it in the usual way.
 */
export function tokenFastPath(ctx: OAuthContext, metrics: OrgMetrics, limits: TokenRateLimits, log: () => FastifyBaseLogger) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== '/services/oauth2/token') return false;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > FORM_BODY_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const send = (status: number, headers: Record<string, string>, body: unknown) => {
        const json = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': String(Buffer.byteLength(json)), 'x-content-type-options': 'nosniff', ...headers });
        res.end(json);
      };
      if (tooLarge) return send(413, { 'cache-control': 'no-store' }, { error: 'invalid_request', error_description: 'The request body is too large.' });
      answerTokenRequest(ctx, metrics, limits, {
        ip: req.socket.remoteAddress ?? '',
        host: req.headers.host,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        form: parseForm(Buffer.concat(chunks).toString('utf8')),
      }).then(
        (answer) => send(answer.status, answer.headers, answer.body),
        (error: unknown) => {
          log().error({ err: { type: (error as Error).name, message: (error as Error).message, stack: (error as Error).stack } }, 'token endpoint failed');
          send(500, { 'cache-control': 'no-store' }, { error: 'server_error', error_description: 'An unexpected error occurred; it has been logged.' });
        },
      );
    });
    return true;
  };
}
