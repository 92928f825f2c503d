import type { FastifyRequest } from 'fastify';
import type { SystemPermission } from '../identity/catalog.js';
import { findUserById, userAccess } from '../identity/users.js';
import type { OAuthContext } from '../oauth/context.js';
import type { IncomingHttpHeaders } from 'node:http';
import { constantTimeEqual, sha256 } from '../crypto/hashing.js';
import { findAccessTokenRow, splitAccessToken, type AccessTokenInfo } from '../oauth/tokens.js';
import type { UserTable } from '../store/schema.js';
import { OAuthError } from '../oauth/errors.js';
import { ApiError, invalidSession } from './api-error.js';
import type { FormBody } from './form-body.js';

export interface Session { token: AccessTokenInfo; user: UserTable; raw: string }

/** What a session check reads: the token's stored row and its user's state. */
export interface SessionRow { secret_hash: string; revoked: number; expires_at: number; scopes: string; active: number }

/**
 * The one session check, for fastify's routes and the record fast path alike: the presented
 * secret matches the stored hash, the token is neither revoked nor expired, and its user is
 * active; with `api`, the token was also granted the api (or full) scope.
 */
export function isLiveSession(row: SessionRow | undefined, secret: string, now: number, api: boolean): row is SessionRow {
  return row !== undefined && row.revoked !== 1 && row.expires_at > now && row.active === 1
    && (!api || hasApiScope(row.scopes ? row.scopes.split(' ') : [])) && constantTimeEqual(sha256(secret), row.secret_hash);
}

/** Salesforce accepts `Bearer` and its older `OAuth` scheme. */
export function bearerToken(request: { headers: IncomingHttpHeaders }): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** The caller's live session, or Salesforce's 401 INVALID_SESSION_ID. */
export async function requireSession(ctx: OAuthContext, request: FastifyRequest, token = bearerToken(request)): Promise<Session> {
  return sessionOf(ctx, token, false);
}

async function sessionOf(ctx: OAuthContext, token: string | undefined, api: boolean): Promise<Session> {
  const parts = token ? splitAccessToken(token) : undefined;
  if (!token || !parts) throw invalidSession();
  const row = await findAccessTokenRow(ctx.db, token);
  const user = row ? await findUserById(ctx.db, row.user_id) : undefined;
  if (!row || !user || !isLiveSession({ ...row, active: user.active }, parts.secret, ctx.now(), false)) throw invalidSession();
  const scopes = row.scopes ? row.scopes.split(' ') : [];
  if (api && !hasApiScope(scopes)) throw new ApiError(401, 'INVALID_SESSION_ID', 'This session is not valid for use with the REST API');
  return { token: { appId: row.app_id, userId: row.user_id, scopes, grantId: row.grant_id, issuedAt: row.issued_at, expiresAt: row.expires_at }, user, raw: token };
}

/** Scopes that let a token call the REST API (Salesforce's `api`, or `full`, which includes it). */
export const hasApiScope = (scopes: readonly string[]) => scopes.includes('api') || scopes.includes('full');

/**
 * A live session whose token may call the REST API: one granted without `api` (or `full`), such as
 * a client credentials token asked only for `refresh_token`, gets Salesforce's 401.
 */
export async function requireApiSession(ctx: OAuthContext, request: FastifyRequest, token = bearerToken(request)): Promise<Session> {
  return sessionOf(ctx, token, true);
}

/**
 * The live user behind the access token of an OAuth endpoint (identity URL, UserInfo, UI bridge),
 * taken from the Authorization header or, on POST, the form body; OAuth errors otherwise.
 */
export async function tokenUser(ctx: OAuthContext, request: FastifyRequest): Promise<UserTable> {
  const fromBody = request.method === 'POST' && request.body && typeof request.body === 'object' ? (request.body as FormBody).access_token : undefined;
  const token = bearerToken(request) ?? (typeof fromBody === 'string' ? fromBody : undefined);
  if (!token) throw new OAuthError('invalid_request', 'an access token is required in the Authorization header', 401, { 'WWW-Authenticate': 'Bearer' });
  const parts = splitAccessToken(token);
  const row = parts ? await findAccessTokenRow(ctx.db, token) : undefined;
  const user = row ? await findUserById(ctx.db, row.user_id) : undefined;
  if (!parts || !row || !user || !isLiveSession({ ...row, active: user.active }, parts.secret, ctx.now(), false)) throw new OAuthError('invalid_token', 'access token is invalid, expired or revoked', 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  return user;
}

/** Admin operations need system permissions, checked against the caller's effective access. */
export async function requirePermissions(ctx: OAuthContext, session: Session, ...permissions: SystemPermission[]): Promise<void> {
  const access = await userAccess(ctx.db, session.user);
  const missing = permissions.filter((p) => !access.system.includes(p));
  if (missing.length > 0) throw new ApiError(403, 'INSUFFICIENT_ACCESS', `This operation needs the ${missing.join(', ')} permission${missing.length > 1 ? 's' : ''}.`);
}
