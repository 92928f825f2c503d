import type { FastifyInstance } from 'fastify';
import { randomToken, sha256 } from '../../crypto/hashing.js';
import { userAccess } from '../../identity/users.js';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { tokenUser } from '../bearer-auth.js';
import { isForm, singleValued, type FormBody } from '../form-body.js';
import { startBrowserSession } from '../browser-session.js';

const OTP_TTL_MS = 60_000;

/**
 * UI Bridge: exchanges an access token (header or POST body, never the URL) for a single-use
 * frontdoor URL valid one minute. API-only users cannot bridge into the UI.
 */
export function singleAccessRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  // One-time passwords are kept in memory: they live one minute and are redeemed on the same process.
  const otps = new Map<string, { userId: string; redirect: string; expiresAt: number }>();

  app.get('/services/oauth2/singleaccess', async () => {
    throw new OAuthError('invalid_request', 'singleaccess accepts only POST, with the access token in the Authorization header or the POST body', 405, { Allow: 'POST' });
  });

  app.post('/services/oauth2/singleaccess', async (request) => {
    const form = isForm(request) ? singleValued((request.body ?? {}) as FormBody) : {};
    const user = await tokenUser(ctx, request);
    if ((await userAccess(ctx.db, user)).apiOnly) throw new OAuthError('access_denied', 'API-only users cannot open a UI session', 403);
    const redirect = form.redirect_uri ?? '/';
    if (!redirect.startsWith('/') || redirect.startsWith('//')) throw new OAuthError('invalid_request', 'redirect_uri must be a relative path such as /lightning/page/home');
    for (const [key, otp] of otps) if (otp.expiresAt <= ctx.now()) otps.delete(key);
    const otp = randomToken(32);
    otps.set(sha256(otp), { userId: user.id, redirect, expiresAt: ctx.now() + OTP_TTL_MS });
    return { frontdoor_uri: `${ctx.urls.instanceUrl}/secur/frontdoor.jsp?otp=${otp}` };
  });

  app.get<{ Querystring: { otp?: string } }>('/secur/frontdoor.jsp', async (request, reply) => {
    const key = sha256(request.query.otp ?? '');
    const entry = otps.get(key);
    otps.delete(key);
    if (!entry || entry.expiresAt <= ctx.now()) return reply.code(400).type('text/plain').send('This frontdoor link is invalid, already used or expired. Request a new one.');
    startBrowserSession(reply, entry.userId, ctx.now());
    return reply.redirect(entry.redirect, 303);
  });
}
