import type { FastifyInstance, FastifyRequest } from 'fastify';
import { queryColumns } from '../../../data/soql/columns.js';
import { DEFAULT_BATCH, nextPage, runQuery } from '../../../data/soql/run.js';
import type { DataService } from '../../../data/service.js';
import { ApiError } from '../../api-error.js';
import type { VersionParams } from './context.js';

/** Sforce-Query-Options: batchSize=N, between 200 and 2000 (a hint, as in Salesforce). */
function batchSize(request: FastifyRequest): number {
  const header = request.headers['sforce-query-options'];
  const match = typeof header === 'string' ? /batchSize\s*=\s*(\d+)/i.exec(header) : null;
  if (!match) return DEFAULT_BATCH;
  return Math.min(2000, Math.max(200, Number(match[1])));
}

export function queryRoutes(app: FastifyInstance, service: DataService): void {
  for (const path of ['query', 'queryAll'] as const) {
    app.get<{ Params: VersionParams; Querystring: { q?: string; explain?: string; columns?: string } }>(`/${path}`, async (request) => {
      if (request.query.explain !== undefined) throw new ApiError(400, 'MALFORMED_QUERY', 'Query plans (explain) are not available in this org');
      const q = request.query.q;
      if (typeof q !== 'string') throw new ApiError(400, 'MALFORMED_QUERY', 'A query needs the SOQL in the q parameter');
      // `sf data query` asks for the columns to lay out its table.
      if (request.query.columns === 'true') return queryColumns(service, request.data.access, q);
      return runQuery(service, request.data.access, q, { includeDeleted: path === 'queryAll', batchSize: batchSize(request), version: request.data.version });
    });
    // jsforce rebuilds `query/{locator}` from any nextRecordsUrl, queryAll's included.
    app.get<{ Params: VersionParams & { locator: string } }>(`/${path}/:locator`, async (request) => nextPage(service, request.data.access, request.params.locator, request.data.version));
  }
}
