import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function toRange(entry: string): Range {
  const text = entry.trim();
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const address = ipaddr.parse(text);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/**
 * Whether a socket peer may ask for decisions. Only trusted callers may: else
 * anyone could probe tokens while claiming any viewer IP in X-Real-IP.
 */
export function trustedCallerCheck(cidrs: readonly string[]): (remoteAddress: string | undefined) => boolean {
  const ranges = cidrs.map(toRange);
  return (remoteAddress) => {
    if (!remoteAddress || !ipaddr.isValid(remoteAddress)) return false;
    const address = ipaddr.process(remoteAddress);
    return ranges.some(([network, bits]) => address.kind() === network.kind() && address.match(network, bits));
  };
}
