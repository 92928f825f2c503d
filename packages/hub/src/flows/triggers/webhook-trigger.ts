import { z } from 'zod';
import { policyUrlProblems } from '../../policies/hub-policies.js';
import { policySchema } from '../../policies/registry.js';
import type { SaveCheck } from '../actions/action-kind.js';

/** `type: webhook`: events arrive at `POST /api/v1/hooks/{flow}` (webhook.ts); nothing is polled. */
export const webhookTrigger = z.object({
  type: z.literal('webhook'),
  /** Where the event's id is in the body (JSONata), when the caller sends no Idempotency-Key. */
  idPath: z.string().optional().describe('where the event\'s id is in the body (JSONata), when the caller sends no Idempotency-Key'),
  /** Inbound policies, in order, after the hub-wide ones; a token policy (jwt, introspection) stands in for the API key. */
  policies: z.array(policySchema).max(20).default([]).describe('inbound policies (jwt, introspection, clientId, rateLimit, ipAllowlist), checked in order; a jwt or introspection policy replaces the API key'),
}).strict().meta({ id: 'WebhookTrigger', description: 'Events POSTed to /api/v1/hooks/<flow name> with an API key (flows:trigger), or with the token its policies ask for.' });

/** Save-time checks of a webhook's policies: their URLs against the hub's URL policy, their identity providers. */
export async function checkWebhookTrigger(v: SaveCheck, trigger: z.infer<typeof webhookTrigger>): Promise<void> {
  for (const p of await policyUrlProblems(trigger.policies, v.ctx.urlPolicy, 'trigger.policies')) v.problem(p.path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)), p.message);
  for (const [i, policy] of trigger.policies.entries()) {
    if (policy.type !== 'introspection') continue;
    const known = await v.ctx.db.selectFrom('identity_providers').select('id').where('name', '=', policy.identityProvider).executeTakeFirst();
    if (!known) v.problem(['trigger', 'policies', i, 'identityProvider'], `unknown identity provider "${policy.identityProvider}"; create it first (POST /api/v1/identity-providers)`);
  }
}
