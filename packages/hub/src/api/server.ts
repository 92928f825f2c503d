import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { KeyUsage } from '../api-keys/api-keys.js';
import { describeConnectors } from '../connectors/catalog.js';
import { actorOf, guardWith } from './authenticate.js';
import { consoleRoutes } from './console-routes.js';
import { sessionRoutes } from './session-routes.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { listAudit } from '../audit/audit-log.js';
import { CALLBACK_PATH } from '../connections/authorization.js';
import { rotationStatus, setRotationPolicy } from '../rotation/policy.js';
import type { RotationScheduler } from '../rotation/scheduler.js';
import { listUsages } from '../connections/usages.js';
import { createExternalCredential, listExternalCredentials } from '../credentials/external-credentials.js';
import { createIdentityProvider, listIdentityProviders } from '../credentials/identity-providers.js';
import { createNamedCredential, listNamedCredentials } from '../credentials/named-credentials.js';
import { authorizeConnection, createConnection, deleteConnection, finishAuthorization, getConnection, listConnections, revealCredentials, testConnection, updateConnection } from '../connections/connections.js';
import type { HubContext } from '../context.js';
import { Problem } from '../problem.js';
import { clientErrorHandler } from './client-error.js';
import { refuseNulCharacters } from './refuse-nul.js';
import { openApiDocument } from './openapi.js';
import { flowRoutes } from './flow-routes.js';
import { healthRoutes } from './health-routes.js';
import { enforcePolicies } from '../policies/enforce.js';
import type { FlowEngine } from '../flows/engine/engine.js';

const PROBLEM_JSON = 'application/problem+json';

function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).headers(problem.headers).type(PROBLEM_JSON).send(problem.body());
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Requests are logged by method and path only: query strings and headers can hold credentials. */
const requestSerializer = (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: req.url.split('?')[0], remoteAddress: req.ip });

/**
 * The hub's REST API under /api/v1, in the style of Infisical's app connections. Every route needs
 * an API key with the route's scope; answers never hold a secret; errors are problem+json.
 */
const digest = (text: string) => createHash('sha256').update(text).digest();
/** Constant-time comparison of a presented secret (hashed first, so lengths never leak). */
const sameSecret = (presented: string, expected: string) => timingSafeEqual(digest(presented), digest(expected));

export interface HubServerOptions {
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** The console's built files, served at /. */
  consoleDir?: string | undefined;
  /**
   * The proxies (addresses or CIDR ranges) in front of the hub: a request from one of them is from
   * the address its X-Forwarded-For names (what ipAllowlist, rate limits and logs see); from any
   * other peer the header is ignored, so a client cannot claim an address.
   */
  trustProxy?: string[] | undefined;
}

export async function buildHubServer(ctx: HubContext, logger: FastifyServerOptions['logger'], rotations: RotationScheduler, flows: FlowEngine | undefined, { metricsToken, consoleDir, trustProxy }: HubServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: logger === false || logger === undefined ? false : { ...(logger as object), serializers: { req: requestSerializer } }, bodyLimit: 256 * 1024, clientErrorHandler, ...(trustProxy?.length ? { trustProxy } : {}) });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof Problem) return sendProblem(reply, error);
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendProblem(reply, new Problem(400, 'Malformed JSON', `The request body is not valid JSON: ${error.message}`, [{ path: '(body)', message: 'is not valid JSON' }]));
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, new Problem(415, 'Unsupported media type', 'Send JSON (Content-Type: application/json).'));
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, new Problem(413, 'Body too large', 'The request body is larger than 256 KiB.'));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return sendProblem(reply, new Problem(error.statusCode, 'Bad request', error.message));
    request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, 'unhandled error');
    return sendProblem(reply, new Problem(500, 'Internal error', 'An unexpected error occurred; it has been logged.'));
  });
  refuseNulCharacters(app);
  // Hub-wide API policies (IP allowlist, rate limit) before anything else; webhooks have their own.
  if (ctx.policies.api.length) {
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/api/v1/') || request.url.startsWith('/api/v1/hooks/')) return;
      await enforcePolicies(ctx, ctx.policies.api, { headers: request.headers, ip: request.ip, endpoint: 'api' }, { via: 'none' });
    });
  }
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new Problem(404, 'Not found', `No route ${request.method} ${request.url.split('?')[0]}`)));

  await app.register(fastifyCookie);
  const keyUsage = new KeyUsage(ctx.db);
  app.addHook('onClose', () => keyUsage.close());
  const guard = guardWith(ctx, keyUsage);
  const actor = actorOf;
  sessionRoutes(app, ctx, guard);
  app.get('/api/v1/connectors', { preHandler: guard('connections:read') }, async () => ({ connectors: describeConnectors() }));
  if (consoleDir) await consoleRoutes(app, consoleDir);
  type IdParams = { Params: { id: string } };

  app.get('/api/v1/openapi.json', async () => openApiDocument());
  // A browsable reference of the same document, served from the package's own assets (offline).
  await app.register(fastifySwagger, { mode: 'static', specification: { document: openApiDocument() as never } });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  flowRoutes(app, ctx, flows, guard, actor);
  healthRoutes(app, ctx, flows);
  app.get('/metrics', async (request, reply) => {
    // With HANDSHAKE_METRICS_TOKEN set, a scraper sends it as a Bearer token.
    if (metricsToken && !sameSecret(request.headers.authorization ?? '', `Bearer ${metricsToken}`)) throw new Problem(401, 'Unauthorized', 'Send the metrics token: "Authorization: Bearer <HANDSHAKE_METRICS_TOKEN>".');
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  apiKeyRoutes(app, ctx, guard, actor);

  app.post('/api/v1/connections', { preHandler: guard('connections:write') }, async (request, reply) => reply.code(201).send({ connection: await createConnection(ctx, actor(request), request.body) }));
  app.get('/api/v1/connections', { preHandler: guard('connections:read') }, async () => ({ connections: await listConnections(ctx) }));
  app.get<IdParams>('/api/v1/connections/:id', { preHandler: guard('connections:read') }, async (request) => ({ connection: await getConnection(ctx, request.params.id) }));
  app.patch<IdParams>('/api/v1/connections/:id', { preHandler: guard('connections:write') }, async (request) => ({ connection: await updateConnection(ctx, actor(request), request.params.id, request.body) }));
  app.get<IdParams>('/api/v1/connections/:id/usages', { preHandler: guard('connections:read') }, async (request) => {
    await getConnection(ctx, request.params.id);
    return { usages: await listUsages(ctx, request.params.id) };
  });
  app.delete<IdParams & { Querystring: { force?: string } }>('/api/v1/connections/:id', { preHandler: guard('connections:write') }, async (request, reply) => {
    await deleteConnection(ctx, actor(request), request.params.id, request.query.force === 'true');
    return reply.code(204).send();
  });
  app.post<IdParams>('/api/v1/connections/:id/test', { preHandler: guard('connections:test') }, async (request) => ({ connection: await testConnection(ctx, actor(request), request.params.id) }));
  app.post<IdParams>('/api/v1/connections/:id/reveal', { preHandler: guard('credentials:reveal') }, async (request) => ({ credentials: await revealCredentials(ctx, actor(request), request.params.id) }));
  app.post('/api/v1/identity-providers', { preHandler: guard('connections:write') }, async (request, reply) => reply.code(201).send({ identityProvider: await createIdentityProvider(ctx, actor(request), request.body) }));
  app.get('/api/v1/identity-providers', { preHandler: guard('connections:read') }, async () => ({ identityProviders: await listIdentityProviders(ctx) }));
  app.post('/api/v1/external-credentials', { preHandler: guard('connections:write') }, async (request, reply) => reply.code(201).send({ externalCredential: await createExternalCredential(ctx, actor(request), request.body) }));
  app.get('/api/v1/external-credentials', { preHandler: guard('connections:read') }, async () => ({ externalCredentials: await listExternalCredentials(ctx) }));
  app.post('/api/v1/named-credentials', { preHandler: guard('connections:write') }, async (request, reply) => reply.code(201).send({ namedCredential: await createNamedCredential(ctx, actor(request), request.body) }));
  app.get('/api/v1/named-credentials', { preHandler: guard('connections:read') }, async () => ({ namedCredentials: await listNamedCredentials(ctx) }));
  app.put<IdParams>('/api/v1/connections/:id/rotation-policy', { preHandler: guard('connections:write') }, async (request) => setRotationPolicy(ctx, actor(request).name, request.params.id, request.body));
  app.get<IdParams>('/api/v1/connections/:id/rotation', { preHandler: guard('connections:read') }, async (request) => rotationStatus(ctx, request.params.id));
  app.post<IdParams & { Querystring: { wait?: string } }>('/api/v1/connections/:id/rotate', { preHandler: guard('connections:write') }, async (request, reply) => {
    const run = rotations.rotateNow(request.params.id, actor(request).name);
    if (request.query.wait === 'true') {
      const done = await run as { status: string; error: string | null };
      return reply.code(done.status === 'completed' ? 200 : 502).send(await rotationStatus(ctx, request.params.id));
    }
    run.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    return reply.code(202).send(await rotationStatus(ctx, request.params.id));
  });
  app.post<IdParams>('/api/v1/connections/:id/authorize', { preHandler: guard('connections:write') }, async (request) => ({ authorizationUrl: await authorizeConnection(ctx, actor(request), request.params.id) }));
  // The IdP redirects the user's browser here; the single-use state, not an API key, proves it.
  app.get(CALLBACK_PATH, async (request, reply) => {
    const params = new URLSearchParams(request.url.split('?')[1] ?? '');
    // Opened as the console's Reconnect popup, a successful page closes itself and the console reloads the connection.
    const page = (status: number, title: string, text: string) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store')
      .send(`<!doctype html><html lang="en"><meta charset="utf-8"><title>${escape(title)}</title><h1>${escape(title)}</h1><p>${escape(text)}</p>${status === 200 ? '<script>if (window.opener) window.close();</script>' : ''}</html>`);
    try {
      const connection = await finishAuthorization(ctx, params);
      return connection.status === 'active'
        ? page(200, 'Connected', `${connection.name} is connected. You can close this window.`)
        : page(502, 'Connected, but the test failed', `${connection.name}: ${connection.statusReason ?? ''}`);
    } catch (error) {
      if (error instanceof Problem) return page(error.status, error.title, error.detail);
      throw error;
    }
  });
  app.get<{ Querystring: { connectionId?: string; limit?: string } }>('/api/v1/audit', { preHandler: guard('audit:read') }, async (request) => {
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Problem(400, 'Invalid request', 'limit must be a whole number from 1 to 1000', [{ path: 'limit', message: 'must be 1 to 1000' }]);
    return { entries: await listAudit(ctx.db, { targetId: request.query.connectionId, limit }) };
  });
  return app;
}
