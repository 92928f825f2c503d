import { randomBytes } from 'node:crypto';
import { sha256 } from '../crypto/hashing.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { KEY_PREFIX, newSalesforceId } from '../ids/salesforce-id.js';
import type { Kysely } from 'kysely';
import { recordEvent } from '../oauth/events.js';
import type { AppConsumerTable, OrgDatabase } from '../store/schema.js';

export interface NewConsumer {
  row: AppConsumerTable;
  consumerKey: string;
  /** Shown once, to whoever created the app; stored only sealed and hashed. */
  consumerSecret: string;
}

/**
 * A consumer key shaped like Salesforce's (3MVG9 + 80 characters) and a 256-bit secret, both from
 * the CSPRNG. Without `consumerId` it starts a new consumer (its primary pair); with one, it is the
 * consumer's staged pair, valid for 30 days unless rotated in or deleted.
 */
export function newConsumer(appId: string, box: SecretBox, now: number, consumerId?: string): NewConsumer {
  const id = newSalesforceId(KEY_PREFIX.OAuthConsumer);
  const consumerKey = '3MVG9' + randomBytes(60).toString('base64url');
  const consumerSecret = randomBytes(32).toString('hex').toUpperCase();
  return {
    consumerKey,
    consumerSecret,
    row: {
      id,
      consumer_id: consumerId ?? id,
      role: consumerId ? 'staged' : 'primary',
      app_id: appId,
      consumer_key: consumerKey,
      secret_hash: sha256(consumerSecret),
      secret_sealed: box.seal(consumerSecret, sealContext(id)),
      state: 'Active',
      created_at: now,
      expires_at: consumerId ? now + STAGED_LIFETIME_MS : null,
    },
  };
}

export const sealContext = (consumerId: string) => `app_consumer:${consumerId}`;

/** Staged credentials are valid for 30 days unless deleted or rotated in. */
export const STAGED_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/**
 * An app's primary consumer key and secret, opened from the vault and recorded in the event log
 * (who asked, and from where). Callers check View Client Secret first.
 */
export async function revealPrimaryConsumer(db: Kysely<OrgDatabase>, box: SecretBox, apiName: string, who: { userId: string | null; address: string | null; now: number }): Promise<{ consumerKey: string; consumerSecret: string } | undefined> {
  const appRow = await db.selectFrom('apps').select(['id']).where('api_name', '=', apiName).executeTakeFirst();
  if (!appRow) return undefined;
  const consumer = await db.selectFrom('app_consumers').selectAll().where('app_id', '=', appRow.id).where('role', '=', 'primary').executeTakeFirstOrThrow();
  await recordEvent(db, { at: who.now, kind: 'secret_reveal', appId: appRow.id, userId: who.userId, address: who.address, outcome: 'success' });
  return { consumerKey: consumer.consumer_key, consumerSecret: box.open(consumer.secret_sealed, sealContext(consumer.id)) };
}
