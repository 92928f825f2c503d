import { z } from 'zod';
import { CONNECTORS } from '../connectors/catalog.js';
import { updateConnectionInput } from '../connections/connections.js';
import { externalCredentialInput } from '../credentials/external-credentials.js';
import { identityProviderInput } from '../credentials/identity-providers.js';
import { namedCredentialInput } from '../credentials/named-credentials.js';
import { registration } from '../flows/external-services.js';
import { runQuery } from '../flows/runs.js';
import { rotationPolicyInput } from '../rotation/policy.js';
import { createApiKeyInput } from './api-key-routes.js';
import { createUserInput } from '../people/users.js';
import { signInInput } from './session-routes.js';
import { RESPONSE_SCHEMAS } from './responses.js';

/** The response schemas as OpenAPI components, each referring to the others by `#/components/schemas/<id>`. */
function responseComponents(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of RESPONSE_SCHEMAS) registry.add(schema, { id: (z.globalRegistry.get(schema) as { id: string }).id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: 'output', unrepresentable: 'any' });
  return Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _s, $id: _i, id: _d, ...schema }]) => [name, schema]));
}
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
/** A JSON answer: one component, or an object of named fields (`{ connections: [Connection] }`). */
const answer = (description: string, schema: Record<string, unknown>) => ({ description, content: { 'application/json': { schema } } });
const envelope = (fields: Record<string, unknown>) => ({ type: 'object', required: Object.keys(fields), properties: fields });
const READINESS = envelope({
  status: { enum: ['ready', 'not ready'] },
  checks: { type: 'object', required: ['store', 'flowEngine'], properties: { store: { enum: ['ok', 'unreachable'] }, queue: { enum: ['ok', 'unreachable'], description: 'cluster mode only: the job queue (pg-boss) answers' }, flowEngine: { enum: ['running', 'stopped', 'disabled'] } } },
});
const list = (id: string) => ({ type: 'array', items: ref(id) });

/** A request body's schema, from the zod schema the route validates with. */
const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } });
/** Query parameters, one per field of the zod object the route validates its query with. */
const queryParameters = (schema: z.ZodObject) => Object.entries((z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> }).properties)
  .map(([name, fieldSchema]) => ({ name, in: 'query', required: false, schema: fieldSchema }));
const flowDocument = { required: true, content: { 'application/yaml': { schema: { type: 'string', description: 'The flow document (see /api/v1/flows/schema.json)' } }, 'application/json': { schema: { type: 'object', description: 'The flow document as JSON (see /api/v1/flows/schema.json)' } } } };

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const responses = (ok: Record<string, unknown>) => ({ ...ok, 400: problem('Invalid request: each error names the field'), 401: problem('No or invalid API key'), 403: problem('The API key lacks the scope') });

/**
 * The API's OpenAPI 3.1 document. Each connector method's credentials schema comes from the same
 * zod schema the API validates with, so the document cannot drift from what is accepted.
 */
export function openApiDocument() {
  const credentials = Object.fromEntries(Object.values(CONNECTORS).flatMap((c) => Object.entries(c.methods).map(([name, m]) => [
    `${c.app}.${name}`,
    z.toJSONSchema(m.credentials, { io: 'input', unrepresentable: 'any' }),
  ])));
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const flowId = { name: 'id', in: 'path', required: true, description: 'The flow\'s id or name', schema: { type: 'string' } };
  const op = (summary: string, ok: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ summary, responses: responses(ok), ...extra });
  return {
    openapi: '3.1.0',
    info: { title: 'Handshake hub API', version: '1' },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (hsk_…) with the scopes each operation names.' },
        session: { type: 'apiKey', in: 'cookie', name: 'hs_session', description: 'A console session (POST /api/v1/session); requests that change something also send X-CSRF-Token. A role allows a set of scopes.' },
      },
      schemas: {
        ...responseComponents(),
        CreateConnection: {
          type: 'object', required: ['name', 'app', 'method', 'credentials'],
          properties: { name: { type: 'string' }, description: { type: 'string' }, app: { enum: [...Object.keys(CONNECTORS), 'named_credential'], description: 'a connector, or named_credential (method named_credential, credentials { namedCredential, testPath })' }, method: { type: 'string' }, credentials: { description: 'Depends on app and method: see x-credentials.' } },
          'x-credentials': credentials,
        },
      },
    },
    security: [{ apiKey: [] }, { session: [] }],
    paths: {
      '/api/v1/connections': {
        post: { summary: 'Create and test a connection (scope connections:write)', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateConnection' } } } }, responses: responses({ 201: answer('Created and tested', envelope({ connection: ref('Connection') })), 409: problem('Name taken'), 422: problem('The connection test failed; nothing was saved') }) },
        get: { summary: 'List connections (scope connections:read)', responses: responses({ 200: answer('Connections', envelope({ connections: list('Connection') })) }) },
      },
      '/api/v1/connections/{id}': {
        parameters: [id],
        get: { summary: 'Get a connection (connections:read)', responses: responses({ 200: answer('The connection', envelope({ connection: ref('Connection') })), 404: problem('Not found') }) },
        patch: { summary: 'Edit name, description or credentials; new credentials are tested first (connections:write)', requestBody: jsonBody(updateConnectionInput), responses: responses({ 200: answer('Updated', envelope({ connection: ref('Connection') })), 422: problem('Test failed; nothing changed') }) },
        delete: { summary: 'Delete (connections:write)', responses: responses({ 204: { description: 'Deleted' } }) },
      },
      '/api/v1/connections/{id}/test': { parameters: [id], post: { summary: 'Test now: a token request and a cheap API call (connections:test)', responses: responses({ 200: answer('Status and lastTestedAt updated', envelope({ connection: ref('Connection') })) }) } },
      '/api/v1/connections/{id}/reveal': { parameters: [id], post: { summary: 'Reveal the secrets (credentials:reveal); always audited', responses: responses({ 200: { description: 'The secrets' } }) } },
      '/api/v1/audit': { get: { summary: 'Audit log, newest first (audit:read)', parameters: [{ name: 'connectionId', in: 'query', required: false, schema: { type: 'string' } }, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }], responses: responses({ 200: answer('Entries', envelope({ entries: list('AuditEntry') })) }) } },
      '/api/v1/api-keys': {
        get: { summary: 'API keys: name, scopes, created, last used, expiry, revoked; never a secret (api-keys:manage)', responses: responses({ 200: answer('Keys', envelope({ apiKeys: list('ApiKey') })) }) },
        post: { summary: 'Create an API key {name, scopes, expiresInDays?}; the key is in this answer only (api-keys:manage)', requestBody: jsonBody(createApiKeyInput), responses: responses({ 201: { description: 'Created' } }) },
      },
      '/api/v1/api-keys/{id}': { parameters: [{ ...id, schema: { type: 'string' } }], delete: { summary: 'Revoke an API key at once (api-keys:manage)', responses: responses({ 204: { description: 'Revoked' } }) } },
      '/api/v1/session': {
        post: { summary: 'Sign in to the console: sets the httpOnly session cookie; answers the user and the CSRF token', security: [], requestBody: jsonBody(signInInput), responses: { 201: answer('Signed in', ref('Session')), 401: problem('Wrong username or password'), 429: problem('Too many failed attempts') } },
        get: { summary: 'Who is signed in (the session cookie), with the CSRF token', security: [], responses: { 200: answer('The session', ref('Session')), 401: problem('Not signed in') } },
        delete: { summary: 'Sign out (needs X-CSRF-Token)', security: [], responses: { 204: { description: 'Signed out' }, 403: problem('CSRF check failed') } },
      },
      '/api/v1/session/providers': { get: { summary: 'OAuth 2.0 providers people may sign in with ("Log in with Salesforce")', security: [], responses: { 200: answer('Providers', envelope({ providers: { type: 'array', items: { type: 'object', required: ['name', 'startUrl'], properties: { name: { type: 'string' }, startUrl: { type: 'string' } } } } })) } } },
      '/api/v1/session/sso': { get: { summary: 'Start signing in through the provider: redirects to its authorize endpoint (PKCE, state in a sealed cookie)', security: [], responses: { 302: { description: 'To the provider' }, 404: problem('No provider configured') } } },
      '/api/v1/session/sso/callback': { get: { summary: 'Where the provider sends the browser back: signs in and redirects to the console (errors come back as ?sign_in_error=)', security: [], responses: { 302: { description: 'To the console' } } } },
      '/api/v1/setup': {
        get: { summary: 'Whether the hub still needs its first admin (no user yet)', security: [], responses: { 200: answer('Whether setup is needed', envelope({ needed: { type: 'boolean' } })) } },
        post: { summary: 'The one-time setup page: creates the first admin and signs them in, only while the hub has no user', security: [], requestBody: jsonBody(createUserInput.omit({ role: true, manageConnections: true })), responses: { 201: answer('Created and signed in', ref('Session')), 409: problem('Already set up') } },
      },
      '/api/v1/users': {
        get: op('People who sign in to the console (users:manage)', { 200: answer('Users', envelope({ users: list('User') })) }),
        post: op('Create a user with a role (admin, builder, viewer) and, for builders, Manage Integration Connections (users:manage)', { 201: answer('Created', envelope({ user: ref('User') })), 409: problem('Username taken') }, { requestBody: jsonBody(createUserInput) }),
      },
      '/api/v1/connectors': { get: op('Connectors and their authentication methods, each with its fields\' JSON Schema (connections:read)', { 200: answer('Connectors', envelope({ connectors: list('Connector') })) }) },
      '/api/v1/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } } },
      '/api/v1/oauth/callback': { get: { summary: 'Where an identity provider sends the user back after authorizing a connection (state and code in the query)', security: [], responses: { 302: { description: 'Done' }, 400: { description: 'Unknown or expired state' } } } },
      '/healthz': { get: { summary: 'Liveness: the process answers (no credential)', security: [], responses: { 200: answer('Alive', { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }) } } },
      '/readyz': { get: { summary: 'Readiness: the store (and in cluster mode the job queue) answers within 2 s and the flow engine runs (no credential; why a check failed is logged, not answered)', security: [], responses: { 200: answer('Ready', READINESS), 503: answer('Not ready', READINESS) } } },
      '/metrics': { get: { summary: 'Prometheus metrics (Bearer HANDSHAKE_METRICS_TOKEN when set)', security: [], responses: { 200: { description: 'Metrics, text format' }, 401: { description: 'The metrics token is required' } } } },
      '/api/v1/connections/{id}/usages': { parameters: [id], get: op('Flows using the connection (connections:read)', { 200: { description: 'Usages' } }) },
      '/api/v1/connections/{id}/authorize': { parameters: [id], post: op('Start or redo the authorization code flow; answers the URL to send the user to (connections:write)', { 200: { description: 'The authorization URL' } }) },
      '/api/v1/connections/{id}/rotation-policy': { parameters: [id], put: op('Set the rotation policy of a Salesforce client credentials connection (connections:write)', { 200: { description: 'The policy and rotation status' } }, { requestBody: jsonBody(rotationPolicyInput) }) },
      '/api/v1/connections/{id}/rotation': { parameters: [id], get: op('Rotation policy, last and next rotation, status and recent runs (connections:read)', { 200: { description: 'Status' } }) },
      '/api/v1/connections/{id}/rotate': { parameters: [id, { name: 'wait', in: 'query', required: false, schema: { enum: ['true', 'false'] } }], post: op('Rotate now; with ?wait=true answers when done (connections:write)', { 200: { description: 'Done' }, 202: { description: 'Started' }, 502: { description: 'The rotation failed; the old pair works' } }) },
      '/api/v1/identity-providers': {
        post: op('Create an external auth identity provider (connections:write)', { 201: { description: 'Created' } }, { requestBody: jsonBody(identityProviderInput) }),
        get: op('List identity providers; never a secret (connections:read)', { 200: { description: 'Identity providers' } }),
      },
      '/api/v1/external-credentials': {
        post: op('Create an external credential: protocol (oauth2_client_credentials through an identity provider, basic, custom_headers) and principals, each granted to API key names; flows run as the key that saved them (connections:write)', { 201: { description: 'Created' } }, { requestBody: jsonBody(externalCredentialInput) }),
        get: op('List external credentials; never a secret (connections:read)', { 200: { description: 'External credentials' } }),
      },
      '/api/v1/named-credentials': {
        post: op('Create a named credential: a base URL, an external credential and a principal granted to the caller (connections:write)', { 201: { description: 'Created' }, 403: { description: 'The caller is not granted the principal' } }, { requestBody: jsonBody(namedCredentialInput) }),
        get: op('List named credentials (connections:read)', { 200: { description: 'Named credentials' } }),
      },
      '/api/v1/external-services': { post: op('Register an OpenAPI 3 service on a named credential, by document or by URL (flows:write)', { 201: { description: 'Registered; its operations are actions' } }, { requestBody: jsonBody(registration) }) },
      '/api/v1/flows': {
        put: op('Save (create or replace) a flow from YAML or JSON; refused with each problem\'s path, line and column (flows:write)', { 200: { description: 'Saved, with warnings' } }, { requestBody: flowDocument }),
        get: op('List flows (flows:read)', { 200: answer('Flows', envelope({ flows: list('Flow') })) }),
      },
      '/api/v1/dashboard': { get: op('The last hour: token requests per connection and runs per flow, per minute; backlog and lag; Salesforce API usage (flows:read)', { 200: answer('Dashboard', ref('Dashboard')) }) },
      '/api/v1/flows/validate': { post: op('Check a flow document without saving it (flows:read)', { 200: { description: 'Valid, with warnings' } }, { requestBody: flowDocument }) },
      '/api/v1/flows/templates': { get: op('Flow templates: the seed flows and more, as YAML to start from (flows:read)', { 200: answer('Templates', envelope({ templates: { type: 'array', items: { type: 'object', required: ['name', 'description', 'text'], properties: { name: { type: 'string' }, description: { type: 'string' }, text: { type: 'string', description: 'the flow document (YAML)' } } } } })) }) },
      '/api/v1/flows/schema.json': { get: { summary: 'The flow document\'s JSON Schema', security: [], responses: { 200: { description: 'JSON Schema' } } } },
      '/api/v1/flows/{id}': {
        parameters: [flowId],
        get: op('A flow, with its last poll error (flows:read)', { 200: answer('The flow', envelope({ flow: ref('Flow') })), 404: problem('Not found') }),
        delete: { ...op('Delete a flow with its runs and events; refused while senders call its webhook or events wait (flows:write)', { 204: { description: 'Deleted' }, 409: { description: 'Still needed; ?force=true deletes anyway' } }), parameters: [{ name: 'force', in: 'query', required: false, schema: { enum: ['true', 'false'] } }] },
      },
      '/api/v1/flows/{id}/pause': { parameters: [flowId], post: op('Pause: the trigger stops, changes wait (flows:write)', { 200: answer('Paused', envelope({ flow: ref('Flow') })) }) },
      '/api/v1/flows/{id}/resume': { parameters: [flowId], post: op('Resume from the cursor (flows:write)', { 200: answer('Active', envelope({ flow: ref('Flow') })) }) },
      '/api/v1/flows/{id}/run': { parameters: [flowId], post: op('Run a schedule flow now (flows:write)', { 202: { description: 'Queued' }, 409: { description: 'Not a schedule flow' } }) },
      '/api/v1/flows/{id}/runs': { parameters: [flowId, ...queryParameters(runQuery)], get: op('Runs, newest first, a page at a time with a next cursor (flows:read)', { 200: answer('A page of runs', ref('RunPage')) }) },
      '/api/v1/flows/{id}/runs/stream': { parameters: [flowId], get: op('Runs as they are recorded, as server-sent events (event: run, data: a Run) (flows:read)', { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } }) },
      '/api/v1/flows/{id}/runs/{runId}': { parameters: [flowId, { name: 'runId', in: 'path', required: true, schema: { type: 'string' } }], get: op('One run with its steps (flows:read)', { 200: answer('The run', envelope({ run: ref('Run') })), 404: problem('Not found') }) },
      '/api/v1/flows/{id}/versions': { parameters: [flowId], get: op('Saved versions, newest first, each as the document was sent (flows:read)', { 200: answer('Versions', envelope({ versions: list('FlowVersion') })) }) },
      '/api/v1/flows/{id}/versions/{version}/restore': { parameters: [flowId, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }], post: op('Roll back: save that version again, as a new version (flows:write)', { 200: answer('Saved', envelope({ flow: ref('Flow'), warnings: { type: 'array', items: { type: 'object' } } })), 404: problem('No such version') }) },
      '/api/v1/flows/{id}/stats': { parameters: [flowId], get: op('Counts, never capped: runs and events by status, backlog, lag, last run (flows:read)', { 200: answer('Stats', ref('FlowStats')) }) },
      '/api/v1/flows/{id}/dead-letters': { parameters: [flowId], get: op('Events the flow gave up on (flows:read)', { 200: answer('Dead letters, oldest first', envelope({ deadLetters: list('DeadLetter') })) }) },
      '/api/v1/flows/{id}/dead-letters/replay': { parameters: [flowId], post: op('Send dead letters back to run: the given ids, or all (flows:write)', { 200: answer('How many', envelope({ replayed: { type: 'integer' } })) }, { requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } }, additionalProperties: false } } } } }) },
      '/api/v1/hooks/{flow}': { parameters: [{ name: 'flow', in: 'path', required: true, schema: { type: 'string' } }], post: op('Deliver a webhook event to a flow; a redelivery with the same id is the same event (flows:trigger, or the token the flow\'s policies ask for)', { 200: { description: 'Duplicate' }, 202: { description: 'Queued' }, 401: { description: 'No valid API key, or a token policy refused the token' }, 403: { description: 'A policy refused the caller (scope, claim, client id, address)' }, 409: { description: 'Not a webhook flow' }, 429: { description: 'Rate limited (Retry-After)' } }, { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } }) },
    },
  };
}
