import { createConnection } from '../connections/connections.js';
import type { Actor, HubContext } from '../context.js';
import { createExternalCredential, grantPrincipal } from '../credentials/external-credentials.js';
import { createIdentityProvider } from '../credentials/identity-providers.js';
import { createNamedCredential } from '../credentials/named-credentials.js';
import { registerExternalService } from '../flows/external-services.js';
import { saveFlow } from '../flows/flows.js';
import { setRotationPolicy } from '../rotation/policy.js';

export interface DemoEndpoints {
  org: { instanceUrl: string; consumerKey: string; consumerSecret: string };
  /** The org's administrative app (run as an admin): when given, "Salesforce" gets a rotation policy through it. */
  orgAdmin?: { consumerKey: string; consumerSecret: string };
  erp: { url: string; tokenUrl: string; clientId: string; clientSecret: string };
}

const ignoreTaken = (error: unknown) => {
  if ((error as { status?: number }).status !== 409) throw error;
};

/**
 * The demo's wiring, shared by `handshake demo`, the crash test and the flows benchmark: the
 * "Salesforce" connection to the org, the ERP's identity provider (with its audience), external
 * credential and named credential "ERP", the ERP registered as the service "DemoERP", then the given
 * flows, with the ERP's principal granted to `grantTo` (API key names). Idempotent: a hub wired on
 * an earlier start keeps what it has, unless it points elsewhere.
 */
export async function wireDemo(ctx: HubContext, actor: Actor, { org, orgAdmin, erp }: DemoEndpoints, flows: readonly string[], grantTo: readonly string[] = []): Promise<void> {
  const named = await ctx.db.selectFrom('named_credentials').select('base_url').where('name', '=', 'ERP').executeTakeFirst();
  const connection = await ctx.db.selectFrom('connections').select('config').where('name', '=', 'Salesforce').executeTakeFirst();
  const wiredOrg = connection ? (JSON.parse(connection.config) as { instanceUrl?: string }).instanceUrl : undefined;
  if ((named && named.base_url !== erp.url) || (wiredOrg && wiredOrg !== org.instanceUrl)) {
    throw new Error(`The hub in this data folder was wired to an org at ${wiredOrg ?? '?'} and an ERP at ${named?.base_url ?? '?'}; they now run at ${org.instanceUrl} and ${erp.url}. Start with the same ports, or with a fresh --data folder.`);
  }
  // Creating a connection tests it first, so it is only attempted when it is missing.
  if (!connection) await createConnection(ctx, actor, { name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: org });
  if (orgAdmin) await wireRotation(ctx, actor, org.instanceUrl, orgAdmin);
  await createIdentityProvider(ctx, actor, { name: 'ERP IdP', tokenUrl: erp.tokenUrl, clientId: erp.clientId, clientSecret: erp.clientSecret, params: [{ name: 'resource', value: erp.url, in: 'body' }, { name: 'scope', value: 'erp.read erp.write', in: 'body' }] }).catch(ignoreTaken);
  await createExternalCredential(ctx, actor, { name: 'ERP OAuth', protocol: 'oauth2_client_credentials', identityProvider: 'ERP IdP', principals: [{ name: 'erp', grantedTo: ['flows'] }] }).catch(ignoreTaken);
  // API keys that will save flows using the ERP (the demo's own key) are granted its principal.
  for (const keyName of grantTo) await grantPrincipal(ctx, actor, 'ERP OAuth', 'erp', keyName);
  await createNamedCredential(ctx, actor, { name: 'ERP', baseUrl: erp.url, externalCredential: 'ERP OAuth', principal: 'erp' }).catch(ignoreTaken);
  await registerExternalService(ctx, actor, { name: 'DemoERP', namedCredential: 'ERP', specUrl: `${erp.url}/openapi.json` });
  for (const flow of flows) await saveFlow(ctx, actor, flow);
}

/**
 * "Salesforce Admin" (the admin's app) and a monthly rotation policy on "Salesforce", so that
 * `handshake hub rotate Salesforce` works out of the box. A policy set by the user is kept.
 */
async function wireRotation(ctx: HubContext, actor: Actor, instanceUrl: string, admin: { consumerKey: string; consumerSecret: string }): Promise<void> {
  const named = (name: string) => ctx.db.selectFrom('connections').select('id').where('name', '=', name).executeTakeFirst();
  const adminId = (await named('Salesforce Admin'))?.id
    ?? (await createConnection(ctx, actor, { name: 'Salesforce Admin', description: 'Rotates the Salesforce connection\'s consumer secret (runs as the admin).', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl, ...admin } })).id;
  const target = (await named('Salesforce'))!.id;
  const policy = await ctx.db.selectFrom('rotation_policies').select('connection_id').where('connection_id', '=', target).executeTakeFirst();
  if (!policy) await setRotationPolicy(ctx, actor.name, target, { adminConnectionId: adminId, intervalHours: 720, timeOfDay: '03:00', gracePeriodSeconds: 10 });
}
