import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { refusedAddress } from '../net/address-policy.js';

export interface UrlPolicy {
  /** Allow http:// and loopback/private addresses (local development and tests only). */
  allowPrivateNetworks: boolean;
}

const DEVELOPMENT = 'use --allow-private-networks for development';

/**
 * Checks a URL a user gave when it is saved: https only, and not an address inside this network,
 * unless the hub runs with private networks allowed. Returns the problem, or undefined. The same
 * address check runs again on every connection (net/outbound.ts), so a name that later resolves
 * elsewhere is still refused; this one tells the user at once.
 */
export async function checkUrl(url: string, policy: UrlPolicy): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (policy.allowPrivateNetworks) return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? undefined : 'must be an http(s) URL';
  if (parsed.protocol !== 'https:') return `must use https (http is allowed only when the hub runs with --allow-private-networks, for development)`;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `points at this machine; private addresses are refused (${DEVELOPMENT})`;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch (error) {
    // Fail closed: a name that does not resolve cannot be checked.
    return `names a host that could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'}); check the name`;
  }
  const refused = addresses.map(refusedAddress).find(Boolean);
  return refused ? `resolves to a private or reserved address (${refused}); refused (${DEVELOPMENT})` : undefined;
}
