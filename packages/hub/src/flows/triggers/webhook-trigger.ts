import { z } from 'zod';

/** `type: webhook`: events arrive at `POST /api/v1/hooks/{flow}` (webhook.ts); nothing is polled. */
export const webhookTrigger = z.object({
  type: z.literal('webhook'),
  /** Where the event's id is in the body (JSONata), when the caller sends no Idempotency-Key. */
  idPath: z.string().optional().describe('where the event\'s id is in the body (JSONata), when the caller sends no Idempotency-Key'),
}).strict().meta({ id: 'WebhookTrigger', description: 'Events POSTed to /api/v1/hooks/<flow name> with an API key (flows:trigger).' });
