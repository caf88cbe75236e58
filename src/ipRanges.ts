import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpRange = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

const DOTTED_TAIL = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * An IPv6 address whose last 32 bits are written as a dotted quad, with them in hex: ipaddr.js reads the
 * IPv4-compatible `::127.0.0.1` as the mapped `::ffff:127.0.0.1` (and so as the IPv4 127.0.0.1), where it is the
 * IPv6 `::7f00:1`. The mapped form (`::ffff:1.2.3.4`) still reads as mapped. Anything else is handed back as it is.
 */
export function dottedTailInHex(text: string): string {
  const tail = text.includes(':') ? DOTTED_TAIL.exec(text) : null;
  if (!tail) return text;
  const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
  return `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** ipaddr.js's `process` (mapped IPv4 folded to IPv4) of an address as `dottedTailInHex` writes it. */
export function processIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  return ipaddr.process(dottedTailInHex(text));
}

/** An IP address or CIDR range, parsed; a bare address is a one-address range. */
export function parseRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const written =
    slash === -1 ? dottedTailInHex(trimmed) : `${dottedTailInHex(trimmed.slice(0, slash))}${trimmed.slice(slash)}`;
  try {
    return ipaddr.parseCIDR(written);
  } catch {
    if (isIP(trimmed) === 0) return undefined;
    const address = ipaddr.parse(written);
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
    return processIp(ip);
  } catch {
    return undefined;
  }
}

/** An address as the bridge writes it (log, cache keys, securetoken): canonical, mapped IPv4 folded, no zone. */
export function canonicalIp(ip: string): string {
  return processIp(ip.split('%')[0]!).toString();
}

export function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, [network, bits]: IpRange): boolean {
  // ipaddr.js refuses to compare addresses of different families.
  return address.kind() === network.kind() && address.match(network, bits);
}
