import { z } from 'zod';
import { optionalCredentialValue } from '../credentials/credential-value.js';

/** Custom token request parameters, e.g. { name: 'audience', value: 'https://api.example.com', in: 'body' }. */
export const tokenParamSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a parameter or header name'),
  value: optionalCredentialValue,
  in: z.enum(['body', 'header']).default('body'),
}).strict().refine((p) => !['grant_type', 'client_id', 'client_secret', 'authorization'].includes(p.name.toLowerCase()), 'cannot override grant_type, client credentials or the Authorization header');
