import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { ApiError } from './api-error.js';
import { sendOAuthError, speaksOAuth } from './error-format.js';

/** Query parameters that would carry a credential in a URL, where proxies and browsers log it. */
const CREDENTIAL_PARAMS = ['access_token', 'oauth_token', 'sid', 'refresh_token', 'client_secret', 'token'];

/**
 * jsforce's `identity()` (unmodified, v3) appends `oauth_token=<token>` to the identity URL while
 * also sending the same token as a Bearer header. That one request is let through: the header
 * authenticates it, the query copy is never read or logged. A query token without the identical
 * header is refused like any other.
 */
function isJsforceIdentityCall(url: string, params: URLSearchParams, authorization: string | undefined): boolean {
  if (!url.startsWith('/id/')) return false;
  const keys = [...new Set(params.keys())];
  const queryToken = params.getAll('oauth_token');
  return keys.every((k) => k === 'oauth_token' || k === 'format' || k === 'version') && queryToken.length === 1 && authorization === `Bearer ${queryToken[0]}`;
}

/**
 * Refuses any request that carries a credential in its query string, before any route runs. The
 * URL is never logged with its query (see the logger's request serializer), so the token is not
 * written anywhere either.
 */
export function refuseTokensInQuery(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const q = request.url.indexOf('?');
    if (q < 0) return;
    const params = new URLSearchParams(request.url.slice(q + 1));
    const found = CREDENTIAL_PARAMS.find((name) => params.has(name));
    if (!found || isJsforceIdentityCall(request.url, params, request.headers.authorization)) return;
    const message = `Credentials are not accepted in the URL query string (found "${found}"). Send an access token in the Authorization header ("Authorization: Bearer <token>") and other credentials in a POST body.`;
    if (speaksOAuth(request.url)) return sendOAuthError(reply, new OAuthError('invalid_request', message));
    return reply.code(400).send(new ApiError(400, 'INVALID_AUTH_HEADER', message).body());
  });
}
