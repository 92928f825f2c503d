import { z } from 'zod';
import { API_SCOPES } from '../api-keys/api-keys.js';
import { RUN_STATUSES } from '../flows/runs.js';
import { ROLES } from '../people/roles.js';

/**
 * What the API answers, as zod schemas: published in the OpenAPI document and checked against real
 * answers in the tests (strict, so a field added to an answer without a schema fails there).
 */

const time = z.string().meta({ format: 'date-time' });
const uuid = z.string().meta({ format: 'uuid' });

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('what is wrong, in one sentence'),
  errors: z.array(z.object({
    path: z.string().describe('the field (dotted) or document path that is wrong'),
    message: z.string(),
    line: z.number().int().optional().describe('in a flow document: the line (1-based)'),
    column: z.number().int().optional(),
  })).optional(),
}).meta({ id: 'Problem', description: 'RFC 9457 problem details; every error names where it is.', examples: [{ type: 'about:blank', title: 'Invalid request', status: 400, detail: 'limit: must be 1 to 1000', errors: [{ path: 'limit', message: 'must be 1 to 1000' }] }] });

export const connectionSchema = z.strictObject({
  id: uuid,
  name: z.string(),
  description: z.string().nullable(),
  app: z.string().describe('the connector: salesforce, or another OAuth 2.0 API'),
  method: z.string().describe('the authentication protocol, e.g. oauth2_client_credentials'),
  config: z.record(z.string(), z.unknown()).describe('settings that are not secret (login URL, scopes, named credential)'),
  credentialsHash: z.string().describe('changes when the credentials change; never the credentials'),
  status: z.enum(['active', 'failing', 'needs_reconnect', 'inactive']),
  statusReason: z.string().nullable(),
  lastTestedAt: time.nullable(),
  createdAt: time,
  updatedAt: time,
}).meta({ id: 'Connection', description: 'A connection; never includes a secret.', examples: [{ id: '0b7c1e52-3f0a-4a7e-9a55-2b1f0f1e9d10', name: 'Salesforce Integration', description: null, app: 'salesforce', method: 'oauth2_client_credentials', config: { loginUrl: 'https://acme.my.salesforce.com' }, credentialsHash: 'sha256:4f2c…', status: 'active', statusReason: null, lastTestedAt: '2026-12-01T09:00:00.000Z', createdAt: '2026-11-30T12:00:00.000Z', updatedAt: '2026-12-01T09:00:00.000Z' }] });

export const flowSchemaView = z.strictObject({
  id: uuid,
  name: z.string(),
  status: z.enum(['active', 'paused']),
  definition: z.record(z.string(), z.unknown()).describe('the flow document with defaults filled in (see /api/v1/flows/schema.json)'),
  updatedAt: z.number().int().describe('epoch milliseconds'),
  version: z.number().int().nullable().describe('the latest saved version (1, 2, …); null for a flow saved before versions were kept'),
  savedBy: z.string().nullable().describe('who saved it last: the flow runs as them'),
  pollError: z.string().nullable().optional().describe('the trigger\'s last poll error, if its last poll failed (GET of one flow only)'),
  triggerNotice: z.string().nullable().optional().describe('what the trigger last did on its own account, e.g. reading changes to close a gap in a change stream (GET of one flow only)'),
}).meta({ id: 'Flow' });

const step = z.object({ action: z.string(), status: z.string() }).catchall(z.unknown()).describe('one action\'s outcome (request and answer redacted)');

export const runSchema = z.strictObject({
  id: z.string(),
  eventId: z.string().nullable(),
  record: z.string().nullable().describe('the record the event was about (a Salesforce Id, a feed item id, a webhook idPath value)'),
  dedupeKey: z.string().nullable(),
  caller: z.string().nullable().describe('who sent the event (a webhook caller as its policies or API key showed: sub:…, client:…, iss:…, api-key:…); null for polled events'),
  status: z.enum(RUN_STATUSES),
  attempt: z.number().int(),
  error: z.string().nullable(),
  startedAt: time,
  durationMs: z.number().int(),
  steps: z.array(step),
}).meta({ id: 'Run', examples: [{ id: 'r_01J…', eventId: 'e_01J…', record: '801000000000001AAA', dedupeKey: '801000000000001AAA@2026-12-01T09:00:00.000Z', caller: null, status: 'success', attempt: 1, error: null, startedAt: '2026-12-01T09:00:01.000Z', durationMs: 57, steps: [{ action: 'createSalesOrder', status: 'success' }] }] });

export const runPageSchema = z.strictObject({
  runs: z.array(runSchema),
  next: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
}).meta({ id: 'RunPage' });

const counts = <T extends readonly string[]>(keys: T) => z.strictObject(Object.fromEntries(keys.map((k) => [k, z.number().int().min(0)])) as Record<T[number], z.ZodNumber>);
export const flowStatsSchema = z.strictObject({
  flow: z.string(),
  status: z.enum(['active', 'paused']),
  runs: counts(RUN_STATUSES),
  events: counts(['pending', 'done', 'dead'] as const),
  backlog: z.number().int().min(0).describe('events waiting to run'),
  lagMs: z.number().int().min(0).describe('age of the oldest waiting event'),
  lastRun: z.strictObject({ id: z.string(), status: z.enum(RUN_STATUSES), startedAt: time }).nullable(),
  lastError: z.string().nullable(),
}).meta({ id: 'FlowStats', description: 'Counts, never capped.', examples: [{ flow: 'crm-order-to-erp-sales-order', status: 'active', runs: { success: 1520, skipped: 3, failed: 2, dead: 0 }, events: { pending: 4, done: 1523, dead: 0 }, backlog: 4, lagMs: 310, lastRun: { id: 'r_01J…', status: 'success', startedAt: '2026-12-01T09:00:01.000Z' }, lastError: 'ERP answered 503' }] });

export const apiKeySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(API_SCOPES)),
  createdAt: time,
  lastUsedAt: time.nullable(),
  expiresAt: time.nullable(),
  revoked: z.boolean(),
}).meta({ id: 'ApiKey', description: 'An API key; never its secret.' });

export const auditEntrySchema = z.strictObject({
  id: z.number().int(),
  at: time,
  actor: z.string().describe('the API key\'s or person\'s name'),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  outcome: z.string(),
  detail: z.string().nullable(),
}).meta({ id: 'AuditEntry' });

export const deadLetterSchema = z.strictObject({
  id: z.string(),
  key: z.string().describe('the dedupe key'),
  attempts: z.number().int(),
  error: z.string().nullable(),
  payload: z.unknown(),
}).meta({ id: 'DeadLetter' });

export const userSchema = z.strictObject({
  id: uuid,
  username: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  manageConnections: z.boolean().describe('the "Manage Integration Connections" permission: create, edit and delete connections'),
  scopes: z.array(z.enum(API_SCOPES)).describe('what the role allows, as API scopes'),
  createdAt: time,
}).meta({ id: 'User', description: 'A person who signs in to the console; never the password.' });

export const sessionSchema = z.strictObject({
  user: userSchema,
  csrfToken: z.string().describe('send in X-CSRF-Token with every request that changes something'),
}).meta({ id: 'Session' });

export const connectorSchema = z.strictObject({
  app: z.string(),
  label: z.string(),
  methods: z.array(z.strictObject({ name: z.string(), kind: z.string(), label: z.string(), credentials: z.record(z.string(), z.unknown()).describe('JSON Schema of the credentials') })),
}).meta({ id: 'Connector', description: 'A connector and its standard authentication methods.' });

const minute = z.number().int().describe('the minute, epoch milliseconds');
export const dashboardSchema = z.strictObject({
  minutes: z.number().int(),
  tokenRequests: z.array(z.strictObject({ connection: z.string(), points: z.array(z.strictObject({ at: minute, success: z.number().int(), failure: z.number().int() })) })).describe('token requests per minute since the hub started (in memory), by connection'),
  runs: z.array(z.strictObject({ flow: z.string(), points: z.array(z.strictObject({ at: minute, success: z.number().int(), skipped: z.number().int(), failed: z.number().int(), dead: z.number().int() })) })).describe('runs per minute, by flow and outcome'),
  flows: z.array(z.strictObject({ flow: z.string(), status: z.enum(['active', 'paused']), backlog: z.number().int(), lagMs: z.number().int() })),
  apiUsage: z.array(z.strictObject({ connection: z.string(), share: z.number().min(0).describe('share of the daily API allowance used, from Sforce-Limit-Info') })),
}).meta({ id: 'Dashboard', description: 'The last hour at a glance.' });

export const flowVersionSchema = z.strictObject({
  version: z.number().int(),
  savedBy: z.string(),
  savedAt: time,
  text: z.string().describe('the document as it was sent'),
}).meta({ id: 'FlowVersion' });

/** Every response schema by its id, for the OpenAPI document's components. */
export const RESPONSE_SCHEMAS = [problemSchema, connectionSchema, flowSchemaView, runSchema, runPageSchema, flowStatsSchema, apiKeySchema, auditEntrySchema, deadLetterSchema, userSchema, sessionSchema, connectorSchema, dashboardSchema, flowVersionSchema];
