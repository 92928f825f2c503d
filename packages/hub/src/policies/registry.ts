import { z } from 'zod';
import { clientIdEnforcement, clientIdPolicySchema } from './client-id.js';
import { ipAllowlist, ipAllowlistPolicySchema } from './ip-allowlist.js';
import { jwtPolicySchema, jwtValidation } from './jwt-validation.js';
import type { PolicyKind } from './policy-kind.js';
import { rateLimit, rateLimitPolicySchema } from './rate-limit.js';
import { introspectionPolicySchema, tokenIntrospection } from './token-introspection.js';

/** Every kind of inbound policy, by `type`: adding one is a file and a line here. */
export const POLICY_KINDS = {
  jwt: jwtValidation,
  introspection: tokenIntrospection,
  clientId: clientIdEnforcement,
  rateLimit,
  ipAllowlist,
} as const;

export const policySchema = z.discriminatedUnion('type', [jwtPolicySchema, introspectionPolicySchema, clientIdPolicySchema, rateLimitPolicySchema, ipAllowlistPolicySchema]);
export type PolicySettings = z.infer<typeof policySchema>;

export const policyKind = (settings: PolicySettings) => POLICY_KINDS[settings.type] as unknown as PolicyKind<PolicySettings>;
