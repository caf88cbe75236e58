import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpRange = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An IP address or CIDR range, parsed; a bare address is a one-address range. */
export function parseRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const trimmed = text.trim();
  try {
    return ipaddr.parseCIDR(trimmed);
  } catch {
    if (isIP(trimmed) === 0) return undefined;
    const address = ipaddr.parse(trimmed);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  }
}

/**
 * A configured address or CIDR, as viewer addresses are compared with it. An
 * IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) becomes the IPv4 range it
 * covers, because addresses are compared with mapped IPv4 folded to IPv4.
 */
export function ipRange(text: string): IpRange {
  const parsed = parseRange(text);
  if (!parsed) throw new Error(`not an IP address or CIDR: ${text}`);
  const [address, bits] = parsed;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

/** An address, IPv4-mapped IPv6 folded to IPv4; undefined when it is not an address. */
export function parseAddress(ip: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ip === undefined) return undefined;
  try {
    return ipaddr.process(ip);
  } catch {
    return undefined;
  }
}

/** An address as the bridge writes it (log, cache keys, securetoken): canonical, mapped IPv4 folded, no zone. */
export function canonicalIp(ip: string): string {
  return ipaddr.process(ip.split('%')[0]!).toString();
}

export function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, [network, bits]: IpRange): boolean {
  // ipaddr.js refuses to compare addresses of different families.
  return address.kind() === network.kind() && address.match(network, bits);
}
