import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import { fetchClientCredentialsToken } from '../auth/client-credentials.js';
import type { ClientCredentialsRequest, TokenParam } from '../connectors/connector.js';
import type { IdentityProviderTable } from '../store/schema.js';
import type { Secret } from '../vault/secret.js';
import { tokenParamSchema } from '../connectors/token-params.js';
import type { Actor, HubContext } from '../context.js';
import { invalid, notFound } from '../problem.js';
import { checkUrl } from '../connections/url-policy.js';
import { conflictIfTaken, parse } from './common.js';
import { credentialValue } from './credential-value.js';

export const identityProviderInput = z.object({
  name: z.string().trim().min(1).max(100),
  tokenUrl: z.url(),
  clientId: credentialValue,
  clientSecret: credentialValue,
  params: z.array(tokenParamSchema).max(20).default([]),
}).strict();

export const idpSecretContext = (id: string) => `identity_provider:${id}:secret`;

/** An external auth identity provider: client credentials with custom parameters (seed 003). */
export async function createIdentityProvider(ctx: HubContext, actor: Actor, body: unknown) {
  const input = parse(identityProviderInput, body);
  const urlProblem = await checkUrl(input.tokenUrl, ctx.urlPolicy);
  if (urlProblem) throw invalid([{ path: 'tokenUrl', message: urlProblem }]);
  await conflictIfTaken(ctx.db.selectFrom('identity_providers').select('id').where('name', '=', input.name), input.name);
  const id = randomUUID();
  const now = ctx.now();
  await ctx.db.insertInto('identity_providers').values({ id, name: input.name, token_url: input.tokenUrl, client_id: input.clientId, params: JSON.stringify(input.params), secret_sealed: ctx.vault.seal(input.clientSecret, idpSecretContext(id)), created_at: now }).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'identity_provider.create', targetType: 'identity_provider', targetId: id, outcome: 'success', detail: input.name });
  return { id, name: input.name, tokenUrl: input.tokenUrl, clientId: input.clientId, params: input.params as TokenParam[] };
}

export async function listIdentityProviders(ctx: HubContext) {
  return (await ctx.db.selectFrom('identity_providers').select(['id', 'name', 'token_url', 'client_id', 'params']).orderBy('name').execute())
    .map((r) => ({ id: r.id, name: r.name, tokenUrl: r.token_url, clientId: r.client_id, params: JSON.parse(r.params) as TokenParam[] }));
}

export async function identityProviderByName(ctx: HubContext, name: string) {
  const row = await ctx.db.selectFrom('identity_providers').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`identity provider "${name}"`);
  return row;
}

/** The client credentials token request of an identity provider (its secret opened from the vault). */
export function identityProviderRequest(ctx: HubContext, row: IdentityProviderTable): ClientCredentialsRequest {
  return { tokenUrl: row.token_url, clientId: row.client_id, clientSecret: ctx.vault.open(row.secret_sealed, idpSecretContext(row.id)).reveal(), extraParams: JSON.parse(row.params) as TokenParam[] };
}

/**
 * A token from the identity provider, through the token manager under the provider's key: the same
 * token a named credential on this provider uses, fetched once per lifetime.
 */
export async function identityProviderToken(ctx: HubContext, name: string): Promise<Secret> {
  const row = await identityProviderByName(ctx, name);
  return ctx.tokens.token(`identity_provider:${row.id}`, () => fetchClientCredentialsToken(identityProviderRequest(ctx, row), ctx.outbound), `identity_provider:${row.name}`);
}
