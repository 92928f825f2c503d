import type { Kysely } from 'kysely';
import { randomBytesFromPool } from '../crypto/random-pool.js';
import { constantTimeEqual, randomToken, sha256 } from '../crypto/hashing.js';
import type { AccessTokenTable, OrgDatabase } from '../store/schema.js';

/**
 * Access tokens look like Salesforce's (the 15-character org id, "!", then opaque text). The opaque
 * part is a selector and a verifier: a time-ordered id that keys the row (so inserts append to the
 * index instead of touching a random page each) and a 256-bit secret stored only as its hash.
 */
const ACCESS_TOKEN = /^00D[A-Za-z0-9]{12}!([0-9a-f]{24})([A-Za-z0-9_-]{43})$/;

function timeOrderedId(now: number): string {
  const id = Buffer.alloc(12);
  id.writeUIntBE(now, 0, 6);
  randomBytesFromPool(6).copy(id, 6);
  return id.toString('hex');
}

export function splitAccessToken(token: string): { id: string; secret: string } | undefined {
  const match = ACCESS_TOKEN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** The stored row of a well-formed access token whose secret matches, revoked or not, expired or not. */
export async function findAccessTokenRow(db: Kysely<OrgDatabase>, token: string): Promise<AccessTokenTable | undefined> {
  const parts = splitAccessToken(token);
  if (!parts) return undefined;
  const row = await db.selectFrom('access_tokens').selectAll().where('token_id', '=', parts.id).executeTakeFirst();
  return row && constantTimeEqual(sha256(parts.secret), row.secret_hash) ? row : undefined;
}

export function newRefreshToken(): string {
  return `5Aep${randomToken(32)}`;
}

export interface AccessTokenInfo {
  appId: string;
  userId: string;
  scopes: string[];
  grantId: string | null;
  issuedAt: number;
  expiresAt: number;
}

export interface IssueAccessToken {
  orgId: string;
  appId: string;
  userId: string;
  scopes: readonly string[];
  grantId: string | null;
  now: number;
  ttlSeconds: number;
}

/** A new access token and the row that stores it (only its hash). */
export function accessTokenRow(spec: IssueAccessToken): { token: string; row: AccessTokenTable } {
  const tokenId = timeOrderedId(spec.now);
  const secret = randomToken(32);
  return {
    token: `${spec.orgId.slice(0, 15)}!${tokenId}${secret}`,
    row: {
      token_id: tokenId,
      secret_hash: sha256(secret),
      app_id: spec.appId,
      user_id: spec.userId,
      scopes: spec.scopes.join(' '),
      grant_id: spec.grantId,
      issued_at: spec.now,
      expires_at: spec.now + spec.ttlSeconds * 1000,
      revoked: 0,
    },
  };
}

export async function issueAccessToken(db: Kysely<OrgDatabase>, spec: IssueAccessToken): Promise<{ token: string; expiresAt: number }> {
  const { token, row } = accessTokenRow(spec);
  await db.insertInto('access_tokens').values(row).execute();
  return { token, expiresAt: row.expires_at };
}

/** Revokes every access and refresh token of one authorization (the chain a code started). */
export async function revokeGrant(db: Kysely<OrgDatabase>, grantId: string): Promise<void> {
  await db.updateTable('access_tokens').set({ revoked: 1 }).where('grant_id', '=', grantId).execute();
  await db.updateTable('refresh_tokens').set({ revoked: 1 }).where('grant_id', '=', grantId).execute();
}

export interface IssueRefreshToken {
  grantId: string;
  appId: string;
  userId: string;
  scopes: readonly string[];
  now: number;
  expiresAt: number | null;
}

export async function issueRefreshToken(db: Kysely<OrgDatabase>, spec: IssueRefreshToken): Promise<string> {
  const token = newRefreshToken();
  await db.insertInto('refresh_tokens').values({
    token_hash: sha256(token),
    grant_id: spec.grantId,
    app_id: spec.appId,
    user_id: spec.userId,
    scopes: spec.scopes.join(' '),
    issued_at: spec.now,
    last_used_at: spec.now,
    expires_at: spec.expiresAt,
    rotated_at: null,
    successor_sealed: null,
    revoked: 0,
  }).execute();
  return token;
}
