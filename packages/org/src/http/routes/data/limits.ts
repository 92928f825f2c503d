import type { FastifyInstance } from 'fastify';
import { bulkLimits, recordCounts, storageLimits } from '../../../data/limits/storage.js';
import type { DataService } from '../../../data/service.js';

export function limitsRoutes(app: FastifyInstance, service: DataService): void {
  app.get('/limits', async () => {
    const { used, max } = service.usage.current();
    return {
      DailyApiRequests: { Max: max, Remaining: Math.max(0, max - used) },
      ...(await storageLimits(service)),
      ...(await bulkLimits(service)),
      ConcurrentSyncReportRuns: { Max: 20, Remaining: 20 },
    };
  });

  // `sf org list sobject record-counts` sends a bare `?sObjects` for every object, or `?sObjects=A,B`.
  app.get<{ Querystring: { sObjects?: string } }>('/limits/recordCount', async (request) => {
    const names = request.query.sObjects ? request.query.sObjects.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    return { sObjects: await recordCounts(service, request.data.access, names) };
  });
}
