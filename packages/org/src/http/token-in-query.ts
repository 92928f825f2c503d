import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { ApiError } from './api-error.js';
import { sendOAuthError, speaksOAuth } from './error-format.js';

/** Query parameters that would carry a credential in a URL, where proxies and browsers log it. */
const CREDENTIAL_PARAMS = ['access_token', 'oauth_token', 'sid', 'refresh_token', 'client_secret', 'token'];

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
    if (!found) return;
    const message = `Credentials are not accepted in the URL query string (found "${found}"). Send an access token in the Authorization header ("Authorization: Bearer <token>") and other credentials in a POST body.`;
    if (speaksOAuth(request.url)) return sendOAuthError(reply, new OAuthError('invalid_request', message));
    return reply.code(400).send(new ApiError(400, 'INVALID_AUTH_HEADER', message).body());
  });
}
