import { z } from 'zod';
import { PolicyRefusal, type PolicyKind } from './policy-kind.js';

export const clientIdPolicySchema = z.object({
  type: z.literal('clientId'),
  allow: z.array(z.string().min(1).max(255)).min(1).max(1000),
}).strict().meta({ id: 'ClientIdPolicy', description: 'Only these client ids: the token\'s client_id (azp, cid) after a token policy.' });
export type ClientIdPolicy = z.infer<typeof clientIdPolicySchema>;

/** Client id enforcement: the client the token was issued to must be one of the listed ones. */
export const clientIdEnforcement: PolicyKind<ClientIdPolicy> = {
  type: 'clientId',
  schema: clientIdPolicySchema,
  authenticates: false,
  async check(_ctx, s, _call, caller) {
    if (!caller.clientId) throw new PolicyRefusal(401, 'Unauthorized', 'this endpoint needs a token that names its client (client_id); put a jwt or introspection policy before clientId');
    if (!s.allow.includes(caller.clientId)) throw new PolicyRefusal(403, 'Forbidden', `client ${caller.clientId} is not allowed here`);
  },
};
