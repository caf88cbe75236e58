import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An IP or CIDR; IPv4-mapped IPv6 ranges become the IPv4 ranges they stand for. */
function toRange(entry: string): Range {
  const text = entry.trim();
  const [address, bits] = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), undefined];
  const prefix = bits ?? (address.kind() === 'ipv4' ? 32 : 128);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && prefix >= 96) {
    return [address.toIPv4Address(), prefix - 96];
  }
  return [address, prefix];
}

export interface Caller {
  /** The peer address as the log shows it (IPv4-mapped folded to IPv4). */
  readonly address: string | undefined;
  readonly trusted: boolean;
}

/** Callers are a handful of streaming servers, so their verdicts are remembered. */
const MEMORY = 1024;

/**
 * Whether a socket peer may ask for decisions. Only trusted callers may: else
 * anyone could probe tokens while claiming any viewer IP in X-Real-IP.
 */
export function callerCheck(cidrs: readonly string[]): (remoteAddress: string | undefined) => Caller {
  const ranges = cidrs.map(toRange);
  const known = new Map<string, Caller>();
  const judge = (remoteAddress: string): Caller => {
    if (!ipaddr.isValid(remoteAddress)) return { address: remoteAddress, trusted: false };
    const address = ipaddr.process(remoteAddress);
    const trusted = ranges.some(([network, bits]) => address.kind() === network.kind() && address.match(network, bits));
    return { address: address.toString(), trusted };
  };
  return (remoteAddress) => {
    if (remoteAddress === undefined) return { address: undefined, trusted: false };
    let caller = known.get(remoteAddress);
    if (!caller) {
      if (known.size >= MEMORY) known.clear();
      caller = judge(remoteAddress);
      known.set(remoteAddress, caller);
    }
    return caller;
  };
}
