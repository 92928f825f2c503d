import { compactVerify, decodeJwt, decodeProtectedHeader, importX509 } from 'jose';
import type { ExternalClientApp } from '../../apps/apps.js';
import { findUserByUsername } from '../../identity/users.js';
import type { UserTable } from '../../store/schema.js';
import type { OAuthContext, TokenRequest } from '../context.js';
import { OAuthError, SalesforceOAuthErrors } from '../errors.js';
import { grantScopes } from '../scopes.js';
import { accessTokenRow } from '../tokens.js';
import { tokenResponse } from '../token-response.js';
import type { GrantResult } from './grant.js';
import { consumerSecretOf } from './refresh-token.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The audiences Salesforce accepts besides the org's own URL (the sf CLI tries them in turn). */
const GENERIC_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];
/** Assertions are one JWS of a few hundred bytes; a megabyte is refused before it is parsed. */
const MAX_ASSERTION = 10_000;
/** An `exp` this large is in milliseconds: the sf CLI sends `Date.now() + 300`, and Salesforce accepts it. */
const MS_EXP_ABOVE = 100_000_000_000;

const invalidAssertion = () => new OAuthError('invalid_grant', 'invalid assertion');
const notApproved = () => new OAuthError('invalid_grant', "user hasn't approved this consumer");

/**
 * JWT bearer (RFC 7523) as Salesforce does it: an RS256 assertion signed with the key of the
 * certificate uploaded to the app; `iss` the consumer key, `sub` (or `prn`, which wins) the
 * username, `aud` the org's URL or login/test.salesforce.com, `exp` in seconds or milliseconds, as a
 * number or a numeric string. No client secret and no refresh token. The user must be pre-authorized
 * (admin approved, through a profile or permission set) or have approved the app in a flow that
 * issued a refresh token.
 */
export async function jwtBearerGrant(ctx: OAuthContext, req: TokenRequest): Promise<GrantResult> {
  const assertion = req.params.assertion;
  if (!assertion) throw new OAuthError('invalid_request', 'assertion is required');
  if (assertion.length > MAX_ASSERTION) throw invalidAssertion();
  let claims: Record<string, unknown>;
  try {
    if (decodeProtectedHeader(assertion).alg !== 'RS256') throw invalidAssertion();
    claims = decodeJwt(assertion);
  } catch {
    throw invalidAssertion();
  }
  if (typeof claims.iss !== 'string') throw invalidAssertion();
  const found = await ctx.cache.appByConsumerKey(claims.iss);
  if (!found) throw SalesforceOAuthErrors.unknownClient();
  const { app, consumer } = found;
  if (!app.flows.includes('jwt_bearer') || !app.certificate) throw SalesforceOAuthErrors.grantNotEnabled();
  try {
    await compactVerify(assertion, await importX509(app.certificate, 'RS256'), { algorithms: ['RS256'] });
  } catch {
    throw invalidAssertion();
  }
  if (!audienceAccepted(ctx, claims.aud)) throw new OAuthError('invalid_grant', 'audience is invalid');
  const exp = expiryMs(claims.exp);
  if (exp === undefined) throw invalidAssertion();
  if (exp <= ctx.now()) throw new OAuthError('invalid_grant', 'expired authorization code');
  const username = typeof claims.prn === 'string' ? claims.prn : claims.sub;
  if (typeof username !== 'string') throw invalidAssertion();
  const user = await findUserByUsername(ctx.db, username);
  if (!user || !(await preAuthorized(ctx, app, user))) throw notApproved();
  if (user.active !== 1) throw SalesforceOAuthErrors.inactiveUser();

  const scopes = grantScopes(app.scopes, req.params.scope).filter((s) => s !== 'refresh_token' && s !== 'offline_access');
  const now = ctx.now();
  const { token, row } = accessTokenRow({ orgId: ctx.org.orgId, appId: app.id, userId: user.id, scopes, grantId: null, now, ttlSeconds: app.accessTokenTtlSeconds });
  const response = tokenResponse(ctx, { accessToken: token, userId: user.id, scopes, issuedAt: now, consumerSecret: consumerSecretOf(ctx, consumer) });
  return { response, appId: app.id, userId: user.id, unsavedAccessToken: row };
}

/** The org's own URL (with or without a trailing slash, on either of its hosts) or the generic login hosts. */
function audienceAccepted(ctx: OAuthContext, aud: unknown): boolean {
  const accepted = new Set([ctx.urls.instanceUrl, ctx.urls.loginUrl, ...GENERIC_AUDIENCES].map((u) => u.replace(/\/+$/, '').toLowerCase()));
  const given = Array.isArray(aud) ? aud : [aud];
  return given.some((a) => typeof a === 'string' && accepted.has(a.replace(/\/+$/, '').toLowerCase()));
}

/** `exp` in milliseconds, from seconds or milliseconds, a number or a numeric string; undefined when it is neither. */
function expiryMs(exp: unknown): number | undefined {
  const n = typeof exp === 'number' ? exp : typeof exp === 'string' && /^\d+$/.test(exp) ? Number(exp) : NaN;
  if (!Number.isFinite(n)) return undefined;
  return n > MS_EXP_ABOVE ? n : n * 1000;
}

/** Admin approved and holding one of the app's profiles or permission sets, or approved by the user in a flow that issued a refresh token. */
async function preAuthorized(ctx: OAuthContext, app: ExternalClientApp, user: UserTable): Promise<boolean> {
  const permitted = app.permittedUsers;
  if (permitted.policy === 'adminApprovedPreAuthorized') {
    if (permitted.profiles.includes(user.profile)) return true;
    if (permitted.permissionSets.length) {
      const held = await ctx.db.selectFrom('permission_set_assignments').innerJoin('permission_sets', 'permission_sets.id', 'permission_set_assignments.permission_set_id')
        .select('permission_sets.name').where('permission_set_assignments.user_id', '=', user.id).where('permission_sets.name', 'in', permitted.permissionSets).executeTakeFirst();
      if (held) return true;
    }
    return false;
  }
  const approval = await ctx.db.selectFrom('refresh_tokens').select('token_hash').where('app_id', '=', app.id).where('user_id', '=', user.id).where('revoked', '=', 0).executeTakeFirst();
  return approval !== undefined;
}
