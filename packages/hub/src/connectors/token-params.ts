import { z } from 'zod';

/** Custom token request parameters, e.g. { name: 'audience', value: 'https://api.example.com', in: 'body' }. */
export const tokenParamSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a parameter or header name'),
  value: z.string().max(2000),
  in: z.enum(['body', 'header']).default('body'),
}).strict().refine((p) => !['grant_type', 'client_id', 'client_secret', 'authorization'].includes(p.name.toLowerCase()), 'cannot override grant_type, client credentials or the Authorization header');
