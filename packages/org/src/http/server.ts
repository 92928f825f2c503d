import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { OrgMetrics } from '../metrics.js';
import type { OAuthContext } from '../oauth/context.js';
import type { TokenRateLimits } from '../oauth/rate-limits.js';
import { registerErrorFormat } from './error-format.js';
import { registerFormParser } from './form-body.js';
import { adminRoutes } from './routes/admin.js';
import { appCredentialRoutes } from './routes/app-credentials.js';
import { authorizeRoutes } from './routes/authorize.js';
import { identityRoutes } from './routes/identity.js';
import { revokeAndIntrospectRoutes } from './routes/revoke-introspect.js';
import { singleAccessRoutes } from './routes/single-access.js';
import { tokenRoutes } from './routes/token.js';
import { versionRoutes } from './routes/versions.js';
import { dataApiRoutes } from './routes/data/index.js';
import { bulkV1Routes } from './routes/bulk-v1.js';
import { cometdRoutes } from './routes/cometd.js';
import type { StreamingHub } from '../data/cdc/streaming.js';
import type { DataService } from '../data/service.js';
import type { BulkJobRunner } from '../data/bulk/runner.js';
import { refuseTokensInQuery } from './token-in-query.js';
import { tokenFastPath } from './token-fast-path.js';
import { recordFastPath } from './record-fast-path.js';
import type { Store } from '../store/database.js';

export interface ServerDeps {
  ctx: OAuthContext;
  metrics: OrgMetrics;
  limits: TokenRateLimits;
  orgKey: Buffer;
  data: DataService;
  bulk: BulkJobRunner;
  streaming: StreamingHub;
  /** The SQLite handle under the store, for the record fast path (absent on PostgreSQL). */
  sqlite?: Store['sqlite'];
  logger: FastifyServerOptions['logger'];
  /** PEM certificate and key: the org then speaks https. */
  tls?: { cert: string; key: string } | undefined;
}

/** Requests are logged by method and path only: query strings and headers can hold credentials. */
export const requestSerializer = (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: req.url.split('?')[0], remoteAddress: req.ip });

import { clientErrorHandler } from './client-error.js';
import { refuseNulInPath } from './refuse-nul.js';
import { ignoreContentTypeWithoutBody, tolerateSlashes } from './url-tolerance.js';

export async function buildOrgServer(deps: ServerDeps): Promise<FastifyInstance> {
  const fastPath = tokenFastPath(deps.ctx, deps.metrics, deps.limits, () => app.log);
  const recordPath = recordFastPath(deps.ctx, deps.data, deps.sqlite);
  const app: FastifyInstance = Fastify({
    logger: deps.logger,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    clientErrorHandler,
    serverFactory: (handler) => {
      const listener = (req: IncomingMessage, res: ServerResponse) => {
        tolerateSlashes(req);
        if (!fastPath(req, res) && !recordPath(req, res)) handler(req, res);
      };
      // An https server is a net.Server too; fastify only listens and closes it.
      return deps.tls ? (createTlsServer({ cert: deps.tls.cert, key: deps.tls.key }, listener) as unknown as Server) : createServer(listener);
    },
  });
  registerErrorFormat(app);
  refuseNulInPath(app);
  ignoreContentTypeWithoutBody(app);
  registerFormParser(app);
  refuseTokensInQuery(app);
  await app.register(fastifyCookie, { secret: createHmac('sha256', deps.orgKey).update('browser-cookies').digest() });
  await app.register(fastifyCsrf, { cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', path: '/' } });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });

  tokenRoutes(app, deps.ctx, deps.metrics, deps.limits);
  revokeAndIntrospectRoutes(app, deps.ctx);
  identityRoutes(app, deps.ctx);
  authorizeRoutes(app, deps.ctx, deps.limits);
  singleAccessRoutes(app, deps.ctx);
  versionRoutes(app, deps.ctx);
  adminRoutes(app, deps.ctx);
  appCredentialRoutes(app, deps.ctx);
  await dataApiRoutes(app, deps.ctx, deps.data, deps.bulk);
  await bulkV1Routes(app, deps.ctx, deps.data, deps.bulk);
  cometdRoutes(app, deps.ctx, deps.data, deps.streaming);
  app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
  app.get('/', async (_request, reply) => reply.type('text/plain').send(`Handshake org ${deps.ctx.org.name} (${deps.ctx.org.orgId}). API: ${deps.ctx.urls.instanceUrl}/services/data\n`));
  return app;
}
