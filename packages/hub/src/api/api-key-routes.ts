import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_SCOPES, createApiKey, listApiKeys, revokeApiKey } from '../api-keys/api-keys.js';
import { audit } from '../audit/audit-log.js';
import type { Actor, HubContext } from '../context.js';
import type { Guard } from './authenticate.js';
import { parse } from '../credentials/common.js';
import { notFound } from '../problem.js';


export const createApiKeyInput = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(API_SCOPES)).min(1),
  /** Days until the key stops working; none for a key that does not expire. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
}).strict();

/** `/api/v1/api-keys`: list (never a secret), create (the key is shown once) and revoke; each change audited. */
export function apiKeyRoutes(app: FastifyInstance, ctx: HubContext, guard: Guard, actor: (request: FastifyRequest) => Actor): void {
  app.get('/api/v1/api-keys', { preHandler: guard('api-keys:manage') }, async () => ({ apiKeys: await listApiKeys(ctx.db) }));
  app.post('/api/v1/api-keys', { preHandler: guard('api-keys:manage') }, async (request, reply) => {
    const input = parse(createApiKeyInput, request.body);
    const now = ctx.now();
    const { id, key } = await createApiKey(ctx.db, input.name, input.scopes, now, input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null);
    await audit(ctx.db, now, { actor: actor(request).name, action: 'api_key.create', targetType: 'api_key', targetId: id, outcome: 'success', detail: `${input.name}: ${input.scopes.join(' ')}` });
    return reply.code(201).send({ apiKey: (await listApiKeys(ctx.db)).find((k) => k.id === id), key });
  });
  app.delete<{ Params: { id: string } }>('/api/v1/api-keys/:id', { preHandler: guard('api-keys:manage') }, async (request, reply) => {
    if (!(await revokeApiKey(ctx.db, request.params.id))) throw notFound(`API key ${request.params.id}`);
    await audit(ctx.db, ctx.now(), { actor: actor(request).name, action: 'api_key.revoke', targetType: 'api_key', targetId: request.params.id, outcome: 'success' });
    return reply.code(204).send();
  });
}
