import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyPassword } from '../../crypto/hashing.js';
import { findUserById, findUserByUsername, userAccess } from '../../identity/users.js';
import { AUTHORIZE_PARAM_NAMES, checkAuthorizeRequest, redirectWith, type AuthorizeParams } from '../../oauth/authorize-request.js';
import { createAuthorizationCode } from '../../oauth/authorization-codes.js';
import type { OAuthContext } from '../../oauth/context.js';
import { recordEvent } from '../../oauth/events.js';
import { OAuthError } from '../../oauth/errors.js';
import type { TokenRateLimits } from '../../oauth/rate-limits.js';
import { browserSessionUser, startBrowserSession } from '../browser-session.js';
import type { FormBody } from '../form-body.js';
import { consentPage, errorPage, loginPage } from '../pages/authorize-pages.js';

const BAD_LOGIN = "Please check your username and password. If you still can't log in, contact your Salesforce administrator.";
const API_ONLY_LOGIN = "Your profile is API only: this user can't log in through the login page. Use an OAuth flow without a browser, such as client credentials.";

/** The authorize parameters from a query string or form, first value of each. */
function authorizeParams(source: Record<string, unknown>): AuthorizeParams {
  const params: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAM_NAMES) {
    const value = source[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') params[name] = first;
  }
  return params;
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" }).send(body);
}

/**
 * The web server flow's browser side: a real login page, a consent page and the redirect back with
 * a single-use code. Forms are CSRF protected; the client and redirect URI are checked again on
 * every step, because hidden fields are the user agent's to change.
 */
export function authorizeRoutes(app: FastifyInstance, ctx: OAuthContext, limits: TokenRateLimits): void {
  async function show(request: FastifyRequest, reply: FastifyReply, params: AuthorizeParams, loginError?: string, username?: string) {
    const check = await checkAuthorizeRequest(ctx, params);
    if (check.kind === 'page_error') return html(reply, 400, errorPage(check.error.error, check.error.description));
    if (check.kind === 'redirect_error') return reply.redirect(redirectWith(check.redirectUri, { error: check.error.error, error_description: check.error.description, state: check.state }), 302);
    const csrf = reply.generateCsrf();
    const userId = loginError ? undefined : browserSessionUser(request, ctx.now());
    const user = userId ? await findUserById(ctx.db, userId) : undefined;
    if (!user || user.active !== 1) return html(reply, loginError ? 401 : 200, loginPage({ csrf, params: { ...params }, ...(loginError ? { error: loginError } : {}), ...(username ? { username } : {}) }));
    return html(reply, 200, consentPage({ csrf, params: { ...params }, appName: check.app.name, username: user.username, scopes: check.scopes }));
  }

  app.get('/services/oauth2/authorize', (request, reply) => show(request, reply, authorizeParams(request.query as Record<string, unknown>)));

  app.post('/services/oauth2/authorize/login', { preHandler: app.csrfProtection }, async (request, reply) => {
    // Password guessing on the login page counts against the same per-address limit as the token endpoint.
    try {
      await limits.consumeAddress(request.ip);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return html(reply.headers(error.headers), 429, errorPage(error.error, error.description));
    }
    const form = (request.body ?? {}) as FormBody;
    const params = authorizeParams(form);
    const username = typeof form.username === 'string' ? form.username.trim() : '';
    const password = typeof form.pw === 'string' ? form.pw : '';
    const user = username ? await findUserByUsername(ctx.db, username) : undefined;
    const passwordOk = await verifyPassword(password, user?.password_hash ?? null);
    const now = ctx.now();
    if (!user || !passwordOk || user.active !== 1) {
      await recordEvent(ctx.db, { at: now, kind: 'login', userId: user?.id ?? null, address: request.ip, outcome: 'failure', detail: 'wrong username or password, or inactive user' });
      return show(request, reply, params, BAD_LOGIN, username);
    }
    if ((await userAccess(ctx.db, user)).apiOnly) {
      await recordEvent(ctx.db, { at: now, kind: 'login', userId: user.id, address: request.ip, outcome: 'api_only_user' });
      return show(request, reply, params, API_ONLY_LOGIN, username);
    }
    await recordEvent(ctx.db, { at: now, kind: 'login', userId: user.id, address: request.ip, outcome: 'success' });
    startBrowserSession(reply, user.id, now);
    const back = new URLSearchParams(Object.entries(params) as [string, string][]);
    return reply.redirect(`/services/oauth2/authorize?${back.toString()}`, 303);
  });

  app.post('/services/oauth2/authorize/decision', { preHandler: app.csrfProtection }, async (request, reply) => {
    const form = (request.body ?? {}) as FormBody;
    const params = authorizeParams(form);
    const check = await checkAuthorizeRequest(ctx, params);
    if (check.kind !== 'ok') return show(request, reply, params);
    const userId = browserSessionUser(request, ctx.now());
    const user = userId ? await findUserById(ctx.db, userId) : undefined;
    if (!user || user.active !== 1) return show(request, reply, params);
    if (form.decision !== 'allow') {
      return reply.redirect(redirectWith(check.redirectUri, { error: 'access_denied', error_description: 'end-user denied authorization', state: check.state }), 302);
    }
    const code = await createAuthorizationCode(ctx, { appId: check.app.id, userId: user.id, redirectUri: check.redirectUri, scopes: check.scopes, codeChallenge: check.codeChallenge, codeChallengeMethod: check.codeChallengeMethod });
    return reply.redirect(redirectWith(check.redirectUri, { code, state: check.state }), 302);
  });
}
