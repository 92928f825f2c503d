import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { Actor, HubContext } from '../context.js';
import { invalid, notFound } from '../problem.js';
import { conflictIfTaken, parse } from './common.js';
import { identityProviderByName } from './identity-providers.js';
import { credentialValue } from './credential-value.js';

export interface Principal { name: string; grantedTo: string[] }

export const externalCredentialInput = z.object({
  name: z.string().trim().min(1).max(100),
  protocol: z.enum(['oauth2_client_credentials', 'basic', 'custom_headers']),
  identityProvider: z.string().optional(),
  username: credentialValue.optional(),
  password: credentialValue.optional(),
  headers: z.array(z.object({ name: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), value: credentialValue }).strict()).max(20).optional(),
  principals: z.array(z.object({ name: z.string().trim().min(1).max(100), grantedTo: z.array(z.string().min(1)).default([]) }).strict()).min(1, 'needs at least one principal'),
}).strict().superRefine((c, issue) => {
  const need = (field: 'identityProvider' | 'username' | 'password' | 'headers', why: string) => {
    if (c[field] === undefined) issue.addIssue({ code: 'custom', path: [field], message: `is required for ${why}` });
  };
  if (c.protocol === 'oauth2_client_credentials') need('identityProvider', 'OAuth 2.0 through an identity provider');
  if (c.protocol === 'basic') { need('username', 'basic authentication'); need('password', 'basic authentication'); }
  if (c.protocol === 'custom_headers') need('headers', 'custom headers');
});

export const extSecretsContext = (id: string) => `external_credential:${id}:secrets`;

/** An external credential: how to authenticate (seed 001), and which principals callers may use. */
export async function createExternalCredential(ctx: HubContext, actor: Actor, body: unknown) {
  const input = parse(externalCredentialInput, body);
  await conflictIfTaken(ctx.db.selectFrom('external_credentials').select('id').where('name', '=', input.name), input.name);
  const idp = input.protocol === 'oauth2_client_credentials' ? await identityProviderByName(ctx, input.identityProvider!).catch(() => { throw invalid([{ path: 'identityProvider', message: `unknown identity provider "${input.identityProvider}"` }]); }) : undefined;
  const id = randomUUID();
  const secrets = input.protocol === 'basic' ? { password: input.password! } : input.protocol === 'custom_headers' ? Object.fromEntries(input.headers!.map((h) => [h.name, h.value])) : undefined;
  const config = input.protocol === 'basic' ? { username: input.username } : input.protocol === 'custom_headers' ? { headerNames: input.headers!.map((h) => h.name) } : {};
  const now = ctx.now();
  await ctx.db.insertInto('external_credentials').values({
    id, name: input.name, protocol: input.protocol, identity_provider_id: idp?.id ?? null,
    secrets_sealed: secrets ? ctx.vault.seal(JSON.stringify(secrets), extSecretsContext(id)) : null,
    config: JSON.stringify(config), principals: JSON.stringify(input.principals), created_at: now,
  }).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'external_credential.create', targetType: 'external_credential', targetId: id, outcome: 'success', detail: `${input.name} (${input.protocol})` });
  return { id, name: input.name, protocol: input.protocol, identityProvider: input.identityProvider ?? null, config, principals: input.principals };
}

export async function listExternalCredentials(ctx: HubContext) {
  return (await ctx.db.selectFrom('external_credentials').select(['id', 'name', 'protocol', 'config', 'principals']).orderBy('name').execute())
    .map((r) => ({ id: r.id, name: r.name, protocol: r.protocol, config: JSON.parse(r.config) as object, principals: JSON.parse(r.principals) as Principal[] }));
}

export async function externalCredentialByName(ctx: HubContext, name: string) {
  const row = await ctx.db.selectFrom('external_credentials').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`external credential "${name}"`);
  return row;
}

/** Grants a principal of an external credential to an API key (by name); audited. Granting twice is a no-op. */
export async function grantPrincipal(ctx: HubContext, actor: Actor, externalCredential: string, principal: string, keyName: string): Promise<void> {
  const ext = await externalCredentialByName(ctx, externalCredential);
  const principals = JSON.parse(ext.principals) as Principal[];
  const target = principals.find((p) => p.name === principal);
  if (!target) throw notFound(`principal "${principal}" of external credential "${externalCredential}"`);
  if (target.grantedTo.includes(keyName)) return;
  target.grantedTo.push(keyName);
  await ctx.db.updateTable('external_credentials').set({ principals: JSON.stringify(principals) }).where('id', '=', ext.id).execute();
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: 'external_credential.grant', targetType: 'external_credential', targetId: ext.id, outcome: 'success', detail: `${principal} → ${keyName}` });
}
