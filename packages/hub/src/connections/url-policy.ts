import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface UrlPolicy {
  /** Allow http:// and loopback/private addresses (local development and tests only). */
  allowPrivateNetworks: boolean;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, which URL parsing writes in hex (::ffff:7f00:1). */
function mappedIPv4(tail: string): string {
  if (isIP(tail) === 4) return tail;
  const [high, low] = tail.split(':').map((h) => parseInt(h, 16));
  if (high === undefined || low === undefined || Number.isNaN(high) || Number.isNaN(low)) return '0.0.0.0';
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Loopback, private, link-local, CGNAT and unique-local ranges: where SSRF does its damage. */
function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 6) {
    const a = address.toLowerCase();
    if (a.startsWith('::ffff:')) return isPrivateAddress(mappedIPv4(a.slice(7)));
    return a === '::1' || a === '::' || a.startsWith('fc') || a.startsWith('fd') || a.startsWith('fe80');
  }
  const [a, b] = address.split('.').map(Number) as [number, number];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

/**
 * Checks a URL a user gave for a connection: https only, and not an address inside this network,
 * unless the hub runs with private networks allowed. Returns the problem, or undefined.
 */
export async function checkUrl(url: string, policy: UrlPolicy): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (policy.allowPrivateNetworks) return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? undefined : 'must be an http(s) URL';
  if (parsed.protocol !== 'https:') return 'must use https (http is allowed only when the hub runs with --allow-private-networks, for development)';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'points at this machine; private addresses are refused (use --allow-private-networks for development)';
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then((r) => r.map((a) => a.address), () => []);
  if (addresses.some(isPrivateAddress)) return 'resolves to a private or loopback address; refused (use --allow-private-networks for development)';
  return undefined;
}
