import type { FastifyInstance } from 'fastify';
import { search } from '../../../data/search/sosl.js';
import type { DataService } from '../../../data/service.js';
import { ApiError } from '../../api-error.js';
import type { VersionParams } from './context.js';

export function searchRoutes(app: FastifyInstance, service: DataService): void {
  app.get<{ Params: VersionParams; Querystring: { q?: string } }>('/search', async (request) => {
    if (typeof request.query.q !== 'string' || request.query.q.trim() === '') throw new ApiError(400, 'MALFORMED_SEARCH', 'A search needs SOSL in the q parameter, e.g. FIND {Acme} RETURNING Account(Id, Name)');
    return search(service, request.data.access, request.query.q, request.data.version);
  });
}
