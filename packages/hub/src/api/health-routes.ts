import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.js';
import type { FlowEngine } from '../flows/engine/engine.js';
import { storeReachable } from '../store/reachable.js';

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the store answers, in a
 * cluster the job queue too, and the flow engine runs) for process managers and load balancers. Neither needs a credential, so neither
 * says more than ok or not: why the store failed goes to the log, not to the caller.
 */
export function healthRoutes(app: FastifyInstance, ctx: HubContext, flows: FlowEngine | undefined): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    const store = await storeReachable(ctx.db);
    if (!store.ok) request.log.error({ err: store.error }, 'readiness: the store does not answer');
    const queue = await ctx.work.reachable?.();
    if (queue && !queue.ok) request.log.error({ err: queue.error }, 'readiness: the job queue does not answer');
    const flowEngine = flows === undefined ? 'disabled' : flows.running ? 'running' : 'stopped';
    const ready = store.ok && (queue?.ok ?? true) && flowEngine !== 'stopped';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { store: store.ok ? 'ok' : 'unreachable', ...(queue ? { queue: queue.ok ? 'ok' : 'unreachable' } : {}), flowEngine } });
  });
}
