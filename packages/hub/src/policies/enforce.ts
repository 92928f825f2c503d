import { audit } from '../audit/audit-log.js';
import type { HubContext } from '../context.js';
import { policyKind, type PolicySettings } from './registry.js';
import { PolicyRefusal, type CallerIdentity, type InboundCall } from './policy-kind.js';

/** How a caller reads in run records and audit rows: who the token names, or how it came. */
export function callerLabel(caller: CallerIdentity, ip?: string): string {
  const parts = [caller.via === 'api-key' ? `api-key:${caller.subject}` : caller.subject ? `sub:${caller.subject}` : undefined, caller.clientId ? `client:${caller.clientId}` : undefined, caller.issuer ? `iss:${caller.issuer}` : undefined].filter(Boolean);
  return (parts.length ? parts.join(' ') : `ip:${ip ?? 'unknown'}`).slice(0, 300);
}

/** Whether the policies authenticate the caller themselves (a token policy), so no API key is asked for. */
export const authenticates = (policies: PolicySettings[]) => policies.some((p) => policyKind(p).authenticates);

/**
 * Runs the policies in order, each seeing who the ones before found; answers who the caller is. A
 * refusal is counted and audited with what is known of the caller, then thrown as the answer.
 */
export async function enforcePolicies(ctx: HubContext, policies: PolicySettings[], call: InboundCall, caller: CallerIdentity): Promise<CallerIdentity> {
  const { endpoint } = call;
  let current = caller;
  for (const settings of policies) {
    try {
      current = (await policyKind(settings).check(ctx, settings, call, current)) ?? current;
    } catch (error) {
      if (!(error instanceof PolicyRefusal)) throw error;
      ctx.metrics.policyRejection(settings.type, endpoint, error.status);
      await audit(ctx.db, ctx.now(), { actor: callerLabel(current, call.ip), action: 'policy.reject', targetType: 'endpoint', targetId: endpoint, outcome: String(error.status), detail: `${settings.type}: ${error.detail} (from ${call.ip})` });
      throw error;
    }
  }
  return current;
}
