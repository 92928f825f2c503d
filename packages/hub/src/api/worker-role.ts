import type { FastifyInstance } from 'fastify';
import { Problem } from '../problem.js';

/** What a worker process still answers over HTTP. */
const WORKER_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** A `--role worker` process runs flows and rotations; it answers its probes and metrics, and nothing else. */
export function workerOnly(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!WORKER_PATHS.has(request.url.split('?')[0]!)) throw new Problem(404, 'Not found', 'This hub process is a worker (--role worker): it runs flows and rotations and answers only /healthz, /readyz and /metrics. Send API requests to a process with --role api or all.');
  });
}
