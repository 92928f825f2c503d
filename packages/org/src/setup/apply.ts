import type { Kysely, Transaction } from 'kysely';
import { hashPassword, verifyPassword } from '../crypto/hashing.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { newConsumer } from '../apps/consumer-credentials.js';
import { KEY_PREFIX, newSalesforceId } from '../ids/salesforce-id.js';
import { findProfile } from '../identity/catalog.js';
import { recordEvent } from '../oauth/events.js';
import type { OrgDatabase } from '../store/schema.js';
import { loadSetup, type LoadedSetup } from './load.js';
import { SetupError } from './problems.js';
import { durationSeconds, type AppSpec, type SetupDocument } from './schema.js';
import { crossCheck } from './validate.js';
import { ORG_SETTING_CHANGE_DATA_CAPTURE, ORG_SETTING_DAILY_API_REQUESTS, ORG_SETTING_SECRETS_VIA_REST, tokenExchangeHandlerKey } from '../org/settings.js';
import { customKeyPrefix } from '../data/schema/custom-objects.js';
import { STANDARD_OBJECT_DEFS } from '../data/schema/standard-objects.js';

export interface ApplySummary {
  created: string[];
  updated: string[];
  unchanged: number;
  /** Consumer credentials of apps created by this apply: the only time a secret is shown. */
  newApps: { apiName: string; consumerKey: string; consumerSecret: string }[];
}

export interface ApplyContext {
  db: Kysely<OrgDatabase>;
  box: SecretBox;
  /** Who applied it, for the event log. */
  actor: string;
  now?: () => number;
}

/** Parses, checks and applies a setup document in one transaction: all of it or nothing. */
export async function applySetupText(ctx: ApplyContext, text: string, file: string): Promise<ApplySummary> {
  return applyLoadedSetup(ctx, loadSetup(text, file));
}

/** Applies a setup document already parsed (the API decides permissions on it first). */
export async function applyLoadedSetup(ctx: ApplyContext, loaded: LoadedSetup): Promise<ApplySummary> {
  const problems = await crossCheck(loaded, ctx.db);
  if (problems.length > 0) throw new SetupError(problems);
  // Passwords are hashed before the transaction opens, so a slow KDF never holds the write lock.
  const passwords = new Map<string, string>();
  for (const user of loaded.document.users) {
    if (user.password === undefined) continue;
    const existing = await ctx.db.selectFrom('users').select('password_hash').where('username', '=', user.username).executeTakeFirst();
    if (!existing || !(await verifyPassword(user.password, existing.password_hash))) passwords.set(user.username, await hashPassword(user.password));
  }
  return ctx.db.transaction().execute((trx) => applyDocument(trx, ctx, loaded.document, passwords));
}

type Change = 'created' | 'updated' | 'unchanged';

async function applyDocument(trx: Transaction<OrgDatabase>, ctx: ApplyContext, doc: SetupDocument, passwords: Map<string, string>): Promise<ApplySummary> {
  const now = (ctx.now ?? Date.now)();
  const summary: ApplySummary = { created: [], updated: [], unchanged: 0, newApps: [] };
  const note = (what: string, change: Change) => {
    if (change === 'unchanged') summary.unchanged++;
    else summary[change].push(what);
  };

  if (doc.org) {
    for (const [key, value] of [['org_name', doc.org.name], [ORG_SETTING_SECRETS_VIA_REST, String(doc.org.allowConsumerSecretsViaRest)]] as const) {
      const current = await trx.selectFrom('org_settings').select('value').where('key', '=', key).executeTakeFirst();
      if (current?.value === value) {
        note(`org setting ${key}`, 'unchanged');
        continue;
      }
      await trx.insertInto('org_settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
      note(`org setting ${key}`, 'updated');
    }
  }

  for (const set of doc.permissionSets) {
    const values = {
      label: set.label,
      description: set.description ?? null,
      object_permissions: JSON.stringify(set.objects),
      field_permissions: JSON.stringify(set.fields),
      system_permissions: JSON.stringify([...set.system].sort()),
    };
    const existing = await trx.selectFrom('permission_sets').selectAll().where('name', '=', set.name).executeTakeFirst();
    if (!existing) {
      await trx.insertInto('permission_sets').values({ id: newSalesforceId(KEY_PREFIX.PermissionSet), name: set.name, ...values }).execute();
      note(`permission set ${set.name}`, 'created');
    } else if (differs(existing, values)) {
      await trx.updateTable('permission_sets').set(values).where('id', '=', existing.id).execute();
      note(`permission set ${set.name}`, 'updated');
    } else note(`permission set ${set.name}`, 'unchanged');
  }

  for (const user of doc.users) {
    const values = {
      email: user.email,
      first_name: user.firstName ?? null,
      last_name: user.lastName,
      licence: user.licence,
      profile: findProfile(user.profile)!.name,
      active: user.active ? 1 : 0,
    };
    const existing = await trx.selectFrom('users').selectAll().where('username', '=', user.username).executeTakeFirst();
    const passwordHash = passwords.get(user.username);
    let id: string;
    let change: Change;
    if (!existing) {
      id = newSalesforceId(KEY_PREFIX.User);
      await trx.insertInto('users').values({ id, username: user.username, ...values, password_hash: passwordHash ?? null, created_at: now, updated_at: now }).execute();
      change = 'created';
    } else {
      id = existing.id;
      change = differs(existing, values) || passwordHash !== undefined ? 'updated' : 'unchanged';
      if (change === 'updated') await trx.updateTable('users').set({ ...values, ...(passwordHash ? { password_hash: passwordHash } : {}), updated_at: now }).where('id', '=', id).execute();
    }
    if (await syncAssignments(trx, id, user.permissionSets, user.permissionSetLicences)) change = change === 'unchanged' ? 'updated' : change;
    note(`user ${user.username}`, change);
  }

  const prefixes = new Set((await trx.selectFrom('data_objects').select('key_prefix').execute()).map((r) => r.key_prefix));
  for (const [object, spec] of Object.entries(doc.objects)) {
    const definition = JSON.stringify(spec);
    const existing = await trx.selectFrom('data_objects').selectAll().where('name', '=', object).executeTakeFirst();
    if (!existing) {
      const keyPrefix = /__[ce]$/.test(object) ? customKeyPrefix(object, prefixes) : STANDARD_OBJECT_DEFS.find((o) => o.name === object)!.keyPrefix;
      prefixes.add(keyPrefix);
      await trx.insertInto('data_objects').values({ name: object, key_prefix: keyPrefix, definition }).execute();
    } else if (existing.definition !== definition) await trx.updateTable('data_objects').set({ definition }).where('name', '=', object).execute();
    note(`object ${object}`, !existing ? 'created' : existing.definition !== definition ? 'updated' : 'unchanged');
  }

  if (doc.limits) {
    const value = String(doc.limits.dailyApiRequests);
    const current = await trx.selectFrom('org_settings').select('value').where('key', '=', ORG_SETTING_DAILY_API_REQUESTS).executeTakeFirst();
    if (current?.value !== value) await trx.insertInto('org_settings').values({ key: ORG_SETTING_DAILY_API_REQUESTS, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    note('limit DailyApiRequests', current?.value === value ? 'unchanged' : 'updated');
  }

  if (doc.changeDataCapture) {
    const value = JSON.stringify([...new Set(doc.changeDataCapture)].sort());
    const current = await trx.selectFrom('org_settings').select('value').where('key', '=', ORG_SETTING_CHANGE_DATA_CAPTURE).executeTakeFirst();
    if (current?.value !== value) await trx.insertInto('org_settings').values({ key: ORG_SETTING_CHANGE_DATA_CAPTURE, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    note('change data capture', current?.value === value ? 'unchanged' : 'updated');
  }

  for (const [object, sharing] of Object.entries(doc.sharing)) {
    const values = { default_access: sharing.default, rules: JSON.stringify(sharing.rules) };
    const existing = await trx.selectFrom('sharing_settings').selectAll().where('object_name', '=', object).executeTakeFirst();
    if (!existing) await trx.insertInto('sharing_settings').values({ object_name: object, ...values }).execute();
    else if (differs(existing, values)) await trx.updateTable('sharing_settings').set(values).where('object_name', '=', object).execute();
    note(`sharing ${object}`, !existing ? 'created' : differs(existing, values) ? 'updated' : 'unchanged');
  }

  for (const app of doc.apps) await applyApp(trx, ctx, app, now, summary, note);

  for (const handler of doc.tokenExchangeHandlers) {
    const key = tokenExchangeHandlerKey(handler.name);
    const value = JSON.stringify(handler);
    const current = await trx.selectFrom('org_settings').select('value').where('key', '=', key).executeTakeFirst();
    if (current?.value !== value) await trx.insertInto('org_settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    note(`token exchange handler ${handler.name}`, !current ? 'created' : current.value === value ? 'unchanged' : 'updated');
  }

  await recordEvent(trx, { at: now, kind: 'setup_apply', outcome: 'success', detail: `by ${ctx.actor}: ${summary.created.length} created, ${summary.updated.length} updated, ${summary.unchanged} unchanged` });
  return summary;
}

async function applyApp(trx: Transaction<OrgDatabase>, ctx: ApplyContext, app: AppSpec, now: number, summary: ApplySummary, note: (what: string, change: Change) => void) {
  const runAs = app.policies.runAs
    ? (await trx.selectFrom('users').select('id').where('username', '=', app.policies.runAs).executeTakeFirstOrThrow()).id
    : null;
  const refresh = app.policies.refreshToken;
  const values = {
    name: app.name,
    contact_email: app.contactEmail,
    callback_urls: JSON.stringify(app.oauth.callbackUrls),
    scopes: JSON.stringify(app.oauth.scopes),
    flows: JSON.stringify(app.oauth.flows),
    require_secret: app.oauth.requireSecret ? 1 : 0,
    require_secret_refresh: (app.oauth.requireSecretForRefreshToken ?? app.oauth.requireSecret) ? 1 : 0,
    require_secret_exchange: app.oauth.requireSecretForTokenExchange ? 1 : 0,
    require_pkce: app.oauth.requirePkce ? 1 : 0,
    certificate: app.oauth.certificate?.trim() ?? null,
    permitted_users: JSON.stringify(app.policies.permittedUsers),
    run_as_user_id: runAs,
    refresh_token_policy: JSON.stringify(refresh.duration ? { policy: refresh.policy, seconds: durationSeconds(refresh.duration) } : { policy: refresh.policy }),
    refresh_token_rotation: app.policies.refreshTokenRotation ? 1 : 0,
    access_token_ttl_seconds: durationSeconds(app.policies.accessTokenLifetime),
  };
  const existing = await trx.selectFrom('apps').selectAll().where('api_name', '=', app.apiName).executeTakeFirst();
  if (existing) {
    const changed = differs(existing, values);
    if (changed) await trx.updateTable('apps').set({ ...values, updated_at: now }).where('id', '=', existing.id).execute();
    note(`app ${app.apiName}`, changed ? 'updated' : 'unchanged');
    return;
  }
  const id = newSalesforceId(KEY_PREFIX.ExternalClientApp);
  await trx.insertInto('apps').values({ id, api_name: app.apiName, ...values, created_at: now, updated_at: now }).execute();
  const consumer = newConsumer(id, ctx.box, now);
  await trx.insertInto('app_consumers').values(consumer.row).execute();
  summary.newApps.push({ apiName: app.apiName, consumerKey: consumer.consumerKey, consumerSecret: consumer.consumerSecret });
  note(`app ${app.apiName}`, 'created');
}

/** Makes the user's permission set and licence assignments exactly the listed ones; true if anything changed. */
async function syncAssignments(trx: Transaction<OrgDatabase>, userId: string, setNames: string[], licences: string[]): Promise<boolean> {
  const wanted = setNames.length === 0 ? [] : (await trx.selectFrom('permission_sets').select('id').where('name', 'in', setNames).execute()).map((s) => s.id);
  const current = (await trx.selectFrom('permission_set_assignments').select('permission_set_id').where('user_id', '=', userId).execute()).map((a) => a.permission_set_id);
  const currentLicences = (await trx.selectFrom('permission_set_licence_assignments').select('licence').where('user_id', '=', userId).execute()).map((l) => l.licence);
  if (sameSet(wanted, current) && sameSet(licences, currentLicences)) return false;
  await trx.deleteFrom('permission_set_assignments').where('user_id', '=', userId).execute();
  await trx.deleteFrom('permission_set_licence_assignments').where('user_id', '=', userId).execute();
  if (wanted.length) await trx.insertInto('permission_set_assignments').values(wanted.map((id) => ({ user_id: userId, permission_set_id: id }))).execute();
  if (licences.length) await trx.insertInto('permission_set_licence_assignments').values([...new Set(licences)].map((licence) => ({ user_id: userId, licence }))).execute();
  return true;
}

function differs(row: object, values: Record<string, unknown>): boolean {
  return Object.entries(values).some(([k, v]) => (row as Record<string, unknown>)[k] !== v);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && [...sa].every((x) => b.includes(x));
}
