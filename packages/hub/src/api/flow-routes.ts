import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, HubContext } from '../context.js';
import type { Guard } from './authenticate.js';
import { flowJsonSchema } from '../flows/definition.js';
import type { FlowEngine } from '../flows/engine/engine.js';
import { registerExternalService } from '../flows/external-services.js';
import { deadLetters, deleteFlow, flowWarnings, getFlow, listFlows, replayDeadLetters, runFlowNow, saveFlow, setFlowStatus, validateFlow } from '../flows/flows.js';
import { flowStats, getRun, listRuns, type RunQuery } from '../flows/runs.js';
import { invalid, Problem } from '../problem.js';
import { flowTemplates } from '../flows/templates.js';
import { followRuns } from '../flows/run-feed.js';
import { dashboard } from '../flows/dashboard.js';
import { listVersions, restoreVersion } from '../flows/versions.js';
import { receiveWebhook, webhookPolicies } from '../flows/triggers/webhook.js';
import { authenticates, callerLabel, enforcePolicies } from '../policies/enforce.js';
import type { CallerIdentity } from '../policies/policy-kind.js';

type IdParams = { Params: { id: string } };

/** Live run streams one API key or person may hold open at once (a console tab holds one). */
const MAX_STREAMS_PER_PRINCIPAL = 20;

/** A flow document arrives as YAML (application/yaml, text/plain) or as JSON. */
function documentText(body: unknown): string {
  if (typeof body === 'string' && body.trim() !== '') return body;
  if (body && typeof body === 'object') {
    try {
      return JSON.stringify(body);
    } catch (error) {
      // A JSON body nested thousands deep is refused as the YAML path refuses it, not answered with a 500.
      if (error instanceof RangeError) throw invalid([{ path: '(body)', message: 'the document is nested too deeply' }]);
      throw error;
    }
  }
  throw invalid([{ path: '(body)', message: 'send the flow document as YAML (Content-Type: application/yaml) or JSON' }]);
}

/** Flows and external services under /api/v1: thin routes over the flows domain module. */
export function flowRoutes(app: FastifyInstance, ctx: HubContext, engine: FlowEngine | undefined, guard: Guard, actor: (request: FastifyRequest) => Actor): void {
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get('/api/v1/flows/schema.json', async () => flowJsonSchema());
  app.get('/api/v1/flows/templates', { preHandler: guard('flows:read') }, async () => ({ templates: flowTemplates() }));
  // A flow document is text: sent with no content type, or with curl's default form type
  // (`curl --data-binary @flow.yaml`), it is read as YAML, not refused as "not JSON".
  void app.register(async (documents) => {
    documents.addContentTypeParser(['*', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    documents.post('/api/v1/flows/validate', { preHandler: guard('flows:read') }, async (request) => {
      const flow = await validateFlow(ctx, documentText(request.body), actor(request));
      return { valid: true, flow, warnings: flowWarnings(flow) };
    });
    documents.put('/api/v1/flows', { preHandler: guard('flows:write') }, async (request) => {
      const { warnings, ...flow } = await saveFlow(ctx, actor(request), documentText(request.body));
      return { flow, warnings };
    });
  });
  app.get('/api/v1/flows', { preHandler: guard('flows:read') }, async () => ({ flows: await listFlows(ctx) }));
  app.get('/api/v1/dashboard', { preHandler: guard('flows:read') }, async () => dashboard(ctx));
  app.get<IdParams>('/api/v1/flows/:id', { preHandler: guard('flows:read') }, async (request) => {
    const flow = await getFlow(ctx, request.params.id);
    return { flow: { ...flow, pollError: engine?.pollError(flow.id) ?? null, triggerNotice: engine?.triggerNotice(flow.id) ?? null } };
  });
  app.delete<IdParams & { Querystring: { force?: string } }>('/api/v1/flows/:id', { preHandler: guard('flows:write') }, async (request, reply) => {
    await deleteFlow(ctx, actor(request), request.params.id, request.query.force === 'true');
    return reply.code(204).send();
  });
  app.post<IdParams>('/api/v1/flows/:id/run', { preHandler: guard('flows:write') }, async (request, reply) => reply.code(202).send(await runFlowNow(ctx, actor(request), request.params.id)));
  app.post<IdParams>('/api/v1/flows/:id/pause', { preHandler: guard('flows:write') }, async (request) => ({ flow: await setFlowStatus(ctx, actor(request), request.params.id, 'paused') }));
  app.post<IdParams>('/api/v1/flows/:id/resume', { preHandler: guard('flows:write') }, async (request) => ({ flow: await setFlowStatus(ctx, actor(request), request.params.id, 'active') }));
  app.get<IdParams & { Querystring: RunQuery }>('/api/v1/flows/:id/runs', { preHandler: guard('flows:read') }, async (request) => listRuns(ctx, request.params.id, request.query));
  // Live runs as server-sent events (the console's runs list); each stream ends when the hub stops.
  const streams = new Set<() => void>();
  // Each stream holds a socket and a look at the store every second: one key or person holds at most this many.
  const openBy = new Map<string, number>();
  app.addHook('preClose', async () => { for (const end of streams) end(); });
  app.get<IdParams>('/api/v1/flows/:id/runs/stream', { preHandler: guard('flows:read') }, async (request, reply) => {
    const flow = await getFlow(ctx, request.params.id);
    const holder = `${request.principal!.kind}:${request.principal!.id}`;
    const open = openBy.get(holder) ?? 0;
    if (open >= MAX_STREAMS_PER_PRINCIPAL) throw new Problem(429, 'Too many live streams', `This ${request.principal!.kind === 'user' ? 'person' : 'API key'} has ${open} live run streams open already (at most ${MAX_STREAMS_PER_PRINCIPAL}); close one (a console tab) first.`);
    openBy.set(holder, open + 1);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    raw.write(': runs of this flow, as they are recorded\n\n');
    const feed = followRuns(ctx, flow.id, (run) => raw.write(`event: run\ndata: ${JSON.stringify(run)}\n\n`));
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      if (!streams.delete(end)) return;
      feed.stop();
      clearInterval(heartbeat);
      const left = (openBy.get(holder) ?? 1) - 1;
      if (left > 0) openBy.set(holder, left);
      else openBy.delete(holder);
      raw.end();
    };
    streams.add(end);
    request.raw.on('close', end);
  });
  app.get<{ Params: { id: string; runId: string } }>('/api/v1/flows/:id/runs/:runId', { preHandler: guard('flows:read') }, async (request) => ({ run: await getRun(ctx, request.params.id, request.params.runId) }));
  app.get<IdParams>('/api/v1/flows/:id/versions', { preHandler: guard('flows:read') }, async (request) => ({ versions: await listVersions(ctx, request.params.id) }));
  app.post<{ Params: { id: string; version: string } }>('/api/v1/flows/:id/versions/:version/restore', { preHandler: guard('flows:write') }, async (request) => {
    const version = Number(request.params.version);
    if (!Number.isInteger(version) || version < 1) throw invalid([{ path: 'version', message: 'must be a version number (1, 2, …)' }]);
    const { warnings, ...flow } = await restoreVersion(ctx, actor(request), request.params.id, version);
    return { flow, warnings };
  });
  app.get<IdParams>('/api/v1/flows/:id/stats', { preHandler: guard('flows:read') }, async (request) => flowStats(ctx, request.params.id));
  app.get<IdParams>('/api/v1/flows/:id/dead-letters', { preHandler: guard('flows:read') }, async (request) => ({ deadLetters: await deadLetters(ctx, request.params.id) }));
  app.post<IdParams>('/api/v1/flows/:id/dead-letters/replay', { preHandler: guard('flows:write') }, async (request) => {
    const ids = (request.body as { ids?: unknown } | undefined)?.ids;
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) throw invalid([{ path: 'ids', message: 'must be a list of dead letter ids' }]);
    return { replayed: await replayDeadLetters(ctx, actor(request), request.params.id, ids as string[] | undefined) };
  });
  app.post<{ Params: { flow: string } }>('/api/v1/hooks/:flow', async (request, reply) => {
    // A token policy (jwt, introspection) authenticates the caller; otherwise an API key does, first.
    const policies = await webhookPolicies(ctx, request.params.flow);
    let caller: CallerIdentity = { via: 'none' };
    if (!policies || !authenticates(policies)) {
      await guard('flows:trigger')(request);
      caller = { via: 'api-key', subject: request.principal!.name };
    }
    if (policies?.length) caller = await enforcePolicies(ctx, policies, { headers: request.headers, ip: request.ip, endpoint: `hooks/${request.params.flow}` }, caller);
    const key = request.headers['idempotency-key'];
    const result = await receiveWebhook(ctx, request.params.flow, request.body, typeof key === 'string' && key ? key : undefined, callerLabel(caller, request.ip));
    return reply.code(result.duplicate ? 200 : 202).send(result);
  });
  app.post('/api/v1/external-services', { preHandler: guard('flows:write') }, async (request, reply) => reply.code(201).send({ externalService: await registerExternalService(ctx, actor(request), request.body) }));
}
