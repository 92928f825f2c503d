import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConnectionClient, type ResolvedConnection } from '../auth/connection-client.js';
import { TokenRequestError } from '../auth/client-credentials.js';
import { audit } from '../audit/audit-log.js';
import { CONNECTORS } from '../connectors/catalog.js';
import type { ConnectionConfig, ConnectorMethod } from '../connectors/connector.js';
import type { Actor, HubContext } from '../context.js';
import { invalid, notFound, Problem, zodIssues } from '../problem.js';
import type { ConnectionTable } from '../store/schema.js';
import { Secret } from '../vault/secret.js';
import { UnsafeRequestError } from '../net/outbound.js';
import { identityProviderToken } from '../credentials/identity-providers.js';
import { checkUrl } from './url-policy.js';
import { listUsages } from './usages.js';
import { completeAuthorization, refreshFromStore, sealSecrets, secretsContext, startAuthorization } from './authorization.js';
import { resolveNamedCredential } from '../credentials/named-credentials.js';
import { testPath } from '../connectors/http.js';

export type ConnectionStatus = 'active' | 'failing' | 'needs_reconnect' | 'inactive';

/** A connection as the API shows it: settings, status, a hash of the credentials — no secret. */
export interface ConnectionView {
  id: string;
  name: string;
  description: string | null;
  app: string;
  method: string;
  config: ConnectionConfig;
  credentialsHash: string;
  status: ConnectionStatus;
  statusReason: string | null;
  lastTestedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const createSchema = z.object({
  name: z.string().trim().min(1).max(100).regex(/^[\w .-]+$/, 'may hold letters, digits, spaces, dots, dashes and underscores'),
  description: z.string().max(1000).optional(),
  app: z.string().min(1),
  method: z.string().min(1),
  credentials: z.record(z.string(), z.unknown()),
}).strict();

export const updateConnectionInput = z.object({
  name: createSchema.shape.name.optional(),
  description: z.string().max(1000).nullable().optional(),
  credentials: z.record(z.string(), z.unknown()).optional(),
}).strict();


function view(row: ConnectionTable): ConnectionView {
  return {
    id: row.id, name: row.name, description: row.description, app: row.app, method: row.method,
    config: JSON.parse(row.config) as ConnectionConfig,
    credentialsHash: row.credentials_hash,
    status: row.status as ConnectionStatus,
    statusReason: row.status_reason,
    lastTestedAt: row.last_tested_at === null ? null : new Date(row.last_tested_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function methodOf(app: string, method: string): ConnectorMethod {
  const connector = CONNECTORS[app];
  if (!connector) throw invalid([{ path: 'app', message: `unknown app "${app}"; known apps: ${Object.keys(CONNECTORS).join(', ')}` }]);
  const m = connector.methods[method];
  if (!m) throw invalid([{ path: 'method', message: `unknown method "${method}" for ${app}; known methods: ${Object.keys(connector.methods).join(', ')}` }]);
  return m;
}

/** Validates the credentials for the app and method, and every URL in them against the SSRF policy. */
async function parseCredentials(ctx: HubContext, method: ConnectorMethod, credentials: unknown) {
  const parsed = method.credentials.safeParse(credentials);
  if (!parsed.success) throw invalid(zodIssues(parsed.error, 'credentials'));
  const split = method.split(parsed.data);
  const urlProblems = [];
  for (const [key, value] of Object.entries(split.config)) {
    if (!/url$/i.test(key) || typeof value !== 'string') continue;
    const problem = await checkUrl(value, ctx.urlPolicy);
    if (problem) urlProblems.push({ path: `credentials.${key}`, message: problem });
  }
  if (urlProblems.length) throw invalid(urlProblems);
  if (method.kind === 'oauth2_token_exchange') {
    const name = String(split.config.identityProvider);
    const known = await ctx.db.selectFrom('identity_providers').select('id').where('name', '=', name).executeTakeFirst();
    if (!known) throw invalid([{ path: 'credentials.identityProvider', message: `unknown identity provider "${name}"; create it first (POST /api/v1/identity-providers)` }]);
  }
  return split;
}

/** `cacheKey` names the token cache entry: new credentials on trial get their own, apart from the live ones. */
const openSealed = (ctx: HubContext, id: string, sealed: string) => Object.fromEntries(Object.entries(JSON.parse(ctx.vault.open(sealed, secretsContext(id)).reveal()) as Record<string, string>).map(([k, v]) => [k, new Secret(v)]));

function resolved(ctx: HubContext, id: string, name: string, app: string, method: ConnectorMethod, config: ConnectionConfig, sealed: string, cacheKey = id): ResolvedConnection {
  return {
    id: cacheKey, label: name, connector: CONNECTORS[app]!, method, config,
    ...(method.kind === 'oauth2_authorization_code' ? { refresh: () => refreshFromStore(ctx, id, method) } : {}),
    ...(method.kind === 'oauth2_token_exchange' ? { subjectToken: () => identityProviderToken(ctx, String(config.identityProvider)) } : {}),
    openSecrets: () => openSealed(ctx, id, sealed),
  };
}

/** A stored connection's settings and secrets as they are now (a rotation may have replaced them since it was resolved). */
async function storedNow(ctx: HubContext, id: string): Promise<{ config: ConnectionConfig; secrets: Record<string, Secret> }> {
  const r = await row(ctx, id);
  return { config: JSON.parse(r.config) as ConnectionConfig, secrets: openSealed(ctx, id, r.secrets_sealed) };
}

export function clientFor(ctx: HubContext, conn: ResolvedConnection): ConnectionClient {
  return new ConnectionClient(conn, ctx.tokens, ctx.outbound);
}

/** A token request plus a cheap API call; the error says what to fix on the provider's side. */
async function probe(ctx: HubContext, conn: ResolvedConnection): Promise<{ ok: true } | { ok: false; status: ConnectionStatus; reason: string }> {
  try {
    const path = typeof conn.config.testPath === 'string' ? conn.config.testPath : conn.method.testPath;
    const client = clientFor(ctx, conn);
    const response = await client.request(path || '/');
    const text = await response.text();
    if (response.ok) return { ok: true };
    let error: string | undefined;
    try {
      const body = JSON.parse(text) as { errorCode?: string; message?: string }[] | { error?: string };
      // What the API says may echo the request (its credentials): removed before it is shown or kept.
      const said = Array.isArray(body) ? `${body[0]?.errorCode ?? ''} ${body[0]?.message ?? ''}` : body.error;
      error = said === undefined ? undefined : client.redact(String(said));
    } catch { /* not JSON: the status says enough */ }
    return { ok: false, status: 'failing', reason: conn.connector.explain({ error, status: response.status }) };
  } catch (error) {
    if (error instanceof TokenRequestError) {
      return { ok: false, status: error.error === 'invalid_grant' && /refresh/.test(error.description ?? '') ? 'needs_reconnect' : 'failing', reason: conn.connector.explain({ error: error.error, description: error.description, status: error.status }) };
    }
    if (error instanceof UnsafeRequestError) return { ok: false, status: 'failing', reason: error.message };
    // A network failure (undici's and the resolver's errors carry a code): the host, not the credentials.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return { ok: false, status: 'failing', reason: `could not reach ${conn.method.baseUrl(conn.config)} (${code})` };
    throw error;
  }
}

const NAMED = 'named_credential';
const fromNamedCredential = z.object({ namedCredential: z.string().min(1), testPath }).strict();

/** A connection made from a named credential holds no secret of its own: it points at the credential. */
async function createFromNamedCredential(ctx: HubContext, actor: Actor, name: string, description: string | undefined, credentials: unknown): Promise<ConnectionView> {
  const parsed = fromNamedCredential.safeParse(credentials);
  if (!parsed.success) throw invalid(zodIssues(parsed.error, 'credentials'));
  const { namedCredential, testPath } = parsed.data;
  if (!(await ctx.db.selectFrom('named_credentials').select('id').where('name', '=', namedCredential).executeTakeFirst())) {
    throw invalid([{ path: 'credentials.namedCredential', message: `unknown named credential "${namedCredential}"` }]);
  }
  const id = randomUUID();
  const now = ctx.now();
  const draft = newRow(id, name, description, NAMED, NAMED, { namedCredential, testPath }, sealSecrets(ctx, id, {}), 'inactive', null, null, now);
  const result = await probeRow(ctx, draft, actor);
  if (!result.ok && result.status !== 'inactive') throw new Problem(422, 'Connection test failed', `The connection was not saved: ${result.reason}.`, [{ path: 'credentials', message: result.reason }]);
  const row = { ...draft, status: result.ok ? 'active' : 'inactive', status_reason: result.ok ? null : result.reason, last_tested_at: now };
  await ctx.db.insertInto('connections').values(row).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'connection.create', targetType: 'connection', targetId: id, outcome: result.ok ? 'success' : 'inactive', detail: `from named credential ${namedCredential}` });
  return view(row);
}

/** Tests a stored (or about to be stored) connection as `actor`; a missing principal grant leaves it inactive. */
async function probeRow(ctx: HubContext, r: ConnectionTable, actor: Actor): Promise<Awaited<ReturnType<typeof probe>>> {
  if (r.app !== NAMED) return probe(ctx, resolved(ctx, r.id, r.name, r.app, methodOf(r.app, r.method), JSON.parse(r.config) as ConnectionConfig, r.secrets_sealed));
  const config = JSON.parse(r.config) as { namedCredential: string; testPath: string };
  try {
    const conn = await resolveNamedCredential(ctx, config.namedCredential, actor.apiKeyName ?? '');
    return probe(ctx, { ...conn, config: { ...conn.config, testPath: config.testPath } });
  } catch (error) {
    if (error instanceof Problem && error.status === 403) return { ok: false, status: 'inactive', reason: error.detail };
    throw error;
  }
}

export async function createConnection(ctx: HubContext, actor: Actor, body: unknown): Promise<ConnectionView> {
  const input = createSchema.safeParse(body);
  if (!input.success) throw invalid(zodIssues(input.error));
  const { name, description, app, method: methodName, credentials } = input.data;
  if (app === NAMED) {
    if (methodName !== NAMED) throw invalid([{ path: 'method', message: 'connections from a named credential use method "named_credential"' }]);
    await ensureNameFree(ctx, name);
    return createFromNamedCredential(ctx, actor, name, description, credentials);
  }
  const method = methodOf(app, methodName);
  const split = await parseCredentials(ctx, method, credentials);
  await ensureNameFree(ctx, name);
  const id = randomUUID();
  const sealed = sealSecrets(ctx, id, split.secrets);
  const now = ctx.now();
  if (method.kind === 'oauth2_authorization_code') {
    // Nothing to test before the user has authorized: saved as inactive, with the way forward.
    const row = newRow(id, name, description, app, methodName, split.config, sealed, 'inactive', 'not authorized yet: POST /api/v1/connections/{id}/authorize and open the URL it returns', null, now);
    await ctx.db.insertInto('connections').values(row).execute();
    await audit(ctx.db, now, { actor: actor.name, action: 'connection.create', targetType: 'connection', targetId: id, outcome: 'awaiting_authorization', detail: `${app}/${methodName} "${name}"` });
    return view(row);
  }
  const conn = resolved(ctx, id, name, app, method, split.config, sealed.secrets_sealed);
  const result = await probe(ctx, conn);
  if (!result.ok) {
    await ctx.tokens.forget(id);
    await audit(ctx.db, now, { actor: actor.name, action: 'connection.create', targetType: 'connection', outcome: 'test_failed', detail: `${app}/${methodName} "${name}": ${result.reason}` });
    throw new Problem(422, 'Connection test failed', `The connection was not saved: ${result.reason}.`, [{ path: 'credentials', message: result.reason }]);
  }
  const row = newRow(id, name, description, app, methodName, split.config, sealed, 'active', null, now, now);
  await ctx.db.insertInto('connections').values(row).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'connection.create', targetType: 'connection', targetId: id, outcome: 'success', detail: `${app}/${methodName} "${name}"` });
  return view(row);
}

async function ensureNameFree(ctx: HubContext, name: string): Promise<void> {
  if (await ctx.db.selectFrom('connections').select('id').where('name', '=', name).executeTakeFirst()) {
    throw new Problem(409, 'Conflict', `a connection named "${name}" already exists`, [{ path: 'name', message: 'is already used by another connection' }]);
  }
}

function newRow(id: string, name: string, description: string | undefined, app: string, method: string, config: ConnectionConfig, sealed: ReturnType<typeof sealSecrets>, status: ConnectionStatus, reason: string | null, testedAt: number | null, now: number): ConnectionTable {
  return {
    id, name, description: description ?? null, app, method, config: JSON.stringify(config), ...sealed,
    status, status_reason: reason, last_tested_at: testedAt, created_at: now, updated_at: now,
  };
}

/** The URL where the user authorizes (or re-authorizes) an authorization code connection. */
export async function authorizeConnection(ctx: HubContext, actor: Actor, id: string): Promise<string> {
  const r = await row(ctx, id);
  const url = await startAuthorization(ctx, r, methodOf(r.app, r.method), JSON.parse(r.config) as ConnectionConfig);
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: 'connection.authorize_start', targetType: 'connection', targetId: id, outcome: 'success' });
  return url;
}

/** The IdP's redirect back: redeem the code, then test the connection. */
export async function finishAuthorization(ctx: HubContext, params: URLSearchParams): Promise<ConnectionView> {
  const r = await completeAuthorization(ctx, params, (c) => methodOf(c.app, c.method));
  return testConnection(ctx, { name: 'oauth callback' }, r.id);
}

async function row(ctx: HubContext, id: string): Promise<ConnectionTable> {
  const found = await ctx.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
  if (!found) throw notFound(`connection ${id}`);
  return found;
}

export async function getConnection(ctx: HubContext, id: string): Promise<ConnectionView> {
  return view(await row(ctx, id));
}

export async function listConnections(ctx: HubContext): Promise<ConnectionView[]> {
  return (await ctx.db.selectFrom('connections').selectAll().orderBy('name').execute()).map(view);
}

/** The connection as a signer, for connectors and flows: they get requests, never secrets. */
export async function connectionClient(ctx: HubContext, id: string): Promise<ConnectionClient> {
  const r = await row(ctx, id);
  if (r.app === NAMED) return clientFor(ctx, await resolveNamedCredential(ctx, (JSON.parse(r.config) as { namedCredential: string }).namedCredential, undefined));
  return clientFor(ctx, { ...resolved(ctx, r.id, r.name, r.app, methodOf(r.app, r.method), JSON.parse(r.config) as ConnectionConfig, r.secrets_sealed), current: () => storedNow(ctx, r.id) });
}

export async function testConnection(ctx: HubContext, actor: Actor, id: string): Promise<ConnectionView> {
  const r = await row(ctx, id);
  const result = await probeRow(ctx, r, actor);
  const now = ctx.now();
  const status = result.ok ? 'active' : result.status;
  const reason = result.ok ? null : result.reason;
  await ctx.db.updateTable('connections').set({ status, status_reason: reason, last_tested_at: now }).where('id', '=', id).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'connection.test', targetType: 'connection', targetId: id, outcome: result.ok ? 'success' : status, detail: reason });
  return view({ ...r, status, status_reason: reason, last_tested_at: now });
}

export async function updateConnection(ctx: HubContext, actor: Actor, id: string, body: unknown): Promise<ConnectionView> {
  const input = updateConnectionInput.safeParse(body);
  if (!input.success) throw invalid(zodIssues(input.error));
  const current = await row(ctx, id);
  const now = ctx.now();
  const next: ConnectionTable = { ...current, updated_at: now, ...(input.data.name !== undefined ? { name: input.data.name } : {}), ...(input.data.description !== undefined ? { description: input.data.description } : {}) };
  if (input.data.name !== undefined && input.data.name !== current.name && await ctx.db.selectFrom('connections').select('id').where('name', '=', input.data.name).executeTakeFirst()) {
    throw new Problem(409, 'Conflict', `a connection named "${input.data.name}" already exists`, [{ path: 'name', message: 'is already used by another connection' }]);
  }
  const credentialsUpdated = input.data.credentials !== undefined;
  if (credentialsUpdated && current.app === NAMED) {
    throw invalid([{ path: 'credentials', message: 'a connection created from a named credential allows editing only its name and description; change the named credential instead' }]);
  }
  if (credentialsUpdated) {
    // New credentials are tested before they replace the old ones: a typo never breaks a working connection.
    const method = methodOf(current.app, current.method);
    const split = await parseCredentials(ctx, method, { ...storedCredentials(ctx, current, method), ...input.data.credentials });
    const sealed = sealSecrets(ctx, id, split.secrets);
    const result = await probe(ctx, resolved(ctx, id, current.name, current.app, method, split.config, sealed.secrets_sealed, `${id}#candidate`));
    await ctx.tokens.forget(`${id}#candidate`);
    if (!result.ok) {
      await audit(ctx.db, now, { actor: actor.name, action: 'connection.update', targetType: 'connection', targetId: id, outcome: 'test_failed', detail: `credentialsUpdated=true: ${result.reason}` });
      throw new Problem(422, 'Connection test failed', `The new credentials were not saved (the connection keeps its current ones): ${result.reason}.`, [{ path: 'credentials', message: result.reason }]);
    }
    Object.assign(next, { config: JSON.stringify(split.config), ...sealed, status: 'active', status_reason: null, last_tested_at: now });
    await ctx.tokens.forget(id);
  }
  await ctx.db.updateTable('connections').set(next).where('id', '=', id).execute();
  await audit(ctx.db, now, { actor: actor.name, action: 'connection.update', targetType: 'connection', targetId: id, outcome: 'success', detail: `credentialsUpdated=${credentialsUpdated}` });
  return view(next);
}

/**
 * The stored credentials as input again, so a PATCH names only what changes: people edit a URL or a key
 * without retyping a secret they can no longer see. Only the method's own input keys come back (not, say,
 * a refresh token an authorization added).
 */
function storedCredentials(ctx: HubContext, current: ConnectionTable, method: ConnectorMethod): Record<string, unknown> {
  const inputKeys = new Set(Object.keys((method.credentials as unknown as { shape?: Record<string, unknown> }).shape ?? {}));
  const stored = { ...(JSON.parse(current.config) as ConnectionConfig), ...revealed(ctx, current) };
  return Object.fromEntries(Object.entries(stored).filter(([key, value]) => inputKeys.has(key) && value !== undefined && value !== null));
}

/** Refused while flows use the connection, unless forced; never touches a named credential it came from. */
export async function deleteConnection(ctx: HubContext, actor: Actor, id: string, force = false): Promise<void> {
  await row(ctx, id);
  const usages = await listUsages(ctx, id);
  if (usages.length > 0 && !force) {
    throw new Problem(409, 'Connection in use', `${usages.length} flow${usages.length === 1 ? '' : 's'} use${usages.length === 1 ? 's' : ''} this connection (${usages.map((u) => u.name).join(', ')}); change them first, or delete with ?force=true.`);
  }
  await ctx.db.deleteFrom('connections').where('id', '=', id).execute();
  await ctx.tokens.forget(id);
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: 'connection.delete', targetType: 'connection', targetId: id, outcome: 'success', detail: usages.length ? `forced, while used by ${usages.map((u) => `${u.type} ${u.name}`).join(', ')}` : null });
}

/** The connection's secrets in clear: a separate scope, and always audited. */
export async function revealCredentials(ctx: HubContext, actor: Actor, id: string): Promise<Record<string, string>> {
  const r = await row(ctx, id);
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: 'credentials.reveal', targetType: 'connection', targetId: id, outcome: 'success' });
  return revealed(ctx, r);
}

const revealed = (ctx: HubContext, r: ConnectionTable) => JSON.parse(ctx.vault.open(r.secrets_sealed, secretsContext(r.id)).reveal()) as Record<string, string>;
