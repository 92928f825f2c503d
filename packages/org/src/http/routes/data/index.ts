import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { DataService } from '../../../data/service.js';
import type { OAuthContext } from '../../../oauth/context.js';
import type { BulkJobRunner } from '../../../data/bulk/runner.js';
import { bulkRoutes } from './bulk.js';
import { collectionRoutes } from './collections.js';
import { compositeRoutes } from './composite.js';
import { compositeTreeRoutes } from './composite-tree.js';
import { registerDataContext } from './context.js';
import { limitsRoutes } from './limits.js';
import { queryRoutes } from './query.js';
import { searchRoutes } from './search.js';
import { sobjectRoutes } from './sobjects.js';

/** The REST data API under /services/data/vXX.X: one plugin, so its hooks and body limits stay here. */
export async function dataApiRoutes(app: FastifyInstance, ctx: OAuthContext, service: DataService, bulk: BulkJobRunner): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: service.blobs.maxBytes, files: 2, fields: 4, parts: 4 } });
    registerDataContext(scope, ctx, service);
    sobjectRoutes(scope, service);
    queryRoutes(scope, service);
    searchRoutes(scope, service);
    collectionRoutes(scope, service);
    compositeRoutes(scope, service);
    compositeTreeRoutes(scope, service);
    bulkRoutes(scope, service, bulk);
    limitsRoutes(scope, service);
  }, { prefix: '/services/data/:version' });
}
