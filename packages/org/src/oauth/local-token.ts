import type { Kysely } from 'kysely';
import { toApp } from '../apps/apps.js';
import { findUserByUsername } from '../identity/users.js';
import { readOrg } from '../org/settings.js';
import type { OrgDatabase } from '../store/schema.js';
import { recordEvent } from './events.js';
import { issueAccessToken } from './tokens.js';

export class LocalTokenError extends Error {
  override name = 'LocalTokenError';
}

/**
 * An access token for a user through an app, issued by whoever holds the org's data folder
 * (`handshake org token --user`), as `sf org display` shows the token of a user who logged in: no
 * password is asked, the app's scopes and token lifetime apply, and the event log records it.
 */
export async function issueLocalToken(db: Kysely<OrgDatabase>, spec: { username: string; appApiName: string; now: number }): Promise<{ token: string; expiresAt: number }> {
  const user = await findUserByUsername(db, spec.username);
  if (!user) throw new LocalTokenError(`No user with username ${spec.username}.`);
  if (user.active !== 1) throw new LocalTokenError(`User ${spec.username} is inactive.`);
  const row = await db.selectFrom('apps').selectAll().where('api_name', '=', spec.appApiName).executeTakeFirst();
  if (!row) throw new LocalTokenError(`No External Client App ${spec.appApiName}.`);
  const app = toApp(row);
  const { orgId } = await readOrg(db);
  const issued = await issueAccessToken(db, { orgId, appId: app.id, userId: user.id, scopes: app.scopes, grantId: null, now: spec.now, ttlSeconds: app.accessTokenTtlSeconds });
  await recordEvent(db, { at: spec.now, kind: 'token', appId: app.id, userId: user.id, grantType: 'local', address: 'handshake org token', outcome: 'success' });
  return issued;
}
