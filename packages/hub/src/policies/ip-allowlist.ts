import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { PolicyRefusal, type PolicyKind } from './policy-kind.js';

const cidr = z.string().refine((text) => {
  try {
    ipaddr.parseCIDR(text.includes('/') ? text : `${text}/${ipaddr.parse(text).kind() === 'ipv4' ? 32 : 128}`);
    return true;
  } catch {
    return false;
  }
}, 'must be an address or a CIDR range, such as 203.0.113.0/24 or 2001:db8::/32');

export const ipAllowlistPolicySchema = z.object({
  type: z.literal('ipAllowlist'),
  allow: z.array(cidr).min(1).max(500),
}).strict().meta({ id: 'IpAllowlistPolicy', description: 'Only callers from these addresses or ranges.' });
export type IpAllowlistPolicy = z.infer<typeof ipAllowlistPolicySchema>;

/** IPv4 mapped into IPv6 (::ffff:a.b.c.d, as Node reports IPv4 on a dual-stack socket) is compared as IPv4. */
function rangeOf(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const [net, bits] = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), ipaddr.parse(text).kind() === 'ipv4' ? 32 : 128];
  if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress()) return [(net as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)];
  return [net, bits];
}

/** IP allowlist: the address the request came from (not a forwarded header) must be in a listed range. */
export const ipAllowlist: PolicyKind<IpAllowlistPolicy> = {
  type: 'ipAllowlist',
  schema: ipAllowlistPolicySchema,
  authenticates: false,
  async check(_ctx, s, call) {
    let address: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      [address] = rangeOf(call.ip);
    } catch {
      throw new PolicyRefusal(403, 'Forbidden', 'the caller\'s address could not be read');
    }
    const allowed = s.allow.map(rangeOf).some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
    if (!allowed) throw new PolicyRefusal(403, 'Forbidden', `calls from ${call.ip} are not allowed here`);
  },
};
