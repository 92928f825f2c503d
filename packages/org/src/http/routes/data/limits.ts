import type { FastifyInstance } from 'fastify';
import type { DataService } from '../../../data/service.js';

export function limitsRoutes(app: FastifyInstance, service: DataService): void {
  app.get('/limits', async () => {
    const { used, max } = service.usage.current();
    const fixed = (n: number) => ({ Max: n, Remaining: n });
    return {
      DailyApiRequests: { Max: max, Remaining: Math.max(0, max - used) },
      DailyBulkV2QueryJobs: fixed(10000),
      DataStorageMB: fixed(1024),
      FileStorageMB: { Max: Math.floor((service.blobs.maxBytes * 1000) / 1048576), Remaining: Math.floor((service.blobs.maxBytes * 1000) / 1048576) },
      ConcurrentSyncReportRuns: fixed(20),
    };
  });
}
