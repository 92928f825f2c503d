import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConnectionClient, type ResolvedConnection } from '../auth/connection-client.js';
import { audit } from '../audit/audit-log.js';
import type { ConnectorMethod } from '../connectors/connector.js';
import { checkUrl } from '../connections/url-policy.js';
import type { Actor, HubContext } from '../context.js';
import { invalid, notFound, Problem } from '../problem.js';
import { Secret } from '../vault/secret.js';
import type { OutboundRequest, OutboundResponse } from '../net/outbound.js';
import { conflictIfTaken, parse } from './common.js';
import { externalCredentialByName, extSecretsContext, type Principal } from './external-credentials.js';
import { identityProviderRequest, idpSecretContext } from './identity-providers.js';

export const namedCredentialInput = z.object({
  name: z.string().trim().min(1).max(100).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must start with a letter and hold only letters, digits and underscores (it is used in callout:Name/path)'),
  baseUrl: z.url().transform((u) => u.replace(/\/+$/, '')),
  externalCredential: z.string().min(1),
  principal: z.string().min(1),
}).strict();

/** A named credential: a base URL plus an external credential (seed 001). Callers use `callout:Name/path`. */
export async function createNamedCredential(ctx: HubContext, actor: Actor, body: unknown) {
  const input = parse(namedCredentialInput, body);
  const urlProblem = await checkUrl(input.baseUrl, ctx.urlPolicy);
  if (urlProblem) throw invalid([{ path: 'baseUrl', message: urlProblem }]);
  const ext = await externalCredentialByName(ctx, input.externalCredential).catch(() => { throw invalid([{ path: 'externalCredential', message: `unknown external credential "${input.externalCredential}"` }]); });
  const principal = (JSON.parse(ext.principals) as Principal[]).find((p) => p.name === input.principal);
  if (!principal) throw invalid([{ path: 'principal', message: `external credential "${ext.name}" has no principal "${input.principal}"` }]);
  // Whoever points a named credential somewhere must hold its principal: else it could send another's secret to a URL of its choosing.
  if (actor.apiKeyName !== undefined && !principal.grantedTo.includes(actor.apiKeyName)) {
    throw new Problem(403, 'No access to the principal', `API key "${actor.apiKeyName}" is not granted principal "${input.principal}" of external credential "${ext.name}", so it cannot make a named credential with it.`);
  }
  await conflictIfTaken(ctx.db.selectFrom('named_credentials').select('id').where('name', '=', input.name), input.name);
  const id = randomUUID();
  const now = ctx.now();
  await ctx.db.insertInto('named_credentials').values({ id, name: input.name, base_url: input.baseUrl, external_credential_id: ext.id, principal: input.principal, created_at: now }).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'named_credential.create', targetType: 'named_credential', targetId: id, outcome: 'success', detail: input.name });
  return { id, name: input.name, baseUrl: input.baseUrl, externalCredential: ext.name, principal: input.principal };
}

export async function listNamedCredentials(ctx: HubContext) {
  return (await ctx.db.selectFrom('named_credentials').innerJoin('external_credentials', 'external_credentials.id', 'named_credentials.external_credential_id')
    .select(['named_credentials.id', 'named_credentials.name', 'named_credentials.base_url', 'named_credentials.principal', 'external_credentials.name as external_credential']).orderBy('named_credentials.name').execute())
    .map((r) => ({ id: r.id, name: r.name, baseUrl: r.base_url, externalCredential: r.external_credential, principal: r.principal }));
}

/**
 * The named credential as a signer. `caller` (an API key name) must be granted the principal;
 * without the grant the call is refused and says which grant is missing. Connections that use the
 * same identity provider share one token cache entry.
 */
export async function resolveNamedCredential(ctx: HubContext, name: string, caller: string | undefined): Promise<ResolvedConnection> {
  const named = await ctx.db.selectFrom('named_credentials').selectAll().where('name', '=', name).executeTakeFirst();
  if (!named) throw notFound(`named credential "${name}"`);
  const ext = await ctx.db.selectFrom('external_credentials').selectAll().where('id', '=', named.external_credential_id).executeTakeFirstOrThrow();
  const principal = (JSON.parse(ext.principals) as Principal[]).find((p) => p.name === named.principal);
  if (caller !== undefined && !principal?.grantedTo.includes(caller)) {
    throw new Problem(403, 'No access to the principal', `API key "${caller}" is not granted principal "${named.principal}" of external credential "${ext.name}"; grant it in the external credential's principals.`);
  }
  const baseUrl = (): string => named.base_url;
  const openExt = () => (ext.secrets_sealed ? JSON.parse(ctx.vault.open(ext.secrets_sealed, extSecretsContext(ext.id)).reveal()) as Record<string, string> : {});
  const config = JSON.parse(ext.config) as Record<string, unknown>;
  let method: ConnectorMethod;
  let tokenKey: string | undefined;
  // Named credentials on one identity provider share its token, so its metrics go by the provider's name.
  let label = `named:${named.name}`;
  let openSecrets: () => Record<string, Secret>;
  if (ext.protocol === 'oauth2_client_credentials') {
    const idp = await ctx.db.selectFrom('identity_providers').selectAll().where('id', '=', ext.identity_provider_id!).executeTakeFirstOrThrow();
    tokenKey = `identity_provider:${idp.id}`;
    label = `identity_provider:${idp.name}`;
    openSecrets = () => ({ clientSecret: ctx.vault.open(idp.secret_sealed, idpSecretContext(idp.id)) });
    method = {
      kind: 'oauth2_client_credentials', credentials: z.object({}), split: () => ({ config: {}, secrets: {} }), baseUrl, testPath: '/',
      clientCredentials: () => identityProviderRequest(ctx, idp),
    };
  } else {
    openSecrets = () => Object.fromEntries(Object.entries(openExt()).map(([k, v]) => [k, new Secret(v)]));
    method = { kind: ext.protocol === 'basic' ? 'basic' : 'custom_headers', credentials: z.object({}), split: () => ({ config: {}, secrets: {} }), baseUrl, testPath: '/' };
  }
  return {
    id: `named_credential:${named.id}`,
    label,
    connector: { app: 'named_credential', label: 'Named credential', methods: {}, explain: ({ error, description, status }) => `${name} answered ${[status, error, description].filter(Boolean).join(' ') || 'an unexpected error'}` },
    method, config, openSecrets, ...(tokenKey ? { tokenKey } : {}),
  };
}

/** `callout:Name/path`: the call a flow action makes; it never sees the secret. */
export async function callout(ctx: HubContext, target: string, init: OutboundRequest = {}, caller?: string): Promise<OutboundResponse> {
  const match = /^callout:([A-Za-z][A-Za-z0-9_]*)(\/.*)?$/.exec(target);
  if (!match) throw invalid([{ path: 'url', message: 'must read callout:NamedCredential/path' }]);
  const conn = await resolveNamedCredential(ctx, match[1]!, caller);
  return new ConnectionClient(conn, ctx.tokens, ctx.outbound).request(match[2] ?? '/', init);
}
