import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../crypto/hashing.js';
import type { AccessTokenTable, OrgDatabase } from '../store/schema.js';

/** Access tokens look like Salesforce's: the 15-character org id, "!", then 256 random bits. */
export function newAccessToken(orgId: string): string {
  return `${orgId.slice(0, 15)}!${randomToken(32)}`;
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
  const token = newAccessToken(spec.orgId);
  return {
    token,
    row: {
      token_hash: sha256(token),
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

/** The live (not expired, not revoked) access token, if there is one. */
export async function findAccessToken(db: Kysely<OrgDatabase>, token: string, now: number): Promise<AccessTokenInfo | undefined> {
  const row = await db.selectFrom('access_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
  if (!row || row.revoked === 1 || row.expires_at <= now) return undefined;
  return { appId: row.app_id, userId: row.user_id, scopes: row.scopes ? row.scopes.split(' ') : [], grantId: row.grant_id, issuedAt: row.issued_at, expiresAt: row.expires_at };
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
