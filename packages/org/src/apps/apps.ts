import type { Kysely } from 'kysely';
import type { AppConsumerTable, AppTable, OrgDatabase } from '../store/schema.js';
import type { OAUTH_FLOWS, PERMITTED_USERS_POLICIES, REFRESH_TOKEN_POLICIES } from '../setup/schema.js';

export type OAuthFlow = (typeof OAUTH_FLOWS)[number];

export interface PermittedUsers { policy: (typeof PERMITTED_USERS_POLICIES)[number]; profiles: string[]; permissionSets: string[] }

export interface RefreshTokenPolicy {
  policy: (typeof REFRESH_TOKEN_POLICIES)[number];
  seconds?: number;
}

/** An External Client App as the OAuth server uses it. */
export interface ExternalClientApp {
  id: string;
  apiName: string;
  name: string;
  contactEmail: string;
  callbackUrls: string[];
  scopes: string[];
  flows: OAuthFlow[];
  requireSecret: boolean;
  requireSecretForRefreshToken: boolean;
  requireSecretForTokenExchange: boolean;
  requirePkce: boolean;
  /** PEM: enables the JWT bearer flow. */
  certificate: string | null;
  permittedUsers: PermittedUsers;
  runAsUserId: string | null;
  refreshTokenPolicy: RefreshTokenPolicy;
  refreshTokenRotation: boolean;
  accessTokenTtlSeconds: number;
}

export function toApp(row: AppTable): ExternalClientApp {
  return {
    id: row.id,
    apiName: row.api_name,
    name: row.name,
    contactEmail: row.contact_email,
    callbackUrls: JSON.parse(row.callback_urls) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    flows: JSON.parse(row.flows) as OAuthFlow[],
    requireSecret: row.require_secret === 1,
    requireSecretForRefreshToken: row.require_secret_refresh === 1,
    requireSecretForTokenExchange: row.require_secret_exchange === 1,
    requirePkce: row.require_pkce === 1,
    certificate: row.certificate,
    permittedUsers: JSON.parse(row.permitted_users) as PermittedUsers,
    runAsUserId: row.run_as_user_id,
    refreshTokenPolicy: JSON.parse(row.refresh_token_policy) as RefreshTokenPolicy,
    refreshTokenRotation: row.refresh_token_rotation === 1,
    accessTokenTtlSeconds: row.access_token_ttl_seconds,
  };
}

export interface AppWithConsumer { app: ExternalClientApp; consumer: AppConsumerTable }

/** The app a consumer key belongs to, if that consumer can still be used to authenticate. */
export async function findAppByConsumerKey(db: Kysely<OrgDatabase>, consumerKey: string, now: number): Promise<AppWithConsumer | undefined> {
  const row = await db.selectFrom('app_consumers').innerJoin('apps', 'apps.id', 'app_consumers.app_id')
    .selectAll('apps')
    .select(['app_consumers.id as credential_id', 'app_consumers.consumer_id', 'app_consumers.role', 'app_consumers.consumer_key', 'app_consumers.secret_hash', 'app_consumers.secret_sealed', 'app_consumers.state', 'app_consumers.created_at as consumer_created_at', 'app_consumers.expires_at'])
    .where('app_consumers.consumer_key', '=', consumerKey)
    .executeTakeFirst();
  if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  return {
    app: toApp(row),
    consumer: { id: row.credential_id, consumer_id: row.consumer_id, role: row.role, app_id: row.id, consumer_key: row.consumer_key, secret_hash: row.secret_hash, secret_sealed: row.secret_sealed, state: row.state, created_at: row.consumer_created_at, expires_at: row.expires_at },
  };
}

export async function findAppById(db: Kysely<OrgDatabase>, id: string): Promise<ExternalClientApp | undefined> {
  const row = await db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toApp(row) : undefined;
}

export async function listApps(db: Kysely<OrgDatabase>): Promise<ExternalClientApp[]> {
  return (await db.selectFrom('apps').selectAll().orderBy('api_name').execute()).map(toApp);
}
