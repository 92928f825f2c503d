import type { Kysely } from 'kysely';
import { KEY_PREFIX, newSalesforceId } from '../ids/salesforce-id.js';
import type { OrgDatabase } from '../store/schema.js';

export interface OrgInfo { orgId: string; name: string }

export const ORG_SETTING_SECRETS_VIA_REST = 'eca_secrets_via_rest';
export const ORG_SETTING_DAILY_API_REQUESTS = 'daily_api_requests';
export const ORG_SETTING_CHANGE_DATA_CAPTURE = 'change_data_capture';
/** Each token exchange handler is one setting, its definition as JSON. */
export const tokenExchangeHandlerKey = (name: string) => `token_exchange_handler:${name}`;

export async function orgSetting(db: Kysely<OrgDatabase>, key: string): Promise<string | undefined> {
  return (await db.selectFrom('org_settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
}

/** The org's id is created once, with the store, and never changes. */
export async function ensureOrg(db: Kysely<OrgDatabase>): Promise<OrgInfo> {
  await db.insertInto('org_settings').values([
    { key: 'org_id', value: newSalesforceId(KEY_PREFIX.Organization) },
    { key: 'org_name', value: 'Handshake Org' },
  ]).onConflict((oc) => oc.column('key').doNothing()).execute();
  return readOrg(db);
}

export async function readOrg(db: Kysely<OrgDatabase>): Promise<OrgInfo> {
  const rows = await db.selectFrom('org_settings').selectAll().where('key', 'in', ['org_id', 'org_name']).execute();
  const value = (key: string) => rows.find((r) => r.key === key)?.value;
  const orgId = value('org_id');
  if (!orgId) throw new Error('The org has not been initialised.');
  return { orgId, name: value('org_name') ?? 'Handshake Org' };
}
