import ipaddr from 'ipaddr.js';

/** IPv6 ranges that carry an IPv4 address inside: the address is judged by the IPv4 one it reaches. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const [a, b, c, , , , g, h] = address.parts as [number, number, number, number, number, number, number, number];
  const range = address.range();
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated "compatible" form, [::127.0.0.1]).
  if (range === 'ipv4Mapped' || address.toNormalizedString().startsWith('0:0:0:0:0:0:')) return new ipaddr.IPv4([g >> 8, g & 255, h >> 8, h & 255]);
  // NAT64 64:ff9b::/96: the gateway connects to the IPv4 address in the last 32 bits.
  if (range === 'rfc6052' && a === 0x64 && b === 0xff9b && address.parts.slice(2, 6).every((p) => p === 0)) return new ipaddr.IPv4([g >> 8, g & 255, h >> 8, h & 255]);
  // 6to4 2002:AABB:CCDD::/48 relays to AA.BB.CC.DD.
  if (range === '6to4') return new ipaddr.IPv4([b >> 8, b & 255, c >> 8, c & 255]);
  return undefined;
}

/**
 * Why the hub may not connect to an address, or undefined for a public unicast one. Everything but
 * public unicast is refused: loopback, private, link-local (fe80::/10), site-local (fec0::/10),
 * carrier-grade NAT, unique-local, benchmarking (198.18.0.0/15), reserved, multicast, broadcast,
 * unspecified, Teredo, and the IPv6 forms that wrap a refused IPv4 address (mapped, compatible,
 * NAT64, 6to4). This is where SSRF does its damage, and it is the one check every outbound path uses.
 */
export function refusedAddress(text: string): string | undefined {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return `${text} is not an IP address`;
  }
  const range = address.range();
  if (address.kind() === 'ipv6' && range !== 'loopback' && range !== 'unspecified') {
    const inner = embeddedIPv4(address as ipaddr.IPv6);
    if (inner) return refusedAddress(inner.toString()) && `${text} reaches ${inner.toString()} (${inner.range()})`;
  }
  return range === 'unicast' ? undefined : `${text} is a ${range} address`;
}
