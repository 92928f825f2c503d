import type { FastifyRequest } from 'fastify';
import type { SystemPermission } from '../identity/catalog.js';
import { findUserById, userAccess } from '../identity/users.js';
import type { OAuthContext } from '../oauth/context.js';
import { findAccessToken, type AccessTokenInfo } from '../oauth/tokens.js';
import type { UserTable } from '../store/schema.js';
import { OAuthError } from '../oauth/errors.js';
import { ApiError, invalidSession } from './api-error.js';
import type { FormBody } from './form-body.js';

export interface Session { token: AccessTokenInfo; user: UserTable; raw: string }

/** Salesforce accepts `Bearer` and its older `OAuth` scheme. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** The caller's live session, or Salesforce's 401 INVALID_SESSION_ID. */
export async function requireSession(ctx: OAuthContext, request: FastifyRequest, token = bearerToken(request)): Promise<Session> {
  if (!token) throw invalidSession();
  const info = await findAccessToken(ctx.db, token, ctx.now());
  if (!info) throw invalidSession();
  const user = await findUserById(ctx.db, info.userId);
  if (!user || user.active !== 1) throw invalidSession();
  return { token: info, user, raw: token };
}

/** Scopes that let a token call the REST API (Salesforce's `api`, or `full`, which includes it). */
export const hasApiScope = (scopes: readonly string[]) => scopes.includes('api') || scopes.includes('full');

/**
 * A live session whose token may call the REST API: one granted without `api` (or `full`), such as
 * a client credentials token asked only for `refresh_token`, gets Salesforce's 401.
 */
export async function requireApiSession(ctx: OAuthContext, request: FastifyRequest): Promise<Session> {
  const session = await requireSession(ctx, request);
  if (!hasApiScope(session.token.scopes)) throw new ApiError(401, 'INVALID_SESSION_ID', 'This session is not valid for use with the REST API');
  return session;
}

/**
 * The live user behind the access token of an OAuth endpoint (identity URL, UserInfo, UI bridge),
 * taken from the Authorization header or, on POST, the form body; OAuth errors otherwise.
 */
export async function tokenUser(ctx: OAuthContext, request: FastifyRequest): Promise<UserTable> {
  const fromBody = request.method === 'POST' && request.body && typeof request.body === 'object' ? (request.body as FormBody).access_token : undefined;
  const token = bearerToken(request) ?? (typeof fromBody === 'string' ? fromBody : undefined);
  if (!token) throw new OAuthError('invalid_request', 'an access token is required in the Authorization header', 401, { 'WWW-Authenticate': 'Bearer' });
  const info = await findAccessToken(ctx.db, token, ctx.now());
  const user = info ? await findUserById(ctx.db, info.userId) : undefined;
  if (!info || !user || user.active !== 1) throw new OAuthError('invalid_token', 'access token is invalid, expired or revoked', 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  return user;
}

/** Admin operations need system permissions, checked against the caller's effective access. */
export async function requirePermissions(ctx: OAuthContext, session: Session, ...permissions: SystemPermission[]): Promise<void> {
  const access = await userAccess(ctx.db, session.user);
  const missing = permissions.filter((p) => !access.system.includes(p));
  if (missing.length > 0) throw new ApiError(403, 'INSUFFICIENT_ACCESS', `This operation needs the ${missing.join(', ')} permission${missing.length > 1 ? 's' : ''}.`);
}
