import { z } from 'zod';
import { CONNECTORS } from '../connectors/catalog.js';

const problem = { $ref: '#/components/schemas/Problem' };
const responses = (ok: Record<string, unknown>) => ({ ...ok, 400: { description: 'Invalid request', content: { 'application/problem+json': { schema: problem } } }, 401: { description: 'No or invalid API key' }, 403: { description: 'API key lacks the scope' } });

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
  return {
    openapi: '3.1.0',
    info: { title: 'Handshake hub API', version: '1' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (hsk_…) with the scopes each operation names.' } },
      schemas: {
        Problem: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
        CreateConnection: {
          type: 'object', required: ['name', 'app', 'method', 'credentials'],
          properties: { name: { type: 'string' }, description: { type: 'string' }, app: { enum: Object.keys(CONNECTORS) }, method: { type: 'string' }, credentials: { description: 'Depends on app and method: see x-credentials.' } },
          'x-credentials': credentials,
        },
        Connection: { type: 'object', description: 'Never includes a secret.', properties: { id: { type: 'string' }, name: { type: 'string' }, app: { type: 'string' }, method: { type: 'string' }, config: { type: 'object' }, credentialsHash: { type: 'string' }, status: { enum: ['active', 'failing', 'needs_reconnect', 'inactive'] }, statusReason: { type: ['string', 'null'] }, lastTestedAt: { type: ['string', 'null'] } } },
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/api/v1/connections': {
        post: { summary: 'Create and test a connection (scope connections:write)', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateConnection' } } } }, responses: responses({ 201: { description: 'Created' }, 409: { description: 'Name taken' }, 422: { description: 'The connection test failed; nothing was saved' } }) },
        get: { summary: 'List connections (scope connections:read)', responses: responses({ 200: { description: 'Connections' } }) },
      },
      '/api/v1/connections/{id}': {
        parameters: [id],
        get: { summary: 'Get a connection (connections:read)', responses: responses({ 200: { description: 'The connection' }, 404: { description: 'Not found' } }) },
        patch: { summary: 'Edit name, description or credentials; new credentials are tested first (connections:write)', responses: responses({ 200: { description: 'Updated' }, 422: { description: 'Test failed; nothing changed' } }) },
        delete: { summary: 'Delete (connections:write)', responses: responses({ 204: { description: 'Deleted' } }) },
      },
      '/api/v1/connections/{id}/test': { parameters: [id], post: { summary: 'Test now: a token request and a cheap API call (connections:test)', responses: responses({ 200: { description: 'Status and lastTestedAt updated' } }) } },
      '/api/v1/connections/{id}/reveal': { parameters: [id], post: { summary: 'Reveal the secrets (credentials:reveal); always audited', responses: responses({ 200: { description: 'The secrets' } }) } },
      '/api/v1/audit': { get: { summary: 'Audit log, newest first (audit:read)', responses: responses({ 200: { description: 'Entries' } }) } },
      '/api/v1/api-keys': {
        get: { summary: 'API keys: name, scopes, created, last used, expiry, revoked; never a secret (api-keys:manage)', responses: responses({ 200: { description: 'Keys' } }) },
        post: { summary: 'Create an API key {name, scopes, expiresInDays?}; the key is in this answer only (api-keys:manage)', responses: responses({ 201: { description: 'Created' } }) },
      },
      '/api/v1/api-keys/{id}': { delete: { summary: 'Revoke an API key at once (api-keys:manage)', responses: responses({ 204: { description: 'Revoked' } }) } },
    },
  };
}
